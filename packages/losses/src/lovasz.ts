/**
 * Lovasz-softmax and the binary Lovasz hinge (Berman et al., CVPR 2018): convex surrogates of
 * the IoU, the official SINet code's default loss. Errors are sorted (descending) and weighted
 * by the gradient of the Lovasz extension of the Jaccard loss, computed from the sorted labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_IGNORE_LABEL, prepareLabels } from './labels.js';
import { LossesError } from './errors.js';

/** Lovasz extension weights of sorted binary ground truth `fg` (1-D): Jaccard increments. */
function lovaszWeights(fgSorted: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const total = tf.sum(fgSorted);
    const intersection = tf.sub(total, tf.cumsum(fgSorted));
    const union = tf.add(total, tf.cumsum(tf.sub(1, fgSorted)));
    const jaccard = tf.sub(1, tf.div(intersection, union));
    const shifted = tf.concat([tf.zeros([1]), tf.slice(jaccard, 0, jaccard.size - 1)]);
    return tf.sub(jaccard, shifted) as tf.Tensor1D;
  });
}

/**
 * sum(sorted errors x Lovasz weights). The sort runs inside customGrad so that it stays off the
 * gradient tape (TopK has no gradient); the gradient of each error is the weight of its rank.
 */
const lovaszOfErrors = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [errors, fg, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const order = tf.topk(errors as tf.Tensor1D, errors.size, true).indices;
  const weights = lovaszWeights(tf.gather(fg as tf.Tensor1D, order));
  save([order, weights]);
  return {
    value: tf.sum(tf.mul(tf.gather(errors, order), weights)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedOrder, savedWeights] = saved as [tf.Tensor, tf.Tensor];
      const perError = tf.scatterND(tf.expandDims(savedOrder, 1), savedWeights, [errors.size]);
      return [tf.mul(dy, perError), tf.zerosLike(fg)];
    },
  };
}) as Parameters<typeof tf.customGrad>[0]) as (errors: tf.Tensor1D, fg: tf.Tensor1D) => tf.Scalar;

export interface LovaszOptions {
  ignoreLabel?: number | null;
  /** Average the loss per image instead of over the batch flattened. Default false. */
  perImage?: boolean;
}

function perImageOrBatch(n: number, perImage: boolean, loss: (index: number | null) => tf.Scalar): tf.Scalar {
  if (!perImage) return loss(null);
  return tf.tidy(() => tf.div(tf.addN(Array.from({ length: n }, (_, i) => loss(i))), n) as tf.Scalar);
}

const flatten = (x: tf.Tensor, index: number | null): tf.Tensor1D =>
  tf.reshape(index == null ? x : tf.slice(x, [index, 0, 0, 0], [1, -1, -1, -1]), [-1]) as tf.Tensor1D;

export interface LovaszSoftmaxOptions extends LovaszOptions {
  /** 'present' (default): average over classes present in the labels; 'all': every class. */
  classes?: 'present' | 'all';
}

/**
 * Lovasz-softmax: per class, Lovasz-sorted |fg - p_c| over the pixels that count; averaged over
 * classes. Ignored pixels get error 0, so they sort last and add nothing.
 */
export function lovaszSoftmax(labels: tf.Tensor, logits: tf.Tensor, options: LovaszSoftmaxOptions = {}): tf.Scalar {
  const { perImage = false, classes = 'present' } = options;
  return tf.tidy(() => {
    const { oneHot, valid } = prepareLabels(labels, logits, options.ignoreLabel === undefined ? DEFAULT_IGNORE_LABEL : options.ignoreLabel);
    const probs = tf.softmax(logits, -1);
    const c = logits.shape[3] as number;
    return perImageOrBatch(logits.shape[0] as number, perImage, (index) => {
      const v = flatten(valid, index);
      const losses: tf.Scalar[] = [];
      const weights: tf.Scalar[] = [];
      for (let k = 0; k < c; k++) {
        const fg = flatten(tf.slice(oneHot, [0, 0, 0, k], [-1, -1, -1, 1]), index);
        const p = flatten(tf.slice(probs, [0, 0, 0, k], [-1, -1, -1, 1]), index);
        losses.push(lovaszOfErrors(tf.mul(tf.abs(tf.sub(fg, p)), v) as tf.Tensor1D, fg));
        // A class absent from the labels is skipped under 'present' (weight 0), as in the reference code.
        weights.push(classes === 'all' ? tf.scalar(1) : (tf.cast(tf.greater(tf.sum(fg), 0), 'float32') as tf.Scalar));
      }
      const w = tf.stack(weights);
      return tf.div(tf.sum(tf.mul(tf.stack(losses), w)), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
    });
  });
}

/**
 * Binary Lovasz hinge on the person margin: one logit per pixel ([N, H, W, 1]) or the difference
 * of two class logits (person - background). Labels: 1 = person, 0 = background, ignore skipped.
 */
export function lovaszHinge(labels: tf.Tensor, logits: tf.Tensor, options: LovaszOptions = {}): tf.Scalar {
  const { perImage = false } = options;
  return tf.tidy(() => {
    const l = logits as tf.Tensor4D;
    const channels = l.shape[3];
    if (channels !== 1 && channels !== 2) throw new LossesError(`lovaszHinge needs 1 or 2 logit channels, got ${channels}`, 'INPUT');
    // Two-class view of the labels, whatever the logits' channel count.
    const asTwoClass = channels === 1 ? tf.concat([tf.neg(l), l], 3) : l;
    const { oneHot, valid } = prepareLabels(labels, asTwoClass, options.ignoreLabel === undefined ? DEFAULT_IGNORE_LABEL : options.ignoreLabel);
    const margin = channels === 1 ? l : tf.sub(tf.slice(l, [0, 0, 0, 1], [-1, -1, -1, 1]), tf.slice(l, [0, 0, 0, 0], [-1, -1, -1, 1]));
    const fg4 = tf.slice(oneHot, [0, 0, 0, 1], [-1, -1, -1, 1]);
    return perImageOrBatch(l.shape[0], perImage, (index) => {
      const fg = flatten(fg4, index);
      const signs = tf.sub(tf.mul(fg, 2), 1);
      const errors = tf.mul(tf.relu(tf.sub(1, tf.mul(flatten(margin, index), signs))), flatten(valid, index)) as tf.Tensor1D;
      return lovaszOfErrors(errors, fg);
    });
  });
}
