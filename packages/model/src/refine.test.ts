import * as tf from '@tensorflow/tfjs';
import { expectNoLeak } from '@sinet/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { guidedFilter, refineSegmentation } from './refine.js';
import type { Segmentation } from './segmenter.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [h, w] = [24, 40];
/** A photo whose person (bright) starts at column 20; the model's probability is a blurry ramp centred 3 columns early. */
const photo = { data: Uint8Array.from({ length: h * w * 3 }, (_, i) => (Math.floor(i / 3) % w >= 20 ? 220 : 30)), width: w, height: h };
const truth = Array.from({ length: h * w }, (_, i) => (i % w >= 20 ? 1 : 0));
const ramp = Float32Array.from({ length: h * w }, (_, i) => 1 / (1 + Math.exp(-((i % w) - 17) / 2)));
const segmentation: Segmentation = { width: w, height: h, probabilities: ramp, mask: Uint8Array.from(ramp, (p) => (p > 0.5 ? 1 : 0)), labels: Uint8Array.from(ramp, (p) => (p > 0.5 ? 1 : 0)), classNames: ['background', 'person'] };
const iou = (a: ArrayLike<number>) => {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    inter += a[i] && truth[i] ? 1 : 0;
    union += a[i] || truth[i] ? 1 : 0;
  }
  return inter / union;
};

describe('refineSegmentation (guided filter)', () => {
  it('moves a misplaced, blurry edge onto the photo\'s edge', async () => {
    const refined = await expectNoLeak(() => refineSegmentation(photo, segmentation, { radius: 6, epsilon: 1e-3 }));
    expect(iou(segmentation.mask)).toBeLessThan(0.92);
    expect(iou(refined.mask)).toBeGreaterThan(0.97);
    expect(Array.from(refined.labels)).toEqual(Array.from(refined.mask));
    expect(refined.probabilities.every((p) => p >= 0 && p <= 1)).toBe(true);
    // Mask is the refined probability thresholded.
    refined.mask.forEach((m, i) => expect(m).toBe(refined.probabilities[i] > 0.5 ? 1 : 0));
  });

  it('is the box filter\'s linear model: a flat guide leaves only the mean of the probability, a guide equal to p returns p', () => {
    const p = tf.tensor2d(Float32Array.from({ length: 9 * 9 }, (_, i) => ((i * 7) % 11) / 10), [9, 9]);
    const flat = tf.fill([9, 9], 0.5) as tf.Tensor2D;
    // Flat guide: var(I) = 0, so a = 0, b = mean(p): q is the box mean of the box mean of p; inside, that is near the global mean.
    const q = tf.tidy(() => guidedFilter(flat, p, 1, 1e-3).dataSync());
    const mean = Array.from(p.dataSync()).reduce((a, b) => a + b, 0) / 81;
    expect(Math.abs(q[4 * 9 + 4] - mean)).toBeLessThan(0.15);
    // Guide = p with a tiny epsilon: a ~ 1, b ~ 0, so q ~ p.
    const same = tf.tidy(() => guidedFilter(p, p, 2, 1e-6).dataSync());
    const pv = p.dataSync();
    expect(Math.max(...Array.from(same, (v, i) => Math.abs(v - pv[i])))).toBeLessThan(0.02);
    tf.dispose([p, flat]);
  });

  it('names bad options and a size mismatch', async () => {
    await expect(refineSegmentation(photo, segmentation, { radius: 0 })).rejects.toThrow(/radius must be/);
    await expect(refineSegmentation(photo, segmentation, { epsilon: 0 })).rejects.toThrow(/epsilon must be/);
    await expect(refineSegmentation({ ...photo, width: 20, height: 48 }, segmentation)).rejects.toThrow(/20 x 48 but the segmentation is 40 x 24/);
  });
});
