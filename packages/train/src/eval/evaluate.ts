/**
 * `sinet eval`: the protocol of the official code. The image is resized to the model's input
 * size (bilinear), predicted by argmax, and compared with the mask resized to the same size
 * (nearest); the 2 x 2 confusion is summed over all images. The *Full figures compare at the
 * mask's own resolution, with the logits resized bilinearly.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, type Segmenter } from '@sinet/model';
import { ImageFileError, readImage, readMask } from '@sinet/model/node';
import { DatasetError, type DatasetEntry } from '../data/folder-dataset.js';
import { addConfusion, emptyConfusion, iouFigures, type BinaryConfusion } from './confusion.js';

export interface EvalReport {
  miou: number;
  personIou: number;
  backgroundIou: number;
  miouFull: number;
  personIouFull: number;
  backgroundIouFull: number;
  images: number;
  /** Mean time per image of preprocessing, network and scoring (file decoding excluded). */
  msPerImage: number;
  backend: string;
}

export interface EvalOptions {
  /** Called after each image, e.g. for a progress line. */
  onImage?: (done: number, total: number, entry: DatasetEntry) => void;
}

/** Person pixels are mask values > 127. Returns [TP, FP, FN, TN] of prediction vs truth (both 0/1 int32). */
function confusionCounts(prediction: tf.Tensor, truth: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const p = tf.cast(prediction, 'float32');
    const t = tf.cast(truth, 'float32');
    const tp = tf.sum(tf.mul(p, t));
    const predicted = tf.sum(p);
    const actual = tf.sum(t);
    const total = tf.scalar(p.size);
    // FP = predicted - TP, FN = actual - TP, TN = total - predicted - actual + TP.
    return tf.stack([tp, tf.sub(predicted, tp), tf.sub(actual, tp), tf.add(tf.sub(tf.sub(total, predicted), actual), tp)]) as tf.Tensor1D;
  });
}

export async function evaluate(segmenter: Segmenter, entries: DatasetEntry[], options: EvalOptions = {}): Promise<EvalReport> {
  if (entries.length === 0) throw new DatasetError('nothing to evaluate: the image list is empty');
  if (segmenter.metadata.config.classes !== 2) throw new InputError(`sinet eval scores person vs background; this model has ${segmenter.metadata.config.classes} classes`);
  const person = segmenter.metadata.personClass;
  const atModel: BinaryConfusion = emptyConfusion();
  const atFull: BinaryConfusion = emptyConfusion();
  const [mh, mw] = segmenter.inputSize;
  let busyMs = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const [image, mask] = await Promise.all([readImage(entry.image), readMask(entry.mask)]);
    if (image.width !== mask.width || image.height !== mask.height) {
      throw new ImageFileError(entry.mask, `mask is ${mask.width} x ${mask.height} but its image ${entry.image} is ${image.width} x ${image.height}`);
    }
    const start = performance.now();
    const counts = tf.tidy(() => {
      const rgb = tf.expandDims(tf.tensor3d(image.data, [image.height, image.width, 3], 'float32'), 0) as tf.Tensor4D;
      const truth = tf.greater(tf.tensor4d(mask.data, [1, mask.height, mask.width, 1], 'int32'), 127);
      const logits = segmenter.predictLogits(rgb);
      const predicted = tf.equal(tf.argMax(logits, -1), person);
      const truthSmall = tf.squeeze(tf.image.resizeNearestNeighbor(tf.cast(truth, 'int32') as tf.Tensor4D, [mh, mw], false, false), [3]);
      const logitsFull = tf.image.resizeBilinear(logits, [mask.height, mask.width], false, true);
      const predictedFull = tf.equal(tf.argMax(logitsFull, -1), person);
      return tf.stack([confusionCounts(predicted, truthSmall), confusionCounts(predictedFull, tf.squeeze(truth, [3]))]);
    });
    const values = await counts.data();
    counts.dispose();
    busyMs += performance.now() - start;
    addConfusion(atModel, values[0], values[1], values[2], values[3]);
    addConfusion(atFull, values[4], values[5], values[6], values[7]);
    options.onImage?.(i + 1, entries.length, entry);
  }
  const small = iouFigures(atModel);
  const full = iouFigures(atFull);
  return {
    ...small,
    miouFull: full.miou,
    personIouFull: full.personIou,
    backgroundIouFull: full.backgroundIou,
    images: entries.length,
    msPerImage: busyMs / entries.length,
    backend: tf.getBackend(),
  };
}
