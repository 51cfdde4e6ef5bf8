/**
 * Geometric augmenters. Each samples one transform per image and applies it to the image
 * (nearest or bilinear) and identically to the mask and extra maps (always nearest, filled with
 * `maskFill` where the image gets `cval`). Coordinates are pixel indices; the centre of rotation
 * and scaling is the image centre ((w - 1) / 2, (h - 1) / 2), so flips, 90-degree turns and
 * integer shifts are exact.
 */
import { Augmenter, type AugmenterOptions, type PlannedWarp } from './augmenter.js';
import { clampByte, mapLabels, type ImageU8, type LabelMap, type Sample } from './image.js';
import { checkParam, ParamError, sample, type Param } from './params.js';
import type { Rng } from './random.js';
import { simdWarp } from './simd.js';

export type BorderMode = 'constant' | 'edge' | 'reflect' | 'symmetric' | 'wrap';
export type Interpolation = 'nearest' | 'bilinear';
// The WebAssembly warp takes a mode as its index here (assembly/kernels.ts borderIndex).
const MODES: BorderMode[] = ['constant', 'edge', 'reflect', 'symmetric', 'wrap'];

/** Index i mapped into [0, n) by the mode, or -1 for 'constant' outside. */
function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'wrap':
      return ((i % n) + n) % n;
    case 'reflect': {
      // numpy 'reflect': mirror without repeating the edge (-1 -> 1).
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
    case 'symmetric': {
      // numpy 'symmetric': mirror repeating the edge (-1 -> 0).
      const period = 2 * n;
      const m = ((i % period) + period) % period;
      return m < n ? m : period - 1 - m;
    }
  }
}

/** Inverse affine map: output pixel (x, y) reads source (a x + b y + c, d x + e y + f). */
export type InverseMatrix = [number, number, number, number, number, number];

export interface WarpOptions {
  width: number;
  height: number;
  interpolation: Interpolation;
  mode: BorderMode;
  /** Fill per channel for 'constant'. */
  cval: number[];
}

/** Bilinear weights in 1/32 pixel steps (cv2.warpAffine's INTER_TAB_SIZE), so the sums are integers. */
export const WARP_STEPS = 32;

export function warpImage(src: ImageU8, m: InverseMatrix, o: WarpOptions): ImageU8 {
  const { width: sw, height: sh, channels: c, data } = src;
  const fill = Array.from({ length: c }, (_, k) => clampByte(o.cval[k] ?? 0));
  const bilinear = o.interpolation === 'bilinear';
  const out = simdWarp(data, sw, sh, c, m, o.width, o.height, bilinear, MODES.indexOf(o.mode), fill) ?? warpBytes(data, sw, sh, c, m, o.width, o.height, bilinear, o.mode, fill);
  return { data: out, width: o.width, height: o.height, channels: c };
}

export function warpLabels(src: LabelMap, m: InverseMatrix, width: number, height: number, mode: BorderMode, fill: number): LabelMap {
  const out = simdWarp(src.data, src.width, src.height, 1, m, width, height, false, MODES.indexOf(mode), [fill]) ?? warpBytes(src.data, src.width, src.height, 1, m, width, height, false, mode, [fill]);
  return { data: out, width, height };
}

/**
 * The warp loop (the TypeScript twin of the WebAssembly kernel): output pixel (x, y) reads source
 * (a x + b y + c, d x + e y + f); nearest takes floor(s + 0.5), bilinear rounds its weights to
 * 1/WARP_STEPS pixel. `fill`: one byte per channel for 'constant'.
 */
function warpBytes(data: ArrayLike<number>, sw: number, sh: number, c: number, m: InverseMatrix, dw: number, dh: number, bilinear: boolean, mode: BorderMode, fill: number[]): Uint8Array {
  const dst = new Uint8Array(dw * dh * c);
  const [a, b, cc, d, e, f] = m;
  const n = WARP_STEPS;
  const half = (n * n) / 2;
  const bits = 2 * Math.log2(n);
  const shift = bilinear ? 0 : 0.5;
  let at = 0;
  for (let y = 0; y < dh; y++) {
    // Source coordinates advance by (a, d) per output pixel along a row.
    let sx = b * y + cc + shift;
    let sy = e * y + f + shift;
    for (let x = 0; x < dw; x++, sx += a, sy += d, at += c) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (!bilinear) {
        let ix = x0;
        let iy = y0;
        if (ix < 0 || iy < 0 || ix >= sw || iy >= sh) {
          ix = borderIndex(ix, sw, mode);
          iy = borderIndex(iy, sh, mode);
          if (ix < 0 || iy < 0) {
            for (let k = 0; k < c; k++) dst[at + k] = fill[k]!;
            continue;
          }
        }
        const from = (iy * sw + ix) * c;
        for (let k = 0; k < c; k++) dst[at + k] = data[from + k]!;
        continue;
      }
      const fx = Math.trunc((sx - x0) * n + 0.5);
      const fy = Math.trunc((sy - y0) * n + 0.5);
      const w00 = (n - fx) * (n - fy);
      const w01 = fx * (n - fy);
      const w10 = (n - fx) * fy;
      const w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh) {
        // Interior: all four neighbours exist.
        const p00 = (y0 * sw + x0) * c;
        const p10 = p00 + sw * c;
        for (let k = 0; k < c; k++) dst[at + k] = (data[p00 + k]! * w00 + data[p00 + c + k]! * w01 + data[p10 + k]! * w10 + data[p10 + c + k]! * w11 + half) >> bits;
        continue;
      }
      const ix0 = borderIndex(x0, sw, mode);
      const ix1 = borderIndex(x0 + 1, sw, mode);
      const iy0 = borderIndex(y0, sh, mode);
      const iy1 = borderIndex(y0 + 1, sh, mode);
      for (let k = 0; k < c; k++) {
        const v00 = ix0 < 0 || iy0 < 0 ? fill[k]! : data[(iy0 * sw + ix0) * c + k]!;
        const v01 = ix1 < 0 || iy0 < 0 ? fill[k]! : data[(iy0 * sw + ix1) * c + k]!;
        const v10 = ix0 < 0 || iy1 < 0 ? fill[k]! : data[(iy1 * sw + ix0) * c + k]!;
        const v11 = ix1 < 0 || iy1 < 0 ? fill[k]! : data[(iy1 * sw + ix1) * c + k]!;
        dst[at + k] = (v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + half) >> bits;
      }
    }
  }
  return dst;
}

export interface GeometricOptions extends AugmenterOptions {
  /** Label written into masks and extra maps where the image gets `cval` (0, or e.g. 255 to ignore). Default 0. */
  maskFill?: number;
}

function checkMaskFill(where: string, fill: number | undefined): void {
  if (fill !== undefined && !(Number.isInteger(fill) && fill >= 0 && fill <= 255)) throw new ParamError(`${where}: 'maskFill' must be an integer in 0..255, got ${fill}`);
}

function warpSample(s: Sample, m: InverseMatrix, o: WarpOptions, maskFill: number): Sample {
  return { image: warpImage(s.image, m, o), ...mapLabels(s, (map) => warpLabels(map, m, o.width, o.height, o.mode, maskFill)) };
}

/** Inverts a forward affine map. */
export function invertAffine(m: PlannedWarp['forward']): InverseMatrix {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new ParamError('affine map is not invertible (scale 0?)');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** Second after first: p -> second(first(p)). */
export function composeAffine(first: PlannedWarp['forward'], second: PlannedWarp['forward']): PlannedWarp['forward'] {
  const [a1, b1, c1, d1, e1, f1] = first;
  const [a2, b2, c2, d2, e2, f2] = second;
  return [a2 * a1 + b2 * d1, a2 * b1 + b2 * e1, a2 * c1 + b2 * f1 + c2, d2 * a1 + e2 * d1, d2 * b1 + e2 * e1, d2 * c1 + e2 * f1 + f2];
}

/** `second` after `first`: border mode and fill of the first step that can pad, bilinear if either is. */
function composePlans(first: PlannedWarp, second: PlannedWarp): PlannedWarp {
  const interpolation = first.interpolation === 'bilinear' || second.interpolation === 'bilinear' ? 'bilinear' : 'nearest';
  const border = first.exact ? second : first;
  return { ...border, forward: composeAffine(first.forward, second.forward), interpolation, exact: first.exact && second.exact };
}

function applyPlan(s: Sample, plan: PlannedWarp): Sample {
  const { width: w, height: h, channels } = s.image;
  return warpSample(s, invertAffine(plan.forward), { width: w, height: h, interpolation: plan.interpolation, mode: plan.mode, cval: new Array(channels).fill(plan.cval) }, plan.maskFill);
}

/** Base of augmenters that are one size-preserving affine map per image. */
abstract class AffineAugmenter extends Augmenter {
  override canPlanWarp(): boolean {
    return true;
  }
  abstract override planWarp(width: number, height: number, rng: Rng): PlannedWarp | null;
  protected apply(s: Sample, rng: Rng): Sample {
    const plan = this.planWarp(s.image.width, s.image.height, rng);
    return plan ? applyPlan(s, plan) : s;
  }
}

export class Fliplr extends AffineAugmenter {
  override planWarp(width: number): PlannedWarp {
    return { forward: [-1, 0, width - 1, 0, 1, 0], interpolation: 'nearest', mode: 'edge', cval: 0, maskFill: 0, exact: true };
  }
}

export class Flipud extends AffineAugmenter {
  override planWarp(_width: number, height: number): PlannedWarp {
    return { forward: [1, 0, 0, 0, -1, height - 1], interpolation: 'nearest', mode: 'edge', cval: 0, maskFill: 0, exact: true };
  }
}

/** Options of a fused geometric chain; areas padded by any step keep the first step's fill. */
export type FuseGeometryOptions = AugmenterOptions;

/**
 * Runs its children in order like `sequential`, but composes every run of consecutive affine
 * steps (flips, Affine, Rotate, also inside `sometimes`) into one resampling: sharper and several
 * times faster than resampling after each step. Padded areas take the border mode and fill of
 * the first applied step that can pad (not a flip); interpolation is bilinear if any step asks for it.
 */
export class FusedGeometry extends Augmenter {
  constructor(
    private readonly steps: Augmenter[],
    options: FuseGeometryOptions = {},
  ) {
    super(options);
    if (!Array.isArray(steps) || steps.some((c) => !(c instanceof Augmenter))) throw new ParamError('fuseGeometry: children must be augmenters');
  }

  override children(): Augmenter[] {
    return this.steps;
  }

  override canPlanWarp(): boolean {
    return this.steps.every((c) => c.canPlanWarp());
  }

  override planWarp(width: number, height: number, rng: Rng): PlannedWarp | null {
    const g = this.generator(rng);
    const plans = this.steps.map((step) => step.planWarp(width, height, g)).filter((p): p is PlannedWarp => p !== null);
    return plans.length === 0 ? null : plans.reduce(composePlans);
  }

  protected apply(s: Sample, rng: Rng): Sample {
    let out = s;
    let run: Augmenter[] = [];
    const flush = () => {
      if (run.length) {
        const plan = new FusedGeometry(run).planWarp(out.image.width, out.image.height, rng);
        if (plan) out = applyPlan(out, plan);
        run = [];
      }
    };
    for (const step of this.steps) {
      if (step.canPlanWarp()) run.push(step);
      else {
        flush();
        out = step.run(out, rng);
      }
    }
    flush();
    return out;
  }
}

export const fuseGeometry = (children: Augmenter[], options: FuseGeometryOptions = {}): FusedGeometry => new FusedGeometry(children, options);

/** Rotation by k x 90 degrees clockwise; output is transposed in size for odd k. */
export class Rot90 extends Augmenter {
  constructor(
    private readonly k: Param = [0, 3],
    options: AugmenterOptions = {},
  ) {
    super(options);
    checkParam('Rot90', 'k', k, { integer: true });
  }

  protected apply(s: Sample, rng: Rng): Sample {
    const k = ((sample(this.k, rng, true) % 4) + 4) % 4;
    const { width: w, height: h } = s.image;
    const matrices: InverseMatrix[] = [
      [1, 0, 0, 0, 1, 0],
      [0, 1, 0, -1, 0, h - 1], // clockwise: out (x, y) reads (y, h - 1 - x)
      [-1, 0, w - 1, 0, -1, h - 1],
      [0, -1, w - 1, 1, 0, 0],
    ];
    const [ow, oh] = k % 2 ? [h, w] : [w, h];
    return warpSample(s, matrices[k]!, { width: ow, height: oh, interpolation: 'nearest', mode: 'edge', cval: [0, 0, 0, 0] }, 0);
  }
}

export interface AffineOptions extends GeometricOptions {
  /** Zoom factor, or per axis. 1 = unchanged. */
  scale?: Param | { x?: Param; y?: Param };
  /** Shift as a fraction of the image size, per axis or both. */
  translatePercent?: Param | { x?: Param; y?: Param };
  /** Shift in pixels, per axis or both. */
  translatePx?: Param | { x?: Param; y?: Param };
  /** Degrees, clockwise. */
  rotate?: Param;
  /** Degrees of x shear. */
  shear?: Param;
  /** 'nearest' or 'bilinear' for the image, or a list to choose from (imgaug's order 0/1). Default 'bilinear'. */
  order?: Interpolation | Interpolation[];
  /** Border mode, or a list to choose from. Default 'constant'. */
  mode?: BorderMode | BorderMode[];
  /** Fill for 'constant': a parameter sampled per image (same for all channels). Default 0. */
  cval?: Param;
}

type Axes = { x: Param; y: Param };

function axes(p: Param | { x?: Param; y?: Param } | undefined, fallback: number, where: string, field: string): Axes & { shared: boolean } {
  if (p === undefined) return { x: fallback, y: fallback, shared: true };
  if (typeof p === 'object' && !Array.isArray(p)) {
    const o = p as { x?: Param; y?: Param };
    checkParam(where, `${field}.x`, o.x);
    checkParam(where, `${field}.y`, o.y);
    return { x: o.x ?? fallback, y: o.y ?? fallback, shared: false };
  }
  checkParam(where, field, p as Param);
  return { x: p as Param, y: p as Param, shared: true };
}

/** Scale, translate, rotate and shear about the image centre. */
export class Affine extends AffineAugmenter {
  private readonly scale: Axes & { shared: boolean };
  private readonly percent: Axes & { shared: boolean };
  private readonly px: Axes & { shared: boolean };

  constructor(private readonly options: AffineOptions = {}) {
    super(options);
    this.scale = axes(options.scale, 1, 'Affine', 'scale');
    this.percent = axes(options.translatePercent, 0, 'Affine', 'translatePercent');
    this.px = axes(options.translatePx, 0, 'Affine', 'translatePx');
    checkParam('Affine', 'rotate', options.rotate);
    checkParam('Affine', 'shear', options.shear, { min: -89, max: 89 });
    checkParam('Affine', 'cval', options.cval, { min: 0, max: 255 });
    checkMaskFill('Affine', options.maskFill);
    for (const mode of [options.mode ?? 'constant'].flat()) if (!MODES.includes(mode)) throw new ParamError(`Affine: unknown mode '${mode}' (use ${MODES.join(', ')})`);
    for (const order of [options.order ?? 'bilinear'].flat()) if (order !== 'nearest' && order !== 'bilinear') throw new ParamError(`Affine: unknown order '${order}' (use nearest or bilinear)`);
  }

  override planWarp(w: number, h: number, rng: Rng): PlannedWarp {
    const o = this.options;
    const g = this.generator(rng);
    const pair = (a: Axes & { shared: boolean }): [number, number] => {
      const x = sample(a.x, g);
      return [x, a.shared ? x : sample(a.y, g)];
    };
    const [sx, sy] = pair(this.scale);
    const [pxp, pyp] = pair(this.percent);
    const [tpx, tpy] = pair(this.px);
    const rotate = (sample(o.rotate ?? 0, g) * Math.PI) / 180;
    const shear = (sample(o.shear ?? 0, g) * Math.PI) / 180;
    const interpolation = Array.isArray(o.order) ? g.choice(o.order) : ((o.order as Interpolation) ?? 'bilinear');
    const mode = Array.isArray(o.mode) ? g.choice(o.mode) : ((o.mode as BorderMode) ?? 'constant');
    const cval = clampByte(sample(o.cval ?? 0, g));
    if (!(sx > 0 && sy > 0)) throw new ParamError(`Affine: sampled scale ${sx}, ${sy} is not positive`);
    // Forward map about the centre: p' = A (p - c) + c + t with A = R * Shear * S.
    const cx = (w - 1) / 2;
    const cy = (h - 1) / 2;
    const cos = Math.cos(rotate);
    const sin = Math.sin(rotate);
    const k = Math.tan(shear);
    const a11 = cos * sx;
    const a12 = (cos * k - sin) * sy;
    const a21 = sin * sx;
    const a22 = (sin * k + cos) * sy;
    const tx = tpx + pxp * w;
    const ty = tpy + pyp * h;
    return {
      forward: [a11, a12, cx + tx - a11 * cx - a12 * cy, a21, a22, cy + ty - a21 * cx - a22 * cy],
      interpolation,
      mode,
      cval,
      maskFill: o.maskFill ?? 0,
    };
  }
}

/** Rotation about the centre (imgaug's Rotate). */
export class Rotate extends Affine {
  constructor(rotate: Param = [-30, 30], options: Omit<AffineOptions, 'rotate'> = {}) {
    super({ ...options, rotate });
  }
}

export interface CropAndPadOptions extends GeometricOptions {
  /** Pixels added (positive) or cropped (negative) per side: one parameter for all, or [top, right, bottom, left]. */
  px?: Param | [Param, Param, Param, Param];
  /** The same as fractions of the height (top, bottom) or width (right, left). */
  percent?: Param | [Param, Param, Param, Param];
  /** Resize the result back to the input size. Default true. */
  keepSize?: boolean;
  /** Pad mode; default 'constant' with `cval`. */
  mode?: BorderMode;
  cval?: Param;
}

/** Crop or pad each side (imgaug's CropAndPad); optionally resized back to the input size. */
export class CropAndPad extends Augmenter {
  constructor(private readonly options: CropAndPadOptions) {
    super(options);
    if ((options.px === undefined) === (options.percent === undefined)) throw new ParamError(`CropAndPad: give exactly one of 'px' and 'percent'`);
    const spec = (options.px ?? options.percent)!;
    const sides = (Array.isArray(spec) && spec.length === 4 ? spec : [spec]) as Param[];
    sides.forEach((p, i) => checkParam('CropAndPad', options.px !== undefined ? `px[${i}]` : `percent[${i}]`, p, options.percent !== undefined ? { min: -1 } : {}));
    checkParam('CropAndPad', 'cval', options.cval, { min: 0, max: 255 });
    checkMaskFill('CropAndPad', options.maskFill);
  }

  protected apply(s: Sample, rng: Rng): Sample {
    const o = this.options;
    const { width: w, height: h, channels } = s.image;
    const spec = (o.px ?? o.percent)!;
    // Four entries are per side (top, right, bottom, left); anything else is one parameter for all sides.
    const four = (Array.isArray(spec) && spec.length === 4 ? spec : [spec, spec, spec, spec]) as [Param, Param, Param, Param];
    const side = (p: Param, size: number) => Math.round(o.px !== undefined ? sample(p, rng, true) : sample(p, rng) * size);
    const [top, right, bottom, left] = [side(four[0], h), side(four[1], w), side(four[2], h), side(four[3], w)];
    const ow = w + left + right;
    const oh = h + top + bottom;
    if (ow < 1 || oh < 1) throw new ParamError(`CropAndPad: cropping ${JSON.stringify([top, right, bottom, left])} leaves nothing of a ${w} x ${h} image`);
    const mode = o.mode ?? 'constant';
    const cval = clampByte(sample(o.cval ?? 0, rng));
    const shifted = warpSample(s, [1, 0, -left, 0, 1, -top], { width: ow, height: oh, interpolation: 'nearest', mode, cval: new Array(channels).fill(cval) }, o.maskFill ?? 0);
    return o.keepSize === false ? shifted : resizeSample(shifted, w, h, 'bilinear');
  }
}

/** Resamples with half-pixel centres: image bilinear (or nearest), labels nearest. */
export function resizeSample(s: Sample, width: number, height: number, interpolation: Interpolation): Sample {
  const { width: w, height: h } = s.image;
  if (w === width && h === height) return s;
  const ax = w / width;
  const ay = h / height;
  // Half-pixel centres: source = (x + 0.5) * scale - 0.5.
  const m: InverseMatrix = [ax, 0, 0.5 * ax - 0.5, 0, ay, 0.5 * ay - 0.5];
  return warpSample(s, m, { width, height, interpolation, mode: 'edge', cval: [0, 0, 0, 0] }, 0);
}

export interface ResizeOptions extends AugmenterOptions {
  /** Output [width, height] or one size for both; or use `scale`. */
  size?: number | [number, number];
  /** Factor, sampled per image. */
  scale?: Param;
  interpolation?: Interpolation;
}

export class Resize extends Augmenter {
  constructor(private readonly options: ResizeOptions) {
    super(options);
    if ((options.size === undefined) === (options.scale === undefined)) throw new ParamError(`Resize: give exactly one of 'size' and 'scale'`);
    if (options.size !== undefined) for (const v of [options.size].flat()) if (!(Number.isInteger(v) && v > 0)) throw new ParamError(`Resize: 'size' must hold positive integers, got ${JSON.stringify(options.size)}`);
    checkParam('Resize', 'scale', options.scale, { min: 1e-3 });
  }

  protected apply(s: Sample, rng: Rng): Sample {
    const { size, scale, interpolation = 'bilinear' } = this.options;
    if (size !== undefined) {
      const [w, h] = Array.isArray(size) ? size : [size, size];
      return resizeSample(s, w, h, interpolation);
    }
    const f = sample(scale!, rng);
    return resizeSample(s, Math.max(1, Math.round(s.image.width * f)), Math.max(1, Math.round(s.image.height * f)), interpolation);
  }
}

export interface RandomResizedCropOptions extends AugmenterOptions {
  /** Output [width, height]. */
  size: [number, number];
  /** Area of the crop as a fraction of the image. Default [0.08, 1]. */
  scale?: [number, number];
  /** Aspect ratio (width / height) range, sampled log-uniformly. Default [3/4, 4/3]. */
  ratio?: [number, number];
}

/** torchvision's RandomResizedCrop: a random area and aspect ratio, resized to `size`. */
export class RandomResizedCrop extends Augmenter {
  constructor(private readonly options: RandomResizedCropOptions) {
    super(options);
    checkParam('RandomResizedCrop', 'scale', options.scale, { min: 0, max: 1 });
    checkParam('RandomResizedCrop', 'ratio', options.ratio, { min: 1e-3 });
    if (!Array.isArray(options.size) || options.size.some((v) => !(Number.isInteger(v) && v > 0))) throw new ParamError(`RandomResizedCrop: 'size' must be [width, height], got ${JSON.stringify(options.size)}`);
  }

  protected apply(s: Sample, rng: Rng): Sample {
    const { width: w, height: h } = s.image;
    const [smin, smax] = this.options.scale ?? [0.08, 1];
    const [rmin, rmax] = this.options.ratio ?? [3 / 4, 4 / 3];
    let cw = w;
    let ch = h;
    let x0 = 0;
    let y0 = 0;
    for (let attempt = 0; attempt < 10; attempt++) {
      const area = w * h * rng.uniform(smin, smax);
      const ratio = Math.exp(rng.uniform(Math.log(rmin), Math.log(rmax)));
      const tw = Math.round(Math.sqrt(area * ratio));
      const th = Math.round(Math.sqrt(area / ratio));
      if (tw >= 1 && th >= 1 && tw <= w && th <= h) {
        cw = tw;
        ch = th;
        x0 = rng.integer(0, w - tw);
        y0 = rng.integer(0, h - th);
        break;
      }
    }
    const cropped = warpSample(s, [1, 0, x0, 0, 1, y0], { width: cw, height: ch, interpolation: 'nearest', mode: 'edge', cval: [0, 0, 0, 0] }, 0);
    return resizeSample(cropped, this.options.size[0], this.options.size[1], 'bilinear');
  }
}
