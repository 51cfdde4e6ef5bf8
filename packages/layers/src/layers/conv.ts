/** Convolution + BatchNorm + PReLU blocks of SINet (`CBR`, `BR`, `separableCBR`, `SEseparableCBR`) and grouped 1x1 convolution. */
import * as tf from '../tfjs.js';
import {
  assertOddKernel,
  assertPositiveInteger,
  BlockLayer,
  channelsOf,
  convOutputSize,
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
    const cls = (this.constructor as unknown as { className: string }).className;
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
    const [b, h, w] = singleShape(inputShape);
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
}

for (const cls of [GroupedPointwiseConv2D, BNPReLU, ConvBNPReLU, SeparableConvBNPReLU, SqueezeExcitation, SESeparableConvBNPReLU]) {
  tf.serialization.registerClass(cls);
}
