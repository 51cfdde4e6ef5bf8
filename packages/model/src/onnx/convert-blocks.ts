/** @sinet/layers' convolution blocks: BatchNorm folds into the convolution before it, PReLU stays a node. */
import { ops } from '@sinet/layers';
import { batchNormNode, batchNormStats, conv, convKernel, denseAsConvKernel, foldBatchNorm, prelu, weight, type GraphBuilder, type HostTensor } from './graph.js';
import { epsilonOf, oneInput, type LayerConversion, type LayerConverter } from './converter.js';

/** Squeeze-excitation as SINet has it: global mean, (1x1 conv + PReLU) x 1 or 2, scale the input. */
export function squeezeExcitation(g: GraphBuilder, x: string, name: string, weights: Map<string, HostTensor>, prefix: string, layerOf: LayerConversion): string {
  let h = g.node('GlobalAveragePool', [x], {}, `${name}.se.pool`);
  for (const i of [1, 2]) {
    const kernel = weights.get(`${prefix}_dense${i}_kernel`);
    if (!kernel) break;
    const bias = weight(layerOf.layer, weights, `${prefix}_dense${i}_bias`);
    h = conv(g, h, `${name}.se.fc${i}`, { kernel: denseAsConvKernel(kernel), bias });
    h = prelu(g, h, `${name}.se.prelu${i}`, weight(layerOf.layer, weights, `${prefix}_prelu${i}_alpha`));
  }
  return g.node('Mul', [x, h], {}, `${name}.se`);
}

const convBNPReLU: LayerConverter = (c) => {
  const { graph: g, layer, weights, config } = c;
  const k = config.kernelSize as number;
  const folded = foldBatchNorm(convKernel(weight(layer, weights, 'kernel')), null, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
  const y = conv(g, oneInput(c), `${layer.name}.conv`, { ...folded, strides: config.strides as number, pad: ops.torchSamePadding(k) });
  return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
};

const bnPReLU: LayerConverter = (c) => {
  const { graph: g, layer, weights } = c;
  const y = batchNormNode(g, oneInput(c), `${layer.name}.bn`, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
  return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
};

/** Depthwise conv [+ squeeze-excitation], pointwise conv with BatchNorm folded in, PReLU. */
const separableConvBNPReLU: LayerConverter = (c) => {
  const { graph: g, layer, weights, config } = c;
  const k = config.kernelSize as number;
  const depthwise = convKernel(weight(layer, weights, 'depthwise_kernel'), true);
  let y = conv(g, oneInput(c), `${layer.name}.depthwise`, { kernel: depthwise, strides: config.strides as number, pad: ops.torchSamePadding(k), group: depthwise.shape[0] });
  if (weights.has('se_dense1_kernel')) y = squeezeExcitation(g, y, layer.name, weights, 'se', c);
  const folded = foldBatchNorm(convKernel(weight(layer, weights, 'pointwise_kernel')), null, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
  y = conv(g, y, `${layer.name}.pointwise`, folded);
  return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
};

const squeezeExcitationLayer: LayerConverter = (c) => squeezeExcitation(c.graph, oneInput(c), c.layer.name, c.weights, 'se', c);

const groupedPointwiseConv: LayerConverter = (c) => {
  const { graph: g, layer, weights, config } = c;
  return conv(g, oneInput(c), layer.name, { kernel: convKernel(weight(layer, weights, 'kernel')), bias: weights.get('bias') ?? null, group: config.groups as number });
};

export const BLOCK_CONVERTERS: Record<string, LayerConverter> = {
  ConvBNPReLU: convBNPReLU,
  BNPReLU: bnPReLU,
  SeparableConvBNPReLU: separableConvBNPReLU,
  SESeparableConvBNPReLU: separableConvBNPReLU,
  SqueezeExcitation: squeezeExcitationLayer,
  GroupedPointwiseConv2D: groupedPointwiseConv,
};
