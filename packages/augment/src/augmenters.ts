/**
 * Every augmenter class, as imgaug's `iaa` module has them: `augmenters` at the root
 * (`new augmenters.Fliplr()`), or named from `@sinet/augment/augmenters`.
 */
export { Lambda, Sequential, SomeOf, Sometimes, type AugmenterOptions, type SequentialOptions } from './augmenter.js';
export { Affine, CropAndPad, Fliplr, Flipud, FusedGeometry, RandomResizedCrop, Resize, Rot90, Rotate } from './geometric.js';
export type { AffineOptions, BorderMode, CropAndPadOptions, FuseGeometryOptions, GeometricOptions, Interpolation, RandomResizedCropOptions, ResizeOptions } from './geometric.js';
export { CopyPaste, DEFAULT_PASTE_COUNT, DEFAULT_PASTE_HEIGHT, type CopyPasteOptions, type PasteDonor } from './copy-paste.js';
export {
  AdditiveGaussianNoise,
  Add,
  AverageBlur,
  EnhanceBrightness,
  EnhanceColor,
  EnhanceContrast,
  EnhanceSharpness,
  GammaContrast,
  GaussianBlur,
  Grayscale,
  LinearContrast,
  MedianBlur,
  Multiply,
  MultiplyAndAddToBrightness,
  MultiplyHue,
  MultiplyHueAndSaturation,
  Sharpen,
} from './photometric.js';
export type {
  AddOptions,
  AlphaOptions,
  BrightnessOptions,
  EnhanceOptions,
  GammaContrastOptions,
  GaussianBlurOptions,
  HueSaturationOptions,
  KernelSizeOptions,
  LinearContrastOptions,
  MultiplyOptions,
  NoiseOptions,
  SharpenOptions,
} from './photometric.js';
export { JpegCompression, type JpegCompressionOptions } from './jpeg.js';
