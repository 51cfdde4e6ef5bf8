import * as tf from '@tensorflow/tfjs';
import { checkGradient, randomArray, useBackend } from '@sinet/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { hasKernel, KERNEL_CONTRACTS, LABEL_BAND, loadSimdKernels, registerWasmTrainingKernels, runKernel, setSimdEnabled, simdActiveOn, WasmKernelsError } from './index.js';
import { stridedConcat, stridedSplit } from './kernel-functions.js';

beforeAll(async () => {
  await useBackend('wasm');
  registerWasmTrainingKernels();
  // Node 20 has WebAssembly SIMD: the compiled kernels must load here.
  expect(await loadSimdKernels()).toBe(true);
});
afterAll(async () => {
  await useBackend('cpu');
});

/** Runs fn on a backend with fresh tensors from the same values; returns the outputs' values. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend);
  return tf.tidy(() => fn().map((t) => t.dataSync() as Float32Array));
}

function expectSame(cpu: Float32Array[], wasm: Float32Array[]): void {
  cpu.forEach((expected, i) => {
    const scale = Math.max(1, ...Array.from(expected, Math.abs));
    let worst = 0;
    for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(expected[j]! - wasm[i]![j]!));
    expect(worst / scale, `output ${i}`).toBeLessThan(2e-6);
  });
}

type Conv = { batch: number; h: number; w: number; cin: number; cout: number; k: number; stride: number; pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]] };
type Depthwise = { batch: number; h: number; w: number; cin: number; mult: number; k: number; stride: number; dilation: number; pad: 'same' | 'valid' | number };

// Each kernel on both of its paths: the SIMD module and the plain TypeScript loops.
describe.each([
  ['SIMD kernels', true],
  ['TypeScript loops', false],
])('%s', (_, simd) => {
  beforeAll(async () => {
    setSimdEnabled(simd);
    await useBackend('wasm');
    // The path under test is really the one in use.
    expect(simdActiveOn(tf.backend())).toBe(simd);
  });
  afterAll(() => setSimdEnabled(true));

  describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm equal the cpu kernels', () => {
    const cases: Conv[] = [
      { batch: 2, h: 7, w: 9, cin: 3, cout: 4, k: 3, stride: 1, pad: 'same' },
      { batch: 3, h: 8, w: 6, cin: 5, cout: 2, k: 3, stride: 2, pad: 'same' },
      { batch: 2, h: 9, w: 7, cin: 4, cout: 3, k: 5, stride: 2, pad: 'valid' },
      { batch: 2, h: 6, w: 6, cin: 8, cout: 6, k: 1, stride: 1, pad: 'valid' },
      { batch: 1, h: 11, w: 5, cin: 2, cout: 5, k: 3, stride: 2, pad: 1 },
      // SINet's full-resolution head (2 -> 2 channels, 3 x 3): the small-channel loops.
      { batch: 2, h: 16, w: 12, cin: 2, cout: 2, k: 3, stride: 1, pad: 'same' },
      { batch: 1, h: 13, w: 10, cin: 3, cout: 2, k: 3, stride: 3, pad: 'same' },
      { batch: 2, h: 8, w: 9, cin: 3, cout: 5, k: 3, stride: 2, pad: [[0, 0], [0, 2], [1, 0], [0, 0]] },
      // SINet's first convolution (RGB -> 12, 3 x 3, stride 2): dW held in registers per tap.
      { batch: 2, h: 15, w: 14, cin: 3, cout: 12, k: 3, stride: 2, pad: 'same' },
      { batch: 1, h: 9, w: 11, cin: 3, cout: 12, k: 5, stride: 1, pad: 'valid' },
      // Stride 1: the input gradient as a forward convolution (asymmetric and no padding).
      { batch: 2, h: 7, w: 8, cin: 3, cout: 5, k: 3, stride: 1, pad: [[0, 0], [0, 2], [1, 0], [0, 0]] },
      { batch: 1, h: 9, w: 7, cin: 2, cout: 2, k: 5, stride: 1, pad: 'valid' },
      // Pointwise: the SIMD paths for both gradients (stride 1), the gather loop (stride 2).
      { batch: 3, h: 5, w: 7, cin: 12, cout: 9, k: 1, stride: 1, pad: 'same' },
      // Several register tiles, row blocks and both tails (K % 4, N % 8, P % 4).
      { batch: 2, h: 9, w: 11, cin: 21, cout: 19, k: 1, stride: 1, pad: 'valid' },
      { batch: 2, h: 7, w: 5, cin: 6, cout: 4, k: 1, stride: 2, pad: 'valid' },
    ];
    it.each(cases)('%o', async (c) => {
      const xv = randomArray(c.batch * c.h * c.w * c.cin, 1);
      const wv = randomArray(c.k * c.k * c.cin * c.cout, 2);
      const run = () => {
        const x = tf.tensor4d(xv, [c.batch, c.h, c.w, c.cin]);
        const w = tf.tensor4d(wv, [c.k, c.k, c.cin, c.cout]);
        const y = tf.conv2d(x, w, c.stride, c.pad);
        const r = tf.tensor(randomArray(y.size, 3), y.shape);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)))([x, w]);
      };
      expectSame(await on('cpu', run), await on('wasm', run));
    });
  });

  describe('depthwise backprop input and filter on wasm equal the cpu kernels', () => {
    const cases: Depthwise[] = [
      { batch: 2, h: 7, w: 9, cin: 3, mult: 1, k: 3, stride: 1, dilation: 1, pad: 'same' },
      { batch: 2, h: 8, w: 6, cin: 4, mult: 1, k: 3, stride: 2, dilation: 1, pad: 1 },
      { batch: 3, h: 9, w: 9, cin: 2, mult: 2, k: 5, stride: 2, dilation: 1, pad: 'valid' },
      { batch: 2, h: 10, w: 7, cin: 5, mult: 1, k: 5, stride: 1, dilation: 1, pad: 2 },
      // tfjs has no gradient for dilated depthwise convolution, so dilation stays 1.
      { batch: 2, h: 9, w: 8, cin: 3, mult: 3, k: 3, stride: 1, dilation: 1, pad: 'same' },
      { batch: 1, h: 5, w: 5, cin: 6, mult: 1, k: 1, stride: 1, dilation: 1, pad: 'valid' },
      // Stride 1 input gradients run as a forward depthwise convolution: no padding, many channels.
      { batch: 2, h: 9, w: 10, cin: 24, mult: 1, k: 3, stride: 1, dilation: 1, pad: 'valid' },
    ];
    it.each(cases)('%o', async (c) => {
      const xv = randomArray(c.batch * c.h * c.w * c.cin, 4);
      const wv = randomArray(c.k * c.k * c.cin * c.mult, 5);
      const run = () => {
        const x = tf.tensor4d(xv, [c.batch, c.h, c.w, c.cin]);
        const w = tf.tensor4d(wv, [c.k, c.k, c.cin, c.mult]);
        const conv = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation);
        const y = conv(x, w);
        const r = tf.tensor(randomArray(y.size, 6), y.shape);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), r)))([x, w]);
      };
      expectSame(await on('cpu', run), await on('wasm', run));
    });
  });

  describe('Concat and SplitV on wasm equal the cpu kernels, and their gradients too', () => {
    it.each([
      { shapes: [[2, 5, 7, 6], [2, 5, 7, 3]], axis: -1 },
      { shapes: [[2, 5, 7, 5], [2, 5, 7, 3], [2, 5, 7, 1]], axis: 3 },
      { shapes: [[2, 3, 4], [2, 5, 4]], axis: 1 },
      { shapes: [[3, 4], [1, 4]], axis: 0 },
      { shapes: [[2, 0, 4], [2, 3, 4]], axis: 1 },
    ])('%o', async (c) => {
      const values = c.shapes.map((shape, i) => randomArray(shape.reduce((a, b) => a * b, 1), 20 + i));
      const run = () => {
        const xs = c.shapes.map((shape, i) => tf.tensor(values[i]!, shape));
        const joined = tf.concat(xs, c.axis);
        const sizes = c.shapes.map((shape) => shape.at(c.axis)!);
        const parts = tf.split(tf.mul(joined, 2), sizes, c.axis);
        // The gradient of concat is a split, and that of split a concat.
        const grads = tf.grads((...inputs: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(inputs, c.axis), tf.range(0, joined.size).reshape(joined.shape))))(xs);
        return [joined, ...parts, ...grads];
      };
      expectSame(await on('cpu', run), await on('wasm', run));
    });
  });

  describe('Sum, Mean, BatchNorm and PReLU gradients on wasm equal the cpu kernels', () => {
    const cases: { shape: number[]; axis: number[]; keepDims: boolean; mean: boolean }[] = [
      { shape: [2, 5, 7, 6], axis: [0, 1, 2], keepDims: true, mean: false },
      { shape: [2, 5, 7, 6], axis: [2, 0, 1], keepDims: false, mean: true },
      { shape: [9, 13], axis: [0], keepDims: false, mean: false },
      { shape: [3, 4, 5], axis: [-1], keepDims: false, mean: true },
      { shape: [2, 5, 7, 6], axis: [1, 2], keepDims: true, mean: false },
    ];
    it.each(cases)('%o', async (c) => {
      const values = randomArray(c.shape.reduce((a, b) => a * b, 1), 5);
      const run = () => {
        const x = tf.tensor(values, c.shape);
        return [c.mean ? tf.mean(x, c.axis, c.keepDims) : tf.sum(x, c.axis, c.keepDims)];
      };
      const [cpu, wasm] = [await on('cpu', run), await on('wasm', run)];
      expectSame(cpu, wasm);
    });

    it.each([
      { shape: [2, 5, 7, 6], withAffine: true },
      { shape: [3, 9, 5], withAffine: false },
    ])('batchNorm %o', async (c) => {
      const channels = c.shape.at(-1)!;
      const values = randomArray(c.shape.reduce((a, b) => a * b, 1), 7);
      const stats = [randomArray(channels, 8), randomArray(channels, 9, 0.1, 2), randomArray(channels, 10), randomArray(channels, 11)];
      const run = () => {
        const x = tf.tensor(values, c.shape);
        const [mean, variance, offset, scale] = stats.map((s) => tf.tensor1d(s)) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        return [c.withAffine ? tf.batchNorm(x, mean, variance, offset, scale, 1e-3) : tf.batchNorm(x, mean, variance, undefined, undefined, 1e-5)];
      };
      expectSame(await on('cpu', run), await on('wasm', run));
    });

    it.each([
      { shape: [2, 5, 7, 6], withScale: true },
      // (tfjs cannot differentiate batchNorm without a scale on any backend: it saves `undefined`.)
      { shape: [3, 9, 5, 2], withScale: true },
    ])('FusedBatchNorm gradients for x, mean, variance, scale and offset %o', async (c) => {
      const channels = c.shape.at(-1)!;
      const values = randomArray(c.shape.reduce((a, b) => a * b, 1), 15);
      const stats = [randomArray(channels, 16), randomArray(channels, 17, 0.1, 2), randomArray(channels, 18), randomArray(channels, 19)];
      const rv = randomArray(values.length, 20);
      const run = () => {
        const x = tf.tensor4d(values, c.shape as [number, number, number, number]);
        const [mean, variance, offset, scale] = stats.map((s) => tf.tensor1d(s)) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const r = tf.tensor(rv, c.shape);
        const f = (...t: tf.Tensor[]) => tf.sum(tf.mul(tf.batchNorm(t[0] as tf.Tensor4D, t[1] as tf.Tensor1D, t[2] as tf.Tensor1D, t[3] as tf.Tensor1D, c.withScale ? (t[4] as tf.Tensor1D) : undefined, 1e-3), r));
        return tf.grads(f)(c.withScale ? [x, mean, variance, offset, scale] : [x, mean, variance, offset]);
      };
      expectSame(await on('cpu', run), await on('wasm', run));
    });

    it('training BatchNorm through tfjs-layers matches central differences on wasm (input and scale)', async () => {
      await useBackend('wasm');
      const layer = tf.layers.batchNormalization({ axis: -1, gammaInitializer: tf.initializers.constant({ value: 1.3 }) });
      // Few pixels per channel: the terms through the batch mean and variance weigh as much as the direct one.
      const x = tf.variable(tf.tensor4d(randomArray(2 * 2 * 2 * 2, 25), [2, 2, 2, 2]));
      const r = tf.tensor(randomArray(x.size, 26), x.shape);
      layer.build(x.shape);
      // A non-linear read-out, so the gradient through the batch statistics is not trivially zero.
      const loss = () => tf.sum(tf.mul(tf.square(layer.apply(x, { training: true }) as tf.Tensor), r)) as tf.Scalar;
      checkGradient(loss, x, { samples: 16, tolerance: 5e-3 });
      checkGradient(loss, layer.trainableWeights[0]!.read() as tf.Variable, { samples: 2 });
      tf.dispose([x, r]);
      layer.weights.forEach((w) => w.dispose());
    });

    it.each([
      { shape: [2, 28, 28, 6], k: 4, stride: 4, pad: 'valid' as const },
      { shape: [1, 14, 10, 3], k: 2, stride: 2, pad: 'same' as const },
      { shape: [2, 9, 9, 4], k: 3, stride: 2, pad: 'valid' as const },
      { shape: [1, 7, 7, 5], k: 2, stride: 2, pad: 'same' as const },
    ])('AvgPool gradient %o', async (c) => {
      const values = randomArray(c.shape.reduce((a, b) => a * b, 1), 23);
      const run = () => {
        const x = tf.tensor4d(values, c.shape as [number, number, number, number]);
        const pooled = tf.avgPool(x, c.k, c.stride, c.pad);
        const r = tf.tensor(randomArray(pooled.size, 24), pooled.shape);
        return [tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(input as tf.Tensor4D, c.k, c.stride, c.pad), r)))(x)];
      };
      expectSame(await on('cpu', run), await on('wasm', run));
    });

    it('tfjs-layers BatchNormalization trains to the cpu gradients through its batch statistics', async () => {
      const values = randomArray(2 * 6 * 5 * 3, 21);
      const rv = randomArray(values.length, 22);
      const run = () => {
        const layer = tf.layers.batchNormalization({ axis: -1, gammaInitializer: tf.initializers.constant({ value: 1.5 }), betaInitializer: tf.initializers.constant({ value: 0.25 }) });
        const x = tf.tensor4d(values, [2, 6, 5, 3]);
        layer.build(x.shape);
        const r = tf.tensor(rv, x.shape);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar, layer.trainableWeights.map((w) => w.read() as tf.Variable));
        const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, r)))(x);
        const out = [value, dx, ...Object.values(grads)];
        layer.weights.forEach((w) => w.dispose());
        return out;
      };
      const [cpu, wasm] = [await on('cpu', run), await on('wasm', run)];
      expect(wasm.length).toBe(4);
      expectSame(cpu, wasm);
    });

    it.each([
      { shape: [2, 5, 7, 6], perChannel: true },
      { shape: [3, 4, 8], perChannel: true },
      { shape: [2, 3, 4], perChannel: false },
    ])('PReLU gradients %o', async (c) => {
      const channels = c.shape.at(-1)!;
      const xv = randomArray(c.shape.reduce((a, b) => a * b, 1), 12);
      const av = randomArray(c.perChannel ? channels : 1, 13, 0.05, 0.5);
      const rv = randomArray(xv.length, 14);
      const run = () => {
        const x = tf.tensor(xv, c.shape);
        const alpha = c.perChannel ? tf.tensor1d(av) : tf.scalar(av[0]!);
        const r = tf.tensor(rv, c.shape);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), r)))([x, alpha]);
      };
      expectSame(await on('cpu', run), await on('wasm', run));
    });

    it('sums 100,000 rows per channel to float32 accuracy', async () => {
      const rows = 100_000;
      const values = randomArray(rows * 8, 6).map((v) => v + 1);
      const exact = new Float64Array(8);
      values.forEach((v, i) => (exact[i % 8]! += v));
      await useBackend('wasm');
      const got = tf.tidy(() => tf.sum(tf.tensor2d(values, [rows, 8]), 0).dataSync());
      exact.forEach((e, c) => expect(Math.abs(got[c]! - e) / Math.abs(e)).toBeLessThan(1e-5));
    });
  });
});

describe('SIMD module', () => {
  it('Concat and SplitV take the SIMD path (no fallback to tfjs-wasm)', async () => {
    await useBackend('wasm');
    const fail: KernelFunc = () => {
      throw new Error('fell back');
    };
    const a = tf.tensor4d(randomArray(2 * 3 * 4 * 5, 30), [2, 3, 4, 5]);
    const b = tf.tensor4d(randomArray(2 * 3 * 4 * 2, 31), [2, 3, 4, 2]);
    const joined = tf.engine().makeTensorFromTensorInfo(stridedConcat(fail)({ inputs: [a, b] as unknown as NamedTensorInfoMap, backend: tf.backend(), attrs: { axis: 3 } }) as TensorInfo);
    const parts = (stridedSplit(fail)({ inputs: { x: joined }, backend: tf.backend(), attrs: { numOrSizeSplits: [5, 2], axis: -1 } }) as TensorInfo[]).map((t) => tf.engine().makeTensorFromTensorInfo(t));
    expect(Array.from(parts[0]!.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(parts[1]!.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b, joined, ...parts]);
  });

  it('runs on the wasm heap, and falls back where the heap is shared memory it cannot import', async () => {
    await useBackend('wasm');
    expect(simdActiveOn(tf.backend())).toBe(true);
    const threadedHeap = { wasm: { asm: { memory: new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }) } }, dataIdMap: new Map() };
    expect(simdActiveOn(threadedHeap)).toBe(false);
    expect(simdActiveOn({ dataIdMap: new Map() })).toBe(false);
  });
});

describe('Identity on wasm', () => {
  it('shares the buffer: a clone outlives its source, and both free their memory', async () => {
    await useBackend('wasm');
    const before = tf.memory();
    const buffers = () => tf.backend().numDataIds();
    const buffersBefore = buffers();
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    // One buffer for both (a copy would make two).
    expect(buffers()).toBe(buffersBefore + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    expect(tf.memory().numTensors).toBe(before.numTensors + 1);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(buffers()).toBe(buffersBefore);
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  it('equals the cpu kernel, drops out-of-range ids, and serves the gather gradient', async () => {
    const run = () => {
      const x = tf.tensor2d(randomArray(6 * 4, 7), [6, 4]);
      const ids = tf.tensor1d([2, 0, 2, -1, 1, 9], 'int32');
      const sum = tf.unsortedSegmentSum(x, ids, 4);
      const ints = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2);
      const params = tf.tensor3d(randomArray(2 * 3 * 5, 8), [2, 3, 5]);
      const gather = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, tf.tensor1d([4, 0, 4, 2], 'int32'), 2), tf.tensor(randomArray(2 * 3 * 4, 9), [2, 3, 4]))))(params);
      return [sum, tf.cast(ints, 'float32'), gather];
    };
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expectSame(cpu, wasm);
    expect(Array.from(wasm[1]!)).toEqual([3, 3]);
  });
});

describe('registration', () => {
  it('is idempotent and leaves no tensors behind', async () => {
    expect(registerWasmTrainingKernels()).toEqual([]);
    await useBackend('wasm');
    const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 2, 1]);
    const before = tf.memory().numTensors;
    const w1 = tf.randomNormal([1, 1, 2, 3]) as tf.Tensor4D;
    const w3 = tf.randomNormal([3, 3, 2, 3]) as tf.Tensor4D;
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.grad((f: tf.Tensor) => tf.sum(tf.depthwiseConv2d(x, f as tf.Tensor4D, 1, 'same')))(w).dispose();
      for (const k of [w1, w3]) tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'same')))(k).dispose();
    }
    expect(tf.memory().numTensors).toBe(baseline);
    tf.dispose([w1, w3]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });

  it('registers a kernel for every contract, and each answers with the outputs its contract lists', async () => {
    await useBackend('wasm');
    expect(KERNEL_CONTRACTS.filter((c) => !hasKernel(c, 'wasm')).map((c) => c.kernelName)).toEqual([]);
    expect(KERNEL_CONTRACTS.filter((c) => hasKernel(c, 'cpu')).map((c) => c.kernelName)).toEqual([]);
    // The band of a label map with a vertical edge between columns 1 and 2, 3 x 3 window: columns 1 and 2.
    const labels = tf.tensor4d([0, 0, 1, 1, 0, 0, 1, 1], [1, 2, 4, 1], 'int32');
    const out = runKernel(LABEL_BAND, { labelMap: labels }, { kernel: 3 });
    expect(Object.keys(out)).toEqual(LABEL_BAND.outputs);
    expect(Array.from(out.band.dataSync())).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
    // A contract naming more outputs than its kernel returns is refused, and what came back is freed.
    const before = tf.memory().numTensors;
    const wider = { ...LABEL_BAND, outputs: ['band', 'edge'] as const };
    expect(() => runKernel(wider, { labelMap: labels }, { kernel: 3 })).toThrow(WasmKernelsError);
    expect(() => runKernel(wider, { labelMap: labels }, { kernel: 3 })).toThrow(/returned 1 outputs, its contract names 2 \(band, edge\)/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([labels, out.band]);
  });
});
