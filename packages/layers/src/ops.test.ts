import * as tf from '@tensorflow/tfjs';
import { reference, expectClose, randomArray, expectNoLeak } from '@sinet/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelShuffle, channelShufflePermutation, expandGroupedPointwiseKernel, groupedPointwiseConv2d, informationBlockingGate, resizeBilinearAlignCorners, torchSamePadding } from './ops.js';

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
    expect(full[0][0]).toEqual([
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
