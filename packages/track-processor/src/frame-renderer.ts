/**
 * One camera frame at a time: offered to the mask worker when it is idle, drawn at once with
 * the newest mask and the current effect. Runs in the frame worker (insertable streams) or on
 * the page (canvas capture).
 */
import type { BackgroundEffect } from './effects.js';
import type { MaskClient } from './mask-client.js';
import { Canvas2DCompositor } from './render/canvas2d.js';
import type { CameraFrame, Compositor, OutputCanvas } from './render/compositor.js';
import { WebGL2Compositor } from './render/webgl.js';

export type RendererKind = 'webgl2' | 'canvas2d';

export interface RendererStats {
  renderer: RendererKind;
  framesIn: number;
  framesOut: number;
  masks: number;
  /** Median over the last 120 masks, in the mask worker. */
  inferenceMs: number | null;
  /** Median time to draw one output frame, over the last 120. */
  drawMs: number | null;
}

const median = (values: number[]): number | null => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * 'auto': WebGL2 on a GPU; the 2D canvas where WebGL2 is missing or runs on the CPU (measured on
 * SwiftShader, 2 cores: 7-8 FPS with WebGL2's passes against 24 with the 2D canvas).
 */
export function makeCompositor(newCanvas: () => OutputCanvas, wanted: RendererKind | 'auto'): Compositor {
  if (wanted !== 'canvas2d') {
    try {
      const gl = new WebGL2Compositor(newCanvas());
      if (wanted === 'webgl2' || !gl.software) return gl;
      gl.dispose();
    } catch (e) {
      if (wanted === 'webgl2') throw e;
    }
  }
  // A canvas that gave out a WebGL2 context gives no 2D one: a fresh canvas.
  return new Canvas2DCompositor(newCanvas());
}

export class FrameRenderer {
  effect: BackgroundEffect;
  /** Set after a failure: frames pass through unchanged. */
  passThrough = false;
  private shownMask: unknown = null;
  private readonly drawTimes: number[] = [];
  private framesIn = 0;
  private framesOut = 0;

  constructor(
    readonly compositor: Compositor,
    readonly masks: MaskClient,
    effect: BackgroundEffect,
    /** [height, width] to shrink frames to before they cross to the mask worker (VideoFrames cross whole). */
    private readonly inputSize?: [number, number],
  ) {
    this.effect = effect;
  }

  /** Draws the output of `frame`; false when the compositor cannot draw now (the caller passes the frame on as it is). */
  draw(frame: CameraFrame, width: number, height: number): boolean {
    const started = performance.now();
    this.framesIn++;
    if (!this.compositor.ready) return false;
    const effect = this.passThrough ? { kind: 'none' as const } : this.effect;
    const masks = this.masks;
    if (effect.kind !== 'none' && masks.idle) {
      if (typeof VideoFrame !== 'undefined' && frame instanceof VideoFrame) masks.offer(frame.clone());
      else {
        const [h, w] = this.inputSize ?? [0, 0];
        void createImageBitmap(frame, w && h ? { resizeWidth: w, resizeHeight: h, resizeQuality: 'low' } : {}).then((bitmap) => masks.offer(bitmap), () => undefined);
      }
    }
    const latest = masks.latest;
    if (latest !== this.shownMask) {
      this.compositor.setMask(latest?.alpha ?? null, latest?.width ?? 1, latest?.height ?? 1);
      this.shownMask = latest;
    }
    this.compositor.render(frame, width, height, effect);
    this.framesOut++;
    this.drawTimes.push(performance.now() - started);
    if (this.drawTimes.length > 120) this.drawTimes.shift();
    return true;
  }

  /** After a camera switch: the old mask must not linger. */
  forgetMask(): void {
    this.shownMask = null;
  }

  get stats(): RendererStats {
    return { renderer: this.compositor.kind, framesIn: this.framesIn, framesOut: this.framesOut, masks: this.masks.masks, inferenceMs: median(this.masks.inferenceMs), drawMs: median(this.drawTimes) };
  }

  dispose(): void {
    this.compositor.dispose();
    this.masks.dispose();
  }
}
