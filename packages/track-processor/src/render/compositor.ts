/** What both compositors do: the newest mask and a camera frame in, the frame with the effect out on their canvas. */
import type { BackgroundEffect } from '../effects.js';

export type OutputCanvas = OffscreenCanvas | HTMLCanvasElement;
export type CameraFrame = VideoFrame | HTMLVideoElement | ImageBitmap | HTMLCanvasElement | OffscreenCanvas;

/** Edge shaping of the upsampled mask: alpha below the first is background, above the second person. */
export const DEFAULT_EDGE: [number, number] = [0.25, 0.75];
/** Share of the background's light that wraps onto the person's edge (0 turns it off). */
export const DEFAULT_LIGHT_WRAP = 0.3;

export interface Compositor {
  readonly kind: 'webgl2' | 'canvas2d';
  readonly canvas: OutputCanvas;
  /** False while the compositor cannot draw (a lost WebGL context): the caller shows the camera's frame as it is. */
  readonly ready: boolean;
  /** The person alpha (0..255) at the model's resolution; null: no mask yet (everything is background). */
  setMask(alpha: Uint8Array | null, width: number, height: number): void;
  /** Draws `frame` (width x height) with `effect` on the canvas, resized to the frame; does nothing while not ready. */
  render(frame: CameraFrame, width: number, height: number, effect: BackgroundEffect): void;
  dispose(): void;
}

/** [x, y, width, height] of the part of a `source`-sized image that covers a `target`-sized frame (centred, uniform scale). */
export function coverRect(sourceWidth: number, sourceHeight: number, targetWidth: number, targetHeight: number): [number, number, number, number] {
  const scale = Math.min(sourceWidth / targetWidth, sourceHeight / targetHeight);
  const w = targetWidth * scale;
  const h = targetHeight * scale;
  return [(sourceWidth - w) / 2, (sourceHeight - h) / 2, w, h];
}

/** Blur standard deviation in pixels of a frame `width` wide for a strength given at 640 pixels wide. */
export function blurSigma(strength: number, width: number): number {
  return (strength * width) / 640;
}
