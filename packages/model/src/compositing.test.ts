import * as tf from '@tensorflow/tfjs';
import { expectClose, expectNoLeak } from '@sinet/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { blurBackground, cutout, gaussianBlur, parseColour, replaceBackground, toBinaryMask } from './compositing.js';
import type { Segmentation } from './segmenter.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A 2 x 2 segmentation with person probabilities 1, 0, 0.5, 0.2. */
const seg: Segmentation = {
  width: 2,
  height: 2,
  probabilities: Float32Array.from([1, 0, 0.5, 0.2]),
  mask: Uint8Array.from([1, 0, 0, 0]),
  labels: Uint8Array.from([1, 0, 0, 0]),
  classNames: ['background', 'person'],
};
const image = { data: Uint8Array.from([100, 100, 100, 10, 20, 30, 100, 0, 50, 0, 0, 0]), width: 2, height: 2 };

describe('compositing (hand-computed)', () => {
  it('toBinaryMask paints foreground and background colours', () => {
    const m = toBinaryMask(seg, { r: 255, g: 0, b: 0, a: 255 }, { r: 0, g: 0, b: 255, a: 128 });
    expect(Array.from(m.data)).toEqual([255, 0, 0, 255, 0, 0, 255, 128, 0, 0, 255, 128, 0, 0, 255, 128]);
  });

  it('cutout uses the probability (soft) or the mask as alpha', async () => {
    const soft = await expectNoLeak(() => cutout(image, seg));
    expect(Array.from(soft.data)).toEqual([100, 100, 100, 255, 10, 20, 30, 0, 100, 0, 50, 128, 0, 0, 0, 51]);
    const hard = await cutout(image, seg, { soft: false });
    expect(Array.from(hard.data.filter((_, i) => i % 4 === 3))).toEqual([255, 0, 0, 0]);
  });

  it('replaceBackground blends the photo over a colour by the probability', async () => {
    const out = await expectNoLeak(() => replaceBackground(image, seg, '#c8c8c8'));
    // Pixel 2: 0.5 * (100, 0, 50) + 0.5 * 200 = (150, 100, 125); pixel 3: 0.2 * 0 + 0.8 * 200 = 160.
    expect(Array.from(out.data)).toEqual([100, 100, 100, 255, 200, 200, 200, 255, 150, 100, 125, 255, 160, 160, 160, 255]);
  });

  it('replaceBackground stretches a background image to the photo', async () => {
    const background = { data: Uint8Array.from([0, 0, 0]), width: 1, height: 1 };
    const out = await replaceBackground(image, { ...seg, probabilities: Float32Array.from([0, 0, 0, 0]) }, background);
    expect(Array.from(out.data)).toEqual([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  });

  it('gaussianBlur keeps a constant image constant up to the borders and preserves mass inside', () => {
    const constant = tf.fill([9, 7, 3], 42) as tf.Tensor3D;
    expectClose(tf.tidy(() => gaussianBlur(constant, 2).dataSync()), new Float32Array(9 * 7 * 3).fill(42), 1e-3);
    const impulse = tf.tidy(() => tf.pad(tf.ones([1, 1, 1]), [[10, 10], [10, 10], [0, 0]]) as tf.Tensor3D);
    const blurred = tf.tidy(() => gaussianBlur(impulse, 1.5));
    expect(tf.sum(blurred).dataSync()[0]).toBeCloseTo(1, 4);
    expect(blurred.dataSync()[10 * 21 + 10]).toBeCloseTo(1 / (2 * Math.PI * 1.5 * 1.5), 2);
    tf.dispose([constant, impulse, blurred]);
  });

  it('blurBackground leaves certain-person pixels untouched', async () => {
    const all = { ...seg, probabilities: Float32Array.from([1, 1, 1, 1]) };
    const out = await expectNoLeak(() => blurBackground(image, all, { sigma: 3 }));
    expect(Array.from(out.data)).toEqual([100, 100, 100, 255, 10, 20, 30, 255, 100, 0, 50, 255, 0, 0, 0, 255]);
  });

  it('rejects mismatched sizes and bad colours', async () => {
    await expect(cutout({ ...image, width: 4, height: 1 }, seg)).rejects.toThrow(/4 x 1 but the segmentation is 2 x 2/);
    expect(() => parseColour('#12345')).toThrow(/#rrggbb/);
    expect(() => parseColour([0, 0, 300])).toThrow(/0\.\.255/);
    expect(parseColour('#FF8000')).toEqual([255, 128, 0]);
  });
});
