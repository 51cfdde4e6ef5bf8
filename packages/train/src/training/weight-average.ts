/**
 * An exponential moving average of a model's weights (Polyak averaging, as timm's ModelEmaV2 and
 * TensorFlow's ExponentialMovingAverage with num_updates): after each step, for every weight
 * (trainable or not: BatchNorm's moving statistics too), average = d * average + (1 - d) * weight
 * with d = min(decay, (1 + n) / (10 + n)) after n updates, so the first steps do not keep the
 * starting weights. Float32 throughout: a resumed run continues it bit for bit.
 */
import * as tf from '@sinet/layers/tfjs';
import { TrainingError } from '../errors.js';

/** What callbacks and the checkpoint writer see of the moving average: its decay, its update count, and a way to run code with it in the model. */
export interface AveragedWeights {
  readonly decay: number;
  readonly updates: number;
  withAverage<T>(fn: () => Promise<T>): Promise<T>;
}

export class WeightAverage implements AveragedWeights {
  private readonly average: tf.Variable[];

  /** `start`: a checkpoint's averaged weights (in model.weights order) and its update count; else the model's weights, 0 updates. */
  constructor(
    private readonly model: tf.LayersModel,
    readonly decay: number,
    start?: { values: tf.Tensor[]; updates: number },
  ) {
    if (!(decay > 0 && decay < 1)) throw new TrainingError(`optimizer.ema: the decay must be between 0 and 1, got ${decay}`);
    const weights = model.weights;
    if (start && (start.values.length !== weights.length || start.values.some((v, i) => v.shape.join('x') !== weights[i]!.shape.join('x')))) {
      throw new TrainingError(`the checkpoint's averaged weights do not fit this model (${start.values.length} tensors for ${weights.length} weights)`);
    }
    this.average = weights.map((w, i) => tf.variable(start ? start.values[i]! : w.read(), false));
    this.updates = start?.updates ?? 0;
  }

  updates: number;

  /** The decay this update uses. */
  private rate(): number {
    return Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
  }

  /** Folds the model's current weights in (call after every optimiser step). */
  update(): void {
    const d = this.rate();
    tf.tidy(() => {
      const weights = this.model.weights;
      this.average.forEach((a, i) => a.assign(tf.add(tf.mul(a, d), tf.mul(weights[i]!.read(), 1 - d))));
    });
    this.updates++;
  }

  /** Runs `fn` with the averaged weights in the model, then puts the trained ones back (also when fn throws). */
  async withAverage<T>(fn: () => Promise<T>): Promise<T> {
    const trained = this.model.getWeights().map((w) => tf.clone(w));
    this.model.setWeights(this.average);
    try {
      return await fn();
    } finally {
      this.model.setWeights(trained);
      tf.dispose(trained);
    }
  }

  dispose(): void {
    tf.dispose(this.average);
  }
}
