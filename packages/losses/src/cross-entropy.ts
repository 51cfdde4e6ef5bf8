/** Pixel-wise softmax cross-entropy from logits, NHWC, any number of classes. */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_IGNORE_LABEL, prepareLabels, weightedMean } from './labels.js';

export interface CrossEntropyOptions {
  /** Per-class weights; the mean is weighted like PyTorch's (sum of w_y * nll over sum of w_y). */
  classWeights?: number[];
  /** Label-map value to skip; null to use every pixel. Default 255. */
  ignoreLabel?: number | null;
}

/** Per-pixel negative log-likelihood [N, H, W, 1] (log-softmax, so no overflow for large logits). */
export function pixelNll(oneHot: tf.Tensor4D, logits: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits, -1)), -1, true)) as tf.Tensor4D);
}

/** Weight of each pixel: its class weight (or 1), 0 where ignored. [N, H, W, 1] */
export function pixelWeights(oneHot: tf.Tensor4D, valid: tf.Tensor4D, classWeights?: number[]): tf.Tensor4D {
  if (!classWeights) return valid.clone();
  const classes = oneHot.shape[3];
  if (classWeights.length !== classes || classWeights.some((w) => !(w >= 0))) {
    throw new Error(`classWeights must hold ${classes} non-negative numbers, got ${JSON.stringify(classWeights)}`);
  }
  return tf.tidy(() => tf.sum(tf.mul(oneHot, tf.tensor1d(classWeights)), -1, true) as tf.Tensor4D);
}

/** Mean cross-entropy over the pixels that count. Labels: label map or one-hot, any resolution. */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor, options: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const { oneHot, valid } = prepareLabels(labels, logits, options.ignoreLabel === undefined ? DEFAULT_IGNORE_LABEL : options.ignoreLabel);
    return weightedMean(pixelNll(oneHot, logits as tf.Tensor4D), pixelWeights(oneHot, valid, options.classWeights));
  });
}
