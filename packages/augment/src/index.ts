/**
 * @sinet/augment: imgaug-style, seeded augmentation of images with their segmentation masks,
 * on plain typed arrays. tf.js adapters are in `@sinet/augment/tf`.
 */
export { Augmenter, Lambda, type PlannedWarp, oneOf, Sequential, sequential, SomeOf, someOf, Sometimes, sometimes, type AugmenterOptions, type SequentialOptions } from './augmenter.js';
export { fromImageData, toImageData, type ImageDataLike } from './adapters.js';
export { Affine, composeAffine, CropAndPad, Fliplr, Flipud, FusedGeometry, fuseGeometry, invertAffine, RandomResizedCrop, Resize, resizeSample, Rot90, Rotate, warpImage, warpLabels } from './geometric.js';
export type { AffineOptions, FuseGeometryOptions, BorderMode, CropAndPadOptions, GeometricOptions, Interpolation, InverseMatrix, RandomResizedCropOptions, ResizeOptions } from './geometric.js';
export { CopyPaste, DEFAULT_PASTE_COUNT, DEFAULT_PASTE_HEIGHT, type CopyPasteOptions, type PasteDonor } from './copy-paste.js';
export { AugmentError, type AugmentErrorCode } from './errors.js';
export { AugmentInputError, checkSample, type Batch, type ImageU8, type LabelMap, type Sample } from './image.js';
export { checkParam, ParamError, sample as sampleParam, type Param, type PerChannel } from './params.js';
export {
  AdditiveGaussianNoise,
  Add,
  AverageBlur,
  EnhanceBrightness,
  EnhanceColor,
  EnhanceContrast,
  EnhanceSharpness,
  GammaContrast,
  gaussianBlur,
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
export { JpegCompression, jpegRoundTrip, quantizationTable, type JpegCompressionOptions } from './jpeg.js';
export { portraitNet, PRESETS, sinetBlog, sinetBlogGeometric, sinetBlogPhotometric, sinetOfficial, type PresetName, type PresetOptions } from './presets.js';
export { Rng } from './random.js';
export { augmentKernelsActive, loadAugmentKernels, setAugmentKernelsEnabled } from './simd.js';
