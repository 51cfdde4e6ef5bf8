import { describe, expect, it } from 'vitest';
import { ParamError, AugmentInputError, type ImageU8, type LabelMap, type PasteDonor, type Sample } from './index.js';
import { CopyPaste } from './augmenters.js';

const solid = (width: number, height: number, rgb: [number, number, number]): ImageU8 => ({ data: Uint8Array.from({ length: width * height * 3 }, (_, i) => rgb[i % 3]!), width, height, channels: 3 });
const emptyMask = (width: number, height: number): LabelMap => ({ data: new Uint8Array(width * height), width, height });

/** A red person (an ellipse, 0/1 mask) on blue, `width` x `height`, not touching the bottom edge. */
function redPerson(width: number, height: number): PasteDonor {
  const image = solid(width, height, [0, 0, 255]);
  const mask = emptyMask(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = ((x - width / 2) / (width * 0.3)) ** 2 + ((y - height * 0.45) / (height * 0.4)) ** 2 <= 1;
      if (!inside) continue;
      mask.data[y * width + x] = 1;
      image.data.set([255, 0, 0], (y * width + x) * 3);
    }
  }
  return { image, mask };
}

const greenCanvas = (width: number, height: number, frame?: Sample['frame']): Sample => ({ image: solid(width, height, [0, 255, 0]), mask: emptyMask(width, height), ...(frame ? { frame } : {}) });

function maskBox(mask: LabelMap): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    const x = i % mask.width, y = Math.floor(i / mask.width);
    x0 = Math.min(x0, x); x1 = Math.max(x1, x + 1); y0 = Math.min(y0, y); y1 = Math.max(y1, y + 1);
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

describe('CopyPaste', () => {
  it('labels person exactly the pixels where the pasted person outweighs the canvas', () => {
    const donors = [redPerson(40, 60), redPerson(23, 71)];
    let pasted = 0;
    let ties = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const out = new CopyPaste({ donors, seed, colourMatch: 0, noise: 0, height: [0.1, 1] }).augmentSample(greenCanvas(64, 48));
      for (let p = 0; p < 64 * 48; p++) {
        const [r, g] = [out.image.data[p * 3]!, out.image.data[p * 3 + 1]!];
        // Coverage w gives red 255w and green 255(1 - w): the label is w >= 1/2 (bytes round: 2 levels either side are a tie).
        if (Math.abs(r - g) > 2) expect(out.mask!.data[p] === 1, `seed ${seed}, pixel ${p}: r ${r} g ${g}`).toBe(r > g);
        else ties++;
        pasted += out.mask!.data[p]!;
      }
    }
    expect(pasted).toBeGreaterThan(1000);
    expect(ties).toBeLessThan(pasted / 20);
  });

  it('is seeded: the same seed gives the same bytes, another seed others', () => {
    const donors = [redPerson(40, 60)];
    const run = (seed: number) => new CopyPaste({ donors, seed }).augmentSample(greenCanvas(50, 50));
    expect(run(7).image.data).toEqual(run(7).image.data);
    expect(run(7).mask!.data).toEqual(run(7).mask!.data);
    expect(run(7).image.data).not.toEqual(run(8).image.data);
  });

  it('scales a person to the drawn fraction of the canvas height', () => {
    const donors = [redPerson(40, 80)];
    for (let seed = 1; seed <= 20; seed++) {
      const out = new CopyPaste({ donors, seed, count: 1, height: [0.5, 0.5], colourMatch: 0, noise: 0 }).augmentSample(greenCanvas(100, 100));
      const box = maskBox(out.mask!)!;
      // The ellipse is the donor's whole person box: 50 px tall unless cut off by the canvas edge.
      expect(box.y1 - box.y0).toBeLessThanOrEqual(51);
      if (box.y1 < 99 && box.y0 > 0) expect(box.y1 - box.y0).toBeGreaterThanOrEqual(48);
    }
  });

  it('keeps natural proportions between stretched donors and stretched canvases', () => {
    // The donor: a 100 x 200 photo stored at 50 x 50; the canvas: 400 x 200 stored at 100 x 100.
    const donor = redPerson(50, 50);
    donor.frame = { width: 100, height: 200 };
    const ratio = (out: Sample) => {
      const box = maskBox(out.mask!)!;
      return (box.x1 - box.x0) / (box.y1 - box.y0);
    };
    const donorBox = maskBox(donor.mask)!;
    const donorRatio = (donorBox.x1 - donorBox.x0) / (donorBox.y1 - donorBox.y0);
    // Natural width / height of the person: donorRatio * (100 / 50) / (200 / 50); in the canvas's pixels x (100 / 400) / (100 / 200).
    const expected = donorRatio * (100 / 50 / (200 / 50)) * (100 / 400 / (100 / 200));
    let checked = 0;
    for (let seed = 1; seed <= 40 && checked < 5; seed++) {
      const out = new CopyPaste({ donors: [donor], seed, count: 1, height: [0.8, 0.8], colourMatch: 0, noise: 0 }).augmentSample(greenCanvas(100, 100, { width: 400, height: 200 }));
      const box = maskBox(out.mask!)!;
      if (box.x0 === 0 || box.x1 === 100 || box.y1 === 100 || box.y0 === 0) continue; // cut off by an edge
      expect(ratio(out)).toBeCloseTo(expected, 1);
      checked++;
    }
    expect(checked).toBe(5);
  });

  it('stands a person cut off by the donor bottom edge on the canvas bottom edge', () => {
    const image = solid(30, 30, [255, 0, 0]);
    const mask = emptyMask(30, 30);
    for (let y = 10; y < 30; y++) for (let x = 8; x < 22; x++) mask.data[y * 30 + x] = 1;
    for (let seed = 1; seed <= 10; seed++) {
      const out = new CopyPaste({ donors: [{ image, mask }], seed, count: 1, height: [0.3, 0.6] }).augmentSample(greenCanvas(60, 60));
      expect(maskBox(out.mask!)!.y1).toBe(60);
    }
  });

  it('keeps the canvas mask and adds the pasted people to it', () => {
    const canvas = greenCanvas(40, 40);
    canvas.mask!.data.fill(1, 0, 40);
    const out = new CopyPaste({ donors: [redPerson(20, 30)], seed: 3 }).augmentSample(canvas);
    expect(Array.from(out.mask!.data.subarray(0, 40))).toEqual(new Array(40).fill(1));
    expect(canvas.image.data.every((v, i) => v === [0, 255, 0][i % 3])).toBe(true); // the input is not changed
  });

  it('names bad donors and canvases', () => {
    expect(() => new CopyPaste({ donors: [] })).toThrow(ParamError);
    expect(() => new CopyPaste({ donors: [{ image: solid(4, 4, [0, 0, 0]) } as PasteDonor] })).toThrow(/donor 0 has no mask/);
    expect(() => new CopyPaste({ donors: [{ image: solid(4, 4, [0, 0, 0]), mask: emptyMask(3, 4) }] })).toThrow(/donor 0 mask is 3 x 4/);
    expect(() => new CopyPaste({ donors: [redPerson(4, 4)], height: [0, 1] })).toThrow(/'height'/);
    // Found by `pnpm fuzz`: an object in the range was compared (a TypeError), not named.
    expect(() => new CopyPaste({ donors: [redPerson(4, 4)], height: [1, { toString: 1 }] as never })).toThrow(/'height' must be \[min, max\]/);
    // Found by fuzzing (src/fuzz.test.ts): a number where the range goes was a TypeError.
    expect(() => new CopyPaste({ donors: [redPerson(4, 4)], height: 0 as never })).toThrow(ParamError);
    const gray: Sample = { image: { data: new Uint8Array(16), width: 4, height: 4, channels: 1 } };
    expect(() => new CopyPaste({ donors: [redPerson(4, 4)], seed: 1 }).augmentSample(gray)).toThrow(AugmentInputError);
  });
});
