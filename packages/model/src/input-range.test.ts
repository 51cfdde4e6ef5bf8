import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Segmenter } from './segmenter.js';
import { untrainedModel } from './test-support.js';

describe('pixel values a segmenter is given', () => {
  let segmenter: Segmenter;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    segmenter = new Segmenter(untrainedModel({ inputSize: [64, 64] }));
  });
  afterAll(() => {
    segmenter.dispose();
    segmenter.model.dispose();
  });

  it('refuses NaN pixels, warns once about 0..1 pixels, and says nothing about 8-bit pixels', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const before = tf.memory().numTensors;
    const nan = tf.fill([20, 30, 3], Number.NaN) as tf.Tensor3D;
    await expect(segmenter.segment(nan)).rejects.toThrow('image holds 1800 NaN or infinite values; pixels must be numbers from 0 to 255');
    const unit = tf.randomUniform([20, 30, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
    await segmenter.segment(unit);
    await segmenter.segment(unit);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/pixels all lie within 0\.\.1 .*SINet expects 0\.\.255 \(multiply by 255\)/);
    // A dark 8-bit photo (values 0 and 1) is a photo, not a scaling mistake.
    await segmenter.segment({ data: new Uint8Array(20 * 30 * 3).map((_, i) => i % 2), width: 30, height: 20, channels: 3 });
    const scaled = tf.mul(unit, 255) as tf.Tensor3D;
    await segmenter.segment(scaled);
    expect(warn).toHaveBeenCalledTimes(1);
    tf.dispose([nan, unit, scaled]);
    expect(tf.memory().numTensors).toBe(before);
    warn.mockRestore();
  });

  it('refuses infinite pixels, empty images, non-images and an unknown fit, by name and without leaking', async () => {
    const before = tf.memory().numTensors;
    const inf = tf.tidy(() => tf.concat([tf.fill([10, 30, 3], Number.POSITIVE_INFINITY), tf.fill([10, 30, 3], Number.NEGATIVE_INFINITY), tf.fill([10, 30, 3], 128)]) as tf.Tensor3D);
    await expect(segmenter.segment(inf)).rejects.toThrow('image holds 1800 NaN or infinite values');
    const empty = tf.zeros([0, 30, 3]) as tf.Tensor3D;
    await expect(segmenter.segment(empty)).rejects.toThrow(/an empty image \(shape \[0,30,3\]\)/);
    const emptyBatch = tf.zeros([0, 20, 30, 3]) as tf.Tensor4D;
    await expect(segmenter.segmentBatch(emptyBatch)).rejects.toThrow(/segmentBatch: an empty batch or image/);
    await expect(segmenter.segment(null as never)).rejects.toThrow(/image: expected a tf\.Tensor3D, \{data, width, height\} pixels or a browser image, got null/);
    await expect(segmenter.segment(42 as never)).rejects.toThrow(/got number/);
    const ok = tf.fill([20, 30, 3], 100) as tf.Tensor3D;
    await expect(segmenter.segment(ok, { fit: 'bogus' as never })).rejects.toThrow(`fit must be one of 'stretch', 'letterbox', 'aspect', got "bogus"`);
    expect((await segmenter.segment(ok, { fit: 'letterbox' })).width).toBe(30);
    tf.dispose([inf, empty, emptyBatch, ok]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
