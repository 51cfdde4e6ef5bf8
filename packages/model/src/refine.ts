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
 * Side of the tiles a large image is filtered in. tfjs-wasm's XNNPACK convolutions allocate an
 * indirection buffer of (pixels x taps) pointers per operator: untiled, a 1.5 MP photo ran out of
 * memory ("XNN status 6") and the mask came back nearly all person.
 */
const TILE = 512;

/** The two 1-D box kernels (rows, then columns) of a radius, made once per filtered image. */
function boxKernels(r: number): [tf.Tensor4D, tf.Tensor4D] {
  const taps = 2 * r + 1;
  return [tf.ones([1, taps, 1, 1]) as tf.Tensor4D, tf.ones([taps, 1, 1, 1]) as tf.Tensor4D];
}

/** Mean over the (2r + 1)^2 box around each pixel, of the pixels inside the image (`count`: how many those are). */
function boxMean(x: tf.Tensor4D, [across, down]: [tf.Tensor4D, tf.Tensor4D], count: tf.Tensor4D): tf.Tensor4D {
  return tf.div(tf.depthwiseConv2d(tf.depthwiseConv2d(x, across, 1, 'same'), down, 1, 'same'), count) as tf.Tensor4D;
}

/** How many pixels of an h x w image the box of radius r around each pixel holds: rows x columns inside. */
function boxCount(h: number, w: number, r: number): tf.Tensor4D {
  const inside = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.min(i + r, n - 1) - Math.max(i - r, 0) + 1);
  return tf.reshape(tf.outerProduct(tf.tensor1d(inside(h)), tf.tensor1d(inside(w))), [1, h, w, 1]) as tf.Tensor4D;
}

/** The guided filter of one image (or tile) as a whole. */
function guidedFilterWhole(guide: tf.Tensor2D, p: tf.Tensor2D, radius: number, epsilon: number, kernels: [tf.Tensor4D, tf.Tensor4D]): tf.Tensor2D {
  return tf.tidy(() => {
    const [h, w] = guide.shape;
    const count = boxCount(h, w, radius);
    const mean = (x: tf.Tensor4D) => boxMean(x, kernels, count);
    const I = tf.reshape(guide, [1, h, w, 1]) as tf.Tensor4D;
    const P = tf.reshape(p, [1, h, w, 1]) as tf.Tensor4D;
    const meanI = mean(I);
    const meanP = mean(P);
    const covIP = tf.sub(mean(tf.mul(I, P) as tf.Tensor4D), tf.mul(meanI, meanP));
    const varI = tf.sub(mean(tf.mul(I, I) as tf.Tensor4D), tf.mul(meanI, meanI));
    const a = tf.div(covIP, tf.add(varI, epsilon)) as tf.Tensor4D;
    const b = tf.sub(meanP, tf.mul(a, meanI)) as tf.Tensor4D;
    return tf.reshape(tf.add(tf.mul(mean(a), I), mean(b)), [h, w]) as tf.Tensor2D;
  });
}

/**
 * The guided filter of `p` by `guide` (both [h, w]): mean(a) * I + mean(b), with a = cov(I, p) /
 * (var(I) + eps), b = mean(p) - a mean(I). Large images go in tiles with a margin of 2 radii
 * (what two box means see), so the result is the untiled one exactly.
 */
export function guidedFilter(guide: tf.Tensor2D, p: tf.Tensor2D, radius: number, epsilon: number, tile = TILE): tf.Tensor2D {
  const [h, w] = guide.shape;
  const kernels = boxKernels(radius);
  try {
    if (h <= tile && w <= tile) return guidedFilterWhole(guide, p, radius, epsilon, kernels);
    const margin = 2 * radius;
    const rows: tf.Tensor2D[] = [];
    try {
      for (let y = 0; y < h; y += tile) {
        const tiles: tf.Tensor2D[] = [];
        try {
          for (let x = 0; x < w; x += tile) {
            tiles.push(tf.tidy(() => {
              const y0 = Math.max(0, y - margin);
              const x0 = Math.max(0, x - margin);
              const size: [number, number] = [Math.min(h, y + tile + margin) - y0, Math.min(w, x + tile + margin) - x0];
              const out = guidedFilterWhole(tf.slice(guide, [y0, x0], size), tf.slice(p, [y0, x0], size), radius, epsilon, kernels);
              return tf.slice(out, [y - y0, x - x0], [Math.min(tile, h - y), Math.min(tile, w - x)]);
            }));
          }
          rows.push(tiles.length === 1 ? tiles.pop()! : tf.concat(tiles, 1));
        } finally {
          tf.dispose(tiles);
        }
      }
      return rows.length === 1 ? rows.pop()! : tf.concat(rows, 0);
    } finally {
      tf.dispose(rows);
    }
  } finally {
    tf.dispose(kernels);
  }
}

/** Luminance in 0..1 of an RGB 0..255 image [h, w, 3]. */
export function luminance(rgb: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => tf.squeeze(tf.sum(tf.mul(rgb, tf.tensor1d([0.299 / 255, 0.587 / 255, 0.114 / 255])), -1, true), [2]) as tf.Tensor2D);
}

/** The segmentation with its person probability refined against the photo's edges (see guidedFilter), and its mask thresholded again. */
export async function refineSegmentation(image: ImageInput, segmentation: Segmentation, options: RefineOptions = {}): Promise<Segmentation> {
  const { width, height } = segmentation;
  const radius = options.radius ?? Math.max(2, Math.round(0.008 * Math.hypot(width, height)));
  const epsilon = options.epsilon ?? 1e-3;
  const threshold = options.threshold ?? 0.5;
  if (!(Number.isInteger(radius) && radius >= 1)) throw new InputError(`radius must be a whole number of pixels >= 1, got ${radius}`);
  if (!(epsilon > 0)) throw new InputError(`epsilon must be > 0, got ${epsilon}`);
  const rgb = imageToRgbTensor(image);
  let refined: tf.Tensor2D;
  try {
    const [h, w] = rgb.shape;
    if (h !== height || w !== width) throw new InputError(`image is ${w} x ${h} but the segmentation is ${width} x ${height}`);
    refined = tf.tidy(() => tf.clipByValue(guidedFilter(luminance(rgb), tf.tensor2d(segmentation.probabilities, [height, width]), radius, epsilon), 0, 1) as tf.Tensor2D);
  } finally {
    rgb.dispose();
  }
  const probabilities = (await refined.data()) as Float32Array;
  refined.dispose();
  const mask = Uint8Array.from(probabilities, (p) => (p > threshold ? 1 : 0));
  // Two classes: the labels are the mask; with more, only the person / not-person decision changes.
  const person = segmentation.classNames.length === 2 ? 1 : -1;
  const labels = person === 1 ? mask.slice() : segmentation.labels.slice();
  return { width, height, probabilities, mask, labels, classNames: segmentation.classNames };
}
