import { seededRandom } from '@sinet/test-utils';
import { describe, expect, it } from 'vitest';
import { AugmentInputError, ParamError, PRESETS, Rng, sequential, someOf, sometimes, fromImageData, toImageData, type ImageU8, type LabelMap, type Sample } from './index.js';
import { Add, Affine, AverageBlur, CropAndPad, EnhanceBrightness, EnhanceColor, EnhanceContrast, Fliplr, Flipud, GaussianBlur, Grayscale, MedianBlur, Multiply, MultiplyAndAddToBrightness, MultiplyHueAndSaturation, RandomResizedCrop, Resize, Rot90 } from './augmenters.js';
import { sampleParam, fuseGeometry } from './ops.js';

const img = (width: number, height: number, channels: 1 | 3 | 4, values: number[]): ImageU8 => ({ data: Uint8Array.from(values), width, height, channels });
const gray = (width: number, height: number, fn: (x: number, y: number) => number): ImageU8 => img(width, height, 1, Array.from({ length: width * height }, (_, i) => fn(i % width, Math.floor(i / width))));
const labels = (width: number, height: number, fn: (x: number, y: number) => number): LabelMap => ({ data: Uint8Array.from({ length: width * height }, (_, i) => fn(i % width, Math.floor(i / width))), width, height });
const rows = (im: { data: ArrayLike<number>; width: number }, channels = 1) => {
  const out: number[][] = [];
  for (let i = 0; i < im.data.length; i += im.width * channels) out.push(Array.from(im.data).slice(i, i + im.width * channels));
  return out;
};

describe('exact results of deterministic augmenters', () => {
  const image = gray(3, 2, (x, y) => 10 * y + x); // [[0, 1, 2], [10, 11, 12]]
  const mask = labels(3, 2, (x, y) => (x === 0 && y === 0 ? 1 : 0));

  it('flips image and mask', () => {
    const lr = new Fliplr().augmentSample({ image, mask });
    expect(rows(lr.image)).toEqual([[2, 1, 0], [12, 11, 10]]);
    expect(rows(lr.mask!)).toEqual([[0, 0, 1], [0, 0, 0]]);
    const ud = new Flipud().augmentSample({ image, mask });
    expect(rows(ud.image)).toEqual([[10, 11, 12], [0, 1, 2]]);
    expect(rows(ud.mask!)).toEqual([[0, 0, 0], [1, 0, 0]]);
  });

  it('turns by 90 degrees clockwise with Rot90 (size transposed) and Affine rotate 90 on a square', () => {
    const r = new Rot90(1).augmentSample({ image, mask });
    expect([r.image.width, r.image.height]).toEqual([2, 3]);
    expect(rows(r.image)).toEqual([[10, 0], [11, 1], [12, 2]]);
    expect(rows(r.mask!)).toEqual([[0, 1], [0, 0], [0, 0]]);
    const square = gray(3, 3, (x, y) => 3 * y + x);
    const affine = new Affine({ rotate: 90, order: 'nearest' }).augmentSample({ image: square });
    expect(rows(affine.image)).toEqual([[6, 3, 0], [7, 4, 1], [8, 5, 2]]);
    expect(rows(new Rot90(1).augmentSample({ image: square }).image)).toEqual(rows(affine.image));
  });

  it('shifts by whole pixels, filling the image with cval and the mask with maskFill', () => {
    const s = new Affine({ translatePx: { x: 1, y: 0 }, cval: 99, maskFill: 255, order: 'bilinear' }).augmentSample({ image, mask });
    expect(rows(s.image)).toEqual([[99, 0, 1], [99, 10, 11]]);
    expect(rows(s.mask!)).toEqual([[255, 1, 0], [255, 0, 0]]);
  });

  it.each([
    ['edge', [0, 0, 0, 1, 2]],
    ['reflect', [2, 1, 0, 1, 2]],
    ['symmetric', [1, 0, 0, 1, 2]],
    ['wrap', [3, 4, 0, 1, 2]],
  ] as const)('border mode %s repeats pixels as numpy.pad does', (mode, expected) => {
    const line = gray(5, 1, (x) => [0, 1, 2, 3, 4][x]!);
    const s = new Affine({ translatePx: { x: 2, y: 0 }, mode, order: 'nearest' }).augmentSample({ image: line });
    expect(Array.from(s.image.data)).toEqual(expected);
  });

  it('multiplies and adds with clipping, per channel or not; masks untouched', () => {
    const rgb = img(2, 1, 3, [100, 200, 50, 10, 20, 30]);
    const m = labels(2, 1, () => 7);
    const doubled = new Multiply({ mul: 2 }).augmentSample({ image: rgb, mask: m });
    expect(Array.from(doubled.image.data)).toEqual([200, 255, 100, 20, 40, 60]);
    expect(doubled.mask).toBe(m);
    expect(Array.from(new Add({ value: -40 }).augmentSample({ image: rgb }).image.data)).toEqual([60, 160, 10, 0, 0, 0]);
    // perChannel: three different factors from [0.5, 1.5] on a uniform image differ per channel.
    const uniform = img(1, 1, 3, [100, 100, 100]);
    const per = new Multiply({ mul: [0.5, 1.5], perChannel: true, seed: 3 }).augmentSample({ image: uniform }).image.data;
    expect(new Set(per).size).toBe(3);
  });

  it('keeps an alpha channel through colour operations', () => {
    const rgba = img(1, 1, 4, [10, 20, 30, 77]);
    for (const aug of [new Multiply({ mul: 2 }), new Grayscale({ alpha: 1 }), new MultiplyHueAndSaturation({ mulHue: 1.3, mulSaturation: 0.5 })]) {
      expect(aug.augmentSample({ image: rgba }).image.data[3]).toBe(77);
    }
  });
});

/** An image whose first channel is 255 where the mask is 1: alignment can be read back. */
function encoded(width: number, height: number, seed: number): Sample {
  const r = seededRandom(seed);
  const blobs = Array.from({ length: 4 }, (): [number, number, number] => [r() * width, r() * height, (0.1 + 0.2 * r()) * Math.min(width, height)]);
  const mask = labels(width, height, (x, y) => (blobs.some(([cx, cy, rad]) => Math.hypot(x - cx, y - cy) < rad) ? 1 : 0));
  const image = img(width, height, 3, Array.from(mask.data).flatMap((m) => [255 * m, 128, 64]));
  return { image, mask };
}

/**
 * Share of pixels where the image's first channel (0 or 255 away from edges) agrees with the
 * mask. Padding (mask = ignore) and interpolated edge values (16..239) are set aside; the
 * share set aside is returned too, so a test can check it stays small.
 */
function alignment(s: Sample, ignore = 255): { agree: number; edges: number } {
  let ok = 0;
  let counted = 0;
  let edges = 0;
  for (let i = 0; i < s.mask!.data.length; i++) {
    const m = s.mask!.data[i];
    if (m === ignore) continue;
    const v = s.image.data[3 * i]!;
    if (v > 15 && v < 240) {
      edges++;
      continue;
    }
    counted++;
    if ((v > 127 ? 1 : 0) === m) ok++;
  }
  return { agree: ok / counted, edges: edges / (counted + edges) };
}

describe('geometric pipelines keep image and mask aligned', () => {
  const pipelines = {
    'sinetBlog geometric': () => PRESETS.sinetBlogGeometric({ maskFill: 255, seed: 1 }),
    'affine, every mode and order': () =>
      new Affine({ rotate: [-180, 180], scale: [0.3, 2], shear: [-30, 30], translatePercent: [-0.3, 0.3], order: ['nearest', 'bilinear'], mode: ['constant', 'edge', 'reflect', 'symmetric', 'wrap'], maskFill: 255, seed: 2 }),
    'crop/pad, resize, random resized crop, rot90': () =>
      sequential([new CropAndPad({ percent: [-0.2, 0.2], maskFill: 255 }), new Rot90([0, 3]), new RandomResizedCrop({ size: [96, 80] }), new Resize({ scale: [0.5, 2] })], { seed: 3 }),
  };

  it.each(Object.keys(pipelines))('%s: at least 99% of pixels agree', (name) => {
    const aug = pipelines[name as keyof typeof pipelines]();
    for (let i = 0; i < 20; i++) {
      const out = aug.augmentSample(encoded(120, 100, i));
      expect(out.mask!.width).toBe(out.image.width);
      const { agree, edges } = alignment(out);
      expect(agree).toBeGreaterThanOrEqual(0.99);
      // Upscaling widens bilinear ramps; the bound only guards against setting most pixels aside.
      expect(edges).toBeLessThan(0.2);
    }
  });
});

describe('randomness', () => {
  const sample = encoded(64, 48, 5);

  it('same seed, same output; different seeds, different outputs', () => {
    const run = (seed: number) => PRESETS.sinetBlog({ seed }).augment({ images: [sample.image, sample.image], masks: [sample.mask!, sample.mask!] });
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(a.images.map((i) => Array.from(i.data))).toEqual(b.images.map((i) => Array.from(i.data)));
    expect(a.masks!.map((m) => Array.from(m.data))).toEqual(b.masks!.map((m) => Array.from(m.data)));
    expect(a.images.map((i) => Array.from(i.data))).not.toEqual(c.images.map((i) => Array.from(i.data)));
    // Two images of one batch get different parameters.
    expect(Array.from(a.images[0]!.data)).not.toEqual(Array.from(a.images[1]!.data));
  });

  it('a deterministic view replays the same parameters on every batch', () => {
    const aug = new Affine({ rotate: [-45, 45], translatePx: [-5, 5], order: 'nearest', seed: 9 });
    const det = aug.toDeterministic();
    const first = det.augment({ images: [sample.image], masks: [sample.mask!] });
    const second = det.augment({ images: [sample.image], masks: [sample.mask!] });
    expect(Array.from(second.images[0]!.data)).toEqual(Array.from(first.images[0]!.data));
    // Replayed on another batch (here, just the mask as an image): the same transform.
    const maskAsImage = { data: sample.mask!.data, width: 64, height: 48, channels: 1 as const };
    const replay = det.augment({ images: [maskAsImage] });
    expect(Array.from(replay.images[0]!.data)).toEqual(Array.from(first.masks![0]!.data));
    // The ordinary augmenter moves on.
    expect(Array.from(aug.augment({ images: [sample.image] }).images[0]!.data)).not.toEqual(Array.from(first.images[0]!.data));
  });

  it('sampled parameters follow their specification (fixed seed, 20000 draws)', () => {
    const rng = new Rng(11);
    const n = 20000;
    const uniform = Array.from({ length: n }, () => sampleParam([-45, 45], rng));
    const mean = uniform.reduce((a, b) => a + b, 0) / n;
    const variance = uniform.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(-45);
    expect(Math.max(...uniform)).toBeLessThanOrEqual(45);
    expect(Math.abs(mean)).toBeLessThan(0.5); // standard error 0.18
    expect(variance).toBeCloseTo(90 ** 2 / 12, -1);
    // A list is a uniform choice: chi-square with 2 degrees of freedom under 13.8 (p = 0.001).
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) counts.set(sampleParam([3, 5, 7], rng), (counts.get(sampleParam([3, 5, 7], rng)) ?? 0) + 1);
    const chi = [3, 5, 7].reduce((s, k) => s + ((counts.get(k) ?? 0) - n / 3) ** 2 / (n / 3), 0);
    expect(chi).toBeLessThan(13.8);
    // Integer ranges include both ends.
    const ints = new Set(Array.from({ length: 2000 }, () => sampleParam([1, 3], rng, true)));
    expect([...ints].sort()).toEqual([1, 2, 3]);
    const normals = Array.from({ length: n }, () => rng.normal(2, 3));
    const nm = normals.reduce((a, b) => a + b, 0) / n;
    expect(nm).toBeCloseTo(2, 1);
    expect(Math.sqrt(normals.reduce((a, b) => a + (b - nm) ** 2, 0) / n)).toBeCloseTo(3, 1);
  });

  it('sometimes(p) fires on a fraction p of images; someOf applies the asked number', () => {
    const base = img(1, 1, 1, [100]);
    const aug = sometimes(0.3, new Add({ value: 1 }), undefined, { seed: 12 });
    const out = aug.augment({ images: Array.from({ length: 5000 }, () => base) });
    const fired = out.images.filter((i) => i.data[0] === 101).length / 5000;
    expect(Math.abs(fired - 0.3)).toBeLessThan(0.02);
    const two = someOf(2, [new Add({ value: 1 }), new Add({ value: 10 }), new Add({ value: 100 })], { seed: 13 });
    const sums = new Set(two.augment({ images: Array.from({ length: 300 }, () => img(1, 1, 1, [0])) }).images.map((i) => i.data[0]!));
    expect([...sums].sort((a, b) => a - b)).toEqual([11, 101, 110]);
  });
});

describe('filters against brute force', () => {
  const r = seededRandom(14);
  const noise = img(9, 7, 3, Array.from({ length: 9 * 7 * 3 }, () => Math.floor(r() * 256)));
  const clampIdx = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const window = (x: number, y: number, c: number, k: number) => {
    const values: number[] = [];
    const rad = (k - 1) / 2;
    for (let dy = -rad; dy <= rad; dy++) for (let dx = -rad; dx <= rad; dx++) values.push(noise.data[(clampIdx(y + dy, 7) * 9 + clampIdx(x + dx, 9)) * 3 + c]!);
    return values;
  };
  const brute = (fn: (v: number[]) => number, k: number) => Array.from({ length: 9 * 7 * 3 }, (_, i) => fn(window(Math.floor(i / 3) % 9, Math.floor(i / 27), i % 3, k)));

  it.each([3, 5])('MedianBlur k=%d is the exact window median (borders replicated)', (k) => {
    const out = new MedianBlur({ k }).augmentSample({ image: noise }).image.data;
    expect(Array.from(out)).toEqual(brute((v) => v.sort((a, b) => a - b)[(v.length - 1) / 2]!, k));
  });

  it.each([3, 5])('AverageBlur k=%d is the window mean', (k) => {
    const out = new AverageBlur({ k }).augmentSample({ image: noise }).image.data;
    // Exact: integer sums, rounded once.
    expect(Array.from(out)).toEqual(brute((v) => Math.round(v.reduce((a, b) => a + b, 0) / v.length), k));
  });

  it('GaussianBlur keeps a flat image flat and approximates the exact Gaussian for large sigma', () => {
    expect(Array.from(new GaussianBlur({ sigma: 4 }).augmentSample({ image: img(4, 4, 1, new Array(16).fill(80)) }).image.data)).toEqual(new Array(16).fill(80));
    const step = gray(64, 1, (x) => (x < 32 ? 0 : 255));
    const out = new GaussianBlur({ sigma: 3 }).augmentSample({ image: step }).image.data;
    // Exact Gaussian of a step: 255 * Phi((x - 31.5) / sigma).
    const phi = (z: number) => 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    for (let x = 20; x < 44; x++) expect(Math.abs(out[x]! - 255 * phi((x - 31.5) / 3))).toBeLessThan(8);
  });
});

describe('colour operations (hand-computed)', () => {
  const rgb = img(2, 1, 3, [200, 100, 50, 0, 0, 255]);

  it('PIL enhancers blend with the degenerate image', () => {
    // Brightness 0.5 halves; 0 gives black.
    expect(Array.from(new EnhanceBrightness({ factor: 0.5 }).augmentSample({ image: rgb }).image.data)).toEqual([100, 50, 25, 0, 0, 128]);
    // Colour 0 gives PIL's L: round(0.299 R + 0.587 G + 0.114 B) = 124 and 29.
    expect(Array.from(new EnhanceColor({ factor: 0 }).augmentSample({ image: rgb }).image.data)).toEqual([124, 124, 124, 29, 29, 29]);
    // Contrast 0 gives the mean grey level: (124 + 29) / 2 = 76.5 -> 77.
    expect(Array.from(new EnhanceContrast({ factor: 0 }).augmentSample({ image: rgb }).image.data)).toEqual([77, 77, 77, 77, 77, 77]);
  });

  it('grayscale, brightness and hue/saturation', () => {
    expect(Array.from(new Grayscale({ alpha: 1 }).augmentSample({ image: rgb }).image.data)).toEqual([124, 124, 124, 29, 29, 29]);
    // Luma x 1 + 10 moves every channel by 10.
    expect(Array.from(new MultiplyAndAddToBrightness({ mul: 1, add: 10 }).augmentSample({ image: rgb }).image.data)).toEqual([210, 110, 60, 10, 10, 255]);
    // Saturation 0 leaves grey at the value (max channel).
    expect(Array.from(new MultiplyHueAndSaturation({ mulSaturation: 0 }).augmentSample({ image: rgb }).image.data)).toEqual([200, 200, 200, 255, 255, 255]);
    // Hue x 1 and saturation x 1 round-trip through HSV.
    expect(Array.from(new MultiplyHueAndSaturation({ mulHue: 1, mulSaturation: 1 }).augmentSample({ image: rgb }).image.data)).toEqual(Array.from(rgb.data));
  });
});

describe('bad input and configuration', () => {
  const image = img(2, 2, 3, new Array(12).fill(0));

  it('names mismatched sizes, channel counts and missing pieces', () => {
    const aug = new Fliplr();
    expect(() => aug.augmentSample({ image, mask: labels(3, 2, () => 0) })).toThrow(/mask is 3 x 2 but its image is 2 x 2/);
    expect(() => aug.augmentSample({ image: { ...image, channels: 2 as never } })).toThrow(/channels must be 1, 3 or 4, got 2/);
    expect(() => aug.augmentSample({ image: { ...image, data: new Uint8Array(5) } })).toThrow(/5 bytes do not make a 2 x 2 x 3 image/);
    expect(() => aug.augment({ images: [image], masks: [] })).toThrow(/1 images but 0 masks/);
    expect(() => aug.augment({ images: [] })).toThrow(AugmentInputError);
  });

  it('names out-of-range probabilities, empty ranges and bad options', () => {
    expect(() => sometimes(1.5, new Fliplr())).toThrow(/'p' must be a probability in \[0, 1\], got 1.5/);
    expect(() => new Affine({ rotate: [10, -10] })).toThrow(/Affine: 'rotate' is an empty range \[10, -10\]/);
    expect(() => new Multiply({ mul: [] })).toThrow(/'mul' is an empty list of choices/);
    expect(() => new Multiply({ mul: 1, perChannel: 2 })).toThrow(/perChannel/);
    expect(() => new Affine({ mode: 'mirror' as never })).toThrow(/unknown mode 'mirror'/);
    expect(() => new Affine({ maskFill: 300 })).toThrow(/maskFill/);
    expect(() => new CropAndPad({})).toThrow(ParamError);
    expect(() => someOf(4, [new Fliplr()])).toThrow(/'n' must be an integer or \[min, max\] within 0..1/);
  });
});

describe('presets and adapters', () => {
  it.each(Object.keys(PRESETS))('%s keeps sizes and mask labels', (name) => {
    const aug = PRESETS[name as keyof typeof PRESETS]({ seed: 1 });
    const s = encoded(80, 96, 2);
    for (let i = 0; i < 10; i++) {
      const out = aug.augmentSample(s);
      expect([out.image.width, out.image.height, out.image.channels]).toEqual([80, 96, 3]);
      expect(new Set(out.mask!.data).size).toBeLessThanOrEqual(2);
      expect([...new Set(out.mask!.data)].every((v) => v === 0 || v === 1)).toBe(true);
    }
  });

  it('ImageData round trip, with gray and RGB expanded to RGBA', () => {
    const data = new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]);
    const im = fromImageData({ data, width: 2, height: 1 });
    expect(im.channels).toBe(4);
    expect(Array.from(toImageData(new Fliplr().augmentSample({ image: im }).image).data)).toEqual([5, 6, 7, 8, 1, 2, 3, 4]);
    expect(Array.from(toImageData(img(1, 1, 1, [9])).data)).toEqual([9, 9, 9, 255]);
  });
});

describe('fused geometry', () => {
  it('one composed warp equals the steps applied one after another (exact maps, nearest)', () => {
    const s = encoded(40, 30, 21);
    const steps = () => [new Fliplr(), new Affine({ translatePx: { x: 3, y: -2 }, order: 'nearest' }), new Flipud(), new Affine({ rotate: 180, order: 'nearest' })];
    const one = fuseGeometry(steps()).augmentSample(s);
    const chained = sequential(steps()).augmentSample(s);
    expect(Array.from(one.image.data)).toEqual(Array.from(chained.image.data));
    expect(Array.from(one.mask!.data)).toEqual(Array.from(chained.mask!.data));
  });

  it('fuses through sometimes() and runs non-affine steps in between in order', () => {
    const s = encoded(40, 30, 22);
    const make = () => fuseGeometry([sometimes(1, new Fliplr()), new Add({ value: 7 }), sometimes(0, new Flipud(), new Fliplr())], { seed: 4 });
    const out = make().augmentSample(s);
    // flip, +7, flip back: the original image plus 7 (clipped), mask unchanged.
    expect(Array.from(out.mask!.data)).toEqual(Array.from(s.mask!.data));
    expect(Array.from(out.image.data)).toEqual(Array.from(s.image.data, (v) => Math.min(255, v + 7)));
    expect(make().canPlanWarp()).toBe(false);
    expect(fuseGeometry([new Fliplr(), sometimes(0.5, new Flipud())]).canPlanWarp()).toBe(true);
  });
});
