/** Soft Dice and soft IoU (Jaccard) losses on softmax probabilities. */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_IGNORE_LABEL, prepareLabels } from './labels.js';

export interface OverlapOptions {
  ignoreLabel?: number | null;
  /** Added to numerator and denominator: keeps empty classes finite. Default 1. */
  smooth?: number;
  /** Classes to average over; default all. */
  classes?: number[];
}

function overlapLoss(labels: tf.Tensor, logits: tf.Tensor, options: OverlapOptions, score: (inter: tf.Tensor, sumP: tf.Tensor, sumY: tf.Tensor, smooth: number) => tf.Tensor): tf.Scalar {
  const smooth = options.smooth ?? 1;
  return tf.tidy(() => {
    const { oneHot, valid } = prepareLabels(labels, logits, options.ignoreLabel === undefined ? DEFAULT_IGNORE_LABEL : options.ignoreLabel);
    const p = tf.mul(tf.softmax(logits, -1), valid);
    const axes = [0, 1, 2];
    const perClass = tf.sub(1, score(tf.sum(tf.mul(p, oneHot), axes), tf.sum(p, axes), tf.sum(oneHot, axes), smooth));
    const chosen = options.classes ? tf.gather(perClass, tf.tensor1d(options.classes, 'int32')) : perClass;
    return tf.mean(chosen) as tf.Scalar;
  });
}

/** 1 - (2 |P.Y| + s) / (|P| + |Y| + s), averaged over classes. */
export function softDiceLoss(labels: tf.Tensor, logits: tf.Tensor, options: OverlapOptions = {}): tf.Scalar {
  return overlapLoss(labels, logits, options, (inter, sp, sy, s) => tf.div(tf.add(tf.mul(inter, 2), s), tf.add(tf.add(sp, sy), s)));
}

/** 1 - (|P.Y| + s) / (|P| + |Y| - |P.Y| + s), averaged over classes. */
export function softIouLoss(labels: tf.Tensor, logits: tf.Tensor, options: OverlapOptions = {}): tf.Scalar {
  return overlapLoss(labels, logits, options, (inter, sp, sy, s) => tf.div(tf.add(inter, s), tf.add(tf.sub(tf.add(sp, sy), inter), s)));
}
