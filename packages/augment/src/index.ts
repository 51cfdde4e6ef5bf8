/**
 * @sinet/augment: imgaug-style, seeded augmentation of images with their segmentation masks,
 * on plain typed arrays. The augmenter classes are `augmenters` (also `@sinet/augment/augmenters`),
 * their building blocks `@sinet/augment/ops`, tf.js adapters `@sinet/augment/tf`.
 */
export * as augmenters from './augmenters.js';
export { Augmenter, oneOf, sequential, someOf, sometimes, type AugmenterOptions, type PlannedWarp, type SequentialOptions } from './augmenter.js';
export { portraitNet, PRESET_NAMES, PRESETS, sinetBlog, sinetBlogGeometric, sinetBlogPhotometric, sinetOfficial, type PresetName, type PresetOptions } from './presets.js';
export { fromImageData, toImageData, type ImageDataLike } from './adapters.js';
export { Rng } from './random.js';
export { loadAugmentKernels } from './simd.js';
export { AugmentError, type AugmentErrorCode } from './errors.js';
export { AugmentInputError, type Batch, type ImageU8, type LabelMap, type Sample } from './image.js';
export { ParamError, type Param, type PerChannel } from './params.js';
export type { AffineOptions, BorderMode, CopyPasteOptions, CropAndPadOptions, GeometricOptions, Interpolation, JpegCompressionOptions, PasteDonor, RandomResizedCropOptions, ResizeOptions } from './augmenters.js';
