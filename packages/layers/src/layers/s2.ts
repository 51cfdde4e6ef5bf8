/** SINet's spatial squeeze (S2) block and module. */
import * as tf from '../tfjs.js';
import {
  assertOddKernel,
  assertPositiveInteger,
  BlockLayer,
  channelsOf,
  isTraining,
  singleInput,
  singleShape,
  type BatchNormVariables,
  type CallKwargs,
  type NormalizationArgs,
  type Shape,
} from '../block-layer.js';
import { channelShufflePermutation, expandGroupedPointwiseKernel, resizeBilinearAlignCorners, torchSamePadding } from '../ops.js';
import { LayersError } from '../errors.js';

/** One S2 branch: depthwise kernel size and average-pool size (1 = no pooling). */
export interface S2BlockConfig {
  kernelSize: number;
  poolSize: number;
}

/** `[kernelSize, poolSize]` pairs as in the official code are accepted too. */
export type S2BlockSpec = S2BlockConfig | [number, number];

export function toS2BlockConfig(spec: S2BlockSpec, where = 'S2 block'): S2BlockConfig {
  const config = Array.isArray(spec) ? { kernelSize: spec[0], poolSize: spec[1] } : spec;
  assertOddKernel(where, config?.kernelSize);
  assertPositiveInteger(where, 'poolSize', config.poolSize);
  return { kernelSize: config.kernelSize, poolSize: config.poolSize };
}

interface S2BranchVariables {
  depthwise: tf.LayerVariable;
  depthwiseBn: BatchNormVariables;
  alpha: tf.LayerVariable;
  pointwise: tf.LayerVariable;
  bn: BatchNormVariables;
}

abstract class S2Base extends BlockLayer {
  protected addS2Branch(prefix: string, channels: number, filters: number, config: S2BlockConfig): S2BranchVariables {
    const p = prefix ? `${prefix}_` : '';
    return {
      depthwise: this.addKernel(`${p}depthwise_kernel`, [config.kernelSize, config.kernelSize, channels, 1]),
      depthwiseBn: this.addBatchNorm(`${p}depthwise_bn`, channels),
      alpha: this.addPReLU(`${p}prelu_alpha`, channels),
      pointwise: this.addKernel(`${p}pointwise_kernel`, [1, 1, channels, filters]),
      bn: this.addBatchNorm(`${p}bn`, filters),
    };
  }

  /** [AvgPool k/k] -> depthwise + BN -> PReLU -> 1x1 conv -> [bilinear up, align corners] -> BN. */
  protected s2Branch(x: tf.Tensor4D, v: S2BranchVariables, config: S2BlockConfig, training: boolean): tf.Tensor4D {
    const [, height, width] = x.shape;
    const pooled = config.poolSize > 1;
    let y = pooled ? tf.avgPool(x, config.poolSize, config.poolSize, 'valid') : x;
    y = tf.depthwiseConv2d(y, v.depthwise.read() as tf.Tensor4D, 1, torchSamePadding(config.kernelSize));
    y = this.batchNorm(y, v.depthwiseBn, training) as tf.Tensor4D;
    y = tf.prelu(y, v.alpha.read()) as tf.Tensor4D;
    y = tf.conv2d(y, v.pointwise.read() as tf.Tensor4D, 1, 'valid');
    // Upsampling to the input's own size equals PyTorch's scale_factor=k whenever k divides it.
    if (pooled) y = resizeBilinearAlignCorners(y as tf.Tensor4D, [height, width]);
    return this.batchNorm(y, v.bn, training) as tf.Tensor4D;
  }

  protected checkPoolable(shape: Shape, configs: S2BlockConfig[]): void {
    for (const { poolSize } of configs) {
      for (const size of [shape[1], shape[2]]) {
        if (size != null && size % poolSize !== 0) {
          throw new LayersError(`${this.name}: spatial size ${size} is not divisible by the S2 pool size ${poolSize}`, 'INPUT_SHAPE');
        }
      }
    }
  }
}

export interface S2BlockArgs extends NormalizationArgs, S2BlockConfig {
  filters: number;
  name?: string;
}

/** The S2 block: a depthwise-separable convolution at a resolution reduced by average pooling. */
export class S2Block extends S2Base {
  static className = 'S2Block';
  readonly filters: number;
  readonly config: S2BlockConfig;
  private branch!: S2BranchVariables;

  constructor(args: S2BlockArgs) {
    super(args);
    assertPositiveInteger('S2Block', 'filters', args.filters);
    this.filters = args.filters;
    this.config = toS2BlockConfig(args, 'S2Block');
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    this.checkPoolable(shape, [this.config]);
    this.branch = this.addS2Branch('', channelsOf(this.name, shape), this.filters, this.config);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...singleShape(inputShape).slice(0, 3), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => this.s2Branch(singleInput(inputs) as tf.Tensor4D, this.branch, this.config, isTraining(kwargs)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, ...this.config, ...this.normalizationConfig() };
  }
}

export interface S2ModuleArgs extends NormalizationArgs {
  filters: number;
  /** One entry per branch; the number of branches is also the group count of the reduction. */
  blocks: S2BlockSpec[];
  /** Add the input to the concatenated branches (needs input channels == filters). Default true. */
  residual?: boolean;
  name?: string;
}

/**
 * The S2 module: grouped 1x1 reduction, channel shuffle, the same reduced tensor through
 * every S2 block, concatenation, optional residual, BatchNorm + PReLU.
 * The first branch also takes the remainder channels when `filters` is not divisible.
 */
export class S2Module extends S2Base {
  static className = 'S2Module';
  readonly filters: number;
  readonly blocks: S2BlockConfig[];
  readonly residual: boolean;
  private reduce!: tf.LayerVariable;
  private shuffle!: tf.Tensor1D;
  private branches: S2BranchVariables[] = [];
  private bn!: BatchNormVariables;
  private alpha!: tf.LayerVariable;

  constructor(args: S2ModuleArgs) {
    super(args);
    assertPositiveInteger('S2Module', 'filters', args.filters);
    if (!Array.isArray(args.blocks) || args.blocks.length === 0) throw new LayersError(`S2Module: 'blocks' must list at least one [kernelSize, poolSize]`, 'ARGUMENT');
    this.filters = args.filters;
    this.blocks = args.blocks.map((b, i) => toS2BlockConfig(b, `S2Module blocks[${i}]`));
    this.residual = args.residual ?? true;
  }

  private get groups(): number {
    return this.blocks.length;
  }

  private get branchWidth(): number {
    return Math.floor(this.filters / this.groups);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    const channels = channelsOf(this.name, shape);
    const groups = this.groups;
    const width = this.branchWidth;
    if (width < 1) throw new LayersError(`${this.name}: ${this.filters} filters are fewer than its ${groups} branches`, 'ARGUMENT');
    if (channels % groups !== 0 || width % groups !== 0) {
      throw new LayersError(`${this.name}: input channels (${channels}) and branch width (${width}) must be divisible by the ${groups} branches`, 'INPUT_SHAPE');
    }
    if (this.residual && channels !== this.filters) {
      throw new LayersError(`${this.name}: a residual S2 module needs input channels (${channels}) == filters (${this.filters}); set residual: false`, 'INPUT_SHAPE');
    }
    this.checkPoolable(shape, this.blocks);
    this.reduce = this.addKernel('reduce_kernel', [1, 1, channels / groups, width]);
    this.shuffle = tf.keep(tf.tensor1d(channelShufflePermutation(width, groups), 'int32'));
    const remainder = this.filters - groups * width;
    this.branches = this.blocks.map((config, i) => this.addS2Branch(`d${i + 1}`, width, i === 0 ? width + remainder : width, config));
    this.bn = this.addBatchNorm('bn', this.filters);
    this.alpha = this.addPReLU('prelu_alpha', this.filters);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...singleShape(inputShape).slice(0, 3), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    const training = isTraining(kwargs);
    return tf.tidy(() => {
      const x = singleInput(inputs) as tf.Tensor4D;
      // The shuffle permutes output channels of the reduction, so it folds into the kernel's columns.
      const kernel = tf.gather(expandGroupedPointwiseKernel(this.reduce.read() as tf.Tensor4D, this.groups), this.shuffle, 3);
      const reduced = tf.conv2d(x, kernel, 1, 'valid');
      const outputs = this.blocks.map((config, i) => this.s2Branch(reduced, this.branches[i], config, training));
      let merged = outputs.length === 1 ? outputs[0] : tf.concat(outputs, 3);
      if (this.residual) merged = tf.add(x, merged);
      return tf.prelu(this.batchNorm(merged, this.bn, training), this.alpha.read());
    });
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0 && this.shuffle && !this.shuffle.isDisposed) this.shuffle.dispose();
    return result;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const blocks = this.blocks.map((b) => [b.kernelSize, b.poolSize]);
    return { ...super.getConfig(), filters: this.filters, blocks, residual: this.residual, ...this.normalizationConfig() };
  }
}

for (const cls of [S2Block, S2Module]) tf.serialization.registerClass(cls);
