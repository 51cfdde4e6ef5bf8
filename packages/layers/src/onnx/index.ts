/**
 * @sinet/layers/onnx: what the ONNX exporter of @sinet/model builds with. Each layer class of
 * this package owns its conversion (static `toOnnx`, beside its forward pass); tfjs-layers' own
 * classes have theirs in TFJS_LAYER_CONVERTERS. A layer of your own exports once its class has
 * a static `toOnnx(c: LayerConversion): string` built with the GraphBuilder helpers below.
 */
import type * as tf from '../tfjs.js';
import { SINET_LAYER_CLASSES } from '../index.js';
import type { LayerConverter } from './converter.js';
import { TFJS_LAYER_CONVERTERS } from './tfjs-layers.js';

export { conversion, epsilonOf, oneInput, refuse, type LayerConversion, type LayerConverter } from './converter.js';
export * from './graph.js';
/** decodeOnnxModel reads back what encodeOnnxModel writes (the subset of ONNX an inference graph needs): to inspect an export, not a general ONNX reader. */
export { decodeOnnxModel, encodeOnnxModel, ONNX_IR_VERSION, ONNX_OPSET, OnnxFormatError, TENSOR_TYPE, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './proto.js';
export { TFJS_LAYER_CONVERTERS } from './tfjs-layers.js';

/** The conversion of a layer: its class's static toOnnx (inherited ones count), else tfjs-layers' by class name. */
export function onnxConverterOf(layer: tf.layers.Layer): LayerConverter | null {
  const own = (layer.constructor as { toOnnx?: LayerConverter }).toOnnx;
  return typeof own === 'function' ? own : (TFJS_LAYER_CONVERTERS[layer.getClassName()] ?? null);
}

/** Every class name that exports, this package's and tfjs-layers', with its conversion. */
export const ONNX_LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  ...TFJS_LAYER_CONVERTERS,
  ...Object.fromEntries(SINET_LAYER_CLASSES.map((cls) => [cls.className, cls.toOnnx])),
};
