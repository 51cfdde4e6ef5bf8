/**
 * @sinet/model: SINet for TensorFlow.js. Browser-safe. Specialised parts: `@sinet/model/convert`
 * (the official PyTorch weights), `@sinet/model/files` (checking untrusted model files),
 * `@sinet/model/node` (backends, image files, model folders).
 */
export { countParameters, createSINet, rebuildWithInputSize, resolveSINetConfig, sinetTaps } from './architecture.js';
export { DEFAULT_CLASS_NAMES, DEFAULT_SINET_CONFIG, OFFICIAL_PREPROCESSING, TAP_LAYERS, type TapName } from './constants.js';
export { refineSegmentation, type RefineOptions } from './refine.js';
export { blurBackground, cutout, parseColour, replaceBackground, toBinaryMask } from './compositing.js';
export type { BlurOptions, Colour, CompositeOptions, Rgba } from './compositing.js';
export { ModelError, type ModelErrorCode } from './errors.js';
export { getSINetMetadata, setSINetMetadata } from './metadata.js';
export { isModelLocation, loadModelFromFiles, loadModelFromUrl, type ModelFiles, type ModelLocation, type UrlModelOptions } from './model-files.js';
export { InputError, MAX_IMAGE_PIXELS, preprocess, type BrowserPixels, type ImageInput, type PixelData, type RgbaImage } from './pixels.js';
export { DEFAULT_SEGMENT_OPTIONS, FITS, loadSegmenter, Segmenter, type Fit, type LoadSegmenterOptions, type PredictOptions, type Segmentation, type SegmenterOptions, type SegmentOptions } from './segmenter.js';
export { VideoSegmenter, type FrameSegmentation, type VideoSegmenterOptions } from './video.js';
export { summarizeModel } from './summary.js';
export type { ModelSummary, Preprocessing, SINetConfig, SINetMetadata } from './types.js';
export type { PretrainedName } from '@sinet/pretrained';
