/**
 * Simple Copy-Paste (Ghiasi et al., CVPR 2021) for person masks: people cut out of other samples
 * by their masks and pasted onto the sample (a person-free photo, or any photo whose every person
 * is labelled) at a random scale, position, flip and count, colour-matched to the canvas, with a
 * little noise. The pasted pixels are blended by the donor's mask resampled bilinearly; the label
 * is person exactly where that weight is at least one half, so masks follow pixels. Pasted people
 * keep their natural proportions: a sample's `frame` (the photo's size before it was resized to
 * the stored pixels) says how its pixels were stretched. Geometry and blur that follow in a
 * pipeline apply to the pasted people and the canvas alike, so the seam is not the answer.
 */
import { Augmenter, type AugmenterOptions } from './augmenter.js';
import { AugmentInputError, checkSample, clampByte, type ImageU8, type LabelMap, type Sample } from './image.js';
import { checkParam, checkProbability, ParamError, sample as draw, type Param } from './params.js';
import type { Rng } from './random.js';

/** A person to paste: an RGB image with its mask (non-zero = person), and the size of the photo it was resized from. */
export interface PasteDonor {
  image: ImageU8;
  mask: LabelMap;
  frame?: { width: number; height: number };
}

export interface CopyPasteOptions extends AugmenterOptions {
  /** People cut out of other samples. */
  donors: readonly PasteDonor[];
  /** People pasted onto each sample (integers). Default [1, 3]. */
  count?: Param;
  /** A pasted person's height as a fraction of the canvas height, drawn log-uniformly. Default [0.05, 1]. */
  height?: readonly [number, number];
  /** Probability of mirroring a pasted person. Default 0.5. */
  flip?: number;
  /** Exponent t of the per-channel gain (canvas mean / person mean)^t that moves a person's colour towards the canvas's. Default [0, 0.6]. */
  colourMatch?: Param;
  /** Standard deviation of Gaussian noise added to the pasted pixels. Default [0, 4]. */
  noise?: Param;
}

export const DEFAULT_PASTE_COUNT: Param = [1, 3];
export const DEFAULT_PASTE_HEIGHT: readonly [number, number] = [0.05, 1];
const MAX_TAPS = 4;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The bounding box of a mask's person pixels (exclusive ends), or null when there are none. */
function personBox(mask: LabelMap): Box | null {
  const { data, width, height } = mask;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (data[row + x] === 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** Mean colour of an image, over the pixels where `mask` is set (all pixels without one). */
function meanColour(image: ImageU8, mask: LabelMap | null, box: Box): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const p = y * image.width + x;
      if (mask && mask.data[p] === 0) continue;
      for (let c = 0; c < 3; c++) sum[c]! += image.data[p * 3 + c]!;
      n++;
    }
  }
  return sum.map((s) => (n ? s / n : 128)) as [number, number, number];
}

/**
 * The donor read bilinearly at continuous pixel coordinates (edges clamped), counting only its
 * person pixels: adds weight x colour to `colour` and returns the weight (the mask's coverage).
 */
function readPerson(donor: PasteDonor, x: number, y: number, colour: number[]): number {
  const { width, height } = donor.image;
  const image = donor.image.data;
  const mask = donor.mask.data;
  const xc = Math.min(Math.max(x, 0), width - 1);
  const yc = Math.min(Math.max(y, 0), height - 1);
  const xa = Math.floor(xc);
  const ya = Math.floor(yc);
  const xb = Math.min(xa + 1, width - 1);
  const yb = Math.min(ya + 1, height - 1);
  const fx = xc - xa;
  const fy = yc - ya;
  let weight = 0;
  const tap = (xx: number, yy: number, w: number) => {
    const p = yy * width + xx;
    if (w === 0 || mask[p] === 0) return;
    weight += w;
    colour[0]! += w * image[p * 3]!;
    colour[1]! += w * image[p * 3 + 1]!;
    colour[2]! += w * image[p * 3 + 2]!;
  };
  tap(xa, ya, (1 - fx) * (1 - fy));
  tap(xb, ya, fx * (1 - fy));
  tap(xa, yb, (1 - fx) * fy);
  tap(xb, yb, fx * fy);
  return weight;
}

export class CopyPaste extends Augmenter {
  static readonly className = 'CopyPaste';
  private readonly donors: readonly PasteDonor[];

  constructor(private readonly options: CopyPasteOptions) {
    super(options);
    const where = 'CopyPaste';
    if (!Array.isArray(options.donors) || options.donors.length === 0) throw new ParamError(`${where}: 'donors' must hold at least one image with its mask`);
    options.donors.forEach((d, i) => {
      if (!d.mask) throw new ParamError(`${where}: donor ${i} has no mask`);
      checkSample(d, `${where} donor ${i}`);
      if (d.image.channels !== 3) throw new ParamError(`${where}: donor ${i} has ${d.image.channels} channels, expected RGB`);
    });
    this.donors = options.donors;
    checkParam(where, 'count', options.count, { min: 0, integer: true });
    const height: unknown = options.height ?? DEFAULT_PASTE_HEIGHT;
    // Numbers only: comparing an object (say { toString: 1 }) would throw a TypeError, not name the field.
    const [h0, h1] = Array.isArray(height) && height.length === 2 && height.every((v) => typeof v === 'number') ? (height as [number, number]) : [Number.NaN, Number.NaN];
    if (!(h0 > 0 && h1 >= h0 && h1 <= 4)) throw new ParamError(`${where}: 'height' must be [min, max] with 0 < min <= max <= 4, got ${JSON.stringify(options.height)}`);
    checkProbability(where, 'flip', options.flip ?? 0.5);
    checkParam(where, 'colourMatch', options.colourMatch, { min: 0, max: 1 });
    checkParam(where, 'noise', options.noise, { min: 0 });
  }

  protected apply(s: Sample, rng: Rng): Sample {
    const { image } = s;
    if (image.channels !== 3) throw new AugmentInputError(`CopyPaste: the canvas has ${image.channels} channels, expected RGB`);
    if (s.maps && Object.keys(s.maps).length) throw new AugmentInputError('CopyPaste: extra label maps are not pasted; give the canvas only its mask');
    const out: ImageU8 = { ...image, data: Uint8Array.from(image.data) };
    const mask: LabelMap = { width: image.width, height: image.height, data: s.mask ? Uint8Array.from(s.mask.data) : new Uint8Array(image.width * image.height) };
    // How much of each pixel people cover, composited like the colours: the label is coverage >= 1/2.
    const coverage = Float32Array.from(mask.data, (v) => (v ? 1 : 0));
    const count = draw(this.options.count ?? DEFAULT_PASTE_COUNT, rng, true);
    for (let i = 0; i < count; i++) this.pasteOne(out, coverage, s.frame, this.donors[Math.floor(rng.random() * this.donors.length)]!, rng);
    for (let p = 0; p < coverage.length; p++) if (coverage[p]! >= 0.5) mask.data[p] = 1;
    return { image: out, mask, ...(s.frame ? { frame: s.frame } : {}) };
  }

  private pasteOne(canvas: ImageU8, coverage: Float32Array, canvasFrame: Sample['frame'], donor: PasteDonor, rng: Rng): void {
    const { width: W, height: H } = canvas;
    const box = personBox(donor.mask);
    // Draws are made in a fixed order whatever the donor, so a seed gives one result.
    const [h0, h1] = this.options.height ?? DEFAULT_PASTE_HEIGHT;
    const heightFraction = Math.exp(rng.uniform(Math.log(h0), Math.log(h1)));
    const flip = rng.random() < (this.options.flip ?? 0.5);
    const t = draw(this.options.colourMatch ?? [0, 0.6], rng);
    const sigma = draw(this.options.noise ?? [0, 4], rng);
    const u = rng.random();
    const v = rng.random();
    if (!box) return;
    const { width: dw, height: dh } = donor.image;
    const bw = box.x1 - box.x0;
    const bh = box.y1 - box.y0;
    const df = donor.frame ?? { width: dw, height: dh };
    const cf = canvasFrame ?? { width: W, height: H };
    // Stored pixels per natural unit differ by axis when a photo was stretched: undo the donor's, apply the canvas's.
    const sy = (heightFraction * H) / bh;
    const sx = (sy * ((df.width / dw) * (W / cf.width))) / ((df.height / dh) * (H / cf.height));
    const tw = sx * bw;
    const th = sy * bh;
    // A person cut off by the donor's bottom edge stands on the canvas's; others stand anywhere in its lower part.
    const bottom = box.y1 >= dh ? H : Math.min(H, Math.max(th, 0.4 * H)) + v * (H + 0.15 * th - Math.min(H, Math.max(th, 0.4 * H)));
    const leftA = -0.25 * tw;
    const leftB = W - 0.75 * tw;
    const left = Math.min(leftA, leftB) + u * Math.abs(leftB - leftA);
    const top = bottom - th;
    const personMean = meanColour(donor.image, donor.mask, box);
    const canvasMean = meanColour(canvas, null, { x0: 0, y0: 0, x1: W, y1: H });
    const gain = [0, 1, 2].map((c) => Math.min(2, Math.max(0.5, ((canvasMean[c]! + 1) / (personMean[c]! + 1)) ** t)));
    // Shrinking: average several bilinear taps per axis so small people are not aliased.
    const tapsX = Math.min(MAX_TAPS, Math.max(1, Math.ceil(1 / sx)));
    const tapsY = Math.min(MAX_TAPS, Math.max(1, Math.ceil(1 / sy)));
    const taps = tapsX * tapsY;
    const xStart = Math.max(0, Math.floor(left));
    const xEnd = Math.min(W, Math.ceil(left + tw));
    const yStart = Math.max(0, Math.floor(top));
    const yEnd = Math.min(H, Math.ceil(bottom));
    const colour = [0, 0, 0];
    for (let y = yStart; y < yEnd; y++) {
      for (let x = xStart; x < xEnd; x++) {
        let alpha = 0;
        colour[0] = colour[1] = colour[2] = 0;
        for (let ty = 0; ty < tapsY; ty++) {
          const yy = y + (ty + 0.5) / tapsY;
          const sourceY = box.y0 + (yy - top) / sy - 0.5;
          for (let tx = 0; tx < tapsX; tx++) {
            const xx = x + (tx + 0.5) / tapsX;
            let boxX = (xx - left) / sx;
            if (flip) boxX = bw - boxX;
            const sourceX = box.x0 + boxX - 0.5;
            // Outside the box the donor's mask is 0 by construction.
            if (sourceX < box.x0 - 0.5 || sourceX > box.x1 - 0.5 || sourceY < box.y0 - 0.5 || sourceY > box.y1 - 0.5) continue;
            alpha += readPerson(donor, sourceX, sourceY, colour);
          }
        }
        if (alpha === 0) continue;
        const weight = alpha / taps;
        const p = y * W + x;
        for (let c = 0; c < 3; c++) {
          const person = (colour[c]! / alpha) * gain[c]! + (sigma > 0 ? rng.normal(0, sigma) : 0);
          canvas.data[p * 3 + c] = clampByte(weight * Math.min(255, Math.max(0, person)) + (1 - weight) * canvas.data[p * 3 + c]!);
        }
        coverage[p] = weight + (1 - weight) * coverage[p]!;
      }
    }
  }
}
