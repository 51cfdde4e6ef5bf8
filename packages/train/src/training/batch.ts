/**
 * Batches as tensors and losses by name: the one batch builder and the one loss factory of the
 * trainer, its worker threads, the fine-tuner and the training benchmark. Preprocessing always
 * comes from the model's metadata (`getSINetMetadata(model).preprocessing`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageU8, LabelMap } from '@sinet/augment';
import { SINET_LOSS_PRESET_NAMES, sinetLoss, softmaxCrossEntropy } from '@sinet/losses';
import { preprocess, type Preprocessing } from '@sinet/model';
import { TrainError } from '../errors.js';

/** SINet's presets, or plain pixel-mean cross-entropy: what a stage's `loss` may be. */
export const LOSS_NAMES = [...SINET_LOSS_PRESET_NAMES, 'cross-entropy'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export function makeLoss(name: LossName): (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar {
  return name === 'cross-entropy' ? (labels, logits) => softmaxCrossEntropy(labels, logits) : sinetLoss({ preset: name });
}

/** Images (RGB, at `size`) of a batch as one RGB 0..255 tensor, as `Segmenter.predictLogits` takes it. */
export function rgbBatch(images: ImageU8[], size: [number, number]): tf.Tensor4D {
  const [h, w] = size;
  const pixels = new Float32Array(images.length * h * w * 3);
  images.forEach((im, i) => {
    if (im.width !== w || im.height !== h || im.channels !== 3) throw new TrainError(`rgbBatch: image ${i} is ${im.width} x ${im.height} x ${im.channels}, expected ${w} x ${h} x 3`, 'DATASET');
    pixels.set(im.data, i * h * w * 3);
  });
  return tf.tensor4d(pixels, [images.length, h, w, 3]);
}

/** Images (RGB, at `size`) of a batch as the preprocessed network input. */
export function imageBatch(images: ImageU8[], size: [number, number], preprocessing: Preprocessing): tf.Tensor4D {
  return tf.tidy(() => preprocess(rgbBatch(images, size), preprocessing, size));
}

/** Images (RGB, at `size`) and labels of a batch as tensors: preprocessed input and an int32 label map. */
export function batchTensors(images: ImageU8[], masks: LabelMap[], size: [number, number], preprocessing: Preprocessing): { x: tf.Tensor4D; y: tf.Tensor3D } {
  const [h, w] = size;
  const labels = new Int32Array(images.length * h * w);
  masks.forEach((m, i) => labels.set(m.data, i * h * w));
  return { x: imageBatch(images, size, preprocessing), y: tf.tensor3d(labels, [images.length, h, w], 'int32') };
}
