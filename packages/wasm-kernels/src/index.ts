/**
 * @sinet/wasm-kernels: the gradient kernels @tensorflow/tfjs-backend-wasm 4.22 lacks, so that
 * tfjs models (SINet among them) train on the wasm backend in Node and in browsers.
 */
import { add, backend as activeBackend, getBackend, getGradient, getKernel, mul, neg, registerGradient, registerKernel, rsqrt, sub, sum, unregisterKernel, type FusedBatchNormAttrs, type GradConfig, type KernelFunc, type Tensor } from '@tensorflow/tfjs-core';
import { channelBatchNorm, channelReduction, nonOverlappingAvgPoolGrad, stridedConcat, stridedSplit, perChannelAlpha, pointwiseConv2DBackpropInput, sharedIdentity, WASM_TRAINING_KERNELS } from './kernels.js';
import { loadSimdKernels, simdActiveOn } from './simd.js';
import { BATCH_NORM_TRAINING_KERNELS } from './batch-norm-training.js';
import { ADAMW_KERNELS } from './adamw.js';
import { WEIGHTED_NLL_KERNELS } from './weighted-nll.js';
import { LABEL_KERNELS } from './labels.js';
import { PRELU_GRAD_ALPHA, PRELU_GRAD_INPUT, runKernel } from './contracts.js';
import { attrsOf } from './heap.js';

export { loadSimdKernels, setSimdEnabled, simdActiveOn } from './simd.js';
export { WasmKernelsError, type WasmKernelsErrorCode } from './errors.js';
export { ADAMW, BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, hasKernel, KERNEL_CONTRACTS, LABEL_BAND, PREPARE_LABELS, PRELU_GRAD_ALPHA, PRELU_GRAD_INPUT, runKernel, WEIGHTED_NLL, type AdamWAttrs, type KernelAttrs, type KernelContract, type KernelInputs } from './contracts.js';

export { WASM_TRAINING_KERNELS } from './kernels.js';

/** Marks the kernels this package wrapped, so that a second call does not wrap them again. */
const WRAPPED = Symbol.for('@sinet/wasm-kernels/wrapped');

/**
 * Registers every kernel of this package that the wasm backend does not already have.
 * Safe to call more than once; returns the names it registered this time.
 */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of [...WASM_TRAINING_KERNELS, ...BATCH_NORM_TRAINING_KERNELS, ...ADAMW_KERNELS, ...WEIGHTED_NLL_KERNELS, ...LABEL_KERNELS]) {
    if (getKernel(config.kernelName, 'wasm')) continue;
    registerKernel(config);
    added.push(config.kernelName);
  }
  // Kernels tfjs-wasm has but runs slowly for training: their common cases go to the SIMD
  // module (pointwise input gradients; sums and means over all axes but the channels;
  // inference BatchNorm; Concat and SplitV as strided copies), and Identity shares its input's
  // buffer instead of copying it.
  const wrappers: [string, (own: KernelFunc) => KernelFunc][] = [
    ['Conv2DBackpropInput', pointwiseConv2DBackpropInput],
    ['Sum', (own) => channelReduction(own, false)],
    ['Mean', (own) => channelReduction(own, true)],
    ['Identity', () => sharedIdentity],
    ['FusedBatchNorm', channelBatchNorm],
    ['Concat', stridedConcat],
    ['SplitV', stridedSplit],
    ['AvgPoolGrad', nonOverlappingAvgPoolGrad],
  ];
  for (const [name, wrap] of wrappers) {
    const own = getKernel(name, 'wasm');
    if (!own || (own.kernelFunc as KernelFunc & { [WRAPPED]?: true })[WRAPPED]) continue;
    unregisterKernel(name, 'wasm');
    registerKernel({ ...own, kernelFunc: Object.assign(wrap(own.kernelFunc), { [WRAPPED]: true as const }) });
    added.push(name);
  }
  // PReLU's gradient: on wasm with SIMD and a per-channel alpha, one pass each for dx and dAlpha.
  const prelu = getGradient('Prelu');
  if (prelu && !(prelu.gradFunc as GradConfig['gradFunc'] & { [WRAPPED]?: true })[WRAPPED]) {
    registerGradient({ ...prelu, gradFunc: Object.assign(fusedPreluGradient(prelu.gradFunc), { [WRAPPED]: true as const }) });
    added.push('Prelu gradient');
  }
  // FusedBatchNorm's gradient (tfjs-layers' BatchNormalization in training): without tfjs's Tile
  // and its ten element-wise passes.
  const batchNorm = getGradient('FusedBatchNorm');
  if (batchNorm && !(batchNorm.gradFunc as GradConfig['gradFunc'] & { [WRAPPED]?: true })[WRAPPED]) {
    registerGradient({ ...batchNorm, gradFunc: Object.assign(channelsLastBatchNormGradient(batchNorm.gradFunc), { [WRAPPED]: true as const }) });
    added.push('FusedBatchNorm gradient');
  }
  // The SIMD module loads in the background; the kernels use it once it is there.
  void loadSimdKernels();
  return added;
}

function fusedPreluGradient(original: GradConfig['gradFunc']): GradConfig['gradFunc'] {
  return (dy, saved, attrs) => {
    const [x, alpha] = saved as [Tensor, Tensor];
    if (getBackend() !== 'wasm' || !simdActiveOn(activeBackend()) || Array.isArray(dy) || dy.dtype !== 'float32' || !perChannelAlpha(x, alpha)) return original(dy, saved, attrs);
    return {
      x: () => runKernel(PRELU_GRAD_INPUT, { x, dy, alpha }, {}).dx,
      alpha: () => runKernel(PRELU_GRAD_ALPHA, { x, dy, alpha }, {}).dAlpha,
    };
  };
}

/**
 * FusedBatchNorm's gradient on wasm for NHWC input with per-channel statistics, as closed forms
 * over the channel sums of dy and dy (x - mean): three element-wise passes and two channel sums
 * (SIMD) instead of tfjs's Tile of the full shape and ten passes. Same values (tested).
 */
function channelsLastBatchNormGradient(original: GradConfig['gradFunc']): GradConfig['gradFunc'] {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
    if (getBackend() !== 'wasm' || Array.isArray(dy) || x.rank !== 4 || mean.rank !== 1 || dy.dtype !== 'float32') return original(dy, saved, attrs);
    const { varianceEpsilon } = attrsOf<FusedBatchNormAttrs>(attrs);
    const axes = [0, 1, 2];
    const inverse = rsqrt(add(variance, varianceEpsilon));
    const a = scale == null ? inverse : mul(inverse, scale);
    // Shared by the closures below (each runs in its own tidy, so these are made here).
    const sumDy = sum(dy, axes);
    const sumDyXc = sum(mul(dy, sub(x, mean)), axes);
    return {
      x: () => mul(dy, a),
      mean: () => neg(mul(sumDy, a)),
      variance: () => mul(sumDyXc, mul(mul(a, mul(inverse, inverse)), -0.5)),
      scale: () => mul(sumDyXc, inverse),
      offset: () => sumDy,
    };
  };
}
