import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blurBackground, MAX_IMAGE_PIXELS, replaceBackground } from './index.js';
import { initBackend } from './node/backend.js';
import { Segmenter } from './segmenter.js';
import { untrainedModel } from './test-support.js';

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
