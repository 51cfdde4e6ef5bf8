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

/** Mean over the (2r + 1)^2 box around each pixel, of the pixels inside the image. */
function boxMean(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const taps = 2 * r + 1;
  const sum = (t: tf.Tensor4D) => tf.depthwiseConv2d(tf.depthwiseConv2d(t, tf.ones([1, taps, 1, 1]) as tf.Tensor4D, 1, 'same'), tf.ones([taps, 1, 1, 1]) as tf.Tensor4D, 1, 'same');
  return tf.div(sum(x), sum(tf.ones([1, h, w, 1]) as tf.Tensor4D)) as tf.Tensor4D;
}

/** The guided filter of `p` by `guide` (both [h, w]): mean(a) * I + mean(b), with a = cov(I, p) / (var(I) + eps), b = mean(p) - a mean(I). */
export function guidedFilter(guide: tf.Tensor2D, p: tf.Tensor2D, radius: number, epsilon: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [h, w] = guide.shape;
    const I = tf.reshape(guide, [1, h, w, 1]) as tf.Tensor4D;
    const P = tf.reshape(p, [1, h, w, 1]) as tf.Tensor4D;
    const meanI = boxMean(I, radius);
    const meanP = boxMean(P, radius);
    const covIP = tf.sub(boxMean(tf.mul(I, P) as tf.Tensor4D, radius), tf.mul(meanI, meanP));
    const varI = tf.sub(boxMean(tf.mul(I, I) as tf.Tensor4D, radius), tf.mul(meanI, meanI));
    const a = tf.div(covIP, tf.add(varI, epsilon)) as tf.Tensor4D;
    const b = tf.sub(meanP, tf.mul(a, meanI)) as tf.Tensor4D;
    return tf.reshape(tf.add(tf.mul(boxMean(a, radius), I), boxMean(b, radius)), [h, w]) as tf.Tensor2D;
  });
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
