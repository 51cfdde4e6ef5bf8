/** Segmenter on onnxruntime (runtime: 'onnx'): the same Segmentation as on tfjs, for every option that reaches the network. */
import * as tf from '@tensorflow/tfjs';
import { expectClose, randomArray } from '@sinet/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../node/backend.js';
import { loadSegmenter, type NodeSegmenter } from '../node/index.js';
import type { SegmentOptions } from '../segmenter.js';
import { seededWeights, untrainedModel } from '../test-support.js';
import { VideoSegmenter } from '../video.js';
import { importOnnxRuntime, OnnxRuntimeError } from './runtime.js';

const photo = (width: number, height: number, seed: number) => ({ data: Uint8ClampedArray.from(randomArray(width * height * 3, seed, 0, 255), Math.round), width, height });

describe('loadSegmenter(model, { runtime: "onnx" })', () => {
  let model: tf.LayersModel;
  let onTfjs: NodeSegmenter;
  let onOnnx: NodeSegmenter;
  beforeAll(async () => {
    await initBackend('cpu', { log: null });
    // Scaled-down weights keep probabilities away from 0 and 1, where they would hide differences.
    model = seededWeights(untrainedModel({ inputSize: [64, 64] }), 5);
    onTfjs = await loadSegmenter(model);
    onOnnx = await loadSegmenter(model, { runtime: 'onnx' });
  });
  afterAll(() => {
    onTfjs.dispose();
    onOnnx.dispose();
    model.dispose();
  });

  it('says which runtime it has, and keeps the caller model usable after dispose', async () => {
    expect(onTfjs.runtime).toBe('tfjs');
    expect(onOnnx.runtime).toBe('onnx');
    const other = await loadSegmenter(model, { runtime: 'onnx' });
    other.dispose();
    await expect(other.segment(photo(8, 8, 1))).rejects.toThrow(/disposed/);
    expect(() => (model.predict(tf.zeros([1, 64, 64, 3])) as tf.Tensor).dispose()).not.toThrow();
  });

  it.each<[string, SegmentOptions]>([
    ['plain', {}],
    ['flipTest (one batch of two in onnxruntime)', { flipTest: true }],
    ['letterbox', { fit: 'letterbox' }],
    ['mirrored input, letterbox and flipTest', { flipHorizontal: true, fit: 'letterbox', flipTest: true }],
    ['aspect (the image\'s own aspect: another input size for the one graph)', { fit: 'aspect' }],
  ])('%s: probabilities equal tfjs within 1e-5, no tensor left behind', async (_name, options) => {
    const image = photo(90, 60, 3);
    const want = await onTfjs.segment(image, options);
    const before = tf.memory().numTensors;
    const got = await onOnnx.segment(image, options);
    expect(tf.memory().numTensors).toBe(before);
    expect([got.width, got.height]).toEqual([90, 60]);
    expectClose(got.probabilities, want.probabilities, 1e-5, 'person probability');
    const spread = Math.max(...want.probabilities) - Math.min(...want.probabilities);
    expect(spread).toBeGreaterThan(0.05);
  });

  it('runs at another inputSize and on a batch, through the one exported graph', async () => {
    const tfjsWide = await loadSegmenter(model, { inputSize: [64, 96] });
    const onnxWide = await loadSegmenter(model, { inputSize: [64, 96], runtime: 'onnx' });
    const batch = tf.tidy(() => tf.stack([tf.tensor3d(Float32Array.from(photo(40, 30, 7).data), [30, 40, 3]), tf.tensor3d(Float32Array.from(photo(40, 30, 8).data), [30, 40, 3])]) as tf.Tensor4D);
    const want = await tfjsWide.segmentBatch(batch);
    const got = await onnxWide.segmentBatch(batch);
    expect(got).toHaveLength(2);
    got.forEach((g, i) => expectClose(g.probabilities, want[i]!.probabilities, 1e-5, `image ${i}`));
    batch.dispose();
    tfjsWide.dispose();
    onnxWide.dispose();
  });

  it('serves VideoSegmenter, and predictLogits (the one prediction path) gives the tfjs logits, flip-tested too', async () => {
    const frame = photo(32, 24, 9);
    const result = await new VideoSegmenter(onOnnx, { smoothing: 1 }).segmentFrame(frame);
    const want = await new VideoSegmenter(onTfjs, { smoothing: 1 }).segmentFrame(frame);
    expect(result.probabilities.length).toBe(64 * 64);
    expectClose(result.probabilities, want.probabilities, 1e-5, 'video frame');
    const rgb = tf.tensor4d(Float32Array.from(photo(40, 30, 4).data), [1, 30, 40, 3]);
    for (const flipTest of [false, true]) {
      const [got, expected] = [await onOnnx.predictLogits(rgb, { flipTest }), await onTfjs.predictLogits(rgb, { flipTest })];
      expect(got.shape).toEqual([1, 64, 64, 2]);
      const want = await expected.data();
      // Relative to the logits' scale: seeded weights make logits of ~1e7, where float32 rounding differs by tens.
      const scale = Math.max(...want.map(Math.abs));
      expectClose(await got.data(), want, 1e-5 * scale, `logits, flipTest ${flipTest}`);
      tf.dispose([got, expected]);
    }
    rgb.dispose();
  });

  it('refuses an unknown runtime and says what to install when onnxruntime is missing', async () => {
    const before = tf.memory().numTensors;
    await expect(loadSegmenter(model, { runtime: 'tensorrt' as never })).rejects.toThrow(/runtime must be 'tfjs' or 'onnx', got "tensorrt"/);
    await expect(importOnnxRuntime('onnxruntime-nowhere')).rejects.toThrow(OnnxRuntimeError);
    await expect(importOnnxRuntime('onnxruntime-nowhere')).rejects.toThrow(/npm install onnxruntime-nowhere/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
