/** @sinet/model/files: model files from untrusted sources (uploads, URLs), checked before tfjs reads them. */
export { SINET_CONFIG_LIMITS } from './architecture.js';
export { METADATA_LIMITS, ModelMetadataError, validateSINetMetadata } from './metadata.js';
export { buildModel, checkModelJson, fetchModelFiles, MODEL_LIMITS, ModelFileError, modelFilesOf, readPickedModelFiles, type CheckedModelJson, type WeightGroup } from './model-files.js';
