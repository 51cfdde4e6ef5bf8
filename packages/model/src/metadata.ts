/** A SINet model carries its config, class names and preprocessing in model.json's userDefinedMetadata. */
import type * as tf from '@sinet/layers/tfjs';
import { resolveSINetConfig } from './architecture.js';
import { DEFAULT_CLASS_NAMES } from './constants.js';
import type { Preprocessing, SINetMetadata } from './types.js';
import { ModelError } from './errors.js';

const KEY = 'sinet';

export class ModelMetadataError extends ModelError {
  constructor(message: string) {
    super(message, 'MODEL_METADATA');
  }
}

export function setSINetMetadata(model: tf.LayersModel, metadata: SINetMetadata): void {
  model.setUserDefinedMetadata({ [KEY]: metadata });
}

/** Bounds for what a model file may declare: a crafted file must not reach a division by zero or a giant allocation. */
export const METADATA_LIMITS = { classNameLength: 100, sourceLength: 1000, licenseTextBytes: 64 * 1024, licenseFieldLength: 1000, maxScale: 1000 } as const;

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function checkPreprocessing(p: Preprocessing | undefined, where: string): Preprocessing {
  if (!p || typeof p !== 'object') throw new ModelMetadataError(`${where}: 'preprocessing' is missing`);
  if (p.channelOrder !== 'RGB' && p.channelOrder !== 'BGR') throw new ModelMetadataError(`${where}: 'preprocessing.channelOrder' must be RGB or BGR`);
  for (const field of ['mean', 'std'] as const) {
    const v = p[field];
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => !finite(x))) {
      throw new ModelMetadataError(`${where}: 'preprocessing.${field}' must be three finite numbers`);
    }
  }
  if (p.mean.some((x) => Math.abs(x) > 1e4)) throw new ModelMetadataError(`${where}: 'preprocessing.mean' must be within +-10000 (pixels are 0..255)`);
  if (p.std.some((x) => !(x >= 1e-3 && x <= 1e4))) throw new ModelMetadataError(`${where}: 'preprocessing.std' must be between 0.001 and 10000`);
  if (!finite(p.scale) || !(p.scale > 0 && p.scale <= METADATA_LIMITS.maxScale)) throw new ModelMetadataError(`${where}: 'preprocessing.scale' must be a positive number up to ${METADATA_LIMITS.maxScale}`);
  if (p.resize !== undefined && p.resize !== 'bilinear') throw new ModelMetadataError(`${where}: 'preprocessing.resize' must be 'bilinear'`);
  return { channelOrder: p.channelOrder, mean: [...p.mean], std: [...p.std], scale: p.scale, resize: 'bilinear' };
}

function checkClassNames(names: unknown, classes: number, where: string): string[] {
  if (names === undefined) return DEFAULT_CLASS_NAMES.slice(0, classes).concat(Array.from({ length: Math.max(0, classes - DEFAULT_CLASS_NAMES.length) }, (_, i) => `class ${i + DEFAULT_CLASS_NAMES.length}`));
  if (!Array.isArray(names) || names.length !== classes || names.some((n) => typeof n !== 'string' || n.length === 0 || n.length > METADATA_LIMITS.classNameLength)) {
    throw new ModelMetadataError(`${where}: 'classNames' must be ${classes} non-empty names (one per class, up to ${METADATA_LIMITS.classNameLength} characters each)`);
  }
  return [...names] as string[];
}

function checkText(value: unknown, field: string, max: number, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max) throw new ModelMetadataError(`${where}: '${field}' must be text of at most ${max} characters`);
  return value;
}

function checkLicense(license: SINetMetadata['license'], where: string): SINetMetadata['license'] {
  if (license === undefined) return undefined;
  if (!license || typeof license !== 'object') throw new ModelMetadataError(`${where}: 'license' must be an object`);
  const max = METADATA_LIMITS.licenseFieldLength;
  return {
    name: checkText(license.name, 'license.name', max, where) ?? '',
    holder: checkText(license.holder, 'license.holder', max, where) ?? '',
    ...(license.url !== undefined ? { url: checkText(license.url, 'license.url', max, where) } : {}),
    ...(license.text !== undefined ? { text: checkText(license.text, 'license.text', METADATA_LIMITS.licenseTextBytes, where) } : {}),
  };
}

/**
 * Validates SINet metadata as read from a file (`where` names it in errors): every field a
 * model carries into the process, with sizes in range. Returns a clean copy.
 */
export function validateSINetMetadata(m: unknown, where = 'model'): SINetMetadata {
  if (!m || typeof m !== 'object') throw new ModelMetadataError(`${where} has no SINet metadata (userDefinedMetadata.sinet); was it saved by @sinet/model?`);
  const meta = m as SINetMetadata;
  if (meta.format !== 1) throw new ModelMetadataError(`${where}: unsupported SINet metadata format ${JSON.stringify(meta.format)?.slice(0, 40)}`);
  let config;
  try {
    config = resolveSINetConfig(meta.config);
  } catch (e) {
    throw new ModelMetadataError(`${where}: ${(e as Error).message}`);
  }
  const personClass = meta.personClass ?? config.classes - 1;
  if (!Number.isInteger(personClass) || personClass < 0 || personClass >= config.classes) throw new ModelMetadataError(`${where}: 'personClass' must be a class index from 0 to ${config.classes - 1}`);
  const clean: SINetMetadata = {
    format: 1,
    config,
    classNames: checkClassNames(meta.classNames, config.classes, where),
    personClass,
    preprocessing: checkPreprocessing(meta.preprocessing, where),
  };
  const source = checkText(meta.source, 'source', METADATA_LIMITS.sourceLength, where);
  if (source !== undefined) clean.source = source;
  const license = checkLicense(meta.license, where);
  if (license) clean.license = license;
  const createdAt = checkText(meta.createdAt, 'createdAt', 100, where);
  if (createdAt !== undefined) clean.createdAt = createdAt;
  return clean;
}

/** Reads and validates the metadata of a loaded model; `where` names the model in errors. */
export function getSINetMetadata(model: tf.LayersModel, where = 'model'): SINetMetadata {
  const all = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  return validateSINetMetadata(all?.[KEY], where);
}
