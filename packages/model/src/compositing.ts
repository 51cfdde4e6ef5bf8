/** Turning a segmentation into pictures: binary masks, cut-outs, background blur and replacement. */
import * as tf from '@tensorflow/tfjs-core';
import { InputError, imageToRgbTensor, type ImageInput, type RgbaImage } from './pixels.js';
import type { Segmentation } from './segmenter.js';

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** An RGBA picture of the mask, body-segmentation style: `foreground` where the person is, `background` elsewhere. */
export function toBinaryMask(
  segmentation: Segmentation,
  foreground: Rgba = { r: 0, g: 0, b: 0, a: 0 },
  background: Rgba = { r: 0, g: 0, b: 0, a: 255 },
): RgbaImage {
  const { width, height, mask } = segmentation;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i] ? foreground : background;
    data[4 * i] = c.r;
    data[4 * i + 1] = c.g;
    data[4 * i + 2] = c.b;
    data[4 * i + 3] = c.a;
  }
  return { data, width, height };
}

export interface CompositeOptions {
  /**
   * Alpha from the person probability (soft edges, the default) or from the mask (hard: every
   * pixel either person or not). Ignored when `feather` is given.
   */
  soft?: boolean;
  /** Person probability above which a pixel is person, for hard and feathered edges. Default: the segmentation's own mask (0.5). */
  threshold?: number;
  /** Edge softness in pixels: the thresholded mask blurred by this Gaussian sigma (0: hard). */
  feather?: number;
}

/** The alpha [h, w, 1] the options ask for; feathering stays on the backend (no synchronous read). */
function alphaTensor(segmentation: Segmentation, options: CompositeOptions): tf.Tensor3D {
  const { threshold, feather } = options;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new InputError(`threshold must be in [0, 1], got ${threshold}`);
  if (feather !== undefined && !(feather >= 0)) throw new InputError(`feather must be a number of pixels >= 0, got ${feather}`);
  const shape: [number, number, number] = [segmentation.height, segmentation.width, 1];
  if (feather === undefined && (options.soft ?? true)) return tf.tensor3d(segmentation.probabilities, shape);
  const hard = tf.tensor3d(threshold === undefined ? Float32Array.from(segmentation.mask) : Float32Array.from(segmentation.probabilities, (p) => (p > threshold ? 1 : 0)), shape);
  if (!feather) return hard;
  const feathered = gaussianBlur(hard, feather);
  hard.dispose();
  return feathered;
}

function checkSameSize(image: tf.Tensor3D, segmentation: Segmentation): void {
  const [h, w] = image.shape;
  if (h !== segmentation.height || w !== segmentation.width) {
    throw new InputError(`image is ${w} x ${h} but the segmentation is ${segmentation.width} x ${segmentation.height}`);
  }
}

/** Interleaves RGB 0..255 and an optional alpha 0..1 into RGBA bytes (rounding half to even, as tf.round). */
async function toRgba(rgb: tf.Tensor3D, alpha: Float32Array | null): Promise<RgbaImage> {
  const [height, width] = rgb.shape;
  const values = (await rgb.data()) as Float32Array;
  // Uint8ClampedArray clamps and rounds half to even on assignment.
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[4 * i] = values[3 * i]!;
    data[4 * i + 1] = values[3 * i + 1]!;
    data[4 * i + 2] = values[3 * i + 2]!;
    data[4 * i + 3] = alpha ? alpha[i]! * 255 : 255;
  }
  return { data, width, height };
}

/** The person on a transparent background (RGBA, alpha from the segmentation). */
export async function cutout(image: ImageInput, segmentation: Segmentation, options: CompositeOptions = {}): Promise<RgbaImage> {
  const rgb = imageToRgbTensor(image);
  try {
    checkSameSize(rgb, segmentation);
    const alpha = alphaTensor(segmentation, options);
    try {
      return await toRgba(rgb, (await alpha.data()) as Float32Array);
    } finally {
      alpha.dispose();
    }
  } finally {
    rgb.dispose();
  }
}

/** Normalised 1-D Gaussian taps out to 3 sigma. */
function gaussianTaps(sigma: number): number[] {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / sum);
}

/** A 'same' separable blur of every channel, zero outside the image. */
function separableBlur(x: tf.Tensor4D, taps: number[]): tf.Tensor4D {
  const c = x.shape[3];
  const horizontal = tf.tile(tf.tensor4d(taps, [1, taps.length, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
  const vertical = tf.tile(tf.tensor4d(taps, [taps.length, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
  return tf.depthwiseConv2d(tf.depthwiseConv2d(x, horizontal, 1, 'same'), vertical, 1, 'same');
}

/** Separable Gaussian blur with edge renormalisation (no dark border). */
export function gaussianBlur(rgb: tf.Tensor3D, sigma: number): tf.Tensor3D {
  if (!(sigma > 0)) return rgb.clone();
  return tf.tidy(() => {
    const [h, w] = rgb.shape;
    const taps = gaussianTaps(sigma);
    const blurred = separableBlur(tf.expandDims(rgb, 0) as tf.Tensor4D, taps);
    // The blur of ones is separable too: an outer product instead of two more convolutions.
    return tf.div(tf.squeeze(blurred, [0]), coverageMap(h, w, taps)) as tf.Tensor3D;
  });
}

/**
 * Along one axis of n pixels: how much image a blur carries to each pixel, i.e. the blur of
 * ones with zeros outside. With blocks of f > 1, that of the fast blur's pipeline (block average,
 * zero-padded blur, linear upscaling with half-pixel centres). The 2-D coverage is the outer
 * product of the two axes', since every step is separable.
 */
function blurCoverage(n: number, taps: number[], f = 1): Float32Array {
  const blocks = Math.ceil(n / f);
  const radius = (taps.length - 1) / 2;
  const share = Array.from({ length: blocks }, (_, j) => Math.min(f, n - j * f) / f);
  const blurred = share.map((_, j) => {
    let sum = 0;
    for (let k = Math.max(0, radius - j); k < Math.min(taps.length, blocks + radius - j); k++) sum += taps[k]! * share[j + k - radius]!;
    return sum;
  });
  const coverage = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const at = Math.min(blocks - 1, Math.max(0, (i + 0.5) / f - 0.5));
    const low = Math.floor(at);
    const high = Math.min(blocks - 1, low + 1);
    coverage[i] = blurred[low]! + (at - low) * (blurred[high]! - blurred[low]!);
  }
  return coverage;
}

/** The [h, w, 1] outer product of the two axes' coverage. */
function coverageMap(h: number, w: number, taps: number[], f = 1): tf.Tensor3D {
  return tf.mul(tf.tensor3d(blurCoverage(h, taps, f), [h, 1, 1]), tf.tensor3d(blurCoverage(w, taps, f), [1, w, 1]));
}

/**
 * A Gaussian blur of large sigma at a fraction of the cost: the image is averaged over f x f
 * blocks (f = floor(sigma / 3)), blurred there with sigma / f, and scaled back up bilinearly;
 * dividing by the same pipeline's coverage of the image renormalises the border as
 * `gaussianBlur` does. Within a few levels of `gaussianBlur` at the border and ~0.1 inside (see
 * the tests); for sigma < 6 it is `gaussianBlur`.
 */
export function fastGaussianBlur(rgb: tf.Tensor3D, sigma: number): tf.Tensor3D {
  const f = Math.floor(sigma / 3);
  if (f < 2) return gaussianBlur(rgb, sigma);
  return tf.tidy(() => {
    const [h, w] = rgb.shape;
    const taps = gaussianTaps(sigma / f);
    return tf.div(upsampleBlocks(blurBlocks(blockAverage(rgb, f), taps), h, w, f), coverageMap(h, w, taps, f)) as tf.Tensor3D;
  });
}

/** Means over f x f blocks (the image zero-padded to whole blocks): the fast blur's first step. */
function blockAverage(x: tf.Tensor3D, f: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = x.shape;
    const [paddedH, paddedW] = [Math.ceil(h / f) * f, Math.ceil(w / f) * f];
    const padded = paddedH === h && paddedW === w ? x : tf.pad(x, [[0, paddedH - h], [0, paddedW - w], [0, 0]]);
    return tf.avgPool(padded, f, f, 'valid');
  });
}

function blurBlocks(x: tf.Tensor3D, taps: number[]): tf.Tensor3D {
  return tf.squeeze(separableBlur(tf.expandDims(x, 0) as tf.Tensor4D, taps), [0]) as tf.Tensor3D;
}

/** Block values back to h x w: bilinear with half-pixel centres, then the padding cut off. */
function upsampleBlocks(x: tf.Tensor3D, h: number, w: number, f: number): tf.Tensor3D {
  const [paddedH, paddedW] = [Math.ceil(h / f) * f, Math.ceil(w / f) * f];
  const up = tf.image.resizeBilinear(x, [paddedH, paddedW], false, true);
  return paddedH === h && paddedW === w ? up : (tf.slice(up, [0, 0, 0], [h, w, -1]) as tf.Tensor3D);
}

/** The photo over `background(rgb, alpha)` where the segmentation says background (alpha: see CompositeOptions). */
async function overBackground(image: ImageInput, segmentation: Segmentation, options: CompositeOptions, background: (rgb: tf.Tensor3D, alpha: tf.Tensor3D) => tf.Tensor3D): Promise<RgbaImage> {
  const rgb = imageToRgbTensor(image);
  try {
    checkSameSize(rgb, segmentation);
    const blended = tf.tidy(() => {
      const alpha = alphaTensor(segmentation, options);
      return tf.add(tf.mul(rgb, alpha), tf.mul(background(rgb, alpha), tf.sub(1, alpha))) as tf.Tensor3D;
    });
    try {
      return await toRgba(blended, null);
    } finally {
      blended.dispose();
    }
  } finally {
    rgb.dispose();
  }
}

export interface BlurOptions extends CompositeOptions {
  /** Gaussian sigma of the background blur in pixels. Default 1% of the image diagonal, at least 2. */
  sigma?: number;
  /** The exact Gaussian instead of `fastGaussianBlur` (~20x slower at sigma 10). Default false. */
  exact?: boolean;
}

/**
 * Bokeh: the background blurred, the person sharp. The blur sees the background only (a
 * normalised convolution: blur(photo x (1 - alpha)) / blur(1 - alpha)), so the person's colours
 * do not bleed into it as a bright halo around them.
 */
export function blurBackground(image: ImageInput, segmentation: Segmentation, options: BlurOptions = {}): Promise<RgbaImage> {
  const sigma = options.sigma ?? Math.max(2, 0.01 * Math.hypot(segmentation.width, segmentation.height));
  return overBackground(image, segmentation, options, (rgb, alpha) => backgroundBlur(rgb, tf.sub(1, alpha) as tf.Tensor3D, sigma, options.exact ?? false));
}

/**
 * blur(rgb x weight) / blur(weight), falling back to the photo where no weight is within reach.
 * Large sigmas divide at the fast blur's block resolution and upsample the ratio once, so the
 * full-resolution work (and memory, at 24 MP) stays that of one blur.
 */
function backgroundBlur(rgb: tf.Tensor3D, weight: tf.Tensor3D, sigma: number, exact: boolean): tf.Tensor3D {
  const eps = 1e-3;
  const f = Math.floor(sigma / 3);
  if (exact || f < 2) return tf.div(tf.add(gaussianBlur(tf.mul(rgb, weight) as tf.Tensor3D, sigma), tf.mul(rgb, eps)), tf.add(gaussianBlur(weight, sigma), eps)) as tf.Tensor3D;
  const [h, w] = rgb.shape;
  // Block averages of the weighted photo, the weight and the photo (full-resolution temporaries go at once).
  const [num, den, photo] = tf.tidy(() => [blockAverage(tf.mul(rgb, weight) as tf.Tensor3D, f), blockAverage(weight, f), blockAverage(rgb, f)]);
  const taps = gaussianTaps(sigma / f);
  const ratio = tf.div(tf.add(blurBlocks(num, taps), tf.mul(photo, eps)), tf.add(blurBlocks(den, taps), eps)) as tf.Tensor3D;
  return upsampleBlocks(ratio, h, w, f);
}

/** A colour as [r, g, b] (0..255) or '#rrggbb'. */
export type Colour = [number, number, number] | string;

export function parseColour(colour: Colour): [number, number, number] {
  if (Array.isArray(colour)) {
    if (colour.length !== 3 || colour.some((c) => !(c >= 0 && c <= 255))) throw new InputError(`colour must be three values in 0..255, got ${JSON.stringify(colour)}`);
    return colour;
  }
  const text = colour.trim();
  const short = /^#?([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(text);
  // #rgb is #rrggbb with each digit doubled, as in CSS.
  if (short) return [short[1]!, short[2]!, short[3]!].map((d) => Number.parseInt(d + d, 16)) as [number, number, number];
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text);
  if (!m) throw new InputError(`colour must look like #rrggbb or #rgb, got '${colour}'`);
  return [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16), Number.parseInt(m[3]!, 16)];
}

/** The person over a new background: a colour, or an image (stretched to the photo's size). */
export async function replaceBackground(image: ImageInput, segmentation: Segmentation, background: Colour | ImageInput, options: CompositeOptions = {}): Promise<RgbaImage> {
  const colour = Array.isArray(background) || typeof background === 'string' ? parseColour(background as Colour) : null;
  return overBackground(image, segmentation, options, (rgb) => {
    const [h, w] = rgb.shape;
    if (colour) return tf.broadcastTo(tf.tensor1d(colour), [h, w, 3]) as tf.Tensor3D;
    const b = imageToRgbTensor(background as ImageInput, 'background');
    return b.shape[0] === h && b.shape[1] === w ? b : tf.image.resizeBilinear(b, [h, w], false, true);
  });
}
