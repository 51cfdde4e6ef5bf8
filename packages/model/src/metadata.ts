/** A SINet model carries its config, class names and preprocessing in model.json's userDefinedMetadata. */
import type * as tf from './tfjs.js';
import { resolveSINetConfig } from './architecture.js';
import { DEFAULT_CLASS_NAMES } from './constants.js';
import type { Preprocessing, SINetMetadata } from './types.js';

const KEY = 'sinet';

export class ModelMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelMetadataError';
  }
}

export function setSINetMetadata(model: tf.LayersModel, metadata: SINetMetadata): void {
  model.setUserDefinedMetadata({ [KEY]: metadata as unknown as Record<string, unknown> });
}

function checkPreprocessing(p: Preprocessing | undefined, where: string): Preprocessing {
  if (!p || typeof p !== 'object') throw new ModelMetadataError(`${where}: 'preprocessing' is missing`);
  if (p.channelOrder !== 'RGB' && p.channelOrder !== 'BGR') throw new ModelMetadataError(`${where}: 'preprocessing.channelOrder' must be RGB or BGR`);
  for (const field of ['mean', 'std'] as const) {
    const v = p[field];
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw new ModelMetadataError(`${where}: 'preprocessing.${field}' must be three numbers`);
    }
  }
  if (p.std.some((x) => x === 0)) throw new ModelMetadataError(`${where}: 'preprocessing.std' must not contain 0`);
  if (typeof p.scale !== 'number' || !(p.scale > 0)) throw new ModelMetadataError(`${where}: 'preprocessing.scale' must be a positive number`);
  return { ...p, resize: p.resize ?? 'bilinear' };
}

/** Reads and validates the metadata of a loaded model; `where` names the model in errors. */
export function getSINetMetadata(model: tf.LayersModel, where = 'model'): SINetMetadata {
  const all = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  const m = all?.[KEY] as SINetMetadata | undefined;
  if (!m) throw new ModelMetadataError(`${where} has no SINet metadata (userDefinedMetadata.sinet); was it saved by @sinet/model?`);
  if (m.format !== 1) throw new ModelMetadataError(`${where}: unsupported SINet metadata format ${String(m.format)}`);
  let config;
  try {
    config = resolveSINetConfig(m.config);
  } catch (e) {
    throw new ModelMetadataError(`${where}: ${(e as Error).message}`);
  }
  const classNames = Array.isArray(m.classNames) && m.classNames.length === config.classes ? m.classNames : DEFAULT_CLASS_NAMES.slice(0, config.classes);
  const personClass = Number.isInteger(m.personClass) && m.personClass >= 0 && m.personClass < config.classes ? m.personClass : config.classes - 1;
  return { ...m, config, classNames, personClass, preprocessing: checkPreprocessing(m.preprocessing, where) };
}
