/**
 * Photometric augmenters: they change pixel values and leave masks and maps untouched.
 * Colour operations act on the first three channels (an alpha channel is kept); on
 * one-channel images the colour-only ones (hue, saturation, grayscale, colour) do nothing.
 */
import { Augmenter, type AugmenterOptions } from './augmenter.js';
import { luma } from './color.js';
import { boxFilters, convolve3x3, gaussianKernel, medianFilter, separableFilter } from './filters.js';
import { clampByte, type ImageU8, type Sample } from './image.js';
import { checkParam, checkPerChannel, drawPerChannel, ParamError, sample, type Param, type ParamBounds, type PerChannel } from './params.js';
import { Rng } from './random.js';
import { simdAddNoise, simdApplyLuts, simdBlend, simdGrayscaleRound, simdScaleHueSaturation, simdShiftByLuma } from './simd.js';

const colourChannels = (image: ImageU8) => Math.min(image.channels, 3);
const withImage = (s: Sample, image: ImageU8): Sample => ({ ...s, image });
const copyImage = (image: ImageU8): ImageU8 => ({ ...image, data: new Uint8Array(image.data) });

/** One value per colour channel: sampled per channel, or one sample repeated. */
function channelValues(p: Param, perChannel: PerChannel | undefined, image: ImageU8, rng: Rng): number[] {
  const n = colourChannels(image);
  if (drawPerChannel(perChannel, rng)) return Array.from({ length: n }, () => sample(p, rng));
  const v = sample(p, rng);
  return new Array(n).fill(v);
}

/** Applies a per-channel 256-entry lookup table to the colour channels. */
function applyLuts(image: ImageU8, luts: Uint8Array[]): ImageU8 {
  const fast = simdApplyLuts(image, luts);
  if (fast) return { ...image, data: fast };
  const out = copyImage(image);
  const src = image.data;
  const dst = out.data as Uint8Array;
  const c = image.channels;
  const len = dst.length;
  if (luts.length === 3) {
    const [l0, l1, l2] = luts;
    for (let i = 0; i < len; i += c) {
      dst[i] = l0![src[i]!]!;
      dst[i + 1] = l1![src[i + 1]!]!;
      dst[i + 2] = l2![src[i + 2]!]!;
    }
  } else {
    const l0 = luts[0]!;
    for (let i = 0; i < len; i += c) dst[i] = l0[src[i]!]!;
  }
  return out;
}

const lut = (fn: (v: number) => number) => Uint8Array.from({ length: 256 }, (_, v) => clampByte(fn(v)));

/**
 * Per-channel value maps: one parameter sampled per image (or per channel) and applied through
 * a 256-entry lookup table. Subclasses name the parameter and give the transfer function.
 */
abstract class ChannelLutAugmenter extends Augmenter {
  constructor(
    private readonly param: Param,
    private readonly perChannel: PerChannel | undefined,
    options: AugmenterOptions,
    field: string,
    bounds: ParamBounds,
  ) {
    super(options);
    checkParam(this.constructor.name, field, param, bounds);
    checkPerChannel(this.constructor.name, perChannel);
  }
  protected abstract transfer(v: number, value: number): number;
  protected apply(s: Sample, rng: Rng): Sample {
    const luts = channelValues(this.param, this.perChannel, s.image, rng).map((value) => lut((v) => this.transfer(v, value)));
    return withImage(s, applyLuts(s.image, luts));
  }
}

export interface MultiplyOptions extends AugmenterOptions {
  mul?: Param;
  perChannel?: PerChannel;
}

/** v * mul. */
export class Multiply extends ChannelLutAugmenter {
  constructor(o: MultiplyOptions = {}) {
    super(o.mul ?? [0.8, 1.2], o.perChannel, o, 'mul', { min: 0 });
  }
  protected transfer(v: number, mul: number): number {
    return v * mul;
  }
}

export interface AddOptions extends AugmenterOptions {
  value?: Param;
  perChannel?: PerChannel;
}

/** v + value. */
export class Add extends ChannelLutAugmenter {
  constructor(o: AddOptions = {}) {
    super(o.value ?? [-20, 20], o.perChannel, o, 'value', { min: -255, max: 255 });
  }
  protected transfer(v: number, value: number): number {
    return v + value;
  }
}

export interface GammaContrastOptions extends AugmenterOptions {
  gamma?: Param;
  perChannel?: PerChannel;
}

/** 255 * (v / 255) ^ gamma. */
export class GammaContrast extends ChannelLutAugmenter {
  constructor(o: GammaContrastOptions = {}) {
    super(o.gamma ?? [0.7, 1.7], o.perChannel, o, 'gamma', { min: 1e-3 });
  }
  protected transfer(v: number, gamma: number): number {
    return 255 * (v / 255) ** gamma;
  }
}

export interface LinearContrastOptions extends AugmenterOptions {
  alpha?: Param;
  perChannel?: PerChannel;
}

/** 127.5 + alpha * (v - 127.5). */
export class LinearContrast extends ChannelLutAugmenter {
  constructor(o: LinearContrastOptions = {}) {
    super(o.alpha ?? [0.6, 1.4], o.perChannel, o, 'alpha', { min: 0 });
  }
  protected transfer(v: number, alpha: number): number {
    return 127.5 + alpha * (v - 127.5);
  }
}

export interface NoiseOptions extends AugmenterOptions {
  loc?: Param;
  /** Standard deviation on the 0..255 scale. */
  scale?: Param;
  /** Independent noise per channel (else one value per pixel for all channels). */
  perChannel?: PerChannel;
}

/**
 * 2^18 standard normal deviates, drawn once from a fixed seed. Each image reads them from its
 * own random offset and stride, which is ~10x faster than a fresh deviate per value and
 * indistinguishable for augmentation; loc and scale still vary per image.
 */
let normalTable: Float32Array | null = null;
function normals(): Float32Array {
  if (!normalTable) {
    const rng = new Rng(0x5eed);
    normalTable = Float32Array.from({ length: 1 << 18 }, () => rng.normal());
  }
  return normalTable;
}

export class AdditiveGaussianNoise extends Augmenter {
  constructor(private readonly o: NoiseOptions = {}) {
    super(o);
    checkParam('AdditiveGaussianNoise', 'loc', o.loc);
    checkParam('AdditiveGaussianNoise', 'scale', o.scale, { min: 0 });
    checkPerChannel('AdditiveGaussianNoise', o.perChannel);
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const loc = sample(this.o.loc ?? 0, rng);
    const scale = sample(this.o.scale ?? [0, 0.05 * 255], rng);
    const perChannel = drawPerChannel(this.o.perChannel, rng);
    const c = s.image.channels;
    const n = colourChannels(s.image);
    const table = normals();
    const mask = table.length - 1;
    let at = rng.integer(0, mask);
    const stride = 2 * rng.integer(0, 1 << 10) + 1; // odd: visits the whole table
    // One deviate per value (perChannel) or per pixel.
    const step = perChannel ? stride : 0;
    const fast = simdAddNoise(s.image, n, table, at, step, perChannel ? 0 : stride, loc, scale);
    if (fast) return withImage(s, { ...s.image, data: fast });
    const out = copyImage(s.image);
    const src = s.image.data;
    const dst = out.data as Uint8Array;
    for (let i = 0; i < dst.length; i += c) {
      for (let k = 0; k < n; k++) {
        const v = src[i + k]! + loc + scale * table[at]!;
        dst[i + k] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
        at = (at + step) & mask;
      }
      if (!perChannel) at = (at + stride) & mask;
    }
    return withImage(s, out);
  }
}

export interface GaussianBlurOptions extends AugmenterOptions {
  sigma?: Param;
}

/**
 * Gaussian blur. Small sigmas use the exact separable kernel; above 1.5 three box blurs of
 * matched widths stand in for it (within a few grey levels, at a cost independent of sigma).
 */
export class GaussianBlur extends Augmenter {
  constructor(private readonly o: GaussianBlurOptions = {}) {
    super(o);
    checkParam('GaussianBlur', 'sigma', o.sigma, { min: 0 });
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const sigma = sample(this.o.sigma ?? [0, 3], rng);
    return withImage(s, gaussianBlur(s.image, sigma));
  }
}

export function gaussianBlur(image: ImageU8, sigma: number): ImageU8 {
  if (sigma < 0.1) return image;
  if (sigma <= 1.5) return separableFilter(image, gaussianKernel(sigma));
  // Box widths whose three-fold convolution has variance sigma^2 (Kutskir / Wells).
  const ideal = Math.sqrt((12 * sigma * sigma) / 3 + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  const m = Math.round((12 * sigma * sigma - 3 * lower * lower - 12 * lower - 9) / (-4 * lower - 4));
  return boxFilters(image, [0, 1, 2].map((i) => (i < m ? lower : upper)));
}

export interface KernelSizeOptions extends AugmenterOptions {
  /** Odd window size (even values are rounded up). */
  k?: Param;
}

function oddK(where: string, k: number): number {
  const v = Math.max(1, Math.round(k));
  if (!Number.isFinite(v)) throw new ParamError(`${where}: invalid kernel size ${k}`);
  return v % 2 ? v : v + 1;
}

export class AverageBlur extends Augmenter {
  constructor(private readonly o: KernelSizeOptions = {}) {
    super(o);
    checkParam('AverageBlur', 'k', o.k, { min: 1 });
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const k = oddK('AverageBlur', sample(this.o.k ?? [1, 7], rng, true));
    return k === 1 ? s : withImage(s, boxFilters(s.image, [k]));
  }
}

export class MedianBlur extends Augmenter {
  constructor(private readonly o: KernelSizeOptions = {}) {
    super(o);
    checkParam('MedianBlur', 'k', o.k, { min: 1 });
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const k = oddK('MedianBlur', sample(this.o.k ?? [1, 7], rng, true));
    return k === 1 ? s : withImage(s, medianFilter(s.image, k));
  }
}

function mapPixels(image: ImageU8, fn: (rgb: number[]) => void): ImageU8 {
  if (image.channels < 3) return image;
  const out = copyImage(image);
  const c = image.channels;
  const px = [0, 0, 0];
  for (let i = 0; i < out.data.length; i += c) {
    px[0] = image.data[i]!;
    px[1] = image.data[i + 1]!;
    px[2] = image.data[i + 2]!;
    fn(px);
    const r = px[0]!;
    const g = px[1]!;
    const b = px[2]!;
    out.data[i] = r <= 0 ? 0 : r >= 255 ? 255 : r + 0.5;
    out.data[i + 1] = g <= 0 ? 0 : g >= 255 ? 255 : g + 0.5;
    out.data[i + 2] = b <= 0 ? 0 : b >= 255 ? 255 : b + 0.5;
  }
  return out;
}

export interface BrightnessOptions extends AugmenterOptions {
  mul?: Param;
  add?: Param;
}

/** Scales and shifts luma (YCbCr's Y) keeping chroma: every channel moves by the same amount. */
export class MultiplyAndAddToBrightness extends Augmenter {
  constructor(private readonly o: BrightnessOptions = {}) {
    super(o);
    checkParam('MultiplyAndAddToBrightness', 'mul', o.mul, { min: 0 });
    checkParam('MultiplyAndAddToBrightness', 'add', o.add, { min: -255, max: 255 });
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const mul = sample(this.o.mul ?? [0.7, 1.3], rng);
    const add = sample(this.o.add ?? [-30, 30], rng);
    if (s.image.channels < 3) return withImage(s, applyLuts(s.image, [lut((v) => v * mul + add)]));
    // Every channel moves by the change of luma: (mul - 1) luma + add, from per-channel tables.
    const k = mul - 1;
    const lr = Float32Array.from({ length: 256 }, (_, v) => 0.299 * v * k + add);
    const lg = Float32Array.from({ length: 256 }, (_, v) => 0.587 * v * k);
    const lb = Float32Array.from({ length: 256 }, (_, v) => 0.114 * v * k);
    const fast = simdShiftByLuma(s.image, lr, lg, lb);
    if (fast) return withImage(s, { ...s.image, data: fast });
    const out = copyImage(s.image);
    const src = s.image.data;
    const dst = out.data as Uint8Array;
    const c = s.image.channels;
    for (let i = 0; i < dst.length; i += c) {
      const r = src[i]!;
      const g = src[i + 1]!;
      const b = src[i + 2]!;
      const delta = lr[r]! + lg[g]! + lb[b]!;
      const vr = r + delta;
      const vg = g + delta;
      const vb = b + delta;
      dst[i] = vr <= 0 ? 0 : vr >= 255 ? 255 : vr + 0.5;
      dst[i + 1] = vg <= 0 ? 0 : vg >= 255 ? 255 : vg + 0.5;
      dst[i + 2] = vb <= 0 ? 0 : vb >= 255 ? 255 : vb + 0.5;
    }
    return withImage(s, out);
  }
}

export interface HueSaturationOptions extends AugmenterOptions {
  /** Multiplies hue and saturation together (one sample, or two with perChannel). */
  mul?: Param;
  mulHue?: Param;
  mulSaturation?: Param;
  /** With `mul`: sample hue and saturation factors separately. */
  perChannel?: PerChannel;
}

/** Multiplies the hue angle (wrapping around) and the saturation (clipped) in HSV. */
export class MultiplyHueAndSaturation extends Augmenter {
  constructor(private readonly o: HueSaturationOptions = {}) {
    super(o);
    if (o.mul !== undefined && (o.mulHue !== undefined || o.mulSaturation !== undefined)) throw new ParamError(`MultiplyHueAndSaturation: give 'mul' or 'mulHue'/'mulSaturation', not both`);
    checkParam('MultiplyHueAndSaturation', 'mul', o.mul, { min: 0 });
    checkParam('MultiplyHueAndSaturation', 'mulHue', o.mulHue, { min: 0 });
    checkParam('MultiplyHueAndSaturation', 'mulSaturation', o.mulSaturation, { min: 0 });
    checkPerChannel('MultiplyHueAndSaturation', o.perChannel);
  }
  protected factors(rng: Rng): [number, number] {
    const o = this.o;
    if (o.mul === undefined) return [sample(o.mulHue ?? 1, rng), sample(o.mulSaturation ?? 1, rng)];
    const h = sample(o.mul, rng);
    return [h, drawPerChannel(o.perChannel, rng) ? sample(o.mul, rng) : h];
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const [mh, ms] = this.factors(rng);
    if (s.image.channels < 3) return s;
    return withImage(s, scaleHueSaturation(s.image, mh, ms));
  }
}

/**
 * Multiplies hue (degrees, wrapped) and saturation (clipped) per pixel: the HSV round trip of
 * color.ts inlined, since it runs for every pixel.
 */
const SIXTH = 1 / 6;

export function scaleHueSaturation(image: ImageU8, mulHue: number, mulSaturation: number): ImageU8 {
  const fast = simdScaleHueSaturation(image, mulHue, mulSaturation);
  if (fast) return { ...image, data: fast };
  const out = copyImage(image);
  const src = image.data;
  const dst = out.data as Uint8Array;
  const c = image.channels;
  for (let i = 0; i < dst.length; i += c) {
    const r = src[i]!;
    const g = src[i + 1]!;
    const b = src[i + 2]!;
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    const d = max - min;
    if (d === 0 || max === 0) continue; // grey: hue and saturation changes do nothing
    let h = max === r ? (g - b) / d : max === g ? (b - r) / d + 2 : (r - g) / d + 4; // in sextants, -1..5
    h *= mulHue;
    h -= 6 * Math.floor(h * SIXTH); // a multiply, not a division: the SIMD twin divides once per pixel as it is

    let sat = (d / max) * mulSaturation;
    if (sat > 1) sat = 1;
    const chroma = max * sat;
    const x = chroma * (1 - Math.abs((h % 2) - 1));
    const m = max - chroma;
    let R: number;
    let G: number;
    let B: number;
    if (h < 1) { R = chroma; G = x; B = 0; }
    else if (h < 2) { R = x; G = chroma; B = 0; }
    else if (h < 3) { R = 0; G = chroma; B = x; }
    else if (h < 4) { R = 0; G = x; B = chroma; }
    else if (h < 5) { R = x; G = 0; B = chroma; }
    else { R = chroma; G = 0; B = x; }
    dst[i] = R + m + 0.5;
    dst[i + 1] = G + m + 0.5;
    dst[i + 2] = B + m + 0.5;
  }
  return out;
}

export class MultiplyHue extends MultiplyHueAndSaturation {
  constructor(mul: Param = [0.5, 1.5], options: AugmenterOptions = {}) {
    super({ ...options, mulHue: mul });
  }
}

export interface AlphaOptions extends AugmenterOptions {
  /** Blend strength: 0 keeps the image, 1 applies the effect fully. */
  alpha?: Param;
}

export class Grayscale extends Augmenter {
  constructor(private readonly o: AlphaOptions = {}) {
    super(o);
    checkParam('Grayscale', 'alpha', o.alpha, { min: 0, max: 1 });
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const a = sample(this.o.alpha ?? [0, 1], rng);
    return withImage(
      s,
      mapPixels(s.image, (p) => {
        const y = luma(p[0]!, p[1]!, p[2]!);
        for (let k = 0; k < 3; k++) p[k] = (1 - a) * p[k]! + a * y;
      }),
    );
  }
}

export interface SharpenOptions extends AlphaOptions {
  lightness?: Param;
}

/** imgaug's Sharpen: blends identity with [[-1,-1,-1],[-1,8+L,-1],[-1,-1,-1]] by alpha. */
export class Sharpen extends Augmenter {
  constructor(private readonly o: SharpenOptions = {}) {
    super(o);
    checkParam('Sharpen', 'alpha', o.alpha, { min: 0, max: 1 });
    checkParam('Sharpen', 'lightness', o.lightness, { min: 0 });
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const a = sample(this.o.alpha ?? [0, 1], rng);
    const l = sample(this.o.lightness ?? [0.75, 1.5], rng);
    const kernel = [-1, -1, -1, -1, 8 + l, -1, -1, -1, -1].map((v, i) => a * v + (i === 4 ? 1 - a : 0));
    return withImage(s, convolve3x3(s.image, kernel, colourChannels(s.image)));
  }
}

export interface EnhanceOptions extends AugmenterOptions {
  /** 1 keeps the image; 0 gives the degenerate image; above 1 extrapolates. */
  factor?: Param;
}

/** PIL.ImageEnhance: blend the image with a degenerate version, out = degenerate + f (image - degenerate). */
abstract class Enhance extends Augmenter {
  constructor(protected readonly o: EnhanceOptions = {}) {
    super(o);
    checkParam(this.constructor.name, 'factor', o.factor, { min: 0 });
  }
  protected abstract degenerate(image: ImageU8): ImageU8 | number;
  protected apply(s: Sample, rng: Rng): Sample {
    const f = sample(this.o.factor ?? [0.5, 1.5], rng);
    const image = s.image;
    const d = this.degenerate(image);
    if (d === image) return s;
    const n = colourChannels(image);
    const fast = simdBlend(image, n, f, d);
    if (fast) return withImage(s, { ...image, data: fast });
    const out = copyImage(image);
    const c = image.channels;
    const src = image.data;
    const dst = out.data;
    // Two monomorphic loops (a constant or an image as the degenerate), the clamp inline: the hot
    // loop of the official recipe's colour jitter.
    if (typeof d === 'number') {
      for (let i = 0; i < dst.length; i += c)
        for (let k = 0; k < n; k++) {
          const v = d + f * (src[i + k]! - d);
          dst[i + k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
    } else {
      const dd = d.data;
      for (let i = 0; i < dst.length; i += c)
        for (let k = 0; k < n; k++) {
          const base = dd[i + k]!;
          const v = base + f * (src[i + k]! - base);
          dst[i + k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
    }
    return withImage(s, out);
  }
}

/** Saturation: degenerate is the grayscale image (PIL's "L", integer luma). */
export class EnhanceColor extends Enhance {
  protected degenerate(image: ImageU8): ImageU8 {
    if (image.channels < 3) return image;
    const fast = simdGrayscaleRound(image);
    if (fast) return { ...image, data: fast };
    return mapPixels(image, (p) => {
      const y = Math.round(luma(p[0]!, p[1]!, p[2]!));
      p[0] = p[1] = p[2] = y;
    });
  }
}

/** Brightness: degenerate is black. */
export class EnhanceBrightness extends Enhance {
  protected degenerate(): number {
    return 0;
  }
}

/** Contrast: degenerate is the mean grey level of the image (rounded, as PIL). */
export class EnhanceContrast extends Enhance {
  protected degenerate(image: ImageU8): number {
    const c = image.channels;
    let sum = 0;
    for (let i = 0; i < image.data.length; i += c) sum += c >= 3 ? Math.trunc(luma(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!) + 0.5) : image.data[i]!;
    return Math.trunc(sum / (image.width * image.height) + 0.5);
  }
}

/** Sharpness: degenerate is PIL's SMOOTH filter ([[1,1,1],[1,5,1],[1,1,1]] / 13), borders kept. */
export class EnhanceSharpness extends Enhance {
  protected degenerate(image: ImageU8): ImageU8 {
    const smooth = convolve3x3(image, [1, 1, 1, 1, 5, 1, 1, 1, 1].map((v) => v / 13), colourChannels(image));
    const { width: w, height: h, channels: c } = image;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        if (x === 0 || y === 0 || x === w - 1 || y === h - 1) for (let k = 0; k < c; k++) smooth.data[(y * w + x) * c + k] = image.data[(y * w + x) * c + k]!;
    return smooth;
  }
}
