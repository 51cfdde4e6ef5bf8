/** A streaming confusion matrix and the figures derived from it, on typed arrays or tensors. */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_IGNORE_LABEL } from '../labels.js';
import { LossesError } from '../errors.js';

/** Class indices per pixel, row-major: any array of numbers. */
export type Labels = ArrayLike<number>;

export class ConfusionMatrix {
  /** counts[truth * classes + prediction] */
  readonly counts: Float64Array;

  constructor(
    readonly classes: number,
    readonly ignoreLabel: number | null = DEFAULT_IGNORE_LABEL,
  ) {
    if (!Number.isInteger(classes) || classes < 1) throw new LossesError(`ConfusionMatrix: classes must be a positive integer, got ${classes}`, 'CONFIG');
    this.counts = new Float64Array(classes * classes);
  }

  /** Adds one image (or any set of pixels): truth and prediction as class indices of equal length. */
  update(truth: Labels, prediction: Labels): this {
    if (truth.length !== prediction.length) throw new LossesError(`ConfusionMatrix: truth has ${truth.length} pixels, prediction ${prediction.length}`, 'INPUT');
    const c = this.classes;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      if (t === this.ignoreLabel || !(t >= 0 && t < c)) continue;
      const p = prediction[i]!;
      if (!(p >= 0 && p < c)) throw new LossesError(`ConfusionMatrix: prediction ${p} at pixel ${i} is not a class index below ${c}`, 'INPUT');
      this.counts[t * c + p]!++;
    }
    return this;
  }

  /** Adds tensors of class indices (any shape); reads them asynchronously. */
  async updateFromTensors(truth: tf.Tensor, prediction: tf.Tensor): Promise<this> {
    const [t, p] = await Promise.all([truth.data(), prediction.data()]);
    return this.update(t as Labels, p as Labels);
  }

  merge(other: ConfusionMatrix): this {
    if (other.classes !== this.classes) throw new LossesError('ConfusionMatrix: cannot merge matrices of different class counts', 'INPUT');
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    return this;
  }

  /** IoU per class, TP / (TP + FP + FN) over everything added; NaN for a class never seen nor predicted. */
  perClassIou(): number[] {
    const c = this.classes;
    return Array.from({ length: c }, (_, k) => {
      let rowSum = 0;
      let colSum = 0;
      for (let j = 0; j < c; j++) {
        rowSum += this.counts[k * c + j]!;
        colSum += this.counts[j * c + k]!;
      }
      const tp = this.counts[k * c + k]!;
      const union = rowSum + colSum - tp;
      return union === 0 ? Number.NaN : tp / union;
    });
  }

  /** Mean IoU over classes that occur in truth or prediction. */
  meanIou(): number {
    const ious = this.perClassIou().filter((v) => !Number.isNaN(v));
    return ious.length === 0 ? Number.NaN : ious.reduce((a, b) => a + b, 0) / ious.length;
  }

  pixelAccuracy(): number {
    let correct = 0;
    let total = 0;
    for (let k = 0; k < this.classes; k++) correct += this.counts[k * this.classes + k]!;
    for (const v of this.counts) total += v;
    return total === 0 ? Number.NaN : correct / total;
  }
}
