/**
 * Mask edges refined at the photo's resolution: a guided filter (He, Sun and Tang, "Guided Image
 * Filtering", TPAMI 2013) of the person probability, guided by the photo's luminance, moves the
 * probability's soft, upsampled edges onto the photo's own edges.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imageToRgbTensor, InputError, type ImageInput } from './pixels.js';
import type { Segmentation } from './segmenter.js';

export interface RefineOptions {
  /** Box radius of the filter in pixels. Default 0.8% of the image diagonal (8 at 600 x 800; the best measured), at least 2. */
  radius?: number;
  /** Regularisation (guide in 0..1): larger keeps more of the probability, smaller follows the photo more. Default 1e-3. */
  epsilon?: number;
  /** Person probability above which a refined pixel is in the mask. Default 0.5. */
  threshold?: number;
}

/**
 * Means over the (2r + 1)^2 box around each pixel of an h x w image (row-major), of the pixels
 * inside the image, by prefix sums in float64: the same few operations a pixel whatever r. (As
 * tfjs depthwise convolutions it took 280 ms at 600 x 800 on wasm, and XNNPACK ran out of memory
 * on a 1.5 MP photo; here, a few milliseconds a megapixel.)
 */
function boxMean(x: Float64Array, h: number, w: number, r: number): Float64Array {
  // Across each row: prefix sums.
  const across = new Float64Array(h * w);
  const prefix = new Float64Array(w + 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let i = 0; i < w; i++) prefix[i + 1] = prefix[i]! + x[row + i]!;
    for (let i = 0; i < w; i++) {
      const lo = i - r > 0 ? i - r : 0;
      const hi = i + r < w - 1 ? i + r : w - 1;
      across[row + i] = (prefix[hi + 1]! - prefix[lo]!) / (hi - lo + 1);
    }
  }
  // Down the columns: a window of rows slid down the image, row by row (memory in order).
  const out = new Float64Array(h * w);
  const sums = new Float64Array(w);
  let lo = 0;
  let hi = -1;
  for (let y = 0; y < h; y++) {
    const wantHi = y + r < h - 1 ? y + r : h - 1;
    const wantLo = y - r > 0 ? y - r : 0;
    for (; hi < wantHi; hi++) for (let c = 0, at = (hi + 1) * w; c < w; c++) sums[c]! += across[at + c]!;
    for (; lo < wantLo; lo++) for (let c = 0, at = lo * w; c < w; c++) sums[c]! -= across[at + c]!;
    const inverse = 1 / (hi - lo + 1);
    for (let c = 0, at = y * w; c < w; c++) out[at + c] = sums[c]! * inverse;
  }
  return out;
}

/** The guided filter's mean(a) and mean(b): a = cov(I, p) / (var(I) + eps), b = mean(p) - a mean(I). */
function guidedCoefficients(guide: ArrayLike<number>, probability: ArrayLike<number>, h: number, w: number, r: number, epsilon: number): [Float64Array, Float64Array] {
  const n = h * w;
  // One element type for every box mean (mixed typed arrays would make its loads polymorphic).
  const I = Float64Array.from(guide);
  const p = Float64Array.from(probability);
  const Ip = new Float64Array(n);
  const II = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    Ip[i] = I[i]! * p[i]!;
    II[i] = I[i]! * I[i]!;
  }
  const meanI = boxMean(I, h, w, r);
  const meanP = boxMean(p, h, w, r);
  const corrIp = boxMean(Ip, h, w, r);
  const corrII = boxMean(II, h, w, r);
  const a = Ip;
  const b = II;
  for (let i = 0; i < n; i++) {
    a[i] = (corrIp[i]! - meanI[i]! * meanP[i]!) / (corrII[i]! - meanI[i]! * meanI[i]! + epsilon);
    b[i] = meanP[i]! - a[i]! * meanI[i]!;
  }
  return [boxMean(a, h, w, r), boxMean(b, h, w, r)];
}

/**
 * The guided filter (He, Sun and Tang 2013) of `p` by `guide`, both h x w row-major:
 * mean(a) * I + mean(b), unclipped.
 */
export function guidedFilter(guide: ArrayLike<number>, p: ArrayLike<number>, h: number, w: number, radius: number, epsilon: number): Float32Array {
  const [a, b] = guidedCoefficients(guide, p, h, w, radius, epsilon);
  const out = new Float32Array(h * w);
  for (let i = 0; i < out.length; i++) out[i] = a[i]! * guide[i]! + b[i]!;
  return out;
}

/**
 * Above this many pixels, refinement computes the filter's coefficients on a copy scaled down to
 * about this many and applies them, upsampled, at full size (He and Sun's fast guided filter,
 * 2015): a 24 MP photo costs little more than a 1 MP one.
 */
export const REFINE_EXACT_PIXELS = 2 ** 20;

/** Per output index along an axis of n (from m samples, half-pixel centres): the first sample and the second's weight. */
function bilinearTaps(n: number, m: number): { first: Int32Array; weight: Float32Array } {
  const first = new Int32Array(n);
  const weight = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const at = Math.min(m - 1, Math.max(0, ((i + 0.5) * m) / n - 0.5));
    first[i] = Math.min(Math.max(0, m - 2), Math.floor(at));
    weight[i] = m > 1 ? at - first[i]! : 0;
  }
  return { first, weight };
}

/** mean(a) * I + mean(b) at h x w with the coefficients (lh x lw) read bilinearly, clipped to 0..1. */
function applyUpsampled(I: Float32Array, h: number, w: number, [a, b]: [Float64Array, Float64Array], lh: number, lw: number): Float32Array {
  const cols = bilinearTaps(w, lw);
  const rows = bilinearTaps(h, lh);
  const dx = lw > 1 ? 1 : 0;
  const dy = lh > 1 ? lw : 0;
  // Each row first blends its two coefficient rows (once per row), then reads them across.
  const rowA = new Float64Array(lw);
  const rowB = new Float64Array(lw);
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const fy = rows.weight[y]!;
    const top = rows.first[y]! * lw;
    for (let c = 0; c < lw; c++) {
      rowA[c] = (1 - fy) * a[top + c]! + fy * a[top + dy + c]!;
      rowB[c] = (1 - fy) * b[top + c]! + fy * b[top + dy + c]!;
    }
    for (let x = 0, at = y * w; x < w; x++, at++) {
      const fx = cols.weight[x]!;
      const k = cols.first[x]!;
      const q = ((1 - fx) * rowA[k]! + fx * rowA[k + dx]!) * I[at]! + (1 - fx) * rowB[k]! + fx * rowB[k + dx]!;
      out[at] = q < 0 ? 0 : q > 1 ? 1 : q;
    }
  }
  return out;
}

/** Luminance in 0..1 of an RGB 0..255 image [h, w, 3]. */
export function luminance(rgb: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => tf.squeeze(tf.sum(tf.mul(rgb, tf.tensor1d([0.299 / 255, 0.587 / 255, 0.114 / 255])), -1, true), [2]) as tf.Tensor2D);
}

/** Refinement's defaults at an image's size: radius 0.8% of the diagonal (at least 2), epsilon 1e-3; bad values refused. */
function refineParameters(width: number, height: number, options: Omit<RefineOptions, 'threshold'>): { radius: number; epsilon: number } {
  const radius = options.radius ?? Math.max(2, Math.round(0.008 * Math.hypot(width, height)));
  const epsilon = options.epsilon ?? 1e-3;
  if (!(Number.isInteger(radius) && radius >= 1)) throw new InputError(`radius must be a whole number of pixels >= 1, got ${radius}`);
  if (!(epsilon > 0)) throw new InputError(`epsilon must be > 0, got ${epsilon}`);
  return { radius, epsilon };
}

/**
 * The person probability of an RGB 0..255 image [h, w, 3] refined against the image's edges (see
 * guidedFilter), in 0..1: the one refinement of `refineSegmentation` and `Segmenter.segment`.
 */
export async function refineProbabilities(rgb: tf.Tensor3D, probabilities: Float32Array, options: Omit<RefineOptions, 'threshold'> = {}): Promise<Float32Array> {
  const [height, width] = rgb.shape;
  if (probabilities.length !== height * width) throw new InputError(`image is ${width} x ${height} but the probabilities hold ${probabilities.length} values`);
  const { radius, epsilon } = refineParameters(width, height, options);
  const scale = Math.sqrt((width * height) / REFINE_EXACT_PIXELS);
  const low: [number, number] = scale > 1 ? [Math.max(1, Math.round(height / scale)), Math.max(1, Math.round(width / scale))] : [height, width];
  // The guide at full size, and (above REFINE_EXACT_PIXELS) guide and probability scaled down.
  const tensors = tf.tidy(() => {
    const guide = luminance(rgb);
    if (scale <= 1) return [guide];
    const down = (x: tf.Tensor2D) => tf.image.resizeBilinear(tf.reshape(x, [1, height, width, 1]) as tf.Tensor4D, low, false, true);
    return [guide, down(guide), down(tf.tensor2d(probabilities, [height, width]))];
  });
  let values: Float32Array[];
  try {
    values = (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
  } finally {
    tf.dispose(tensors);
  }
  const I = values[0]!;
  if (scale <= 1) {
    const q = guidedFilter(I, probabilities, height, width, radius, epsilon);
    for (let i = 0; i < q.length; i++) q[i] = q[i]! < 0 ? 0 : q[i]! > 1 ? 1 : q[i]!;
    return q;
  }
  return applyUpsampled(I, height, width, guidedCoefficients(values[1]!, values[2]!, low[0], low[1], Math.max(1, Math.round(radius / scale)), epsilon), low[0], low[1]);
}

/**
 * Mask and labels for refined probabilities: two classes follow the mask; with more, the labels
 * stay the network's (only the person / not-person decision is refined).
 */
export function refinedPixels(probabilities: Float32Array, threshold: number, labels: Uint8Array, classes: number, personClass: number): { probabilities: Float32Array; mask: Uint8Array; labels: Uint8Array } {
  const mask = new Uint8Array(probabilities.length);
  for (let i = 0; i < mask.length; i++) mask[i] = probabilities[i]! > threshold ? 1 : 0;
  if (classes !== 2) return { probabilities, mask, labels: labels.slice() };
  const twoClass = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) twoClass[i] = mask[i] ? personClass : 1 - personClass;
  return { probabilities, mask, labels: twoClass };
}

/** The segmentation with its person probability refined against the photo's edges (see guidedFilter), and its mask thresholded again. */
export async function refineSegmentation(image: ImageInput, segmentation: Segmentation, options: RefineOptions = {}): Promise<Segmentation> {
  const { width, height } = segmentation;
  const threshold = options.threshold ?? 0.5;
  // Bad options are named before the image is converted.
  refineParameters(width, height, options);
  const rgb = imageToRgbTensor(image);
  let probabilities: Float32Array;
  try {
    const [h, w] = rgb.shape;
    if (h !== height || w !== width) throw new InputError(`image is ${w} x ${h} but the segmentation is ${width} x ${height}`);
    probabilities = await refineProbabilities(rgb, segmentation.probabilities, options);
  } finally {
    rgb.dispose();
  }
  // Two classes: the person is class 1 of the labels, as the shipped models and the trainer have it.
  return { width, height, ...refinedPixels(probabilities, threshold, segmentation.labels, segmentation.classNames.length, 1), classNames: segmentation.classNames };
}
