import * as tf from '@tensorflow/tfjs';
import { reference, expectClose, randomArray, randomTensor, expectNoLeak, checkGradient, useBackend } from '@sinet/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_TRAINING, loadSimdKernels, registerWasmTrainingKernels, setSimdEnabled, simdActiveOn } from '@sinet/wasm-kernels';
import { batchNormTraining, channelShuffle, channelShufflePermutation, expandGroupedPointwiseKernel, groupedPointwiseConv2d, informationBlockingGate, resizeBilinearAlignCorners, torchSamePadding } from './ops.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('channel shuffle', () => {
  it('is the permutation of PyTorch view(g, c/g).transpose(1, 2) (hand-computed)', () => {
    // Channels [a0 a1 a2 | b0 b1 b2] interleave to [a0 b0 a1 b1 a2 b2].
    expect(channelShufflePermutation(6, 2)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(channelShufflePermutation(6, 3)).toEqual([0, 2, 4, 1, 3, 5]);
  });

  it('matches the loop reference on a tensor', async () => {
    const data = randomArray(2 * 3 * 4 * 12, 1);
    const out = await expectNoLeak(() => tf.tidy(() => channelShuffle(tf.tensor4d(data, [2, 3, 4, 12]), 3).dataSync()));
    expectClose(out, reference.channelShuffle(reference.makeImage([2, 3, 4, 12], data), 3).data, 0);
  });

  it('rejects channels not divisible by groups', () => {
    expect(() => channelShufflePermutation(5, 2)).toThrow(/5 channels are not divisible by 2 groups/);
  });
});

describe('grouped pointwise convolution', () => {
  it('equals a grouped convolution computed by loops', () => {
    const x = randomArray(1 * 3 * 5 * 6, 2);
    const kernel = randomArray(1 * 1 * 2 * 9, 3); // 6 inputs, 3 groups, 9 filters
    const out = tf.tidy(() => groupedPointwiseConv2d(tf.tensor4d(x, [1, 3, 5, 6]), tf.tensor4d(kernel, [1, 1, 2, 9]), 3).dataSync());
    const expected = reference.conv2d(reference.makeImage([1, 3, 5, 6], x), kernel, 1, 9, 1, 0, 3);
    expectClose(out, expected.data, 1e-5);
  });

  it('expands to a block-diagonal kernel', () => {
    const k = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    const full = tf.tidy(() => expandGroupedPointwiseKernel(k, 2).arraySync());
    // Input 0 feeds filters 0-1 only; input 1 feeds filters 2-3 only.
    expect(full[0]![0]).toEqual([
      [1, 2, 0, 0],
      [0, 0, 3, 4],
    ]);
    k.dispose();
  });
});

describe('align-corners bilinear resize', () => {
  it('matches hand-computed values for 2x2 -> 3x3', () => {
    const out = tf.tidy(() => resizeBilinearAlignCorners(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), [3, 3]).dataSync());
    expectClose(out, [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], 1e-6);
  });

  it('matches the loop reference for a non-square x4 upsampling', () => {
    const x = randomArray(2 * 3 * 5 * 2, 4);
    const out = tf.tidy(() => resizeBilinearAlignCorners(tf.tensor4d(x, [2, 3, 5, 2]), [12, 20]).dataSync());
    expectClose(out, reference.resizeAlignCorners(reference.makeImage([2, 3, 5, 2], x), 12, 20).data, 1e-5);
  });
});

describe('information-blocking gate', () => {
  it('is 1 - max softmax confidence (hand-computed)', () => {
    // softmax([0, ln 3]) = [0.25, 0.75] -> gate 0.25; equal logits -> 0.5; three classes [0,0,ln 2] -> max 0.5 -> gate 0.5.
    const two = tf.tidy(() => informationBlockingGate(tf.tensor4d([0, Math.log(3), 5, 5], [1, 1, 2, 2])).dataSync());
    expectClose(two, [0.25, 0.5], 1e-6);
    const three = tf.tidy(() => informationBlockingGate(tf.tensor4d([0, 0, Math.log(2)], [1, 1, 1, 3])).dataSync());
    expectClose(three, [0.5], 1e-6);
  });
});

describe('torchSamePadding', () => {
  it('is (k - 1) / 2', () => {
    expect([1, 3, 5, 7].map(torchSamePadding)).toEqual([0, 1, 2, 3]);
  });
});

// The composed ops (cpu), and the fused kernels of @sinet/wasm-kernels on both of their paths.
describe.each([
  { path: 'composed ops on cpu', backend: 'cpu', simd: true },
  { path: 'wasm kernels, SIMD', backend: 'wasm', simd: true },
  { path: 'wasm kernels, TypeScript loops', backend: 'wasm', simd: false },
] as const)('batchNormTraining: $path', ({ backend, simd }) => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    expect(await loadSimdKernels()).toBe(true);
    setSimdEnabled(simd);
    await useBackend(backend);
    expect(simdActiveOn(tf.backend())).toBe(backend === 'wasm' && simd);
  });
  afterAll(async () => {
    setSimdEnabled(true);
    await useBackend('cpu');
  });

  /** The definition, differentiated op by op by tfjs: the reference for the closed form. */
  const byDefinition = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
  };

  it('runs the fused kernels exactly where they are registered', async () => {
    const x = randomTensor([1, 2, 2, 3], 9);
    const { kernelNames } = await tf.profile(() => {
      const r = batchNormTraining(x, tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, 1e-3);
      tf.dispose([r.y, r.mean, r.variance]);
    });
    expect(kernelNames.includes(BATCH_NORM_TRAINING.kernelName)).toBe(backend === 'wasm');
    x.dispose();
  });

  it('normalises with the batch statistics and returns them (hand-computed)', () => {
    // One channel, values 1..4: mean 2.5, biased variance 1.25.
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const { y, mean, variance } = batchNormTraining(x, tf.tensor1d([2]), tf.tensor1d([1]), 0);
    expectClose(mean.dataSync(), [2.5], 1e-6);
    expectClose(variance.dataSync(), [1.25], 1e-6);
    expectClose(y.dataSync(), [-1.5, -0.5, 0.5, 1.5].map((d) => (2 * d) / Math.sqrt(1.25) + 1), 1e-5);
    tf.dispose([x, y, mean, variance]);
  });

  it('keeps the variance accurate when the mean is far from zero (two passes, not E[x^2] - mean^2)', () => {
    // Values 1000 + {-1, 1}: variance exactly 1; E[x^2] - mean^2 in float32 loses it entirely.
    const values = Array.from({ length: 64 * 5 }, (_, i) => 1000 + ((i / 5) % 2 < 1 ? -1 : 1));
    const x = tf.tensor4d(values, [2, 4, 8, 5]);
    const { y, mean, variance } = batchNormTraining(x, tf.ones([5]) as tf.Tensor1D, tf.zeros([5]) as tf.Tensor1D, 0);
    expectClose(mean.dataSync(), [1000, 1000, 1000, 1000, 1000], 1e-6);
    expectClose(variance.dataSync(), [1, 1, 1, 1, 1], 1e-5);
    expectClose(y.dataSync(), values.map((v) => v - 1000), 1e-4);
    tf.dispose([x, y, mean, variance]);
  });

  it('gives the gradients of the definition for x, gamma and beta, and matches central differences', () => {
    const x = tf.variable(randomTensor([2, 3, 4, 5], 1, -2, 3));
    const gamma = tf.variable(randomTensor([5], 2, 0.5, 1.5));
    const beta = tf.variable(randomTensor([5], 3));
    const weights = randomTensor([2, 3, 4, 5], 4);
    // A loss whose gradient reaches every element differently.
    const loss = (bn: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () => tf.sum(tf.mul(tf.square(bn(x, gamma, beta)), weights)) as tf.Scalar;
    const closedForm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const r = batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
      tf.dispose([r.mean, r.variance]);
      return r.y;
    };
    const ours = tf.variableGrads(loss(closedForm), [x, gamma, beta]);
    const reference = tf.variableGrads(loss((a, g, b) => byDefinition(a, g, b, 1e-3)), [x, gamma, beta]);
    expectClose(ours.value.dataSync(), reference.value.dataSync(), 1e-4);
    for (const v of [x, gamma, beta]) expectClose(ours.grads[v.name]!.dataSync(), reference.grads[v.name]!.dataSync(), 2e-4, v.name);
    for (const v of [x, gamma, beta]) checkGradient(loss(closedForm), v, { samples: 4 });
    tf.dispose([x, gamma, beta, weights, ours.value, reference.value, ...Object.values(ours.grads), ...Object.values(reference.grads)]);
  });

  it('leaves no tensors behind through a gradient step', async () => {
    const x = randomTensor([2, 4, 4, 3], 5);
    const gamma = tf.variable(tf.ones([3])) as tf.Variable<tf.Rank.R1>;
    const beta = tf.variable(tf.zeros([3])) as tf.Variable<tf.Rank.R1>;
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => {
        const r = batchNormTraining(x, gamma, beta, 1e-3);
        tf.dispose([r.mean, r.variance]);
        return tf.sum(tf.square(r.y)) as tf.Scalar;
      }, [gamma, beta]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x, gamma, beta]);
  });
});
