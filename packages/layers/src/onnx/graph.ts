/** Builds an ONNX graph node by node: unique names, constants as initializers, NCHW helpers SINet's layers share. */
import type * as tf from '../tfjs.js';
import { ATTRIBUTE_TYPE, TENSOR_TYPE, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './proto.js';
import { LayersError } from '../errors.js';

/** A model the exporter cannot write; the message names the layer. */
export class OnnxExportError extends LayersError {
  constructor(message: string) {
    super(message, 'ONNX_EXPORT');
  }
}

export type AttributeValue = { int: number } | { ints: number[] } | { float: number } | { floats: number[] } | { string: string };

export const int = (value: number): AttributeValue => ({ int: value });
export const ints = (value: number[]): AttributeValue => ({ ints: value });
export const float = (value: number): AttributeValue => ({ float: value });
export const string = (value: string): AttributeValue => ({ string: value });

function toAttribute(name: string, value: AttributeValue): OnnxAttribute {
  if ('int' in value) return { name, type: ATTRIBUTE_TYPE.int, i: value.int };
  if ('ints' in value) return { name, type: ATTRIBUTE_TYPE.ints, ints: value.ints };
  if ('float' in value) return { name, type: ATTRIBUTE_TYPE.float, f: value.float };
  if ('floats' in value) return { name, type: ATTRIBUTE_TYPE.floats, floats: value.floats };
  return { name, type: ATTRIBUTE_TYPE.string, s: new TextEncoder().encode(value.string) };
}

/** A float tensor in plain memory: what the exporter folds and writes. */
export interface HostTensor {
  values: Float32Array;
  shape: number[];
}

/** A weight's dims where the converter knows its rank; another rank is refused by name. */
export function dimsOf<const Rank extends 1 | 2 | 4>(t: HostTensor, rank: Rank, what: string): Rank extends 4 ? [number, number, number, number] : Rank extends 2 ? [number, number] : [number] {
  if (t.shape.length !== rank) throw new OnnxExportError(`${what}: expected a rank-${rank} weight, got shape [${t.shape}]`);
  return t.shape as never;
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names = new Set<string>();

  /** `base`, or `base_2`, `base_3`... : every value and node name in the graph is unique. */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'value';
    let name = clean;
    for (let i = 2; this.names.has(name); i++) name = `${clean}_${i}`;
    this.names.add(name);
    return name;
  }

  /** A float32 initializer. */
  constant(base: string, tensor: HostTensor): string {
    const name = this.uniqueName(base);
    const values = Float32Array.from(tensor.values);
    this.initializers.push({ name, dims: tensor.shape, dataType: TENSOR_TYPE.float, rawData: littleEndianBytes(values) });
    return name;
  }

  /** An int64 initializer (shapes, axes). */
  int64Constant(base: string, values: number[]): string {
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims: [values.length], dataType: TENSOR_TYPE.int64, rawData: littleEndianBytes(BigInt64Array.from(values.map((v) => BigInt(v)))) });
    return name;
  }

  /** Takes a name before the graph is built (graph inputs and outputs keep theirs). */
  reserve(name: string): string {
    if (this.names.has(name)) throw new OnnxExportError(`the ONNX name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }

  /** Adds a node with one output and returns the output's name. `inputs` may hold '' for an omitted optional input. */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, base: string = opType): string {
    return this.nodeTo(this.uniqueName(base), opType, inputs, attributes);
  }

  /** Like `node`, writing to a name taken with `reserve`. */
  nodeTo(output: string, opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    this.nodes.push({
      opType,
      name: this.uniqueName(`${output}:${opType}`),
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([name, value]) => toAttribute(name, value)),
    });
    return output;
  }
}

function littleEndianBytes(values: Float32Array | BigInt64Array): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * values.BYTES_PER_ELEMENT));
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else values.forEach((v, i) => view.setBigInt64(8 * i, v, true));
  return new Uint8Array(view.buffer);
}

/** A layer's weights by their own names (`kernel`, `bn_gamma`, `d1_pointwise_kernel`...), read to host memory. */
export function layerWeights(layer: tf.layers.Layer): Map<string, HostTensor> {
  const weights = new Map<string, HostTensor>();
  for (const w of layer.weights) {
    const name = w.originalName.split('/').pop()!;
    weights.set(name, { values: w.read().dataSync() as Float32Array, shape: [...(w.shape as number[])] });
  }
  return weights;
}

export function weight(layer: tf.layers.Layer, weights: Map<string, HostTensor>, name: string): HostTensor {
  const w = weights.get(name);
  if (!w) throw new OnnxExportError(`layer '${layer.name}' (${layer.getClassName()}) has no weight '${name}'`);
  return w;
}

/** tfjs convolution kernel [kh, kw, in, out] (depthwise: [kh, kw, channels, 1]) to ONNX's [out, in, kh, kw] (depthwise: [channels, 1, kh, kw]). */
export function convKernel(kernel: HostTensor, depthwise = false): HostTensor {
  const [kh, kw, inC, outC] = dimsOf(kernel, 4, 'convolution kernel');
  const out = depthwise ? inC * outC : outC;
  const inn = depthwise ? 1 : inC;
  const values = new Float32Array(kernel.values.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < outC; o++) {
          const source = ((y * kw + x) * inC + i) * outC + o;
          const [to, ti] = depthwise ? [i * outC + o, 0] : [o, i];
          values[((to * inn + ti) * kh + y) * kw + x] = kernel.values[source]!;
        }
      }
    }
  }
  return { values, shape: [out, inn, kh, kw] };
}

/** Dense kernel [in, out] as a 1x1 convolution kernel [out, in, 1, 1]. */
export function denseAsConvKernel(kernel: HostTensor): HostTensor {
  const [inC, outC] = dimsOf(kernel, 2, 'dense kernel');
  return convKernel({ values: kernel.values, shape: [1, 1, inC, outC] });
}

export interface BatchNormStats {
  gamma: HostTensor | null;
  beta: HostTensor | null;
  mean: HostTensor;
  variance: HostTensor;
  epsilon: number;
}

/** `prefix` '' reads gamma, beta, moving_mean, moving_variance; 'bn' reads bn_gamma, ... */
export function batchNormStats(layer: tf.layers.Layer, weights: Map<string, HostTensor>, prefix: string, epsilon: number): BatchNormStats {
  const p = prefix ? `${prefix}_` : '';
  return {
    gamma: weights.get(`${p}gamma`) ?? null,
    beta: weights.get(`${p}beta`) ?? null,
    mean: weight(layer, weights, `${p}moving_mean`),
    variance: weight(layer, weights, `${p}moving_variance`),
    epsilon,
  };
}

/** Per-channel scale and shift of inference BatchNorm: y = x * scale + shift (in float64 until stored). */
export function batchNormAffine(bn: BatchNormStats): { scale: Float64Array; shift: Float64Array } {
  const n = bn.mean.values.length;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    scale[c] = (bn.gamma?.values[c] ?? 1) / Math.sqrt(bn.variance.values[c]! + bn.epsilon);
    shift[c] = (bn.beta?.values[c] ?? 0) - bn.mean.values[c]! * scale[c]!;
  }
  return { scale, shift };
}

/** Folds a following BatchNorm into an ONNX kernel [out, ...] and optional bias: W' = W * s, b' = b * s + t. */
export function foldBatchNorm(kernel: HostTensor, bias: HostTensor | null, bn: BatchNormStats): { kernel: HostTensor; bias: HostTensor } {
  const { scale, shift } = batchNormAffine(bn);
  const out = kernel.shape[0];
  if (scale.length !== out) throw new OnnxExportError(`BatchNorm of ${scale.length} channels after a convolution of ${out} filters`);
  const per = kernel.values.length / out;
  const values = new Float32Array(kernel.values.length);
  for (let o = 0; o < out; o++) for (let j = 0; j < per; j++) values[o * per + j] = kernel.values[o * per + j]! * scale[o]!;
  const b = Float32Array.from({ length: out }, (_, o) => (bias?.values[o] ?? 0) * scale[o]! + shift[o]!);
  return { kernel: { values, shape: kernel.shape }, bias: { values: b, shape: [out] } };
}

/** Reorders the `axis` dimension of a host tensor: result[..., i, ...] = tensor[..., order[i], ...]. */
export function gatherAxis(tensor: HostTensor, order: number[], axis: number): HostTensor {
  const outer = tensor.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = tensor.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = tensor.shape[axis]!;
  const values = new Float32Array(tensor.values.length);
  for (let a = 0; a < outer; a++) for (let i = 0; i < n; i++) values.set(tensor.values.subarray((a * n + order[i]!) * inner, (a * n + order[i]! + 1) * inner), (a * n + i) * inner);
  return { values, shape: tensor.shape };
}

export interface ConvSpec {
  kernel: HostTensor;
  bias?: HostTensor | null;
  strides?: number;
  /** Symmetric zero padding per side (PyTorch's `padding`). */
  pad?: number;
  dilation?: number;
  group?: number;
  /** TF 'same' padding for strided convolutions (extra padding at the end: SAME_UPPER). */
  autoPad?: 'SAME_UPPER';
}

/** Adds a Conv node (kernel [out, in / group, kh, kw]) and returns its output. */
export function conv(g: GraphBuilder, x: string, name: string, spec: ConvSpec): string {
  const [, , kh, kw] = dimsOf(spec.kernel, 4, `${name}.weight`);
  const inputs = [x, g.constant(`${name}.weight`, spec.kernel)];
  if (spec.bias) inputs.push(g.constant(`${name}.bias`, spec.bias));
  const s = spec.strides ?? 1;
  const d = spec.dilation ?? 1;
  const attributes: Record<string, AttributeValue> = { kernel_shape: ints([kh, kw]), strides: ints([s, s]), dilations: ints([d, d]), group: int(spec.group ?? 1) };
  if (spec.autoPad) attributes.auto_pad = string(spec.autoPad);
  else attributes.pads = ints(Array(4).fill(spec.pad ?? 0));
  return g.node('Conv', inputs, attributes, name);
}

/** PReLU with a per-channel slope (broadcast over H and W of NCHW). */
export function prelu(g: GraphBuilder, x: string, name: string, alpha: HostTensor): string {
  const slope = g.constant(`${name}.slope`, { values: alpha.values, shape: [alpha.values.length, 1, 1] });
  return g.node('PRelu', [x, slope], {}, name);
}

/** Inference BatchNorm as one node (where it cannot fold into a convolution). */
export function batchNormNode(g: GraphBuilder, x: string, name: string, bn: BatchNormStats): string {
  const n = bn.mean.values.length;
  const ones = { values: new Float32Array(n).fill(1), shape: [n] };
  const zeros = { values: new Float32Array(n), shape: [n] };
  const inputs = [
    g.constant(`${name}.scale`, bn.gamma ?? ones),
    g.constant(`${name}.bias`, bn.beta ?? zeros),
    g.constant(`${name}.mean`, bn.mean),
    g.constant(`${name}.var`, bn.variance),
  ];
  return g.node('BatchNormalization', [x, ...inputs], { epsilon: float(bn.epsilon) }, name);
}

/** Bilinear resize by integer scale factors; `alignCorners` is PyTorch's align_corners=True. */
export function resizeByScale(g: GraphBuilder, x: string, name: string, scale: [number, number], alignCorners: boolean): string {
  const scales = g.constant(`${name}.scales`, { values: Float32Array.from([1, 1, scale[0], scale[1]]), shape: [4] });
  return g.node('Resize', [x, '', scales], { mode: string('linear'), coordinate_transformation_mode: string(alignCorners ? 'align_corners' : 'asymmetric') }, name);
}

/** Bilinear resize to a fixed [height, width] (the batch and channels stay as they are). */
export function resizeToSize(g: GraphBuilder, x: string, name: string, size: [number, number], alignCorners: boolean): string {
  const shape = g.node('Shape', [x], {}, `${name}.shape`);
  const batchAndChannels = g.node('Slice', [shape, g.int64Constant(`${name}.start`, [0]), g.int64Constant(`${name}.end`, [2])], {}, `${name}.nc`);
  const sizes = g.node('Concat', [batchAndChannels, g.int64Constant(`${name}.hw`, size)], { axis: int(0) }, `${name}.sizes`);
  return g.node('Resize', [x, '', '', sizes], { mode: string('linear'), coordinate_transformation_mode: string(alignCorners ? 'align_corners' : 'asymmetric') }, name);
}
