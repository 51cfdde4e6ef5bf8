/** Model folders (model.json + weights) on disk, without tfjs-node's file:// handler. */
import * as tf from '@sinet/layers/tfjs';
import '@sinet/layers';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { makeFolder, writeFileAtomic } from './atomic.js';
import { readRegularFile } from './regular-file.js';
import { isPretrainedName, PRETRAINED_MODELS } from '@sinet/pretrained';
import { fileURLToPath } from 'node:url';
import { toFloat16 } from '../float16.js';
import { artifactBytes, buildModel, captureArtifacts, checkModelJson, MODEL_LIMITS, ModelFileError, modelJsonOf, type ModelFiles } from '../model-files.js';

export { ModelFileError };

export interface SaveModelOptions {
  /** Store float32 weights as float16 (half the bytes; tfjs expands them to float32 when loading). Default false. */
  float16?: boolean;
}

/** float32 weights as float16 with the manifest entries that say so; other dtypes as they are. */
function halve(specs: tf.io.WeightsManifestEntry[], data: Uint8Array): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  let at = 0;
  const out = specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = size * (spec.dtype === 'bool' ? 1 : 4);
    const slice = data.slice(at, at + bytes);
    at += bytes;
    if (spec.dtype !== 'float32' || spec.quantization) {
      parts.push(slice);
      return spec;
    }
    parts.push(new Uint8Array(toFloat16(new Float32Array(slice.buffer)).buffer));
    return { ...spec, quantization: { dtype: 'float16' as const, original_dtype: 'float32' as const } };
  });
  return { specs: out, data: new Uint8Array(tf.io.concatenateArrayBuffers(parts.map((p) => p.buffer as ArrayBuffer))) };
}

/**
 * Saves `model` to `dir` as model.json + weights-<hash>.bin (float16 with `float16`). The weights
 * file is written first and model.json is replaced atomically last, so the folder always holds a
 * complete model.
 */
export async function saveModel(model: tf.LayersModel, dir: string, options: SaveModelOptions = {}): Promise<{ modelJson: string; weightsFile: string; bytes: number }> {
  await makeFolder(dir);
  const a = await captureArtifacts(model);
  const stored = options.float16 ? halve(a.weightSpecs ?? [], artifactBytes(a.weightData)) : { specs: a.weightSpecs ?? [], data: artifactBytes(a.weightData) };
  const weights = stored.data;
  const weightsFile = `weights-${createHash('sha256').update(weights).digest('hex').slice(0, 12)}.bin`;
  const json = modelJsonOf(a, weightsFile, stored.specs);
  await writeFileAtomic(path.join(dir, weightsFile), weights);
  const modelJson = path.join(dir, 'model.json');
  await writeFileAtomic(modelJson, JSON.stringify(json));
  // Older weight files are no longer referenced by model.json.
  for (const f of await fs.readdir(dir)) if (/^weights-[0-9a-f]+\.bin$/.test(f) && f !== weightsFile) await fs.rm(path.join(dir, f), { force: true });
  return { modelJson, weightsFile: path.join(dir, weightsFile), bytes: weights.length };
}

/** Whether `inner` is `folder` or lies below it (both absolute, resolved). */
function isInside(folder: string, inner: string): boolean {
  const rel = path.relative(folder, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Resolves a model folder or a model.json path to the model.json file. */
export async function resolveModelJson(source: string): Promise<string> {
  const stat = await fs.stat(source).catch(() => null);
  if (!stat) throw new ModelFileError(`${source}: no such model folder or model.json`);
  const file = stat.isDirectory() ? path.join(source, 'model.json') : source;
  if (!(await fs.stat(file).catch(() => null))) throw new ModelFileError(`${source}: the folder has no model.json (convert or train a model into it first)`);
  return file;
}

/**
 * model.json and its weights from a model folder, within MODEL_LIMITS: every weights file must
 * resolve (symlinks followed) inside the folder that holds model.json and be a regular file,
 * and the files together hold exactly the bytes the manifest declares.
 */
export async function readModelFolder(source: string): Promise<ModelFiles> {
  const file = await resolveModelJson(source);
  const where = file;
  const folder = await fs.realpath(path.dirname(path.resolve(file)));
  const realJson = await fs.realpath(file);
  if (!isInside(folder, realJson)) throw new ModelFileError(`${where}: model.json leads outside the model folder (a symlink to ${realJson})`);
  const text = (await readRegularFile(realJson, MODEL_LIMITS.modelJsonBytes, (reason) => new ModelFileError(`${where}: ${reason}`))).toString('utf8');
  const checked = checkModelJson(text, where);
  const buffers: Buffer[] = [];
  let remaining = checked.bytes;
  for (const group of checked.groups) {
    for (const p of group.paths) {
      const what = `${where}: weights file '${p}'`;
      const target = path.join(folder, ...p.split('/'));
      const real = await fs.realpath(target).catch(() => {
        throw new ModelFileError(`${what} is missing`);
      });
      if (!isInside(folder, real)) throw new ModelFileError(`${what} leads outside the model folder (a symlink)`);
      const data = await readRegularFile(real, remaining, (reason) => new ModelFileError(`${what} (the manifest needs ${checked.bytes} bytes in all): ${reason}`));
      remaining -= data.byteLength;
      buffers.push(data);
    }
  }
  const weights = tf.io.concatenateArrayBuffers(buffers.map((d) => d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) as ArrayBuffer));
  return { checked, weights, where };
}

/** An IOHandler that reads a model folder (or model.json path) from the local disk, with readModelFolder's checks. */
export function fileModelHandler(source: string): tf.io.IOHandler {
  return {
    load: async () => {
      const { checked, weights, where } = await readModelFolder(source);
      if (weights.byteLength !== checked.bytes) throw new ModelFileError(`${where}: weights hold ${weights.byteLength} bytes, the manifest needs ${checked.bytes} (truncated or mismatched files)`);
      return tf.io.getModelArtifactsForJSON(checked.json, async () => [checked.specs, weights]);
    },
  };
}

export interface LoadModelOptions {
  /** Refuse a folder without SINet metadata (every sinet command does). Default false. */
  requireSINet?: boolean;
}

/**
 * Loads a model from a folder or a model.json path on disk, or a shipped model by name
 * (`@sinet/pretrained`; a name wins over a folder of that name: write './official' for the
 * folder). See readModelFolder for the checks. A SINet is rebuilt from its validated metadata;
 * another tfjs layers model is deserialised by tfjs.
 */
export async function loadModel(source: string, options: LoadModelOptions = {}): Promise<tf.LayersModel> {
  const folder = isPretrainedName(source) ? fileURLToPath(PRETRAINED_MODELS[source].modelUrl) : source;
  return buildModel(await readModelFolder(folder), options);
}
