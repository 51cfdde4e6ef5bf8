import * as tf from '@tensorflow/tfjs';
import { expectClose, expectNoLeak } from '@sinet/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { blurBackground, cutout, fastGaussianBlur, gaussianBlur, parseColour, replaceBackground, toBinaryMask } from './compositing.js';
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
    // What the README does with it, `new ImageData(m.data, width, height)`, type-checks (the typecheck task compiles the tests).
    const forImageData: ImageDataArray = m.data;
    expect(forImageData.length).toBe(16);
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

  it('gaussianBlur equals a brute-force 2-D Gaussian renormalised over the taps inside the image', async () => {
    const [h, w, sigma] = [11, 8, 1.7];
    const pixels = Float32Array.from({ length: h * w * 3 }, (_, i) => (i * 37) % 101);
    const radius = Math.ceil(3 * sigma);
    const expected = new Float32Array(h * w * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          let weight = 0;
          for (let dy = -radius; dy <= radius; dy++) {
            for (let dx = -radius; dx <= radius; dx++) {
              if (y + dy < 0 || y + dy >= h || x + dx < 0 || x + dx >= w) continue;
              const k = Math.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma));
              sum += k * pixels[((y + dy) * w + x + dx) * 3 + c]!;
              weight += k;
            }
          }
          expected[(y * w + x) * 3 + c] = sum / weight;
        }
      }
    }
    const input = tf.tensor3d(pixels, [h, w, 3]);
    const blurred = await expectNoLeak(async () => {
      const out = gaussianBlur(input, sigma);
      const values = (await out.data()) as Float32Array;
      out.dispose();
      return values;
    });
    expectClose(blurred, expected, 1e-3);
    input.dispose();
  });

  it('fastGaussianBlur stays within a few levels of the exact blur, keeps constants constant, and falls back below sigma 6', async () => {
    // Edges in every direction, a ramp and fine texture; sizes that are no multiple of the block.
    const [h, w] = [61, 47];
    const pixels = Float32Array.from({ length: h * w * 3 }, (_, i) => {
      const [y, x, c] = [Math.floor(i / (3 * w)), Math.floor(i / 3) % w, i % 3];
      if (c === 0) return (Math.floor(y / 9) + Math.floor(x / 6)) % 2 ? 255 : 0;
      if (c === 1) return (255 * (x + y)) / (w + h);
      return (y * 13 + x * 7) % 23 < 11 ? 200 : 40;
    });
    const input = tf.tensor3d(pixels, [h, w, 3]);
    for (const sigma of [6.3, 10, 16]) {
      const [meanDiff, maxDiff] = tf.tidy(() => {
        const d = tf.abs(tf.sub(fastGaussianBlur(input, sigma), gaussianBlur(input, sigma)));
        return [tf.mean(d).dataSync()[0], tf.max(d).dataSync()[0]];
      });
      // Measured: mean 0.08-0.16, max 2.0-3.9 levels (the largest at the border). Mirroring the
      // border instead of renormalising it gives max 11-12.
      expect(meanDiff).toBeLessThan(0.25);
      expect(maxDiff).toBeLessThan(5);
    }
    const constant = tf.fill([h, w, 3], 42) as tf.Tensor3D;
    expectClose(tf.tidy(() => fastGaussianBlur(constant, 9).dataSync()), new Float32Array(h * w * 3).fill(42), 1e-3);
    const fallback = tf.tidy(() => tf.max(tf.abs(tf.sub(fastGaussianBlur(input, 5), gaussianBlur(input, 5)))).dataSync()[0]);
    expect(fallback).toBe(0);
    await expectNoLeak(async () => {
      const out = fastGaussianBlur(input, 12);
      await out.data();
      out.dispose();
    });
    tf.dispose([input, constant]);
  });

  it('blurBackground blurs the background with fastGaussianBlur, or gaussianBlur when exact', async () => {
    const [h, w] = [40, 30];
    const photo = { data: Uint8Array.from({ length: h * w * 3 }, (_, i) => ((i * 53) % 97) * 2), width: w, height: h };
    const background: Segmentation = { ...seg, width: w, height: h, probabilities: new Float32Array(h * w), mask: new Uint8Array(h * w), labels: new Uint8Array(h * w) };
    const input = tf.tensor3d(Float32Array.from(photo.data), [h, w, 3]);
    for (const [exact, blur] of [[false, fastGaussianBlur], [true, gaussianBlur]] as const) {
      const out = await blurBackground(photo, background, { sigma: 8, exact });
      // All background: the normalised blur is the plain blur (to the rounding of a level).
      const expected = tf.tidy(() => tf.clipByValue(blur(input, 8), 0, 255).dataSync());
      const got = out.data.filter((_, i) => i % 4 !== 3);
      expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i]!)))).toBeLessThanOrEqual(1);
    }
    input.dispose();
  });

  it('blurBackground keeps the person out of the blurred background: no halo around them', async () => {
    // A white square (the person, alpha 1) on black: a plain blur of the photo would spread the
    // white over the black around it (up to ~half the white at the edge).
    const [h, w] = [30, 30];
    const inside = (i: number) => Math.floor(i / w) >= 10 && Math.floor(i / w) < 20 && i % w >= 10 && i % w < 20;
    const photo = { data: Uint8Array.from({ length: h * w * 3 }, (_, i) => (inside(Math.floor(i / 3)) ? 255 : 0)), width: w, height: h };
    const person = Float32Array.from({ length: h * w }, (_, i) => (inside(i) ? 1 : 0));
    const s: Segmentation = { width: w, height: h, probabilities: person, mask: Uint8Array.from(person), labels: Uint8Array.from(person), classNames: ['background', 'person'] };
    for (const exact of [true, false]) {
      const out = await expectNoLeak(() => blurBackground(photo, s, { sigma: 6, exact }));
      const background = Array.from({ length: h * w }, (_, i) => i).filter((i) => !inside(i)).map((i) => out.data[4 * i]!);
      expect(Math.max(...background)).toBe(0);
      expect(out.data[4 * (15 * w + 15)]).toBe(255);
    }
    const plain = tf.tidy(() => gaussianBlur(tf.tensor3d(Float32Array.from(photo.data), [h, w, 3]), 6).dataSync());
    expect(plain[3 * (15 * w + 9)]).toBeGreaterThan(50); // what the old blur put beside the square
  });

  it('threshold and feather shape the alpha: hard at a chosen probability, then softened by a Gaussian of feather pixels', async () => {
    const hard = await cutout(image, seg, { threshold: 0.4, feather: 0 });
    expect(Array.from(hard.data.filter((_, i) => i % 4 === 3))).toEqual([255, 0, 255, 0]);
    const [h, w] = [12, 12];
    const probabilities = Float32Array.from({ length: h * w }, (_, i) => (i % w) / (w - 1));
    const big: Segmentation = { width: w, height: h, probabilities, mask: Uint8Array.from(probabilities, (p) => (p > 0.5 ? 1 : 0)), labels: new Uint8Array(h * w), classNames: ['background', 'person'] };
    const photo = { data: new Uint8Array(h * w * 3).fill(9), width: w, height: h };
    const feathered = await expectNoLeak(() => cutout(photo, big, { threshold: 0.3, feather: 1.5 }));
    const expected = tf.tidy(() => gaussianBlur(tf.tensor3d(Float32Array.from(probabilities, (p) => (p > 0.3 ? 1 : 0)), [h, w, 1]), 1.5).dataSync());
    expect(Array.from(feathered.data.filter((_, i) => i % 4 === 3))).toEqual(Array.from(expected, (a) => Math.round(a * 255)));
    await expect(cutout(image, seg, { feather: -1 })).rejects.toThrow(/feather must be/);
    await expect(cutout(image, seg, { threshold: 2, feather: 0 })).rejects.toThrow(/threshold must be/);
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
