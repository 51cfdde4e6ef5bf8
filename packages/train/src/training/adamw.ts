/**
 * Adam with decoupled weight decay (Loshchilov & Hutter's AdamW, as the trainer has always
 * applied it): w <- (w - lr * mhat / (sqrt(vhat) + eps)) * (1 - lr * weightDecay) for the
 * parameters `decays` selects, plain Adam for the rest. Where the backend registers the
 * 'SinetAdamW' kernel (@sinet/wasm-kernels on wasm) each parameter is one kernel call; elsewhere
 * the same arithmetic runs as tfjs ops. Its state (step count, moments) round-trips through
 * getWeights / setWeights in tfjs Adam's layout ('iter', then every m, then every v), so
 * checkpoints written with tf.train.adam resume with it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAMW, hasKernel, runKernel, type AdamWAttrs } from '@sinet/wasm-kernels/contracts';
import { TrainingError } from '../errors.js';

/** A tensor and the variable name it belongs to (tf.Optimizer's getWeights / applyGradients form). */
export type NamedTensor = { name: string; tensor: tf.Tensor };

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled decay per step, scaled by the learning rate. Default 0. */
  weightDecay?: number;
  /** Which parameters decay, by variable name. Default: all. */
  decays?: (name: string) => boolean;
}

interface Slot {
  name: string;
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW extends tf.Optimizer {
  static get className(): string {
    return 'SinetAdamW';
  }

  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  weightDecay: number;
  private readonly decays: (name: string) => boolean;
  /** Steps taken: the bias corrections are 1 - beta^steps after a step's moments. */
  private steps = 0;
  private slots: Slot[] = [];

  constructor(options: AdamWOptions) {
    super();
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.weightDecay = options.weightDecay ?? 0;
    this.decays = options.decays ?? (() => true);
  }

  /** Steps applied so far. */
  get stepCount(): number {
    return this.steps;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor][] = Array.isArray(variableGradients) ? variableGradients.map((g) => [g.name, g.tensor]) : Object.entries(variableGradients);
    this.steps++;
    const correction1 = 1 - this.beta1 ** this.steps;
    const correction2 = 1 - this.beta2 ** this.steps;
    const fused = hasKernel(ADAMW);
    entries.forEach(([name, gradient], i) => {
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new TrainingError(`AdamW: no variable named ${name}`);
      this.slots[i] ??= { name, m: tf.tidy(() => tf.zerosLike(variable).variable(false)), v: tf.tidy(() => tf.zerosLike(variable).variable(false)) };
      const slot = this.slots[i];
      if (gradient == null) return;
      const keep = this.weightDecay > 0 && this.decays(name) ? 1 - this.learningRate * this.weightDecay : 1;
      const attrs = { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, correction1, correction2, keep };
      tf.tidy(() => {
        const { variable: w, m, v } = fused && gradient.dtype === 'float32' ? runKernel(ADAMW, { variable, gradient, m: slot.m, v: slot.v }, attrs) : adamWOps(variable, gradient, slot.m, slot.v, attrs);
        variable.assign(w);
        slot.m.assign(m);
        slot.v.assign(v);
      });
    });
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose(this.slots.flatMap((s) => [s.m, s.v]));
    this.slots = [];
  }

  /** tfjs Adam's layout: the step count as 'iter', then the first moments, then the second. */
  override async getWeights(): Promise<NamedTensor[]> {
    return [{ name: 'iter', tensor: tf.scalar(this.steps, 'int32') }, ...this.slots.map((s) => ({ name: `${s.name}/m`, tensor: s.m as tf.Tensor })), ...this.slots.map((s) => ({ name: `${s.name}/v`, tensor: s.v as tf.Tensor }))];
  }

  override async setWeights(weights: NamedTensor[]): Promise<void> {
    const [iter, ...moments] = weights;
    if (!iter || iter.name !== 'iter' || moments.length % 2 !== 0) throw new TrainingError("AdamW.setWeights: expects 'iter' then the first and second moments (tfjs Adam's layout)");
    this.steps = (await iter.tensor.data())[0]!;
    this.dispose();
    const half = moments.length / 2;
    this.slots = moments.slice(0, half).map((m, i) => ({ name: m.name.replace(/\/m$/, ''), m: m.tensor.variable(false), v: moments[half + i]!.tensor.variable(false) }));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon, weightDecay: config.weightDecay } as never);
  }
}
tf.serialization.registerClass(AdamW);

/** The same update as the 'SinetAdamW' kernel, composed from tfjs ops. */
function adamWOps(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, a: AdamWAttrs): Record<'variable' | 'm' | 'v', tf.Tensor> {
  const m2 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
  const v2 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
  const step = tf.div(tf.div(m2, a.correction1), tf.add(tf.sqrt(tf.div(v2, a.correction2)), a.epsilon));
  const w2 = tf.sub(w, tf.mul(step, a.learningRate));
  return { variable: a.keep === 1 ? w2 : tf.mul(w2, a.keep), m: m2, v: v2 };
}
