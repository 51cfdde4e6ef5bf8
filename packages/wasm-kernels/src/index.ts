/**
 * @sinet/wasm-kernels: the gradient kernels @tensorflow/tfjs-backend-wasm 4.22 lacks, so that
 * tfjs models (SINet among them) train on the wasm backend in Node and in browsers.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelFunc } from '@tensorflow/tfjs-core';
import { pointwiseConv2DBackpropInput, WASM_TRAINING_KERNELS } from './kernels.js';
import { loadSimdKernels } from './simd.js';

export { loadSimdKernels, setSimdEnabled } from './simd.js';

export { conv2DBackpropFilter, pointwiseConv2DBackpropInput, depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput, unsortedSegmentSum, WASM_TRAINING_KERNELS } from './kernels.js';

/** Marks the kernels this package wrapped, so that a second call does not wrap them again. */
const WRAPPED = Symbol.for('@sinet/wasm-kernels/wrapped');

/**
 * Registers every kernel of this package that the wasm backend does not already have.
 * Safe to call more than once; returns the names it registered this time.
 */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    if (getKernel(config.kernelName, 'wasm')) continue;
    registerKernel(config);
    added.push(config.kernelName);
  }
  // tfjs-wasm's Conv2DBackpropInput is a direct loop: pointwise cases go to the SIMD kernels.
  const own = getKernel('Conv2DBackpropInput', 'wasm');
  if (own && !(own.kernelFunc as KernelFunc & { [WRAPPED]?: true })[WRAPPED]) {
    unregisterKernel('Conv2DBackpropInput', 'wasm');
    registerKernel({ ...own, kernelFunc: Object.assign(pointwiseConv2DBackpropInput(own.kernelFunc), { [WRAPPED]: true as const }) });
    added.push('Conv2DBackpropInput');
  }
  // The SIMD module loads in the background; the kernels use it once it is there.
  void loadSimdKernels();
  return added;
}
