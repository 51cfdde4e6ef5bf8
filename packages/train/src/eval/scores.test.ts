import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PERSON_SIZES, personSizeOf, resizeNearestFloor, scoreBatch, SegmentationScores } from './scores.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('scoreBatch, the one evaluation step', () => {
  // Logits at 4 x 4 saying "person" in the left half; the truth at 8 x 8 says the left 3 columns.
  const logits = () => tf.tensor4d(Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? [0, 1] : [1, 0])).flat(), [1, 4, 4, 2]);
  const truth = { width: 8, height: 8, data: Uint8Array.from({ length: 64 }, (_, i) => (i % 8 < 3 ? 1 : 0)) };

  it('scores at the logits\' size against the truth resized nearest, and at the truth\'s size with logits resized', async () => {
    const rgb = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const targets = { atOutput: new SegmentationScores(), atTruth: new SegmentationScores() };
    await scoreBatch(() => logits(), 1, rgb, [truth], targets);
    // At 4 x 4 the truth (floor sampling of columns 0, 2, 4, 6) is columns 0-1: the prediction is exact.
    expect(Array.from(resizeNearestFloor(truth, 4, 4).data.slice(0, 4))).toEqual([1, 1, 0, 0]);
    expect(targets.atOutput.report().personIou).toBe(1);
    // At 8 x 8 the resized prediction covers columns 0-3 (4 of them) against the truth's 3: IoU 3 / 4.
    expect(targets.atTruth.report().personIou).toBeCloseTo(3 / 4, 6);
    rgb.dispose();
  });

  it('refineAtTruth replaces the argmax at the truth\'s size, given the image and the person probability there', async () => {
    const rgb = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const targets = { atOutput: new SegmentationScores(), atTruth: new SegmentationScores(), refineAtTruth: async (image: tf.Tensor3D, p: Float32Array, w: number, h: number) => {
      expect([image.shape, p.length, w, h]).toEqual([[8, 8, 3], 64, 8, 8]);
      // The probability is the softmax's person channel: 1 / (1 + e^-1) in the left columns.
      expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 5);
      return truth.data;
    } };
    const before = tf.memory().numTensors;
    await scoreBatch(() => logits(), 1, rgb, [truth], targets);
    expect(tf.memory().numTensors).toBe(before);
    expect(targets.atTruth.report().personIou).toBe(1);
    rgb.dispose();
  });
});

describe('person size classes', () => {
  it('by the share of the frame the truth\'s person covers: small < 10%, medium 10-30%, large from 30%; none without a person', () => {
    const map = (persons: number) => Uint8Array.from({ length: 100 }, (_, i) => (i < persons ? 1 : 0));
    expect([0, 1, 9, 10, 29, 30, 100].map((n) => personSizeOf(map(n)))).toEqual([null, 'small', 'small', 'medium', 'medium', 'large', 'large']);
    expect(PERSON_SIZES.map((s) => s.name)).toEqual(['small', 'medium', 'large']);
  });
});
