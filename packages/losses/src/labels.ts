/** Turning the label formats people have into one-hot targets and a validity mask. */
import * as tf from '@tensorflow/tfjs-core';
import { LossesError } from './errors.js';
import { hasKernel, PREPARE_LABELS, runKernel } from '@sinet/wasm-kernels/contracts';

/** The label value that marks pixels to leave out (PyTorch's ignore_index convention). */
export const DEFAULT_IGNORE_LABEL = 255;


export interface PreparedLabels {
  /** [N, H, W, C] targets (one-hot or soft), zero at ignored pixels. */
  oneHot: tf.Tensor4D;
  /** 1 where the pixel counts, 0 where it is ignored ([N, H, W, 1]). */
  valid: tf.Tensor4D;
  /** [N, H, W, 1] class index (ignored pixels 0) when the labels were a label map. */
  labelMap: tf.Tensor4D | null;
}

export class LabelShapeError extends LossesError {
  constructor(message: string) {
    super(message, 'LABEL_SHAPE');
  }
}

function checkLogits(logits: tf.Tensor): asserts logits is tf.Tensor4D {
  if (logits.rank !== 4) throw new LabelShapeError(`logits must be [batch, height, width, classes], got shape [${logits.shape}]`);
}

/**
 * Accepts a label map ([N, H, W] or [N, H, W, 1], class indices, `ignoreLabel` to skip) or
 * one-hot / soft targets ([N, H, W, C]; an all-zero row is ignored), at the logits' size or any
 * other: labels are resized to the logits with nearest-neighbour sampling, so an encoder that
 * predicts at 1/8 trains against the full-size mask. Indices outside [0, C) count as ignored.
 */
export function prepareLabels(labels: tf.Tensor, logits: tf.Tensor, ignoreLabel: number | null = DEFAULT_IGNORE_LABEL): PreparedLabels {
  checkLogits(logits);
  const [n, h, w, classes] = logits.shape;
  // tidy keeps the tensors of the returned object (a missing labelMap is undefined inside: tidy's containers hold no null).
  const prepared = tf.tidy((): { oneHot: tf.Tensor4D; valid: tf.Tensor4D; labelMap: tf.Tensor4D | undefined } => {
    const isMap = labels.rank === 3 || (labels.rank === 4 && labels.shape[3] === 1 && classes > 1);
    if (!isMap && !(labels.rank === 4 && labels.shape[3] === classes)) {
      throw new LabelShapeError(`labels of shape [${labels.shape}] fit neither a label map [${n}, H, W(, 1)] nor one-hot targets [${n}, H, W, ${classes}] for logits [${logits.shape}]`);
    }
    if (labels.shape[0] !== n) throw new LabelShapeError(`labels hold ${labels.shape[0]} images but the logits ${n}`);
    let l4 = (labels.rank === 3 ? tf.expandDims(labels, -1) : labels) as tf.Tensor4D;
    if (l4.shape[1] !== h || l4.shape[2] !== w) l4 = tf.image.resizeNearestNeighbor(l4, [h, w], false, false);
    if (!isMap) {
      const oneHot = tf.cast(l4, 'float32') as tf.Tensor4D;
      const valid = tf.cast(tf.greater(tf.sum(oneHot, -1, true), 0), 'float32') as tf.Tensor4D;
      return { oneHot, valid, labelMap: undefined };
    }
    // One pass where a backend registers the kernel (@sinet/wasm-kernels on wasm).
    if (hasKernel(PREPARE_LABELS)) {
      const { oneHot, valid, labelMap } = runKernel(PREPARE_LABELS, { labels: l4 }, { classes, ignoreLabel });
      return { oneHot: oneHot as tf.Tensor4D, valid: valid as tf.Tensor4D, labelMap: labelMap as tf.Tensor4D };
    }
    const indices = tf.cast(tf.round(tf.cast(l4, 'float32')), 'int32');
    let validBool = tf.logicalAnd(tf.greaterEqual(indices, 0), tf.less(indices, classes));
    if (ignoreLabel != null) validBool = tf.logicalAnd(validBool, tf.notEqual(indices, ignoreLabel));
    const valid = tf.cast(validBool, 'float32') as tf.Tensor4D;
    const labelMap = tf.where(validBool, indices, tf.zerosLike(indices)) as tf.Tensor4D;
    const oneHot = tf.mul(tf.oneHot(tf.squeeze(labelMap, [3]) as tf.Tensor3D, classes) as tf.Tensor4D, valid) as tf.Tensor4D;
    return { oneHot, valid, labelMap };
  });
  return { ...prepared, labelMap: prepared.labelMap ?? null };
}

/** Resizes a label map or one-hot labels to [height, width] with nearest-neighbour sampling. */
export function resizeLabels<T extends tf.Tensor3D | tf.Tensor4D>(labels: T, size: [number, number]): T {
  return tf.tidy(() => {
    const l4 = (labels.rank === 3 ? tf.expandDims(labels, -1) : labels) as tf.Tensor4D;
    const resized = tf.image.resizeNearestNeighbor(l4, size, false, false);
    return (labels.rank === 3 ? tf.squeeze(resized, [3]) : resized) as T;
  });
}

/** sum(x * w) / sum(w), 0 (with a 0 gradient, never NaN) when sum(w) is 0. */
export function weightedMean(x: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(x, weights)), tf.maximum(tf.sum(weights), 1e-30)) as tf.Scalar);
}
