/** @sinet/model/convert: the official PyTorch weights (clovaai, MIT) read in TypeScript, no Python. */
export { OFFICIAL_LICENSE, OFFICIAL_PARAMETER_COUNT, OFFICIAL_S2_BLOCKS } from './constants.js';
export { convertOfficialCheckpoint, type ConvertOptions } from './official/convert.js';
export { loadOfficialWeights, WeightMappingError, type LoadReport } from './official/official-weights.js';
export { PickleError } from './official/pickle.js';
export { readLegacyTorchStateDict, TorchCheckpointError, type TorchDType, type TorchTensor } from './official/torch-checkpoint.js';
