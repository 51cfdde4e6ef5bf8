/**
 * ONNX export of a tfjs LayersModel built from @sinet/layers and tfjs-layers' common layers: an
 * NCHW inference graph (BatchNorm folded where a convolution precedes it) with the model's
 * preprocessing and class names in metadata_props.
 */
import * as tf from '@sinet/layers/tfjs';
import { getSINetMetadata } from '../metadata.js';
import type { SINetMetadata } from '../types.js';
import { conversion, encodeOnnxModel, GraphBuilder, int, ONNX_IR_VERSION, ONNX_LAYER_CONVERTERS, ONNX_OPSET, OnnxExportError, onnxConverterOf, TENSOR_TYPE, type OnnxValueInfo } from '@sinet/layers/onnx';

export interface OnnxExportOptions {
  /** End with a softmax over the classes: output 'probabilities' instead of 'logits'. Default false. */
  softmax?: boolean;
  /**
   * Height and width fixed to the model's input size. Default false: they are the symbolic
   * dimensions 'height' and 'width', and any multiple of 32 runs (SINet's pooling needs that).
   */
  fixedSize?: boolean;
}

/** The exported file and what a runtime needs to feed and read it. */
export interface OnnxExport {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** metadata_props as written. */
  metadata: Record<string, string>;
}

export const ONNX_INPUT_NAME = 'image';

/** One entry per SINet metadata field, JSON where it is structured. */
function metadataProps(meta: SINetMetadata | null, output: string): Record<string, string> {
  const props: Record<string, string> = { 'sinet.input_layout': 'NCHW', 'sinet.output': output };
  if (!meta) return props;
  props['sinet.preprocessing'] = JSON.stringify(meta.preprocessing);
  props['sinet.class_names'] = JSON.stringify(meta.classNames);
  props['sinet.person_class'] = String(meta.personClass);
  props['sinet.config'] = JSON.stringify(meta.config);
  if (meta.source) props['sinet.source'] = meta.source;
  if (meta.license) props['sinet.license'] = JSON.stringify(meta.license);
  return props;
}

function docString(meta: SINetMetadata | null, output: string): string {
  const head = `SINet portrait segmentation (Park et al., WACV 2020), exported from TensorFlow.js by @sinet/model.`;
  if (!meta) return head;
  const p = meta.preprocessing;
  return [
    head,
    `Input '${ONNX_INPUT_NAME}': float32 [batch, 3, height, width], ${p.channelOrder} channels, x = (pixel - mean) / std * scale with mean ${JSON.stringify(p.mean)}, std ${JSON.stringify(p.std)}, scale ${p.scale}; the image resized bilinearly to the model's size (${meta.config.inputSize.join(' x ')}, or any multiple of 32).`,
    `Output '${output}': float32 [batch, ${meta.config.classes}, height, width], classes ${JSON.stringify(meta.classNames)}${output === 'logits' ? ' (before softmax)' : ''}.`,
    meta.license ? `Weights: ${meta.license.name}, ${meta.license.holder}.` : '',
  ].filter(Boolean).join('\n');
}

/**
 * Writes `model` as an ONNX model (opset 17, IR version 8): input 'image' NCHW with a dynamic
 * batch, output 'logits' (or 'probabilities' with `softmax`). Throws OnnxExportError naming the
 * first layer it cannot write.
 */
export function exportOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxExport {
  if (model.inputs.length !== 1) throw new OnnxExportError(`ONNX export takes a model with one input, this one has ${model.inputs.length}`);
  if (model.outputs.length !== 1) throw new OnnxExportError(`ONNX export takes a model with one output, this one has ${model.outputs.length}`);
  let meta: SINetMetadata | null = null;
  try {
    meta = getSINetMetadata(model);
  } catch {
    // A model without SINet metadata still exports; the file then says nothing about preprocessing.
  }
  const g = new GraphBuilder();
  const outputName = g.reserve(options.softmax ? 'probabilities' : 'logits');
  const inputName = g.reserve(ONNX_INPUT_NAME);
  const input = model.inputs[0]!;
  if (input.shape.length !== 4 || input.shape[3] == null) throw new OnnxExportError(`ONNX export takes an NHWC image input with known channels, got [${input.shape.join(', ')}]`);
  const [, height, width, channels] = input.shape as [null, number | null, number | null, number];

  const names = new Map<number, string>([[input.id, inputName]]);
  const visit = (t: tf.SymbolicTensor): string => {
    const known = names.get(t.id);
    if (known) return known;
    const layer = t.sourceLayer as tf.layers.Layer;
    const className = layer.getClassName();
    if (className === 'InputLayer') throw new OnnxExportError(`layer '${layer.name}' is a second input; ONNX export takes one`);
    if ((t.outputTensorIndex ?? 0) !== 0) throw new OnnxExportError(`cannot export layer '${layer.name}' (${className}) to ONNX: it has several outputs`);
    const convert = onnxConverterOf(layer);
    if (!convert) throw new OnnxExportError(`cannot export layer '${layer.name}' (${className}) to ONNX: no converter for ${className} (exportable: ${Object.keys(ONNX_LAYER_CONVERTERS).join(', ')})`);
    const inputs = t.inputs.map(visit);
    const name = convert(conversion(g, layer, inputs, t.inputs.map((i) => [...i.shape])));
    names.set(t.id, name);
    return name;
  };
  const last = visit(model.outputs[0]!);
  if (options.softmax) g.nodeTo(outputName, 'Softmax', [last], { axis: int(1) });
  else g.nodeTo(outputName, 'Identity', [last]);

  type Dim = { dimValue: number } | { dimParam: string };
  // Channels are always fixed; height and width only with fixedSize; the batch never.
  const dims = (shape: (number | null)[], symbolic: string[]): Dim[] => shape.map((d, i) => (d != null && (i === 1 || (options.fixedSize && i > 1)) ? { dimValue: d } : { dimParam: symbolic[i]! }));
  const valueInfo = (name: string, dim: Dim[]): OnnxValueInfo => ({ name, type: { tensorType: { elemType: TENSOR_TYPE.float, shape: { dim } } } });
  const [, outHeight, outWidth, classes] = model.outputs[0]!.shape as [null, number | null, number | null, number | null];
  const sameSize = outHeight === height && outWidth === width;
  const metadata = metadataProps(meta, outputName);
  const bytes = encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    producerName: '@sinet/model',
    producerVersion: '0.1',
    docString: docString(meta, outputName),
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: model.name || 'sinet',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, dims([null, channels, height, width], ['batch', 'channels', 'height', 'width']))],
      output: [valueInfo(outputName, dims([null, classes, outHeight, outWidth], ['batch', 'classes', sameSize ? 'height' : 'output_height', sameSize ? 'width' : 'output_width']))],
    },
  });
  return { bytes, inputName, outputName, metadata };
}
