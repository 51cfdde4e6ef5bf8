import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak, randomArray } from '@sinet/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './node/backend.js';
import { InputError } from './pixels.js';
import { Segmenter } from './segmenter.js';
import { seededWeights, untrainedModel } from './test-support.js';
import { VideoSegmenter } from './video.js';

const frame = (width: number, height: number, seed: number) => ({
  data: Uint8ClampedArray.from(randomArray(width * height * 3, seed, 0, 255), Math.round),
  width,
  height,
});

describe('VideoSegmenter', () => {
  let segmenter: Segmenter;
  /** One frame's person probability at the model's resolution, without smoothing. */
  const single = async (f: ReturnType<typeof frame>): Promise<Float32Array> => {
    const rgb = tf.tensor4d(Float32Array.from(f.data), [1, f.height, f.width, 3]);
    const logits = await segmenter.predictLogits(rgb);
    const person = tf.tidy(() => tf.slice(tf.softmax(logits, -1), [0, 0, 0, 1], [1, -1, -1, 1]).dataSync() as Float32Array);
    tf.dispose([rgb, logits]);
    return person;
  };

  beforeAll(async () => {
    await initBackend('wasm', { log: null });
    // Seeded weights: probabilities vary from frame to frame and pixel to pixel.
    segmenter = new Segmenter(seededWeights(untrainedModel({ inputSize: [64, 64] }), 21));
  });
  afterAll(() => {
    segmenter.dispose();
    segmenter.model.dispose();
  });

  it('smooths person probabilities over frames by the moving average, with the weight set between frames', async () => {
    const frames = [frame(50, 70, 1), frame(80, 60, 2), frame(64, 64, 3), frame(50, 70, 4)];
    const p: Float32Array[] = [];
    for (const f of frames) p.push(await single(f));
    expect(Math.max(...p[1]!.map((v, i) => Math.abs(v - p[0]![i]!)))).toBeGreaterThan(0.05);
    await expectNoLeak(async () => {
      // Frames of independent noise look like a new scene, and like motion everywhere: cuts and motion off for this arithmetic.
      const video = new VideoSegmenter(segmenter, { smoothing: 0.3, sceneCutLevels: Infinity, motionLevels: Infinity });
      const out = [];
      for (const [i, f] of frames.entries()) {
        if (i === 2) video.smoothing = 0.8;
        out.push(await video.segmentFrame(f));
      }
      expect(out.map((o) => [o.width, o.height])).toEqual(frames.map(() => [64, 64]));
      // By hand: s1 = p1, s2 = 0.3 p2 + 0.7 s1, s3 = 0.8 p3 + 0.2 s2, s4 = 0.8 p4 + 0.2 s3.
      const weights = [1, 0.3, 0.8, 0.8];
      let expected = p[0]!;
      for (const [i, o] of out.entries()) {
        if (i > 0) expected = expected.map((prev, j) => weights[i]! * p[i]![j]! + (1 - weights[i]!) * prev);
        expectClose(o.probabilities, expected, 1e-5, `frame ${i + 1}`);
      }
      // After a reset the next frame stands alone; smoothing 1 never looks back.
      video.reset();
      expectClose((await video.segmentFrame(frames[1]!)).probabilities, p[1]!, 1e-5);
      video.smoothing = 1;
      expectClose((await video.segmentFrame(frames[2]!)).probabilities, p[2]!, 1e-5);
      video.dispose();
    });
  });

  it('returns the frame it segmented, and drops the history at a scene cut (a camera whose colour changes every frame)', async () => {
    const uniform = (rgb: [number, number, number], seed: number) => {
      const noise = frame(40, 30, seed);
      // A flat colour with +-3 levels of noise: the same scene from frame to frame.
      return { ...noise, data: Uint8ClampedArray.from(noise.data, (v, i) => rgb[i % 3]! + ((v % 7) - 3)) };
    };
    const red = [uniform([220, 40, 40], 1), uniform([220, 40, 40], 2)];
    const blue = [uniform([30, 60, 210], 3), uniform([30, 60, 210], 4)];
    const video = new VideoSegmenter(segmenter, { smoothing: 0.5, motionLevels: Infinity });
    const order = [red[0]!, blue[0]!, red[1]!, blue[1]!];
    const out: Awaited<ReturnType<typeof video.segmentFrame>>[] = [];
    for (const f of order) out.push(await video.segmentFrame(f));
    // Every frame is a new scene: no smoothing, each stands alone, and each result carries its own frame.
    expect(out.map((o) => o.sceneCut)).toEqual([true, true, true, true]);
    for (const [i, o] of out.entries()) {
      expect(o.frame).toBe(order[i]);
      expectClose(o.probabilities, await single(order[i]!), 1e-5);
    }
    // The same scene again (noise only): smoothed with the previous frame.
    const again = await video.segmentFrame(uniform([30, 60, 210], 5));
    expect(again.sceneCut).toBe(false);
    expectClose(again.probabilities, (await single(uniform([30, 60, 210], 5))).map((v, i) => 0.5 * v + 0.5 * out[3]!.probabilities[i]!), 1e-5);
    // With cuts turned off the colour flip is smoothed like any other frame.
    const never = new VideoSegmenter(segmenter, { smoothing: 0.5, sceneCutLevels: Infinity, motionLevels: Infinity });
    const first = await never.segmentFrame(red[0]!);
    const second = await never.segmentFrame(blue[0]!);
    expect([first.sceneCut, second.sceneCut]).toEqual([true, false]);
    expectClose(second.probabilities, (await single(blue[0]!)).map((v, i) => 0.5 * v + 0.5 * first.probabilities[i]!), 1e-5);
    expect(() => new VideoSegmenter(segmenter, { sceneCutLevels: 0 })).toThrow(/sceneCutLevels: must be > 0/);
  });

  it('follows motion: a still pixel is averaged, a pixel that changed takes the new frame, the ones between in proportion', async () => {
    // Frames at the model's size (64 x 64), so the brightness per pixel is the frame's own.
    const base = frame(64, 64, 31);
    const luma = (f: ReturnType<typeof frame>) => Float32Array.from({ length: 64 * 64 }, (_, i) => 0.299 * f.data[3 * i]! + 0.587 * f.data[3 * i + 1]! + 0.114 * f.data[3 * i + 2]!);
    // Rows 0-15 still, rows 16-31 brightened by 2 levels (noise), rows 32-47 by 10, rows 48-63 repainted (motion).
    const next = { ...base, data: Uint8ClampedArray.from(base.data, (v, i) => {
      const row = Math.floor(i / 3 / 64);
      if (row < 16) return v;
      if (row < 32) return v + 2;
      if (row < 48) return v + 10;
      return 255 - v;
    }) };
    const [p1, p2] = [await single(base), await single(next)];
    const [y1, y2] = [luma(base), luma(next)];
    await expectNoLeak(async () => {
      const video = new VideoSegmenter(segmenter, { smoothing: 0.25, motionLevels: 16, sceneCutLevels: Infinity });
      await video.segmentFrame(base);
      const out = (await video.segmentFrame(next)).probabilities;
      // By hand: weight 0.25 + 0.75 * clamp((|dY| - 4) / 12, 0, 1).
      const expected = p2.map((v, i) => {
        const w = 0.25 + 0.75 * Math.min(1, Math.max(0, (Math.abs(y2[i]! - y1[i]!) - 4) / 12));
        return w * v + (1 - w) * p1[i]!;
      });
      expectClose(out, expected, 1e-4);
      const rows = (from: number, to: number) => Array.from({ length: (to - from) * 64 }, (_, k) => from * 64 + k);
      // The still and the noisy rows are averaged exactly; the repainted rows are the new frame's.
      for (const i of [...rows(0, 16), ...rows(16, 32).filter((j) => Math.abs(y2[j]! - y1[j]!) <= 4)]) expect(out[i]).toBeCloseTo(0.25 * p2[i]! + 0.75 * p1[i]!, 5);
      for (const i of rows(48, 64).filter((j) => Math.abs(y2[j]! - y1[j]!) >= 16)) expect(out[i]).toBeCloseTo(p2[i]!, 5);
      video.dispose();
    });
    expect(() => new VideoSegmenter(segmenter, { motionLevels: 0 })).toThrow(/motionLevels: must be > 0/);
  });

  it('takes tensors as frames and names a bad smoothing weight or frame', async () => {
    const f = frame(40, 30, 9);
    const video = new VideoSegmenter(segmenter, { smoothing: 1 });
    const tensor = tf.tensor3d(Float32Array.from(f.data), [30, 40, 3]);
    expectClose((await video.segmentFrame(tensor)).probabilities, await single(f), 1e-5);
    tensor.dispose();
    for (const bad of [0, -0.1, 1.5, Number.NaN]) expect(() => new VideoSegmenter(segmenter, { smoothing: bad })).toThrow(InputError);
    expect(() => (video.smoothing = 2)).toThrow(/smoothing: must be in \(0, 1\]/);
    const batch = tf.zeros([2, 30, 40, 3]);
    await expect(video.segmentFrame(batch as tf.Tensor3D)).rejects.toThrow(/frame: expected a \[height, width, channels\] tensor, got rank 4/);
    batch.dispose();
    video.dispose();
  });
});
