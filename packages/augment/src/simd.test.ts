/**
 * The WebAssembly kernels against their TypeScript twins (the same bytes) and against exact
 * references computed here in float64.
 */
import { seededRandom } from '@sinet/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Augmenter, loadAugmentKernels, PRESETS, type BorderMode, type ImageU8, type LabelMap, type Sample } from './index.js';
import { AdditiveGaussianNoise, AverageBlur, EnhanceBrightness, EnhanceColor, EnhanceContrast, EnhanceSharpness, MedianBlur, Sharpen, GammaContrast, MultiplyAndAddToBrightness, MultiplyHueAndSaturation } from './augmenters.js';
import { augmentKernelsActive, gaussianBlur, setAugmentKernelsEnabled, warpImage, warpLabels, type InverseMatrix } from './ops.js';
import { gaussianKernel, separableFilter } from './filters.js';
import { scaleHueSaturation } from './photometric.js';

const random = seededRandom(2024);
const noiseImage = (width: number, height: number, channels: 1 | 3 | 4): ImageU8 => ({ data: Uint8Array.from({ length: width * height * channels }, () => Math.floor(random() * 256)), width, height, channels });
/** Smooth content with edges (a photo-like test: gradients, a disc, noise). */
const photo = (width: number, height: number, channels: 1 | 3 | 4): ImageU8 => {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let k = 0; k < channels; k++) {
        const inside = Math.hypot(x - width / 2, y - height / 2) < Math.min(width, height) / 3;
        data[(y * width + x) * channels + k] = inside ? 200 - 40 * k : Math.min(255, Math.floor((x * 255) / width) + ((y * 7 + k * 31) % 17));
      }
  return { data, width, height, channels };
};

/** Runs `fn` on the TypeScript path and on the WebAssembly path. */
function bothPaths<T>(fn: () => T): { typescript: T; wasm: T } {
  setAugmentKernelsEnabled(false);
  const typescript = fn();
  setAugmentKernelsEnabled(true);
  expect(augmentKernelsActive()).toBe(true);
  return { typescript, wasm: fn() };
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  expect(differ).toBe(0);
};

/** Each augmenter, made with seeds 0..seeds-1, gives the same image on both paths. */
function sameOnBothPaths(makers: ((seed: number) => Augmenter)[], image: ImageU8, seeds: number): void {
  for (const make of makers)
    for (let seed = 0; seed < seeds; seed++) {
      const { typescript, wasm } = bothPaths(() => make(seed).augmentSample({ image }).image.data);
      same(wasm, typescript);
    }
}

beforeAll(async () => {
  expect(await loadAugmentKernels()).toBe(true);
});
afterEach(() => setAugmentKernelsEnabled(true));

describe('WebAssembly kernels give the TypeScript loops\' bytes', () => {
  const shapes: [number, number, 1 | 3 | 4][] = [
    [224, 224, 3],
    [37, 23, 1],
    [5, 41, 4],
    [3, 2, 3],
  ];

  it.each(shapes)('blurs: Gaussian (fixed point) and box filters, %d x %d x %d', (w, h, c) => {
    const image = noiseImage(w, h, c);
    for (const sigma of [0.3, 0.8, 1.5, 2.2, 5, 9]) {
      const { typescript, wasm } = bothPaths(() => gaussianBlur(image, sigma).data);
      same(wasm, typescript);
    }
    for (const k of [3, 5, 7]) {
      const { typescript, wasm } = bothPaths(() => new AverageBlur({ k }).augmentSample({ image }).image.data);
      same(wasm, typescript);
    }
  });

  it.each(shapes)('hue and saturation, noise, lookup tables and brightness, %d x %d x %d', (w, h, c) => {
    const image = noiseImage(w, h, c);
    if (c >= 3)
      for (const [mh, ms] of [[1, 1], [0.4, 1.7], [1.7, 0.4], [3.3, 1], [0, 0], [-0.7, 2]] as const) {
        const { typescript, wasm } = bothPaths(() => scaleHueSaturation(image, mh, ms).data);
        same(wasm, typescript);
      }
    const augmenters = [
      (seed: number) => new AdditiveGaussianNoise({ scale: [0, 40], perChannel: 0.5, seed }),
      (seed: number) => new AdditiveGaussianNoise({ loc: [-30, 30], scale: 12, perChannel: true, seed }),
      (seed: number) => new GammaContrast({ gamma: [0.4, 1.7], perChannel: 0.5, seed }),
      (seed: number) => new MultiplyAndAddToBrightness({ mul: [0.4, 1.7], add: [-40, 40], seed }),
      (seed: number) => new MultiplyHueAndSaturation({ mul: [0.4, 1.7], perChannel: true, seed }),
    ];
    sameOnBothPaths(augmenters, image, 4);
  });

  it.each(shapes)('PIL enhancers, sharpen (3 x 3) and median blurs, %d x %d x %d', (w, h, c) => {
    const image = noiseImage(w, h, c);
    const augmenters = [
      (seed: number) => new EnhanceBrightness({ factor: [0.4, 1.6], seed }),
      (seed: number) => new EnhanceContrast({ factor: [0, 2], seed }),
      (seed: number) => new EnhanceColor({ factor: [0, 2.5], seed }),
      (seed: number) => new EnhanceSharpness({ factor: [0, 3], seed }),
      (seed: number) => new Sharpen({ alpha: [0, 1], lightness: [0.5, 2], seed }),
      (seed: number) => new MedianBlur({ k: 3, seed }),
      (seed: number) => new MedianBlur({ k: 5, seed }),
      (seed: number) => new MedianBlur({ k: 7, seed }),
    ];
    sameOnBothPaths(augmenters, image, 3);
  });

  it.each(shapes)('affine warps, every border mode, nearest and bilinear, %d x %d x %d', (w, h, c) => {
    const image = noiseImage(w, h, c);
    const mask: LabelMap = { data: Uint8Array.from({ length: w * h }, () => (random() < 0.5 ? 1 : 0)), width: w, height: h };
    const modes: BorderMode[] = ['constant', 'edge', 'reflect', 'symmetric', 'wrap'];
    const matrices: InverseMatrix[] = [
      [1, 0, 0, 0, 1, 0],
      [0.8, 0.6, -3.25, -0.6, 0.8, 7.5],
      [1.9, -0.4, 2 * w, 0.3, 1.7, -h],
      [-0.5, 0, w - 0.5, 0, 0.5, 0.25],
    ];
    for (const m of matrices)
      for (const mode of modes) {
        for (const interpolation of ['nearest', 'bilinear'] as const) {
          const o = { width: w + 3, height: Math.max(1, h - 1), interpolation, mode, cval: [17, 200, 3, 90] };
          const { typescript, wasm } = bothPaths(() => warpImage(image, m, o).data);
          same(wasm, typescript);
        }
        const { typescript, wasm } = bothPaths(() => warpLabels(mask, m, w, h, mode, 255).data);
        same(wasm, typescript);
      }
  });

  it('whole presets, seeded: the same samples on both paths', () => {
    const sample: Sample = { image: photo(96, 80, 3), mask: { data: Uint8Array.from({ length: 96 * 80 }, (_, i) => (i % 96 > 40 ? 1 : 0)), width: 96, height: 80 } };
    for (const name of ['sinetBlog', 'sinetOfficial', 'portraitNet'] as const) {
      const run = () => {
        const aug = PRESETS[name]({ seed: 11 });
        return Array.from({ length: 12 }, () => aug.augmentSample(sample));
      };
      const { typescript, wasm } = bothPaths(run);
      typescript.forEach((t, i) => {
        same(wasm[i]!.image.data, t.image.data);
        same(wasm[i]!.mask!.data, t.mask!.data);
      });
    }
  });
});

describe('kernels against float64 references', () => {
  it('the fixed-point Gaussian is within one level of the exact separable Gaussian', () => {
    const image = photo(61, 47, 3);
    const { width: w, height: h } = image;
    for (const sigma of [0.5, 1, 1.5]) {
      const kernel = gaussianKernel(sigma);
      const r = (kernel.length - 1) / 2;
      const at = (x: number, y: number, k: number) => image.data[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * 3 + k]!;
      const out = separableFilter(image, kernel).data;
      let worst = 0;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < 3; k++) {
            let v = 0;
            for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) v += kernel[dy + r]! * kernel[dx + r]! * at(x + dx, y + dy, k);
            worst = Math.max(worst, Math.abs(out[(y * w + x) * 3 + k]! - v));
          }
      expect(worst).toBeLessThan(1);
    }
  });

  it('bilinear warps are within 1/32 pixel of exact float64 bilinear interpolation', () => {
    const image = photo(50, 40, 3);
    const m: InverseMatrix = [0.83, 0.27, 4.1, -0.31, 0.91, 6.7];
    const o = { width: 50, height: 40, interpolation: 'bilinear' as const, mode: 'edge' as const, cval: [0, 0, 0] };
    const out = warpImage(image, m, o).data;
    const px = (x: number, y: number, k: number) => image.data[(Math.min(39, Math.max(0, y)) * 50 + Math.min(49, Math.max(0, x))) * 3 + k]!;
    for (let y = 0; y < 40; y++)
      for (let x = 0; x < 50; x++) {
        const sx = m[0] * x + m[1] * y + m[2];
        const sy = m[3] * x + m[4] * y + m[5];
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        for (let k = 0; k < 3; k++) {
          const p = [px(x0, y0, k), px(x0 + 1, y0, k), px(x0, y0 + 1, k), px(x0 + 1, y0 + 1, k)];
          const fx = sx - x0;
          const fy = sy - y0;
          const exact = (1 - fy) * ((1 - fx) * p[0]! + fx * p[1]!) + fy * ((1 - fx) * p[2]! + fx * p[3]!);
          // Weights rounded to 1/32 pixel move the value by at most the neighbours' spread / 64 per axis.
          const spread = Math.max(...p) - Math.min(...p);
          expect(Math.abs(out[(y * 50 + x) * 3 + k]! - exact)).toBeLessThanOrEqual(spread / 32 + 0.5 + 1e-9);
        }
      }
  });
});
