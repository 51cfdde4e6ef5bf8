/**
 * Compositing with the 2D canvas: the probabilities become the alpha of a small mask canvas that
 * the browser scales (bilinear) to the frame, so the heavy work stays on the GPU-backed canvas.
 */
import { DemoError } from '../errors';
export type Effect = 'overlay' | 'blur' | 'colour' | 'image' | 'cutout';

export interface EffectOptions {
  effect: Effect;
  blurPx: number;
  colour: string;
  /** For 'image': drawn to cover the frame. */
  background?: CanvasImageSource & { width: number; height: number };
}

type Canvas2D = CanvasRenderingContext2D;

function context(canvas: HTMLCanvasElement): Canvas2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: false });
  if (!ctx) throw new DemoError('this browser gives no 2D canvas', 'BACKEND');
  return ctx;
}

function fit(canvas: HTMLCanvasElement, width: number, height: number): void {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
}

export class Compositor {
  private readonly mask = document.createElement('canvas');
  private readonly person = document.createElement('canvas');
  private readonly scratch = document.createElement('canvas');
  private maskPixels: ImageData | null = null;

  /** Writes probabilities (model resolution) into the mask canvas's alpha. */
  setMask(probabilities: Float32Array, width: number, height: number, tint: [number, number, number] = [255, 255, 255]): void {
    fit(this.mask, width, height);
    if (!this.maskPixels || this.maskPixels.width !== width || this.maskPixels.height !== height) this.maskPixels = new ImageData(width, height);
    const data = this.maskPixels.data;
    for (let i = 0, j = 0; i < probabilities.length; i++, j += 4) {
      data[j] = tint[0];
      data[j + 1] = tint[1];
      data[j + 2] = tint[2];
      data[j + 3] = probabilities[i]! * 255;
    }
    context(this.mask).putImageData(this.maskPixels, 0, 0);
  }

  /** The person alone (alpha from the mask) at the frame's size. */
  private personLayer(frame: CanvasImageSource, width: number, height: number): HTMLCanvasElement {
    fit(this.person, width, height);
    const ctx = context(this.person);
    ctx.globalCompositeOperation = 'copy';
    ctx.drawImage(frame, 0, 0, width, height);
    ctx.globalCompositeOperation = 'destination-in';
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.mask, 0, 0, width, height);
    ctx.globalCompositeOperation = 'source-over';
    return this.person;
  }

  private blurred(ctx: Canvas2D, frame: CanvasImageSource, width: number, height: number, blurPx: number): void {
    if ('filter' in (ctx as object)) {
      ctx.filter = `blur(${blurPx}px)`;
      ctx.drawImage(frame, 0, 0, width, height);
      ctx.filter = 'none';
      return;
    }
    // No canvas filters (Safari): down- and up-sampling blurs well enough.
    const factor = Math.max(2, Math.round(blurPx / 2));
    fit(this.scratch, Math.max(1, Math.round(width / factor)), Math.max(1, Math.round(height / factor)));
    const s = context(this.scratch);
    s.imageSmoothingEnabled = true;
    s.drawImage(frame, 0, 0, this.scratch.width, this.scratch.height);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.scratch, 0, 0, width, height);
  }

  /** Draws `frame` with the effect into `out` (resized to the frame). */
  render(out: HTMLCanvasElement, frame: CanvasImageSource, width: number, height: number, options: EffectOptions): void {
    fit(out, width, height);
    const ctx = context(out);
    ctx.globalCompositeOperation = 'source-over';
    ctx.globalAlpha = 1;
    switch (options.effect) {
      case 'overlay': {
        ctx.drawImage(frame, 0, 0, width, height);
        ctx.globalAlpha = 0.55;
        ctx.drawImage(this.mask, 0, 0, width, height);
        ctx.globalAlpha = 1;
        return;
      }
      case 'blur':
        this.blurred(ctx, frame, width, height, options.blurPx);
        break;
      case 'colour':
        ctx.fillStyle = options.colour;
        ctx.fillRect(0, 0, width, height);
        break;
      case 'image': {
        const bg = options.background;
        if (bg) {
          const scale = Math.max(width / bg.width, height / bg.height);
          const w = bg.width * scale;
          const h = bg.height * scale;
          ctx.drawImage(bg, (width - w) / 2, (height - h) / 2, w, h);
        } else {
          ctx.fillStyle = options.colour;
          ctx.fillRect(0, 0, width, height);
        }
        break;
      }
      case 'cutout':
        ctx.clearRect(0, 0, width, height);
        break;
    }
    ctx.drawImage(this.personLayer(frame, width, height), 0, 0);
  }
}

/** A canvas as a PNG blob (transparency kept). */
export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new DemoError('this browser could not encode a PNG', 'BACKEND'))), 'image/png'));
}
