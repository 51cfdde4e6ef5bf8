/** Convolution + BatchNorm + PReLU blocks of SINet (`CBR`, `BR`, `separableCBR`, `SEseparableCBR`) and grouped 1x1 convolution. */
import * as tf from '../tfjs.js';
import {
  assertOddKernel,
  assertPositiveInteger,
  BlockLayer,
  channelsOf,
  convOutputSize,
  imageShape,
  isTraining,
  singleInput,
  singleShape,
  type BatchNormVariables,
  type CallKwargs,
  type NormalizationArgs,
  type Shape,
  type SqueezeExcitationVariables,
} from '../block-layer.js';
import { groupedPointwiseConv2d, torchSamePadding } from '../ops.js';
import { LayersError } from '../errors.js';
import { epsilonOf, oneInput, type LayerConversion } from '../onnx/converter.js';
import { batchNormNode, batchNormStats, conv, convKernel, denseAsConvKernel, foldBatchNorm, prelu, weight, type GraphBuilder, type HostTensor } from '../onnx/graph.js';
import { batchNormFromTorch, type TorchWeight } from '../torch-weights.js';

/** Squeeze-excitation in ONNX as SINet has it: global mean, (1x1 conv + PReLU) x 1 or 2, scale the input. */
function squeezeExcitationOnnx(g: GraphBuilder, x: string, name: string, weights: Map<string, HostTensor>, prefix: string, c: LayerConversion): string {
  let h = g.node('GlobalAveragePool', [x], {}, `${name}.se.pool`);
  for (const i of [1, 2]) {
    const kernel = weights.get(`${prefix}_dense${i}_kernel`);
    if (!kernel) break;
    const bias = weight(c.layer, weights, `${prefix}_dense${i}_bias`);
    h = conv(g, h, `${name}.se.fc${i}`, { kernel: denseAsConvKernel(kernel), bias });
    h = prelu(g, h, `${name}.se.prelu${i}`, weight(c.layer, weights, `${prefix}_prelu${i}_alpha`));
  }
  return g.node('Mul', [x, h], {}, `${name}.se`);
}

/** BatchNorm + PReLU of the official blocks: `<s>.bn` and `<s>.act`. */
const bnPReLUFromTorch = (t: string, s: string): TorchWeight[] => [...batchNormFromTorch(`${t}/bn_`, `${s}.bn`), { target: `${t}/prelu_alpha`, source: `${s}.act.weight`, layout: 'identity' }];

export interface GroupedPointwiseConv2DArgs {
  filters: number;
  groups: number;
  useBias?: boolean;
  name?: string;
}

/**
 * 1x1 convolution with `groups` (tfjs-layers' Conv2D has none). Kernel `[1, 1, in / groups, filters]`,
 * the layout PyTorch's `[filters, in / groups, 1, 1]` transposes to.
 */
export class GroupedPointwiseConv2D extends BlockLayer {
  static className = 'GroupedPointwiseConv2D';
  readonly filters: number;
  readonly groups: number;
  readonly useBias: boolean;
  private kernel!: tf.LayerVariable;
  private bias: tf.LayerVariable | null = null;

  constructor(args: GroupedPointwiseConv2DArgs) {
    super(args);
    assertPositiveInteger('GroupedPointwiseConv2D', 'filters', args.filters);
    assertPositiveInteger('GroupedPointwiseConv2D', 'groups', args.groups);
    if (args.filters % args.groups !== 0) throw new LayersError(`GroupedPointwiseConv2D: filters (${args.filters}) must be divisible by groups (${args.groups})`, 'ARGUMENT');
    this.filters = args.filters;
    this.groups = args.groups;
    this.useBias = args.useBias ?? false;
  }

  override build(inputShape: Shape | Shape[]): void {
    const channels = channelsOf(this.name, singleShape(inputShape));
    if (channels % this.groups !== 0) throw new LayersError(`${this.name}: input channels (${channels}) must be divisible by groups (${this.groups})`, 'INPUT_SHAPE');
    this.kernel = this.addKernel('kernel', [1, 1, channels / this.groups, this.filters]);
    if (this.useBias) this.bias = this.addBias('bias', this.filters);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...singleShape(inputShape).slice(0, 3), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const y = groupedPointwiseConv2d(singleInput(inputs) as tf.Tensor4D, this.kernel.read() as tf.Tensor4D, this.groups);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, groups: this.groups, useBias: this.useBias };
  }

  static toOnnx(c: LayerConversion): string {
    const { graph: g, layer, weights, config } = c;
    return conv(g, oneInput(c), layer.name, { kernel: convKernel(weight(layer, weights, 'kernel')), bias: weights.get('bias') ?? null, group: config.groups as number });
  }
}

/** BatchNorm + per-channel PReLU (SINet's `BR`). */
export class BNPReLU extends BlockLayer {
  static className = 'BNPReLU';
  private bn!: BatchNormVariables;
  private alpha!: tf.LayerVariable;

  constructor(args: NormalizationArgs & { name?: string } = {}) {
    super(args);
  }

  override build(inputShape: Shape | Shape[]): void {
    const channels = singleShape(inputShape).at(-1);
    if (channels == null) throw new LayersError(`${this.name}: the channel dimension of the input must be known`, 'INPUT_SHAPE');
    this.bn = this.addBatchNorm('bn', channels);
    this.alpha = this.addPReLU('prelu_alpha', channels);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => tf.prelu(this.batchNorm(singleInput(inputs), this.bn, isTraining(kwargs)), this.alpha.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.normalizationConfig() };
  }

  static toOnnx(c: LayerConversion): string {
    const { graph: g, layer, weights } = c;
    const y = batchNormNode(g, oneInput(c), `${layer.name}.bn`, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
    return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
  }

  /** SINet's `BR`: `<s>.bn`, `<s>.act`. */
  static torchWeights(layer: { name: string }, s: string): TorchWeight[] {
    return bnPReLUFromTorch(layer.name, s);
  }
}

export interface ConvBlockArgs extends NormalizationArgs {
  filters: number;
  kernelSize: number;
  /** Stride of the (depthwise) spatial convolution; padding is always (kernelSize - 1) / 2 on every side. */
  strides?: number;
  name?: string;
}

abstract class ConvBlockBase extends BlockLayer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;

  constructor(args: ConvBlockArgs) {
    super(args);
    const cls = this.getClassName();
    assertPositiveInteger(cls, 'filters', args.filters);
    assertOddKernel(cls, args.kernelSize);
    assertPositiveInteger(cls, 'strides', args.strides ?? 1);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
  }

  protected get pad(): number {
    return torchSamePadding(this.kernelSize);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w] = imageShape(inputShape);
    const size = (s: number | null) => convOutputSize(s, this.kernelSize, this.strides, this.pad);
    return [b, size(h), size(w), this.filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, ...this.normalizationConfig() };
  }
}

/** Convolution (no bias, PyTorch padding) + BatchNorm + PReLU (SINet's `CBR`). */
export class ConvBNPReLU extends ConvBlockBase {
  static className = 'ConvBNPReLU';
  private kernel!: tf.LayerVariable;
  private bn!: BatchNormVariables;
  private alpha!: tf.LayerVariable;

  override build(inputShape: Shape | Shape[]): void {
    const channels = channelsOf(this.name, singleShape(inputShape));
    this.kernel = this.addKernel('kernel', [this.kernelSize, this.kernelSize, channels, this.filters]);
    this.bn = this.addBatchNorm('bn', this.filters);
    this.alpha = this.addPReLU('prelu_alpha', this.filters);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.conv2d(singleInput(inputs) as tf.Tensor4D, this.kernel.read() as tf.Tensor4D, this.strides, this.pad);
      return tf.prelu(this.batchNorm(y, this.bn, isTraining(kwargs)), this.alpha.read());
    });
  }

  /** The convolution with BatchNorm folded in, then PReLU. */
  static toOnnx(c: LayerConversion): string {
    const { graph: g, layer, weights, config } = c;
    const k = config.kernelSize as number;
    const folded = foldBatchNorm(convKernel(weight(layer, weights, 'kernel')), null, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
    const y = conv(g, oneInput(c), `${layer.name}.conv`, { ...folded, strides: config.strides as number, pad: torchSamePadding(k) });
    return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
  }

  /** SINet's `CBR`: `<s>.conv`, `<s>.bn`, `<s>.act`. */
  static torchWeights(layer: { name: string }, s: string): TorchWeight[] {
    return [{ target: `${layer.name}/kernel`, source: `${s}.conv.weight`, layout: 'conv' }, ...bnPReLUFromTorch(layer.name, s)];
  }
}

/** Depthwise k x k + pointwise 1x1 convolution, BatchNorm, PReLU (SINet's `separableCBR`). */
export class SeparableConvBNPReLU extends ConvBlockBase {
  static className = 'SeparableConvBNPReLU';
  protected depthwise!: tf.LayerVariable;
  protected pointwise!: tf.LayerVariable;
  protected bn!: BatchNormVariables;
  protected alpha!: tf.LayerVariable;

  override build(inputShape: Shape | Shape[]): void {
    const channels = channelsOf(this.name, singleShape(inputShape));
    this.depthwise = this.addKernel('depthwise_kernel', [this.kernelSize, this.kernelSize, channels, 1]);
    this.buildMiddle(channels);
    this.pointwise = this.addKernel('pointwise_kernel', [1, 1, channels, this.filters]);
    this.bn = this.addBatchNorm('bn', this.filters);
    this.alpha = this.addPReLU('prelu_alpha', this.filters);
    this.built = true;
  }

  /** Hook between the depthwise and pointwise convolutions (squeeze-excitation in the SE variant). */
  protected buildMiddle(_channels: number): void {}
  protected middle(x: tf.Tensor4D): tf.Tensor4D {
    return x;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      let y = tf.depthwiseConv2d(singleInput(inputs) as tf.Tensor4D, this.depthwise.read() as tf.Tensor4D, this.strides, this.pad);
      y = this.middle(y);
      y = tf.conv2d(y, this.pointwise.read() as tf.Tensor4D, 1, 'valid');
      return tf.prelu(this.batchNorm(y, this.bn, isTraining(kwargs)), this.alpha.read());
    });
  }

  /** Depthwise conv [+ squeeze-excitation], pointwise conv with BatchNorm folded in, PReLU (the SE variant inherits it). */
  static toOnnx(c: LayerConversion): string {
    const { graph: g, layer, weights, config } = c;
    const k = config.kernelSize as number;
    const depthwise = convKernel(weight(layer, weights, 'depthwise_kernel'), true);
    let y = conv(g, oneInput(c), `${layer.name}.depthwise`, { kernel: depthwise, strides: config.strides as number, pad: torchSamePadding(k), group: depthwise.shape[0] });
    if (weights.has('se_dense1_kernel')) y = squeezeExcitationOnnx(g, y, layer.name, weights, 'se', c);
    const folded = foldBatchNorm(convKernel(weight(layer, weights, 'pointwise_kernel')), null, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
    y = conv(g, y, `${layer.name}.pointwise`, folded);
    return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
  }
}

export interface SqueezeExcitationArgs {
  /** Hidden units = floor(channels / divide); divide <= 1 uses a single dense layer of `channels` units. */
  divide?: number;
  name?: string;
}

function checkDivide(cls: string, divide: number): void {
  if (!(divide > 0) || !Number.isFinite(divide)) throw new LayersError(`${cls}: 'divide' must be a positive number, got ${divide}`, 'ARGUMENT');
}

/**
 * Squeeze-excitation as in the official SINet: global average pool, dense, PReLU, dense, PReLU,
 * then scale the input per channel. (There is no sigmoid in SINet's version.)
 */
export class SqueezeExcitation extends BlockLayer {
  static className = 'SqueezeExcitation';
  readonly divide: number;
  private se!: SqueezeExcitationVariables;

  constructor(args: SqueezeExcitationArgs = {}) {
    super(args);
    this.divide = args.divide ?? 4;
    checkDivide('SqueezeExcitation', this.divide);
  }

  override build(inputShape: Shape | Shape[]): void {
    this.se = this.addSqueezeExcitation('se', channelsOf(this.name, singleShape(inputShape)), this.divide);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.squeezeExcite(singleInput(inputs) as tf.Tensor4D, this.se);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), divide: this.divide };
  }

  static toOnnx(c: LayerConversion): string {
    return squeezeExcitationOnnx(c.graph, oneInput(c), c.layer.name, c.weights, 'se', c);
  }
}

/** Depthwise convolution, squeeze-excitation, pointwise convolution, BatchNorm, PReLU (SINet's `SEseparableCBR`). */
export class SESeparableConvBNPReLU extends SeparableConvBNPReLU {
  static override className = 'SESeparableConvBNPReLU';
  readonly divide: number;
  private se!: SqueezeExcitationVariables;

  constructor(args: ConvBlockArgs & { divide?: number }) {
    super(args);
    this.divide = args.divide ?? 2;
    checkDivide('SESeparableConvBNPReLU', this.divide);
  }

  protected override buildMiddle(channels: number): void {
    this.se = this.addSqueezeExcitation('se', channels, this.divide);
  }

  protected override middle(x: tf.Tensor4D): tf.Tensor4D {
    return this.squeezeExcite(x, this.se);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), divide: this.divide };
  }

  /** SINet's `SEseparableCBR`: `<s>.conv.{0: depthwise, 1: SqueezeBlock, 2: pointwise}`, `<s>.bn`, `<s>.act`. */
  static torchWeights(layer: { name: string; getConfig(): Record<string, unknown> }, s: string): TorchWeight[] {
    const t = layer.name;
    const se: TorchWeight[] = [
      { target: `${t}/se_dense1_kernel`, source: `${s}.conv.1.dense.0.weight`, layout: 'linear' },
      { target: `${t}/se_dense1_bias`, source: `${s}.conv.1.dense.0.bias`, layout: 'identity' },
      { target: `${t}/se_prelu1_alpha`, source: `${s}.conv.1.dense.1.weight`, layout: 'identity' },
    ];
    if ((layer.getConfig().divide as number) > 1) {
      se.push(
        { target: `${t}/se_dense2_kernel`, source: `${s}.conv.1.dense.2.weight`, layout: 'linear' },
        { target: `${t}/se_dense2_bias`, source: `${s}.conv.1.dense.2.bias`, layout: 'identity' },
        { target: `${t}/se_prelu2_alpha`, source: `${s}.conv.1.dense.3.weight`, layout: 'identity' },
      );
    }
    return [{ target: `${t}/depthwise_kernel`, source: `${s}.conv.0.weight`, layout: 'depthwise' }, ...se, { target: `${t}/pointwise_kernel`, source: `${s}.conv.2.weight`, layout: 'conv' }, ...bnPReLUFromTorch(t, s)];
  }
}

for (const cls of [GroupedPointwiseConv2D, BNPReLU, ConvBNPReLU, SeparableConvBNPReLU, SqueezeExcitation, SESeparableConvBNPReLU]) {
  tf.serialization.registerClass(cls);
}
