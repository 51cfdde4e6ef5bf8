/** Weight-free building blocks: channel shuffle, align-corners resize, information-blocking gate. */
import * as tf from '../tfjs.js';
import { assertPositiveInteger, channelsOf, singleInput, imageShape, singleShape, type Shape } from '../block-layer.js';
import { channelShuffle, channelShufflePermutation, informationBlockingGate, resizeBilinearAlignCorners } from '../ops.js';
import { LayersError } from '../errors.js';
import { oneInput, refuse, type LayerConversion } from '../onnx/converter.js';
import { int, ints, resizeByScale, resizeToSize } from '../onnx/graph.js';

export interface ChannelShuffleArgs {
  groups: number;
  name?: string;
}

/** ShuffleNet channel shuffle on NHWC tensors (same permutation as SINet's NCHW implementation). */
export class ChannelShuffle extends tf.layers.Layer {
  static className = 'ChannelShuffle';
  readonly groups: number;

  constructor(args: ChannelShuffleArgs) {
    super(args);
    assertPositiveInteger('ChannelShuffle', 'groups', args.groups);
    this.groups = args.groups;
  }

  override build(inputShape: Shape | Shape[]): void {
    channelShufflePermutation(channelsOf(this.name, singleShape(inputShape)), this.groups);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return channelShuffle(singleInput(inputs), this.groups);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups };
  }

  /** A Gather of the channel axis by the shuffle permutation. */
  static toOnnx(c: LayerConversion): string {
    const channels = c.inputShapes[0]?.at(-1);
    if (channels == null) refuse(c, 'the channel dimension of its input is unknown');
    const indices = c.graph.int64Constant(`${c.layer.name}.order`, channelShufflePermutation(channels, c.config.groups as number));
    return c.graph.node('Gather', [oneInput(c), indices], { axis: int(1) }, c.layer.name);
  }
}

export interface BilinearResizeArgs {
  /** Integer or [height, width] scale factor; give this or `size`. */
  scale?: number | [number, number];
  /** Fixed output [height, width]; give this or `scale`. */
  size?: [number, number];
  /** Default true: PyTorch `UpsamplingBilinear2d` semantics. */
  alignCorners?: boolean;
  name?: string;
}

/** Bilinear resize of NHWC feature maps; align_corners=True by default, unlike tfjs `UpSampling2D`. */
export class BilinearResize extends tf.layers.Layer {
  static className = 'BilinearResize';
  readonly scale: [number, number] | null;
  readonly size: [number, number] | null;
  readonly alignCorners: boolean;

  constructor(args: BilinearResizeArgs) {
    super(args);
    if ((args.scale == null) === (args.size == null)) throw new LayersError(`BilinearResize: give exactly one of 'scale' and 'size'`, 'ARGUMENT');
    const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);
    this.scale = args.scale == null ? null : pair(args.scale);
    this.size = args.size == null ? null : pair(args.size);
    for (const v of [...(this.scale ?? []), ...(this.size ?? [])]) {
      if (!(v > 0) || !Number.isFinite(v)) throw new LayersError(`BilinearResize: scale and size must be positive, got ${JSON.stringify(args.scale ?? args.size)}`, 'ARGUMENT');
    }
    this.alignCorners = args.alignCorners ?? true;
  }

  private outputSize(height: number | null, width: number | null): [number | null, number | null] {
    if (this.size) return this.size;
    const [sy, sx] = this.scale!;
    return [height == null ? null : Math.floor(height * sy), width == null ? null : Math.floor(width * sx)];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w, c] = imageShape(inputShape);
    const [oh, ow] = this.outputSize(h, w);
    return [b, oh, ow, c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs) as tf.Tensor4D;
    const [oh, ow] = this.outputSize(x.shape[1], x.shape[2]) as [number, number];
    return this.alignCorners ? resizeBilinearAlignCorners(x, [oh, ow]) : tf.image.resizeBilinear(x, [oh, ow], false);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale, size: this.size, alignCorners: this.alignCorners };
  }

  static toOnnx(c: LayerConversion): string {
    const alignCorners = c.config.alignCorners !== false;
    if (c.config.size) return resizeToSize(c.graph, oneInput(c), c.layer.name, c.config.size as [number, number], alignCorners);
    const scale = c.config.scale as [number, number] | null;
    if (!scale) refuse(c, 'neither scale nor size is set');
    return resizeByScale(c.graph, oneInput(c), c.layer.name, scale, alignCorners);
  }
}

/**
 * SINet's information-blocking gate: from class logits, 1 - max softmax confidence per pixel.
 * High where the low-resolution prediction is unsure, so only there does the decoder let
 * high-resolution detail through.
 */
export class InformationBlockingGate extends tf.layers.Layer {
  static className = 'InformationBlockingGate';

  constructor(args: { name?: string } = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape);
    return [...shape.slice(0, -1), 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return informationBlockingGate(singleInput(inputs) as tf.Tensor4D);
  }

  /** 1 - max softmax over the class axis (axis 1 in NCHW), one channel. */
  static toOnnx(c: LayerConversion): string {
    const g = c.graph;
    const softmax = g.node('Softmax', [oneInput(c)], { axis: int(1) }, `${c.layer.name}.softmax`);
    const confidence = g.node('ReduceMax', [softmax], { axes: ints([1]), keepdims: int(1) }, `${c.layer.name}.confidence`);
    const one = g.constant(`${c.layer.name}.one`, { values: Float32Array.of(1), shape: [] });
    return g.node('Sub', [one, confidence], {}, c.layer.name);
  }
}

for (const cls of [ChannelShuffle, BilinearResize, InformationBlockingGate]) tf.serialization.registerClass(cls);
