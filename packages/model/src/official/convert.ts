import type * as tf from '@sinet/layers/tfjs';
import { createSINet, resolveSINetConfig } from '../architecture.js';
import { DEFAULT_CLASS_NAMES, OFFICIAL_LICENSE, OFFICIAL_PREPROCESSING } from '../constants.js';
import { setSINetMetadata } from '../metadata.js';
import type { SINetConfig } from '../types.js';
import { loadOfficialWeights, type LoadReport } from './official-weights.js';
import { readLegacyTorchStateDict } from './torch-checkpoint.js';

export interface ConvertOptions {
  /** Input size of the converted model (the weights work at any multiple of 32). Default 224 x 224. */
  inputSize?: [number, number];
  /** Architecture of the checkpoint when it is not the official Dnc_SINet(2, p=2, q=8, chnn=1). */
  config?: Partial<SINetConfig>;
  classNames?: string[];
}

/**
 * Turns the bytes of the official `SINet.pth` into a tfjs SINet with metadata: config,
 * class names, the official preprocessing and the weights' MIT licence.
 */
export function convertOfficialCheckpoint(bytes: Uint8Array, options: ConvertOptions = {}): { model: tf.LayersModel; report: LoadReport } {
  const stateDict = readLegacyTorchStateDict(bytes);
  const config = resolveSINetConfig({ ...options.config, ...(options.inputSize ? { inputSize: options.inputSize } : {}) });
  const model = createSINet(config);
  try {
    const report = loadOfficialWeights(model, stateDict, config);
    setSINetMetadata(model, {
      format: 1,
      config,
      classNames: options.classNames ?? DEFAULT_CLASS_NAMES.slice(0, config.classes),
      personClass: config.classes - 1,
      preprocessing: OFFICIAL_PREPROCESSING,
      source: 'clovaai/ext_portrait_segmentation result/SINet/SINet.pth',
      license: OFFICIAL_LICENSE,
      // No timestamp: the same checkpoint converts to the same bytes (the shipped files are checked that way).
    });
    return { model, report };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
