import * as tf from '@tensorflow/tfjs';
import { expectClose, randomArray } from '@sinet/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blurBackground, MAX_IMAGE_PIXELS, refineSegmentation, replaceBackground, type Segmentation } from './index.js';
import { initBackend } from './node/backend.js';
import { guidedFilter, REFINE_EXACT_PIXELS } from './refine.js';
import { Segmenter } from './segmenter.js';
import { decodeLogits } from './decode.js';
import { seededWeights, untrainedModel } from './test-support.js';

describe('images larger than MAX_IMAGE_PIXELS', () => {
  let segmenter: Segmenter;
  beforeAll(async () => {
    await initBackend('wasm', { log: null });
    segmenter = new Segmenter(untrainedModel());
  });
  afterAll(() => {
    segmenter.dispose();
    segmenter.model.dispose();
  });

  it('a 256-class model on a photo whose full-size logits pass 2^26 values: decoded a group of classes at a time, as decodeLogits decodes them all', async () => {
    const many = new Segmenter(seededWeights(untrainedModel({ inputSize: [64, 64], classes: 256 }), 3), { takeOwnership: true });
    // 520 x 520 x 256 = 69M logits: two groups (248 + 8 classes); a 12 MP photo broke the wasm heap.
    const photo = { data: Uint8Array.from(randomArray(520 * 520 * 3, 9, 0, 255), Math.round), width: 520, height: 520, channels: 3 as const };
    const before = tf.memory().numTensors;
    const got = await many.segment(photo, { flipTest: false, refine: false });
    expect(tf.memory().numTensors).toBe(before);
    const rgb = tf.tensor4d(Float32Array.from(photo.data), [1, 520, 520, 3]);
    const small = await many.predictLogits(rgb);
    const logits = tf.image.resizeBilinear(small, [520, 520], false, true);
    small.dispose();
    const want = decodeLogits((await logits.data()) as Float32Array, 256, 1, 0.5);
    tf.dispose([rgb, logits]);
    expectClose(got.probabilities, want.probabilities, 1e-5, 'person probability');
    let differ = 0;
    for (let i = 0; i < want.labels.length; i++) differ += got.labels[i] !== want.labels[i] ? 1 : 0;
    expect(differ).toBeLessThan(want.labels.length * 1e-4); // float ties aside
    expect(new Set(got.labels).size).toBeGreaterThan(5);
    many.dispose();
  });

  it('refineSegmentation of a 6 MP photo (the fast filter above REFINE_EXACT_PIXELS) is close to the exact filter and moves the edge onto the photo\'s (on tfjs-wasm it once ran XNNPACK out of memory, "XNN status 6")', async () => {
    const [w, h, radius] = [3000, 2000, 29];
    // Every row alike: bright from column 1500 on, the probability a blurry ramp 15 columns early.
    const rowsOf = (rows: number) => {
      const photo = { data: new Uint8Array(w * rows * 3), width: w, height: rows, channels: 3 as const };
      const probabilities = new Float32Array(w * rows);
      for (let i = 0; i < w * rows; i++) {
        photo.data.fill(i % w >= 1500 ? 220 : 30, 3 * i, 3 * i + 3);
        probabilities[i] = 1 / (1 + Math.exp(-((i % w) - 1485) / 5));
      }
      return { photo, probabilities };
    };
    const { photo, probabilities } = rowsOf(h);
    expect(w * h).toBeGreaterThan(REFINE_EXACT_PIXELS);
    const mask = Uint8Array.from(probabilities, (p) => (p > 0.5 ? 1 : 0));
    const segmentation: Segmentation = { width: w, height: h, probabilities, mask, labels: mask.slice(), classNames: ['background', 'person'] };
    const before = tf.memory().numTensors;
    const refined = await refineSegmentation(photo, segmentation, { radius });
    expect(tf.memory().numTensors).toBe(before);
    // Columns alike too, so the exact filter of a 64-row strip is the reference for any row.
    const strip = rowsOf(64);
    const guide = Float32Array.from({ length: 64 * w }, (_, i) => (0.299 + 0.587 + 0.114) * strip.photo.data[3 * i]! / 255);
    const want = Float32Array.from(guidedFilter(guide, strip.probabilities, 64, w, radius, 1e-3).subarray(32 * w, 33 * w), (v) => Math.min(1, Math.max(0, v)));
    for (const y of [0, 1000, 1999]) {
      const row = refined.probabilities.subarray(y * w, (y + 1) * w);
      expect(row.reduce((a, v, x) => a + Math.abs(v - want[x]!), 0) / w).toBeLessThan(0.005);
    }
    // And the edge moved onto the photo's: fewer wrong columns than the ramp's 15.
    const wrongColumns = Array.from({ length: w }, (_, x) => (refined.mask[1000 * w + x] !== (x >= 1500 ? 1 : 0) ? 1 : 0) as number).reduce((a, b) => a + b);
    expect(wrongColumns).toBeLessThan(15);
  }, 60_000);

  it('are refused before any tensor exists, and the next image still works (the wasm heap is not poisoned)', async () => {
    const before = tf.memory().numTensors;
    // 8000 x 6000 = 48 MP: a blur there ran out of wasm memory and broke every later image.
    const huge = { data: new Uint8Array(8000 * 6000 * 3).fill(90), width: 8000, height: 6000, channels: 3 as const };
    await expect(segmenter.segment(huge)).rejects.toThrow('image of 8000 x 6000 (48.0 MP) is larger than the 24 MP segmenting and compositing take (e.g. 6000 x 4000); downscale it first');
    expect(tf.memory().numTensors).toBe(before);
    const small = { data: new Uint8Array(300 * 200 * 3).fill(90), width: 300, height: 200, channels: 3 as const };
    const s = await segmenter.segment(small);
    await expect(blurBackground(huge, s)).rejects.toThrow(/\(48\.0 MP\) is larger than the 24 MP/);
    const out = await replaceBackground(small, s, '#0b4');
    expect([out.width, out.height]).toEqual([300, 200]);
    expect(tf.memory().numTensors).toBe(before);
    expect(MAX_IMAGE_PIXELS).toBe(24_000_000);
  }, 60_000);

  it('6000 x 4000 (the limit) is segmented and its background blurred', async () => {
    const limit = { data: new Uint8Array(6000 * 4000 * 3).fill(90), width: 6000, height: 4000, channels: 3 as const };
    const s = await segmenter.segment(limit);
    const out = await blurBackground(limit, s);
    expect([out.width, out.height]).toEqual([6000, 4000]);
  }, 120_000);
});
