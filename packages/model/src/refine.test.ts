import * as tf from '@tensorflow/tfjs';
import { expectClose, expectNoLeak } from '@sinet/test-utils';
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
/** The guided filter by its definition: box means over the pixels inside the image, in float64. */
function guidedFilterReference(I: Float32Array, P: Float32Array, rows: number, cols: number, r: number, eps: number): Float64Array {
  const boxMean = (v: ArrayLike<number>) => {
    const out = new Float64Array(rows * cols);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        let sum = 0;
        let n = 0;
        for (let yy = Math.max(0, y - r); yy <= Math.min(rows - 1, y + r); yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(cols - 1, x + r); xx++) {
            sum += v[yy * cols + xx]!;
            n++;
          }
        }
        out[y * cols + x] = sum / n;
      }
    }
    return out;
  };
  const map = (f: (i: number) => number) => Float64Array.from({ length: rows * cols }, (_, i) => f(i));
  const meanI = boxMean(I);
  const meanP = boxMean(P);
  const corrIP = boxMean(map((i) => I[i]! * P[i]!));
  const corrII = boxMean(map((i) => I[i]! * I[i]!));
  const a = map((i) => (corrIP[i]! - meanI[i]! * meanP[i]!) / (corrII[i]! - meanI[i]! * meanI[i]! + eps));
  const b = map((i) => meanP[i]! - a[i]! * meanI[i]!);
  const meanA = boxMean(a);
  const meanB = boxMean(b);
  return map((i) => meanA[i]! * I[i]! + meanB[i]!);
}

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
    refined.mask.forEach((m, i) => expect(m).toBe(refined.probabilities[i]! > 0.5 ? 1 : 0));
  });

  it('is the box filter\'s linear model: a flat guide leaves only the mean of the probability, a guide equal to p returns p', () => {
    const p = Float32Array.from({ length: 9 * 9 }, (_, i) => ((i * 7) % 11) / 10);
    const flat = new Float32Array(9 * 9).fill(0.5);
    // Flat guide: var(I) = 0, so a = 0, b = mean(p): q is the box mean of the box mean of p; inside, that is near the global mean.
    const q = guidedFilter(flat, p, 9, 9, 1, 1e-3);
    const mean = p.reduce((a, b) => a + b, 0) / 81;
    expect(Math.abs(q[4 * 9 + 4]! - mean)).toBeLessThan(0.15);
    // Guide = p with a tiny epsilon: a ~ 1, b ~ 0, so q ~ p.
    const same = guidedFilter(p, p, 9, 9, 2, 1e-6);
    expect(Math.max(...Array.from(same, (v, i) => Math.abs(v - p[i]!)))).toBeLessThan(0.02);
  });

  it('equals the filter computed by its definition (float64 box sums), radius beyond the image included', () => {
    for (const [rows, cols, r, eps] of [[37, 53, 3, 1e-3], [37, 53, 40, 1e-2], [1, 7, 2, 1e-3]] as const) {
      const g = Float32Array.from({ length: rows * cols }, (_, i) => (((i * 31) % 97) / 96) * (i % cols < 25 ? 0.3 : 1));
      const pv = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 17) % 13) / 12);
      expectClose(guidedFilter(g, pv, rows, cols, r, eps), guidedFilterReference(g, pv, rows, cols, r, eps), 1e-5, `${rows} x ${cols}, r ${r}`);
    }
  });

  it('names bad options and a size mismatch', async () => {
    await expect(refineSegmentation(photo, segmentation, { radius: 0 })).rejects.toThrow(/radius must be/);
    await expect(refineSegmentation(photo, segmentation, { epsilon: 0 })).rejects.toThrow(/epsilon must be/);
    await expect(refineSegmentation({ ...photo, width: 20, height: 48 }, segmentation)).rejects.toThrow(/20 x 48 but the segmentation is 40 x 24/);
  });
});
