/** Pixel-wise softmax cross-entropy from logits, NHWC, any number of classes. */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_IGNORE_LABEL, prepareLabels } from './labels.js';
import { LossesError } from './errors.js';
import { hasKernel, runKernel, WEIGHTED_NLL } from '@sinet/wasm-kernels/contracts';

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


/**
 * sum over pixels of coefficient * nll, where nll = -sum_c target_c log softmax_c, with the
 * closed-form gradient (softmax * sum_c target_c - target) * coefficient for the logits (one
 * log-softmax forward, three passes back, instead of differentiating log-softmax, products and
 * sums op by op; one pass both ways where the backend has the fused kernel). Targets and
 * coefficients are labels: no gradient flows to them.
 */
export function weightedNll(targets: tf.Tensor4D, logits: tf.Tensor4D, coefficients: tf.Tensor4D): tf.Scalar {
  // Value and gradient in one pass where a backend registers the kernel (@sinet/wasm-kernels on wasm).
  const fused = logits.dtype === 'float32' && hasKernel(WEIGHTED_NLL);
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    if (fused) {
      const { value, gradient } = runKernel(WEIGHTED_NLL, { logits: input, targets, coefficients }, {});
      save([gradient]);
      return { value, gradFunc: (dy: tf.Tensor, [g]: tf.Tensor[]) => tf.mul(g!, dy) };
    }
    const logProbabilities = tf.logSoftmax(input, -1);
    // Targets and coefficients are saved too: the caller's tidy disposes them before the backward pass.
    save([logProbabilities, targets, coefficients]);
    return {
      // 0 - sum, not neg(sum): a perfect prediction scores +0, not -0.
      value: tf.sub(0, tf.sum(tf.mul(tf.sum(tf.mul(targets, logProbabilities), -1, true), coefficients))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [logP, t, k] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.mul(tf.sub(tf.mul(tf.exp(logP), tf.sum(t, -1, true)), t), tf.mul(k, dy));
      },
    };
  });
  return loss(logits) as tf.Scalar;
}

/** sum(w) as a per-pixel coefficient: w / sum(w), 0 everywhere when sum(w) is 0 (never NaN). */
export function meanCoefficients(weights: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(weights, tf.maximum(tf.sum(weights), 1e-30)) as tf.Tensor4D);
}

/** Weight of each pixel: its class weight (or 1), 0 where ignored. [N, H, W, 1] */
export function pixelWeights(oneHot: tf.Tensor4D, valid: tf.Tensor4D, classWeights?: number[]): tf.Tensor4D {
  if (!classWeights) return valid.clone();
  const classes = oneHot.shape[3];
  if (classWeights.length !== classes || classWeights.some((w) => !(w >= 0))) {
    throw new LossesError(`classWeights must hold ${classes} non-negative numbers, got ${JSON.stringify(classWeights)}`, 'CONFIG');
  }
  return tf.tidy(() => tf.sum(tf.mul(oneHot, tf.tensor1d(classWeights)), -1, true) as tf.Tensor4D);
}

/** Mean cross-entropy over the pixels that count. Labels: label map or one-hot, any resolution. */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor, options: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const { oneHot, valid } = prepareLabels(labels, logits, options.ignoreLabel === undefined ? DEFAULT_IGNORE_LABEL : options.ignoreLabel);
    return weightedNll(oneHot, logits as tf.Tensor4D, meanCoefficients(pixelWeights(oneHot, valid, options.classWeights)));
  });
}
