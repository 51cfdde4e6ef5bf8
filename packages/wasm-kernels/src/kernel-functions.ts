/**
 * `@sinet/wasm-kernels/kernels`: the kernel functions themselves, for tests and other registries.
 * Most users want the root's `registerWasmTrainingKernels()`, which registers them all.
 */
export { adamWKernel } from './adamw.js';
export { batchNormTrainingForward, batchNormTrainingGrad } from './batch-norm-training.js';
export { channelBatchNorm, channelReduction, conv2DBackpropFilter, depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput, nonOverlappingAvgPoolGrad, pointwiseConv2DBackpropInput, preluGradAlpha, preluGradInput, sharedIdentity, stridedConcat, stridedSplit, unsortedSegmentSum } from './kernels.js';
export { labelBandKernel, prepareLabelsKernel } from './labels.js';
export { weightedNllKernel } from './weighted-nll.js';
