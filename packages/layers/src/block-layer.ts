import * as tf from './tfjs.js';
import { batchNormTraining } from './ops.js';
import { LayersError } from './errors.js';

export type Shape = (number | null)[];

/** Options shared by every layer that normalises: BatchNorm epsilon and momentum, Keras convention. */
export interface NormalizationArgs {
  /** BatchNorm epsilon; SINet uses 1e-3. */
  epsilon?: number;
  /** Weight of the old moving statistic per update (Keras convention: PyTorch momentum 0.1 is 0.9 here). */
  momentum?: number;
}

export interface BatchNormVariables {
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

export interface SqueezeExcitationVariables {
  dense: { kernel: tf.LayerVariable; bias: tf.LayerVariable; alpha: tf.LayerVariable }[];
}

export const DEFAULT_EPSILON = 1e-3;
export const DEFAULT_MOMENTUM = 0.9;
export const DEFAULT_PRELU_ALPHA = 0.25;

/** Kwargs passed to `call` by tfjs-layers. */
export type CallKwargs = { training?: boolean; [key: string]: unknown };

/**
 * Base of the composite SINet layers. A block owns all of its weights (named
 * `<layer>/<part>_<weight>`), so it serialises like any built-in layer and
 * needs no nested layer objects.
 */
export abstract class BlockLayer extends tf.layers.Layer {
  protected readonly epsilon: number;
  protected readonly momentum: number;

  constructor(args: NormalizationArgs & { name?: string; trainable?: boolean; inputShape?: Shape }) {
    super(args as never);
    this.epsilon = args.epsilon ?? DEFAULT_EPSILON;
    this.momentum = args.momentum ?? DEFAULT_MOMENTUM;
    if (!(this.epsilon > 0)) throw new LayersError(`${this.getClassName()}: epsilon must be > 0, got ${this.epsilon}`, 'ARGUMENT');
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new LayersError(`${this.getClassName()}: momentum must be in [0, 1), got ${this.momentum}`, 'ARGUMENT');
  }

  protected addKernel(name: string, shape: number[]): tf.LayerVariable {
    return this.addWeight(name, shape, 'float32', tf.initializers.glorotUniform({}));
  }

  protected addBias(name: string, size: number): tf.LayerVariable {
    return this.addWeight(name, [size], 'float32', tf.initializers.zeros());
  }

  protected addPReLU(name: string, channels: number): tf.LayerVariable {
    return this.addWeight(name, [channels], 'float32', tf.initializers.constant({ value: DEFAULT_PRELU_ALPHA }));
  }

  protected addBatchNorm(prefix: string, channels: number): BatchNormVariables {
    const p = prefix ? `${prefix}_` : '';
    return {
      gamma: this.addWeight(`${p}gamma`, [channels], 'float32', tf.initializers.ones()),
      beta: this.addWeight(`${p}beta`, [channels], 'float32', tf.initializers.zeros()),
      movingMean: this.addWeight(`${p}moving_mean`, [channels], 'float32', tf.initializers.zeros(), undefined, false),
      movingVariance: this.addWeight(`${p}moving_variance`, [channels], 'float32', tf.initializers.ones(), undefined, false),
    };
  }

  /**
   * BatchNorm over NHWC (or NC) channels. Training uses batch statistics and updates the
   * moving averages with the unbiased variance, as PyTorch does for running_var.
   */
  protected batchNorm(x: tf.Tensor, bn: BatchNormVariables, training: boolean): tf.Tensor {
    if (!training) {
      return tf.batchNorm(x, bn.movingMean.read(), bn.movingVariance.read(), bn.beta.read(), bn.gamma.read(), this.epsilon);
    }
    const { y, mean, variance } = batchNormTraining(x, bn.gamma.read() as tf.Tensor1D, bn.beta.read() as tf.Tensor1D, this.epsilon);
    const count = x.size / x.shape[x.rank - 1]!;
    tf.tidy(() => {
      const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
      const keep = this.momentum;
      bn.movingMean.write(tf.add(tf.mul(bn.movingMean.read(), keep), tf.mul(mean, 1 - keep)));
      bn.movingVariance.write(tf.add(tf.mul(bn.movingVariance.read(), keep), tf.mul(unbiased, 1 - keep)));
    });
    tf.dispose([mean, variance]);
    return y;
  }

  /** Squeeze-excitation weights as in the official SINet: dense, PReLU[, dense, PReLU] with no sigmoid. */
  protected addSqueezeExcitation(prefix: string, channels: number, divide: number): SqueezeExcitationVariables {
    const p = prefix ? `${prefix}_` : '';
    if (divide > 1) {
      const hidden = Math.floor(channels / divide);
      if (hidden < 1) throw new LayersError(`${this.getClassName()}: ${channels} channels / divide ${divide} leaves no hidden units`, 'ARGUMENT');
      return {
        dense: [
          { kernel: this.addKernel(`${p}dense1_kernel`, [channels, hidden]), bias: this.addBias(`${p}dense1_bias`, hidden), alpha: this.addPReLU(`${p}prelu1_alpha`, hidden) },
          { kernel: this.addKernel(`${p}dense2_kernel`, [hidden, channels]), bias: this.addBias(`${p}dense2_bias`, channels), alpha: this.addPReLU(`${p}prelu2_alpha`, channels) },
        ],
      };
    }
    return {
      dense: [{ kernel: this.addKernel(`${p}dense1_kernel`, [channels, channels]), bias: this.addBias(`${p}dense1_bias`, channels), alpha: this.addPReLU(`${p}prelu1_alpha`, channels) }],
    };
  }

  protected squeezeExcite(x: tf.Tensor4D, se: SqueezeExcitationVariables): tf.Tensor4D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = tf.mean(x, [1, 2]);
      for (const d of se.dense) h = tf.prelu(tf.add(tf.matMul(h, d.kernel.read() as tf.Tensor2D), d.bias.read()), d.alpha.read()) as tf.Tensor2D;
      const [batch, , , channels] = x.shape;
      return tf.mul(x, tf.reshape(h, [batch, 1, 1, channels]));
    });
  }

  protected normalizationConfig(): tf.serialization.ConfigDict {
    return { epsilon: this.epsilon, momentum: this.momentum };
  }
}

export function singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new LayersError(`expected one input tensor, got ${inputs.length}`, 'INPUT_SHAPE');
    return inputs[0]!;
  }
  return inputs;
}

export function singleShape(inputShape: Shape | Shape[]): Shape {
  if (Array.isArray(inputShape[0])) {
    const shapes = inputShape as Shape[];
    if (shapes.length !== 1) throw new LayersError(`expected one input, got ${shapes.length}`, 'INPUT_SHAPE');
    return shapes[0]!;
  }
  return inputShape as Shape;
}

/** The one input's [batch, height, width, channels] (SINet's layers take NHWC images). */
export function imageShape(inputShape: Shape | Shape[]): [number | null, number | null, number | null, number | null] {
  const shape = singleShape(inputShape);
  if (shape.length !== 4) throw new LayersError(`expected a [batch, height, width, channels] input, got shape [${shape.map(String)}]`, 'INPUT_SHAPE');
  return shape as [number | null, number | null, number | null, number | null];
}

/** Channels of an NHWC shape, with a clear error when they are unknown. */
export function channelsOf(layer: string, shape: Shape): number {
  const channels = shape[shape.length - 1];
  if (shape.length !== 4) throw new LayersError(`${layer}: expects NHWC input of rank 4, got shape [${shape.join(', ')}]`, 'INPUT_SHAPE');
  if (channels == null) throw new LayersError(`${layer}: the channel dimension of the input must be known`, 'INPUT_SHAPE');
  return channels;
}

export function isTraining(kwargs: CallKwargs | undefined): boolean {
  return kwargs?.training === true;
}

/** Output size of a strided convolution with PyTorch symmetric padding. */
export function convOutputSize(size: number | null, kernel: number, stride: number, pad: number): number | null {
  return size == null ? null : Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

export function assertPositiveInteger(layer: string, field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LayersError(`${layer}: '${field}' must be a positive integer, got ${JSON.stringify(value)}`, 'ARGUMENT');
  }
}

export function assertOddKernel(layer: string, value: unknown): asserts value is number {
  assertPositiveInteger(layer, 'kernelSize', value);
  if (value % 2 !== 1) throw new LayersError(`${layer}: 'kernelSize' must be odd (symmetric padding), got ${value}`, 'ARGUMENT');
}
