import { describe, expect, it } from 'vitest';
import { addConfusion, emptyConfusion, iouFigures } from './confusion.js';

describe('binary confusion and IoU (hand-computed)', () => {
  it('sums over images before dividing', () => {
    const c = emptyConfusion();
    addConfusion(c, 30, 10, 0, 60); // image 1: TP 30, FP 10, FN 0, TN 60
    addConfusion(c, 10, 0, 10, 80); // image 2
    // person IoU = 40 / (40 + 10 + 10) = 2/3; background IoU = 140 / (140 + 20) = 7/8.
    const f = iouFigures(c);
    expect(f.personIou).toBeCloseTo(2 / 3, 12);
    expect(f.backgroundIou).toBeCloseTo(7 / 8, 12);
    expect(f.miou).toBeCloseTo((2 / 3 + 7 / 8) / 2, 12);
  });

  it('a class absent from both truth and prediction counts as perfect, not NaN', () => {
    const c = emptyConfusion();
    addConfusion(c, 0, 0, 0, 100);
    expect(iouFigures(c)).toEqual({ miou: 1, personIou: 1, backgroundIou: 1 });
  });
});
