/**
 * The compositor where WebGL2 is missing: the mask becomes the alpha of a small canvas that the
 * browser scales (bilinear) to the frame, once a mask, where the soft band is narrowed as WebGL2's
 * is (DEFAULT_EDGE); the canvas's own blur filter. Plainer than WebGL2's: no edge-aware upsampling
 * or light wrap, and a blurred background carries a faint glow of the person's colours.
 */
import { TrackProcessorError } from '../errors.js';
import type { BackgroundEffect } from '../effects.js';
import { blurSigma, coverRect, DEFAULT_EDGE, type CameraFrame, type Compositor, type OutputCanvas } from './compositor.js';

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** The most a frame is shrunk before its background is blurred, and the least blur (sigma, in shrunk pixels) that hides the shrinking. */
const MAX_BLUR_SHRINK = 4;
const MIN_SHRUNK_SIGMA = 2;

/** Alpha after the soft band's narrowing: smoothstep over DEFAULT_EDGE, for each alpha 0..255. */
const EDGE_SHAPE = Uint8ClampedArray.from({ length: 256 }, (_, a) => {
  const t = Math.min(1, Math.max(0, (a / 255 - DEFAULT_EDGE[0]) / (DEFAULT_EDGE[1] - DEFAULT_EDGE[0])));
  return Math.round(255 * t * t * (3 - 2 * t));
});

function makeCanvas(width: number, height: number): OffscreenCanvas | HTMLCanvasElement {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function context(canvas: OutputCanvas): Context2D {
  const ctx = canvas.getContext('2d') as Context2D | null;
  if (!ctx) throw new TrackProcessorError('this browser gives no 2D canvas', 'UNSUPPORTED');
  return ctx;
}

function resize(canvas: OutputCanvas, width: number, height: number): void {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
}

export class Canvas2DCompositor implements Compositor {
  readonly kind = 'canvas2d';
  readonly ready = true;
  private readonly mask = makeCanvas(1, 1);
  private readonly person = makeCanvas(1, 1);
  /** The background, shrunk and blurred. */
  private readonly blurred = makeCanvas(1, 1);
  /** The mask at the frame's size with its band narrowed; redrawn for a new mask or frame size. */
  private readonly upsampled = makeCanvas(1, 1);
  private readonly upsampledContext = this.upsampled.getContext('2d', { willReadFrequently: true }) as Context2D;
  private upsampledStale = true;
  private hasMask = false;
  /** Reused while the mask's size stays (a mask arrives several times a second). */
  private maskPixels: ImageData | null = null;

  constructor(readonly canvas: OutputCanvas) {
    context(canvas);
  }

  setMask(alpha: Uint8Array | null, width: number, height: number): void {
    this.hasMask = !!alpha;
    if (!alpha) return;
    resize(this.mask, width, height);
    if (!this.maskPixels || this.maskPixels.width !== width || this.maskPixels.height !== height) this.maskPixels = new ImageData(width, height);
    const pixels = this.maskPixels;
    for (let i = 0; i < alpha.length; i++) pixels.data[4 * i + 3] = alpha[i]!;
    context(this.mask).putImageData(pixels, 0, 0);
    this.upsampledStale = true;
  }

  /** Scales the mask to width x height (bilinear) and narrows its soft band. */
  private upsample(width: number, height: number): void {
    if (!this.upsampledStale && this.upsampled.width === width && this.upsampled.height === height) return;
    resize(this.upsampled, width, height);
    const u = this.upsampledContext;
    u.globalCompositeOperation = 'copy';
    u.imageSmoothingEnabled = true;
    u.drawImage(this.mask, 0, 0, width, height);
    const pixels = u.getImageData(0, 0, width, height);
    const d = pixels.data;
    for (let i = 3; i < d.length; i += 4) d[i] = EDGE_SHAPE[d[i]!]!;
    u.putImageData(pixels, 0, 0);
    this.upsampledStale = false;
  }

  render(frame: CameraFrame, width: number, height: number, effect: BackgroundEffect): void {
    resize(this.canvas, width, height);
    const ctx = context(this.canvas);
    ctx.globalCompositeOperation = 'source-over';
    ctx.filter = 'none';
    if (effect.kind === 'none') {
      ctx.drawImage(frame, 0, 0, width, height);
      return;
    }
    ctx.clearRect(0, 0, width, height);
    switch (effect.kind) {
      case 'blur': {
        // A wide blur at full size costs most of a frame on a CPU; on a frame shrunk by `f` (its
        // sigma too) and scaled back up it looks the same, at 1/f^2 of the work.
        const sigma = blurSigma(effect.strength, width);
        const f = Math.max(1, Math.min(MAX_BLUR_SHRINK, Math.floor(sigma / MIN_SHRUNK_SIGMA)));
        const [sw, sh] = [Math.max(1, Math.round(width / f)), Math.max(1, Math.round(height / f))];
        resize(this.blurred, sw, sh);
        const b = context(this.blurred);
        b.filter = 'none';
        // Blurring past the border would pull in transparent pixels: draw the frame under the blur first.
        b.drawImage(frame, 0, 0, sw, sh);
        b.filter = `blur(${sigma / f}px)`;
        b.drawImage(frame, 0, 0, sw, sh);
        b.filter = 'none';
        ctx.imageSmoothingEnabled = true;
        ctx.drawImage(this.blurred, 0, 0, sw, sh, 0, 0, width, height);
        break;
      }
      case 'image': {
        const { width: w, height: h } = effect.image as { width: number; height: number };
        const [x, y, cw, ch] = coverRect(w, h, width, height);
        if (effect.image instanceof ImageData) {
          const staging = makeCanvas(w, h);
          context(staging).putImageData(effect.image, 0, 0);
          ctx.drawImage(staging, x, y, cw, ch, 0, 0, width, height);
        } else ctx.drawImage(effect.image, x, y, cw, ch, 0, 0, width, height);
        break;
      }
      case 'colour':
        ctx.fillStyle = `rgb(${effect.rgb.join(', ')})`;
        ctx.fillRect(0, 0, width, height);
        break;
      case 'transparent':
        break;
    }
    if (!this.hasMask) return;
    resize(this.person, width, height);
    const p = context(this.person);
    p.globalCompositeOperation = 'copy';
    p.drawImage(frame, 0, 0, width, height);
    p.globalCompositeOperation = 'destination-in';
    this.upsample(width, height);
    p.drawImage(this.upsampled, 0, 0);
    p.globalCompositeOperation = 'source-over';
    ctx.drawImage(this.person, 0, 0);
  }

  dispose(): void {
    resize(this.mask, 1, 1);
    resize(this.person, 1, 1);
    resize(this.blurred, 1, 1);
    resize(this.upsampled, 1, 1);
  }
}
