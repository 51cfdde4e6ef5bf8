/**
 * Training-mode BatchNorm over every axis but the channels (last), as two kernels that
 * `@sinet/layers`' `batchNormTraining` runs wherever they are registered:
 *
 * - 'SinetBatchNormTraining' (x, scale, offset; epsilon) -> [y, mean, variance]: two passes for
 *   the statistics and one for y, instead of tfjs's ~8 element-wise passes.
 * - 'SinetBatchNormTrainingGrad' (dy, x, mean, variance, scale; epsilon) -> [dx, dScale, dOffset]:
 *   the closed-form gradient, one pass for both channel sums and one for dx.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { simdOn, type HeapSimd } from './simd.js';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, type KernelOutputs } from './contracts.js';
import { contractKernel, floatsOf, type WasmHeapBackend } from './heap.js';
import { WasmKernelsError } from './errors.js';

const sizeOf = (shape: number[]) => shape.reduce((n, d) => n * d, 1);

function checkChannels(x: TensorInfo, perChannel: TensorInfo[], kernel: string): number {
  const channels = x.shape.at(-1) ?? 1;
  if (x.dtype !== 'float32' || perChannel.some((t) => sizeOf(t.shape) !== channels)) {
    throw new WasmKernelsError(`${kernel}: expects float32 x with one scale/offset/statistic per channel (${channels}), got ${perChannel.map((t) => `[${t.shape}]`).join(', ')}`, 'INPUT');
  }
  return channels;
}

/** Per channel: a = scale / sqrt(variance + eps), with the values read once from the heap. */
function inverseSigma(variance: Float32Array, epsilon: number): Float32Array {
  return variance.map((v) => 1 / Math.sqrt(v + epsilon));
}

function forwardSimd(fast: HeapSimd, b: WasmHeapBackend, x: TensorInfo, scale: TensorInfo, offset: TensorInfo, epsilon: number, rows: number, channels: number): KernelOutputs<typeof BATCH_NORM_TRAINING> {
  const mean = fast.output([channels]);
  const variance = fast.output([channels]);
  const scratch = fast.output([channels]);
  fast.k.channelMoments(fast.ptr(x), fast.ptr(mean), fast.ptr(variance), fast.ptr(scratch), rows, channels);
  fast.free(scratch);
  const m = floatsOf(b, mean, BATCH_NORM_TRAINING.kernelName);
  const inv = inverseSigma(floatsOf(b, variance, BATCH_NORM_TRAINING.kernelName), epsilon);
  const g = floatsOf(b, scale, BATCH_NORM_TRAINING.kernelName);
  const o = floatsOf(b, offset, BATCH_NORM_TRAINING.kernelName);
  const a = inv.map((s, c) => s * g[c]!);
  const shift = a.map((s, c) => o[c]! - m[c]! * s);
  const aHeap = fast.output([channels], a);
  const shiftHeap = fast.output([channels], shift);
  const y = fast.output(x.shape);
  fast.k.channelAffine(fast.ptr(x), fast.ptr(aHeap), fast.ptr(shiftHeap), fast.ptr(y), rows, channels);
  fast.free(aHeap);
  fast.free(shiftHeap);
  return { y, mean, variance };
}

function forwardLoops(b: WasmHeapBackend, x: TensorInfo, scale: TensorInfo, offset: TensorInfo, epsilon: number, rows: number, channels: number): KernelOutputs<typeof BATCH_NORM_TRAINING> {
  const xv = floatsOf(b, x, BATCH_NORM_TRAINING.kernelName);
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  for (let i = 0; i < xv.length; i++) mean[i % channels]! += xv[i]!;
  for (let c = 0; c < channels; c++) mean[c]! /= rows;
  for (let i = 0; i < xv.length; i++) {
    const d = xv[i]! - mean[i % channels]!;
    variance[i % channels]! += d * d;
  }
  for (let c = 0; c < channels; c++) variance[c]! /= rows;
  const inv = inverseSigma(variance, epsilon);
  const g = floatsOf(b, scale, BATCH_NORM_TRAINING.kernelName);
  const o = floatsOf(b, offset, BATCH_NORM_TRAINING.kernelName);
  const y = new Float32Array(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const c = i % channels;
    y[i] = (xv[i]! - mean[c]!) * inv[c]! * g[c]! + o[c]!;
  }
  return { y: b.makeOutput(x.shape, 'float32', undefined, y), mean: b.makeOutput([channels], 'float32', undefined, mean), variance: b.makeOutput([channels], 'float32', undefined, variance) };
}

export const batchNormTrainingForward = contractKernel(BATCH_NORM_TRAINING, ({ backend: b, inputs: { x, scale, offset }, attrs: { epsilon } }) => {
  const channels = checkChannels(x, [scale, offset], BATCH_NORM_TRAINING.kernelName);
  const rows = sizeOf(x.shape) / channels;
  const fast = simdOn(b);
  return fast ? forwardSimd(fast, b, x, scale, offset, epsilon, rows, channels) : forwardLoops(b, x, scale, offset, epsilon, rows, channels);
});

/**
 * With xhat = (x - mean) inv: dScale = sum dy xhat, dOffset = sum dy, and
 * dx = scale inv (dy - dOffset / n - xhat dScale / n) = a dy + b (x - mean) + d per channel.
 */
function gradientCoefficients(sumDy: Float32Array, sumDyXc: Float32Array, inv: Float32Array, g: Float32Array, rows: number) {
  const channels = inv.length;
  const a = new Float32Array(channels);
  const bc = new Float32Array(channels);
  const d = new Float32Array(channels);
  const dScale = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    dScale[c] = sumDyXc[c]! * inv[c]!;
    a[c] = g[c]! * inv[c]!;
    bc[c] = (-a[c]! * inv[c]! * dScale[c]!) / rows;
    d[c] = (-a[c]! * sumDy[c]!) / rows;
  }
  return { a, b: bc, d, dScale };
}

export const batchNormTrainingGrad = contractKernel(BATCH_NORM_TRAINING_GRAD, ({ backend: b, inputs: { dy, x, mean, variance, scale }, attrs: { epsilon } }) => {
  const channels = checkChannels(x, [mean, variance, scale], BATCH_NORM_TRAINING_GRAD.kernelName);
  const rows = sizeOf(x.shape) / channels;
  const inv = inverseSigma(floatsOf(b, variance, BATCH_NORM_TRAINING_GRAD.kernelName), epsilon);
  // A copy: allocations below can grow (and detach) the heap under a view.
  const g = floatsOf(b, scale, BATCH_NORM_TRAINING_GRAD.kernelName).slice();
  const fast = simdOn(b);
  if (fast) {
    const sums = fast.output([2 * channels]);
    const scratch = fast.output([2 * channels]);
    const p = fast.ptr(sums);
    fast.k.batchNormGradSums(fast.ptr(x), fast.ptr(dy), fast.ptr(mean), p, p + 4 * channels, fast.ptr(scratch), rows, channels);
    fast.free(scratch);
    const both = floatsOf(b, sums, BATCH_NORM_TRAINING_GRAD.kernelName);
    const sumDy = both.slice(0, channels);
    const k = gradientCoefficients(sumDy, both.subarray(channels), inv, g, rows);
    fast.free(sums);
    const [aHeap, bHeap, dHeap] = [fast.output([channels], k.a), fast.output([channels], k.b), fast.output([channels], k.d)];
    const dx = fast.output(x.shape);
    fast.k.batchNormGradInput(fast.ptr(x), fast.ptr(dy), fast.ptr(mean), fast.ptr(aHeap), fast.ptr(bHeap), fast.ptr(dHeap), fast.ptr(dx), rows, channels);
    [aHeap, bHeap, dHeap].forEach((t) => fast.free(t));
    return { dx, dScale: fast.output(scale.shape, k.dScale), dOffset: fast.output(scale.shape, sumDy) };
  }
  const xv = floatsOf(b, x, BATCH_NORM_TRAINING_GRAD.kernelName);
  const dyv = floatsOf(b, dy, BATCH_NORM_TRAINING_GRAD.kernelName);
  const m = floatsOf(b, mean, BATCH_NORM_TRAINING_GRAD.kernelName);
  const sumDy = new Float32Array(channels);
  const sumDyXc = new Float32Array(channels);
  for (let i = 0; i < xv.length; i++) {
    const c = i % channels;
    sumDy[c]! += dyv[i]!;
    sumDyXc[c]! += dyv[i]! * (xv[i]! - m[c]!);
  }
  const k = gradientCoefficients(sumDy, sumDyXc, inv, g, rows);
  const dx = new Float32Array(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const c = i % channels;
    dx[i] = k.a[c]! * dyv[i]! + k.b[c]! * (xv[i]! - m[c]!) + k.d[c]!;
  }
  return { dx: b.makeOutput(x.shape, 'float32', undefined, dx), dScale: b.makeOutput(scale.shape, 'float32', undefined, k.dScale), dOffset: b.makeOutput(scale.shape, 'float32', undefined, sumDy) };
});

export const BATCH_NORM_TRAINING_KERNELS: KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAINING.kernelName, backendName: 'wasm', kernelFunc: batchNormTrainingForward },
  { kernelName: BATCH_NORM_TRAINING_GRAD.kernelName, backendName: 'wasm', kernelFunc: batchNormTrainingGrad },
];
