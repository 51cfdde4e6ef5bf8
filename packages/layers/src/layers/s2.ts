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
import { epsilonOf, oneInput, type LayerConversion } from '../onnx/converter.js';
import { batchNormNode, batchNormStats, conv, convKernel, foldBatchNorm, gatherAxis, ints, prelu, resizeByScale, weight, type BatchNormStats, type HostTensor } from '../onnx/graph.js';
import { batchNormFromTorch, type TorchWeight } from '../torch-weights.js';

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

  static toOnnx(c: LayerConversion): string {
    return s2BranchOnnx(c, oneInput(c), '', toS2BlockConfig(c.config as unknown as S2BlockConfig), null);
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
      const outputs = this.blocks.map((config, i) => this.s2Branch(reduced, this.branches[i]!, config, training));
      let merged = outputs.length === 1 ? outputs[0]! : tf.concat(outputs, 3);
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

  /**
   * The channel shuffle after the grouped reduction folds into the branches: their depthwise
   * weights, BatchNorm, PReLU and pointwise rows are reordered to read the unshuffled channels,
   * so the reduction stays a grouped Conv.
   */
  static toOnnx(c: LayerConversion): string {
    const { graph: g, layer, weights, config } = c;
    const blocks = (config.blocks as S2BlockSpec[]).map((b) => toS2BlockConfig(b));
    const groups = blocks.length;
    const x = oneInput(c);
    const reduceKernel = convKernel(weight(layer, weights, 'reduce_kernel'));
    const width = reduceKernel.shape[0]!;
    const reduced = conv(g, x, `${layer.name}.reduce`, { kernel: reduceKernel, group: groups });
    // Shuffled channel j reads reduced channel perm[j]; a branch reading the unshuffled tensor needs its parameters at inverse[i].
    const perm = channelShufflePermutation(width, groups);
    const inverse = new Array<number>(width);
    perm.forEach((source, j) => (inverse[source] = j));
    const outputs = blocks.map((b, i) => s2BranchOnnx(c, reduced, `d${i + 1}`, b, groups > 1 ? inverse : null));
    let y = outputs.length === 1 ? outputs[0]! : g.node('Concat', outputs, { axis: { int: 1 } }, `${layer.name}.concat`);
    if (config.residual) y = g.node('Add', [x, y], {}, `${layer.name}.residual`);
    y = batchNormNode(g, y, `${layer.name}.bn`, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
    return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
  }

  /** SINet's `S2module`: `<s>.c1` (grouped reduction), `<s>.d<i>` (S2block branches), `<s>.BR`. */
  static torchWeights(layer: { name: string; getConfig(): Record<string, unknown> }, s: string): TorchWeight[] {
    const t = layer.name;
    const branches = (layer.getConfig().blocks as unknown[]).length;
    const out: TorchWeight[] = [{ target: `${t}/reduce_kernel`, source: `${s}.c1.conv.weight`, layout: 'conv' }];
    for (let i = 1; i <= branches; i++) {
      const [tb, sb] = [`${t}/d${i}`, `${s}.d${i}`];
      out.push(
        { target: `${tb}_depthwise_kernel`, source: `${sb}.conv.0.weight`, layout: 'depthwise' },
        ...batchNormFromTorch(`${tb}_depthwise_bn_`, `${sb}.conv.1`),
        { target: `${tb}_prelu_alpha`, source: `${sb}.act_conv1x1.0.weight`, layout: 'identity' },
        { target: `${tb}_pointwise_kernel`, source: `${sb}.act_conv1x1.1.weight`, layout: 'conv' },
        ...batchNormFromTorch(`${tb}_bn_`, `${sb}.bn`),
      );
    }
    return [...out, ...batchNormFromTorch(`${t}/bn_`, `${s}.BR.bn`), { target: `${t}/prelu_alpha`, source: `${s}.BR.act.weight`, layout: 'identity' }];
  }
}

const gatherStats = (bn: BatchNormStats, order: number[] | null): BatchNormStats =>
  order
    ? { ...bn, gamma: bn.gamma && gatherAxis(bn.gamma, order, 0), beta: bn.beta && gatherAxis(bn.beta, order, 0), mean: gatherAxis(bn.mean, order, 0), variance: gatherAxis(bn.variance, order, 0) }
    : bn;

/**
 * One S2 branch in ONNX; `order[i]` = the branch's own channel index for input channel i (null:
 * as saved). The BatchNorm after the branch's upsampling folds into its pointwise conv (bilinear
 * weights sum to 1, so a per-channel affine map commutes with the resize).
 */
function s2BranchOnnx(c: LayerConversion, x: string, prefix: string, config: S2BlockConfig, order: number[] | null): string {
  const { graph: g, layer, weights } = c;
  const p = prefix ? `${prefix}_` : '';
  const name = `${layer.name}${prefix ? `.${prefix}` : ''}`;
  const reorder = (t: HostTensor, axis: number) => (order ? gatherAxis(t, order, axis) : t);
  const eps = epsilonOf(c);
  let y = x;
  const pooled = config.poolSize > 1;
  if (pooled) y = g.node('AveragePool', [y], { kernel_shape: ints([config.poolSize, config.poolSize]), strides: ints([config.poolSize, config.poolSize]) }, `${name}.pool`);
  const depthwise = foldBatchNorm(convKernel(reorder(weight(layer, weights, `${p}depthwise_kernel`), 2), true), null, gatherStats(batchNormStats(layer, weights, `${p}depthwise_bn`, eps), order));
  y = conv(g, y, `${name}.depthwise`, { ...depthwise, pad: torchSamePadding(config.kernelSize), group: depthwise.kernel.shape[0] });
  y = prelu(g, y, `${name}.prelu`, reorder(weight(layer, weights, `${p}prelu_alpha`), 0));
  const pointwise = foldBatchNorm(convKernel(reorder(weight(layer, weights, `${p}pointwise_kernel`), 2)), null, batchNormStats(layer, weights, `${p}bn`, eps));
  y = conv(g, y, `${name}.pointwise`, pointwise);
  return pooled ? resizeByScale(g, y, `${name}.up`, [config.poolSize, config.poolSize], true) : y;
}

for (const cls of [S2Block, S2Module]) tf.serialization.registerClass(cls);
