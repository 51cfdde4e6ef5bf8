/**
 * @sinet/wasm-kernels: the gradient kernels @tensorflow/tfjs-backend-wasm 4.22 lacks, so that
 * tfjs models (SINet among them) train on the wasm backend in Node and in browsers.
 */
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import { WASM_TRAINING_KERNELS } from './kernels.js';

export { conv2DBackpropFilter, depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput, unsortedSegmentSum, WASM_TRAINING_KERNELS } from './kernels.js';

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
  return added;
}
