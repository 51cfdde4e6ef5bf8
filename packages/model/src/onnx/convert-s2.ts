/**
 * S2 blocks and modules. The channel shuffle after the grouped reduction folds into the branches:
 * their depthwise weights, BatchNorm, PReLU and pointwise rows are reordered to read the unshuffled
 * channels, so the reduction stays a grouped Conv. The BatchNorm after each branch's upsampling
 * folds into its pointwise conv (bilinear weights sum to 1, so a per-channel affine map commutes
 * with the resize).
 */
import { ops, toS2BlockConfig, type S2BlockConfig, type S2BlockSpec } from '@sinet/layers';
import { batchNormNode, batchNormStats, conv, convKernel, foldBatchNorm, gatherAxis, ints, prelu, resizeByScale, weight, type BatchNormStats, type HostTensor } from './graph.js';
import { epsilonOf, oneInput, type LayerConversion, type LayerConverter } from './converter.js';

const gatherStats = (bn: BatchNormStats, order: number[] | null): BatchNormStats =>
  order
    ? { ...bn, gamma: bn.gamma && gatherAxis(bn.gamma, order, 0), beta: bn.beta && gatherAxis(bn.beta, order, 0), mean: gatherAxis(bn.mean, order, 0), variance: gatherAxis(bn.variance, order, 0) }
    : bn;

/** One branch; `order[i]` = the branch's own channel index for input channel i (null: as saved). */
function s2Branch(c: LayerConversion, x: string, prefix: string, config: S2BlockConfig, order: number[] | null): string {
  const { graph: g, layer, weights } = c;
  const p = prefix ? `${prefix}_` : '';
  const name = `${layer.name}${prefix ? `.${prefix}` : ''}`;
  const reorder = (t: HostTensor, axis: number) => (order ? gatherAxis(t, order, axis) : t);
  const eps = epsilonOf(c);
  let y = x;
  const pooled = config.poolSize > 1;
  if (pooled) y = g.node('AveragePool', [y], { kernel_shape: ints([config.poolSize, config.poolSize]), strides: ints([config.poolSize, config.poolSize]) }, `${name}.pool`);
  const depthwise = foldBatchNorm(convKernel(reorder(weight(layer, weights, `${p}depthwise_kernel`), 2), true), null, gatherStats(batchNormStats(layer, weights, `${p}depthwise_bn`, eps), order));
  y = conv(g, y, `${name}.depthwise`, { ...depthwise, pad: ops.torchSamePadding(config.kernelSize), group: depthwise.kernel.shape[0] });
  y = prelu(g, y, `${name}.prelu`, reorder(weight(layer, weights, `${p}prelu_alpha`), 0));
  const pointwise = foldBatchNorm(convKernel(reorder(weight(layer, weights, `${p}pointwise_kernel`), 2)), null, batchNormStats(layer, weights, `${p}bn`, eps));
  y = conv(g, y, `${name}.pointwise`, pointwise);
  return pooled ? resizeByScale(g, y, `${name}.up`, [config.poolSize, config.poolSize], true) : y;
}

const s2Block: LayerConverter = (c) => s2Branch(c, oneInput(c), '', toS2BlockConfig(c.config as unknown as S2BlockConfig), null);

const s2Module: LayerConverter = (c) => {
  const { graph: g, layer, weights, config } = c;
  const blocks = (config.blocks as S2BlockSpec[]).map((b) => toS2BlockConfig(b));
  const groups = blocks.length;
  const x = oneInput(c);
  const reduceKernel = convKernel(weight(layer, weights, 'reduce_kernel'));
  const width = reduceKernel.shape[0];
  const reduced = conv(g, x, `${layer.name}.reduce`, { kernel: reduceKernel, group: groups });
  // Shuffled channel j reads reduced channel perm[j]; a branch reading the unshuffled tensor needs its parameters at inverse[i].
  const perm = ops.channelShufflePermutation(width, groups);
  const inverse = new Array<number>(width);
  perm.forEach((source, j) => (inverse[source] = j));
  const outputs = blocks.map((b, i) => s2Branch(c, reduced, `d${i + 1}`, b, groups > 1 ? inverse : null));
  let y = outputs.length === 1 ? outputs[0] : g.node('Concat', outputs, { axis: { int: 1 } }, `${layer.name}.concat`);
  if (config.residual) y = g.node('Add', [x, y], {}, `${layer.name}.residual`);
  y = batchNormNode(g, y, `${layer.name}.bn`, batchNormStats(layer, weights, 'bn', epsilonOf(c)));
  return prelu(g, y, layer.name, weight(layer, weights, 'prelu_alpha'));
};

export const S2_CONVERTERS: Record<string, LayerConverter> = { S2Block: s2Block, S2Module: s2Module };
