/**
 * 'SinetAdamW' (variable, gradient, m, v; attrs learningRate, beta1, beta2, epsilon,
 * correction1, correction2, keep) -> [variable, m, v] updated: one pass over a parameter instead
 * of tfjs Adam's ~14 kernels (and a separate weight-decay multiply). `@sinet/train`'s AdamW runs it
 * wherever it is registered. The outputs are new tensors (tfjs tensors are immutable); the
 * optimizer assigns them to its variables.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { simdOn } from './simd.js';
import { ADAMW } from './contracts.js';
import { WasmKernelsError } from './errors.js';
import { contractKernel, floatsOf } from './heap.js';

export const adamWKernel = contractKernel(ADAMW, ({ backend: b, inputs: { variable, gradient, m, v }, attrs: a }) => {
  const n = variable.shape.reduce((k, d) => k * d, 1);
  if ([gradient, m, v].some((t) => t.shape.reduce((k, d) => k * d, 1) !== n) || [variable, gradient, m, v].some((t) => t.dtype !== 'float32')) {
    throw new WasmKernelsError(`${ADAMW.kernelName}: variable, gradient and moments must be float32 of one size`, 'INPUT');
  }
  const fast = simdOn(b);
  // Outputs start as copies of the inputs and are updated in place.
  const copy = (t: TensorInfo) => b.makeOutput(t.shape, 'float32', undefined, floatsOf(b, t, ADAMW.kernelName).slice());
  const outputs = { variable: copy(variable), m: copy(m), v: copy(v) };
  if (fast) {
    fast.k.adamW(fast.ptr(outputs.variable), fast.ptr(gradient), fast.ptr(outputs.m), fast.ptr(outputs.v), n, a.learningRate, a.beta1, a.beta2, a.epsilon, a.correction1, a.correction2, a.keep);
    return outputs;
  }
  const w2 = floatsOf(b, outputs.variable, ADAMW.kernelName);
  const m2 = floatsOf(b, outputs.m, ADAMW.kernelName);
  const v2 = floatsOf(b, outputs.v, ADAMW.kernelName);
  const g = floatsOf(b, gradient, ADAMW.kernelName);
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const mi = f(f(m2[i]! * a.beta1) + f(g[i]! * f(1 - a.beta1)));
    const vi = f(f(v2[i]! * a.beta2) + f(f(g[i]! * g[i]!) * f(1 - a.beta2)));
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = f(f(w2[i]! - f(a.learningRate * f(f(mi / a.correction1) / f(f(Math.sqrt(f(vi / a.correction2))) + a.epsilon)))) * a.keep);
  }
  return outputs;
});

export const ADAMW_KERNELS: KernelConfig[] = [{ kernelName: ADAMW.kernelName, backendName: 'wasm', kernelFunc: adamWKernel }];
