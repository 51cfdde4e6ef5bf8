import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { boundaryFScore, boundaryFScoreOfTensors, boundaryIou, boundaryIouOfTensors, classBoundary, ConfusionMatrix, innerBoundary } from '../index.js';

/** A w x h label map with a filled rectangle of class 1 (rows y0..y1, cols x0..x1 inclusive). */
function rectangle(w: number, h: number, y0: number, y1: number, x0: number, x1: number): Uint8Array {
  return Uint8Array.from({ length: w * h }, (_, i) => {
    const y = Math.floor(i / w);
    const x = i % w;
    return y >= y0 && y <= y1 && x >= x0 && x <= x1 ? 1 : 0;
  });
}

describe('ConfusionMatrix (hand-computed)', () => {
  it('counts, skips 255, and derives IoU, mIoU and pixel accuracy', async () => {
    const cm = new ConfusionMatrix(2).update([0, 0, 1, 1, 255], [0, 1, 1, 1, 0]);
    expect(Array.from(cm.counts)).toEqual([1, 1, 0, 2]);
    const [bg, person] = cm.perClassIou();
    expect(bg).toBeCloseTo(1 / 2, 12); // TP 1, FP 0, FN 1
    expect(person).toBeCloseTo(2 / 3, 12); // TP 2, FP 1, FN 0
    expect(cm.meanIou()).toBeCloseTo(7 / 12, 12);
    expect(cm.pixelAccuracy()).toBeCloseTo(3 / 4, 12);
    const fromTensors = await new ConfusionMatrix(2).updateFromTensors(tf.tensor1d([0, 0, 1, 1, 255], 'int32'), tf.tensor1d([0, 1, 1, 1, 0], 'int32'));
    expect(Array.from(fromTensors.counts)).toEqual([1, 1, 0, 2]);
    expect(Array.from(new ConfusionMatrix(2).merge(cm).merge(cm).counts)).toEqual([2, 2, 0, 4]);
  });

  it('leaves classes never seen out of the mean and rejects bad predictions', () => {
    const cm = new ConfusionMatrix(3).update([0, 0], [0, 0]);
    expect(cm.perClassIou()[1]).toBeNaN();
    expect(cm.meanIou()).toBe(1);
    expect(() => cm.update([0], [7])).toThrow(/prediction 7 at pixel 0/);
    expect(() => cm.update([0, 1], [0])).toThrow(/truth has 2 pixels, prediction 1/);
  });
});

describe('boundary F-score (Csurka et al.)', () => {
  const truth = rectangle(40, 40, 10, 19, 10, 19);

  it('a 10 x 10 square has a 36-pixel inner contour', () => {
    expect(classBoundary(truth, 40, 40, 1).reduce((a, b) => a + b, 0)).toBe(36);
  });

  it('is 1 for identical masks and for a 1-pixel shift within a 2-pixel tolerance', () => {
    expect(boundaryFScore(truth, truth, { width: 40, height: 40 }).fScore).toBe(1);
    expect(boundaryFScore(truth, rectangle(40, 40, 11, 20, 10, 19), { width: 40, height: 40, tolerance: 2 }).fScore).toBe(1);
  });

  it('drops to 0.5 for the person class when the square moves 5 rows down (hand-computed)', () => {
    // Of the 36 truth contour pixels, 18 have a predicted contour pixel within 2 px: the bottom
    // row's 3 + 3 pixels near the side columns and rows 13-18 of each side column; by symmetry
    // precision is also 1/2.
    const shifted = rectangle(40, 40, 15, 24, 10, 19);
    const result = boundaryFScore(truth, shifted, { width: 40, height: 40, tolerance: 2, classes: [1] });
    expect(result.perClass[0]).toMatchObject({ class: 1, precision: 0.5, recall: 0.5, fScore: 0.5 });
  });

  it('scores a missing object as 0 and nothing-to-score as 1', () => {
    const empty = new Uint8Array(1600);
    expect(boundaryFScore(truth, empty, { width: 40, height: 40, classes: [1] }).fScore).toBe(0);
    expect(boundaryFScore(empty, empty, { width: 40, height: 40, classes: [1] }).fScore).toBe(1);
    expect(() => boundaryFScore(truth, empty.subarray(1), { width: 40, height: 40 })).toThrow(/1600 labels/);
  });
});

describe('boundary IoU (Cheng et al.)', () => {
  it('a 4 x 4 square with d = 1 has a 12-pixel band; shifted right by one it overlaps 6 of 18 (hand-computed)', () => {
    const truth = rectangle(6, 6, 1, 4, 1, 4);
    expect(innerBoundary(truth, 6, 6, 1).reduce((a, b) => a + b, 0)).toBe(12);
    const shifted = rectangle(6, 6, 1, 4, 2, 5);
    const result = boundaryIou(truth, shifted, { width: 6, height: 6, distance: 1, classes: [1] });
    expect(result.perClass[0]).toMatchObject({ class: 1, intersection: 6, union: 18 });
    expect(result.iou).toBeCloseTo(1 / 3, 12);
  });

  it('counts pixels at the image edge as boundary (zero padding) and is 1 for identical masks', () => {
    const full = new Uint8Array(36).fill(1);
    // The whole 6 x 6 image is one class: with d = 1 only the inner 4 x 4 survives erosion.
    expect(innerBoundary(full, 6, 6, 1).reduce((a, b) => a + b, 0)).toBe(20);
    expect(boundaryIou(full, full, { width: 6, height: 6, distance: 1 }).iou).toBe(1);
  });
});

describe('boundary metrics on tensors', () => {
  it('give the typed-array results and name a wrong shape', async () => {
    const truth = rectangle(40, 40, 10, 19, 10, 19);
    const shifted = rectangle(40, 40, 15, 24, 10, 19);
    const t = tf.tensor2d(truth, [40, 40], 'int32');
    const p = tf.tensor3d(shifted, [40, 40, 1], 'int32');
    expect(await boundaryFScoreOfTensors(t, p, { tolerance: 2 })).toEqual(boundaryFScore(truth, shifted, { width: 40, height: 40, tolerance: 2 }));
    expect(await boundaryIouOfTensors(t, p)).toEqual(boundaryIou(truth, shifted, { width: 40, height: 40 }));
    await expect(boundaryIouOfTensors(tf.zeros([1, 4, 4, 1]), p)).rejects.toThrow(/truth must be a \[height, width\] label tensor/);
    tf.dispose([t, p]);
  });
});
