/**
 * 'SinetWeightedNll' (logits [.., C], targets [.., C], coefficients [.., 1]) -> [value, grad]:
 * value = sum over pixels of k_p * (-sum_c t_pc log softmax_pc) and its gradient for the logits,
 * k_p (softmax_p * sum_c t_pc - t_p), in one pass. `@sinet/losses`' weightedNll (cross-entropy
 * and SINet's band term) runs it wherever it is registered.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { simdOn } from './simd.js';
import { WEIGHTED_NLL } from './contracts.js';
import { WasmKernelsError } from './errors.js';
import { contractKernel, floatsOf } from './heap.js';

export const weightedNllKernel = contractKernel(WEIGHTED_NLL, ({ backend: b, inputs: { logits, targets, coefficients } }) => {
  const classes = logits.shape[logits.shape.length - 1]!;
  const pixels = logits.shape.reduce((n, d) => n * d, 1) / classes;
  if (targets.shape.reduce((n, d) => n * d, 1) !== pixels * classes || coefficients.shape.reduce((n, d) => n * d, 1) !== pixels || [logits, targets, coefficients].some((t) => t.dtype !== 'float32')) {
    throw new WasmKernelsError(`${WEIGHTED_NLL.kernelName}: expects float32 logits and targets of one shape and one coefficient per pixel, got [${logits.shape}], [${targets.shape}], [${coefficients.shape}]`, 'INPUT');
  }
  const fast = simdOn(b);
  if (fast) {
    const grad = fast.output(logits.shape);
    const total = fast.k.weightedNll(fast.ptr(logits), fast.ptr(targets), fast.ptr(coefficients), fast.ptr(grad), pixels, classes);
    return { value: fast.output([], Float32Array.of(total)), gradient: grad };
  }
  const x = floatsOf(b, logits, WEIGHTED_NLL.kernelName);
  const t = floatsOf(b, targets, WEIGHTED_NLL.kernelName);
  const k = floatsOf(b, coefficients, WEIGHTED_NLL.kernelName);
  const grad = new Float32Array(x.length);
  let total = 0;
  for (let p = 0; p < pixels; p++) {
    const row = p * classes;
    let big = -Infinity;
    for (let c = 0; c < classes; c++) big = Math.max(big, x[row + c]!);
    let sum = 0;
    let st = 0;
    let dot = 0;
    for (let c = 0; c < classes; c++) {
      sum += Math.exp(x[row + c]! - big);
      st += t[row + c]!;
      dot += t[row + c]! * x[row + c]!;
    }
    const logZ = big + Math.log(sum);
    total += k[p]! * (st * logZ - dot);
    for (let c = 0; c < classes; c++) grad[row + c] = k[p]! * (Math.exp(x[row + c]! - logZ) * st - t[row + c]!);
  }
  return { value: b.makeOutput([], 'float32', undefined, Float32Array.of(total)), gradient: b.makeOutput(logits.shape, 'float32', undefined, grad) };
});

export const WEIGHTED_NLL_KERNELS: KernelConfig[] = [{ kernelName: WEIGHTED_NLL.kernelName, backendName: 'wasm', kernelFunc: weightedNllKernel }];
