/**
 * @sinet/model: SINet for TensorFlow.js. Browser-safe entry; Node helpers (backends,
 * image files, model folders) are in `@sinet/model/node`.
 */
export { createSINet, countParameters, initializeWeights, rebuildWithInputSize, resolveSINetConfig, SINET_CONFIG_LIMITS, sinetEncoder, sinetTaps } from './architecture.js';
export {
  DEFAULT_CLASS_NAMES,
  DEFAULT_FRAME_SMOOTHING,
  DEFAULT_SINET_CONFIG,
  OFFICIAL_LICENSE,
  OFFICIAL_PARAMETER_COUNT,
  OFFICIAL_PREPROCESSING,
  OFFICIAL_S2_BLOCKS,
  TAP_LAYERS,
  type TapName,
} from './constants.js';
export { blurBackground, cutout, fastGaussianBlur, gaussianBlur, parseColour, replaceBackground, toBinaryMask } from './compositing.js';
export type { BlurOptions, Colour, CompositeOptions, Rgba } from './compositing.js';
export { getSINetMetadata, METADATA_LIMITS, ModelMetadataError, setSINetMetadata, validateSINetMetadata } from './metadata.js';
export { buildModel, checkModelJson, fetchModelFiles, loadModelFromFiles, loadModelFromUrl, MODEL_LIMITS, ModelFileError, readPickedModelFiles, type ModelFiles, type UrlModelOptions } from './model-files.js';
export { convertOfficialCheckpoint, type ConvertOptions } from './official/convert.js';
export { loadOfficialWeights, WeightMappingError, type LoadReport } from './official/official-weights.js';
export { PickleError } from './official/pickle.js';
export { readLegacyTorchStateDict, TorchCheckpointError, type TorchDType, type TorchTensor } from './official/torch-checkpoint.js';
export { imageToRgbTensor, InputError, isPixelData, MAX_IMAGE_PIXELS, preprocess, type ImageInput, type PixelData, type RgbaImage } from './pixels.js';
export { loadSegmenter, Segmenter, type Segmentation, type SegmenterOptions, type SegmentOptions } from './segmenter.js';
export { VideoSegmenter, type FrameSegmentation, type VideoSegmenterOptions } from './video.js';
export { countMacs, summarizeModel } from './summary.js';
export type { ModelSummary, Preprocessing, SINetConfig, SINetMetadata } from './types.js';
