/**
 * Published portrait-segmentation recipes. Each returns a fresh pipeline; pass `seed` for
 * reproducible runs. Masks are filled with `maskFill` where the image is padded.
 */
import { Augmenter, oneOf, sequential, someOf, sometimes, type AugmenterOptions } from './augmenter.js';
import { Affine, Fliplr, fuseGeometry, Rotate } from './geometric.js';
import {
  AdditiveGaussianNoise,
  AverageBlur,
  EnhanceBrightness,
  EnhanceColor,
  EnhanceContrast,
  EnhanceSharpness,
  GammaContrast,
  GaussianBlur,
  LinearContrast,
  MedianBlur,
  Multiply,
  MultiplyAndAddToBrightness,
  MultiplyHue,
  MultiplyHueAndSaturation,
} from './photometric.js';

export interface PresetOptions extends AugmenterOptions {
  /** Mask label for padded areas: 0 (background, default) or an ignore label such as 255. */
  maskFill?: number;
}

/** Tenths from a to b inclusive, as numpy's randint(a, b + 1) / 10 draws them. */
const tenths = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => (a + i) / 10);

/**
 * The seed's (Keras explainer's) imgaug pipelines, geometric then photometric, each step with
 * p 0.5: flip; rotate +-45; scale 0.5-1.5 per axis; translate +-25% per axis (order nearest or
 * bilinear, constant border with a random grey 0-255); Gaussian noise up to 0.05 x 255 (per
 * channel half of the time); blur sigma up to 3 or 5; brightness x0.4-1.7; gamma 0.4-1.7;
 * multiply 0.4-1.7 (per channel half of the time); hue x0.4-1.7; hue and saturation x0.4-1.7
 * (separately); linear contrast 0.4-1.7 (per channel half of the time).
 */
export function sinetBlogGeometric(options: PresetOptions = {}): Augmenter {
  const maskFill = options.maskFill ?? 0;
  const border = { order: ['nearest', 'bilinear'] as ('nearest' | 'bilinear')[], mode: 'constant' as const, cval: [0, 255] as [number, number], maskFill };
  // Fused: one resampling for the four steps (imgaug resamples after each; the maps are the same).
  return fuseGeometry(
    [
      sometimes(0.5, new Fliplr()),
      sometimes(0.5, new Rotate([-45, 45], { maskFill })),
      sometimes(0.5, new Affine({ scale: { x: [0.5, 1.5], y: [0.5, 1.5] }, ...border })),
      sometimes(0.5, new Affine({ translatePercent: { x: [-0.25, 0.25], y: [-0.25, 0.25] }, ...border })),
    ],
    { seed: options.seed, name: 'sinetBlogGeometric' },
  );
}

export function sinetBlogPhotometric(options: AugmenterOptions = {}): Augmenter {
  return sequential(
    [
      sometimes(0.5, new AdditiveGaussianNoise({ loc: 0, scale: [0, 0.05 * 255], perChannel: 0.5 })),
      sometimes(0.5, oneOf([new GaussianBlur({ sigma: [0, 3] }), new GaussianBlur({ sigma: [0, 5] })])),
      sometimes(0.5, new MultiplyAndAddToBrightness({ mul: [0.4, 1.7], add: 0 })),
      sometimes(0.5, new GammaContrast({ gamma: [0.4, 1.7] })),
      sometimes(0.5, new Multiply({ mul: [0.4, 1.7], perChannel: 0.5 })),
      sometimes(0.5, new MultiplyHue([0.4, 1.7])),
      sometimes(0.5, new MultiplyHueAndSaturation({ mul: [0.4, 1.7], perChannel: true })),
      sometimes(0.5, new LinearContrast({ alpha: [0.4, 1.7], perChannel: 0.5 })),
    ],
    { seed: options.seed, name: 'sinetBlogPhotometric' },
  );
}

export function sinetBlog(options: PresetOptions = {}): Augmenter {
  return sequential([sinetBlogGeometric(options), sinetBlogPhotometric()], { seed: options.seed, name: 'sinetBlog' });
}

/**
 * The official clovaai recipe (data/CVTransforms.py, from PortraitNet's code): with p 0.5 each,
 * flip; affine rotate +-45, scale 0.5-1.5, offset +-40 px with a grey-128 border; PIL colour,
 * brightness (factors 0.4-1.6 in tenths), contrast (0.6-1.4) and sharpness (0.8-1.2); blur with
 * k 3 or 5 (Gaussian 30%, median 30%, box 40%); Gaussian noise with sigma uniform in 0-10.
 */
export function sinetOfficial(options: PresetOptions = {}): Augmenter {
  const maskFill = options.maskFill ?? 0;
  return sequential(
    [
      fuseGeometry([sometimes(0.5, new Fliplr()), sometimes(0.5, new Affine({ rotate: [-45, 45], scale: [0.5, 1.5], translatePx: { x: [-40, 40], y: [-40, 40] }, mode: 'constant', cval: 128, maskFill }))]),
      sometimes(
        0.5,
        sequential([
          new EnhanceColor({ factor: tenths(4, 16) }),
          new EnhanceBrightness({ factor: tenths(4, 16) }),
          new EnhanceContrast({ factor: tenths(6, 14) }),
          new EnhanceSharpness({ factor: tenths(8, 12) }),
        ]),
      ),
      sometimes(0.5, weightedBlur()),
      sometimes(0.5, new AdditiveGaussianNoise({ loc: 0, scale: [0, 10], perChannel: true })),
    ],
    { seed: options.seed, name: 'sinetOfficial' },
  );
}

/** Gaussian (sigma from the kernel size, as cv2 with sigma 0), median or box blur with k 3 or 5: 30/30/40. */
function weightedBlur(): Augmenter {
  const cvSigma = (k: number) => 0.3 * ((k - 1) * 0.5 - 1) + 0.8;
  return sometimes(
    0.3,
    new GaussianBlur({ sigma: [cvSigma(3), cvSigma(5)] }),
    sometimes(0.3 / 0.7, new MedianBlur({ k: [3, 5] }), new AverageBlur({ k: [3, 5] })),
  );
}

/**
 * PortraitNet (Zhang et al., 2019), section 3.3 as published: deformation (flip, rotate +-45,
 * resize 0.5-1.5, translate +-0.25) and texture (noise sigma 10, blur k 3 or 5, colour
 * 0.4-1.7, brightness 0.4-1.7, contrast 0.6-1.5, sharpness 0.8-1.3), each with p 0.5.
 */
export function portraitNet(options: PresetOptions = {}): Augmenter {
  const maskFill = options.maskFill ?? 0;
  return sequential(
    [
      fuseGeometry([sometimes(0.5, new Fliplr()), sometimes(0.5, new Affine({ rotate: [-45, 45], scale: [0.5, 1.5], translatePercent: { x: [-0.25, 0.25], y: [-0.25, 0.25] }, mode: 'constant', cval: 0, maskFill }))]),
      sometimes(0.5, new AdditiveGaussianNoise({ scale: 10, perChannel: true })),
      sometimes(0.5, someOf(1, [new GaussianBlur({ sigma: [0.8, 1.1] }), new AverageBlur({ k: [3, 5] })])),
      sometimes(0.5, new EnhanceColor({ factor: [0.4, 1.7] })),
      sometimes(0.5, new EnhanceBrightness({ factor: [0.4, 1.7] })),
      sometimes(0.5, new EnhanceContrast({ factor: [0.6, 1.5] })),
      sometimes(0.5, new EnhanceSharpness({ factor: [0.8, 1.3] })),
    ],
    { seed: options.seed, name: 'portraitNet' },
  );
}

export const PRESETS = { sinetBlog, sinetBlogGeometric, sinetBlogPhotometric, sinetOfficial, portraitNet } as const;
export type PresetName = keyof typeof PRESETS;
/** The presets' names, in PRESETS' order: the one list the trainer's configs, the CLI and the demo offer. */
export const PRESET_NAMES = Object.keys(PRESETS) as readonly PresetName[];
