/** ONNX conversions of tfjs-layers' own layers that SINet (and models built with @sinet/layers) use, NHWC to NCHW. */
import { batchNormNode, batchNormStats, convKernel, dimsOf, int, ints, string, weight, type AttributeValue } from './graph.js';
import { epsilonOf, oneInput, refuse, type LayerConversion, type LayerConverter } from './converter.js';

/** NHWC axis (negative counts from the end) to its NCHW position. */
function nchwAxis(c: LayerConversion, axis: number): number {
  const positive = axis < 0 ? 4 + axis : axis;
  const mapped = [0, 2, 3, 1][positive];
  if (mapped === undefined) refuse(c, `axis ${axis} of a rank-4 tensor`);
  return mapped;
}

const ACTIVATIONS: Record<string, (c: LayerConversion, x: string) => string> = {
  linear: (_c, x) => x,
  relu: (c, x) => c.graph.node('Relu', [x], {}, `${c.layer.name}.relu`),
  sigmoid: (c, x) => c.graph.node('Sigmoid', [x], {}, `${c.layer.name}.sigmoid`),
  tanh: (c, x) => c.graph.node('Tanh', [x], {}, `${c.layer.name}.tanh`),
  softmax: (c, x) => c.graph.node('Softmax', [x], { axis: int(1) }, `${c.layer.name}.softmax`),
};

function activation(c: LayerConversion, x: string, name: unknown): string {
  const apply = ACTIVATIONS[String(name ?? 'linear')];
  if (!apply) refuse(c, `activation '${String(name)}' (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  return apply(c, x);
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

const conv2d: LayerConverter = (c) => {
  const { layer, weights, config } = c;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') refuse(c, `dataFormat ${String(config.dataFormat)}`);
  const kernel = convKernel(weight(layer, weights, 'kernel'));
  const [, , kh, kw] = dimsOf(kernel, 4, `${layer.name}.weight`);
  const strides = pair(config.strides ?? 1);
  const dilations = pair(config.dilationRate ?? 1);
  const inputs = [oneInput(c), c.graph.constant(`${layer.name}.weight`, kernel)];
  if (config.useBias) inputs.push(c.graph.constant(`${layer.name}.bias`, weight(layer, weights, 'bias')));
  const attributes: Record<string, AttributeValue> = { kernel_shape: ints([kh, kw]), strides: ints(strides), dilations: ints(dilations), group: int(1) };
  if (config.padding === 'same') {
    const total = [dilations[0] * (kh - 1), dilations[1] * (kw - 1)];
    // Stride 1 with even totals pads symmetrically; otherwise TF puts the extra row and column at the end.
    if (strides[0] === 1 && strides[1] === 1 && total.every((t) => t % 2 === 0)) attributes.pads = ints([total[0]! / 2, total[1]! / 2, total[0]! / 2, total[1]! / 2]);
    else attributes.auto_pad = string('SAME_UPPER');
  } else if (config.padding === 'valid') attributes.pads = ints([0, 0, 0, 0]);
  else refuse(c, `padding '${String(config.padding)}'`);
  const y = c.graph.node('Conv', inputs, attributes, `${layer.name}.conv`);
  return activation(c, y, config.activation);
};

const batchNormalization: LayerConverter = (c) => {
  const axis = (c.config.axis as number | number[] | undefined) ?? -1;
  if (Array.isArray(axis) ? axis.length !== 1 || nchwAxis(c, axis[0]!) !== 1 : nchwAxis(c, axis) !== 1) refuse(c, `BatchNorm over axis ${JSON.stringify(axis)} (only the channel axis exports)`);
  return batchNormNode(c.graph, oneInput(c), c.layer.name, batchNormStats(c.layer, c.weights, '', epsilonOf(c)));
};

const concatenate: LayerConverter = (c) => c.graph.node('Concat', c.inputs, { axis: int(nchwAxis(c, (c.config.axis as number | undefined) ?? -1)) }, c.layer.name);

const add: LayerConverter = (c) => c.graph.node(c.inputs.length === 2 ? 'Add' : 'Sum', c.inputs, {}, c.layer.name);

const multiply: LayerConverter = (c) => c.inputs.slice(1).reduce((product, x, i) => c.graph.node('Mul', [product, x], {}, i === c.inputs.length - 2 ? c.layer.name : `${c.layer.name}.${i}`), c.inputs[0]!);

const activationLayer: LayerConverter = (c) => {
  const y = activation(c, oneInput(c), c.config.activation);
  return y === c.inputs[0] ? c.graph.node('Identity', [y], {}, c.layer.name) : y;
};

/** By tfjs class name: these classes are tfjs-layers', so their conversions live here rather than on the class. */
export const TFJS_LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: conv2d,
  BatchNormalization: batchNormalization,
  Concatenate: concatenate,
  Add: add,
  Multiply: multiply,
  Activation: activationLayer,
};
