/** Model folders (model.json + weights) on disk, without tfjs-node's file:// handler. */
import * as tf from '../tfjs.js';
import '@sinet/layers';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

const toBytes = (data: tf.io.WeightData | undefined): Uint8Array =>
  data == null ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);

/**
 * Saves `model` to `dir` as model.json + weights-<hash>.bin. The weights file is written
 * first and model.json is replaced atomically last, so the folder always holds a complete model.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<{ modelJson: string; weightsFile: string; bytes: number }> {
  await fs.mkdir(dir, { recursive: true });
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts as unknown as tf.io.ModelArtifacts;
  const weights = toBytes(a.weightData);
  const weightsFile = `weights-${createHash('sha256').update(weights).digest('hex').slice(0, 12)}.bin`;
  const json = {
    format: 'layers-model',
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? '@sinet/model',
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [weightsFile], weights: a.weightSpecs ?? [] }],
    userDefinedMetadata: a.userDefinedMetadata,
  };
  await writeFileAtomic(path.join(dir, weightsFile), weights);
  const modelJson = path.join(dir, 'model.json');
  await writeFileAtomic(modelJson, JSON.stringify(json));
  // Older weight files are no longer referenced by model.json.
  for (const f of await fs.readdir(dir)) if (/^weights-[0-9a-f]+\.bin$/.test(f) && f !== weightsFile) await fs.rm(path.join(dir, f), { force: true });
  return { modelJson, weightsFile: path.join(dir, weightsFile), bytes: weights.length };
}

/** Resolves a model folder or a model.json path to the model.json file. */
export async function resolveModelJson(source: string): Promise<string> {
  const stat = await fs.stat(source).catch(() => null);
  if (!stat) throw new ModelFileError(`${source}: no such model folder or model.json`);
  const file = stat.isDirectory() ? path.join(source, 'model.json') : source;
  if (!(await fs.stat(file).catch(() => null))) throw new ModelFileError(`${source}: the folder has no model.json (convert or train a model into it first)`);
  return file;
}

/** An IOHandler that reads a model folder (or model.json path) from the local disk. */
export function fileModelHandler(source: string): tf.io.IOHandler {
  return {
    load: async () => {
      const file = await resolveModelJson(source);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new ModelFileError(`${file}: not valid JSON (${(e as Error).message})`);
      }
      if (!json || typeof json !== 'object' || !json.modelTopology) throw new ModelFileError(`${file}: not a tfjs layers model (no modelTopology)`);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const weightsPath = path.join(path.dirname(file), p);
            const data = await fs.readFile(weightsPath).catch(() => {
              throw new ModelFileError(`${file}: weights file '${p}' is missing`);
            });
            buffers.push(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
          }
          specs.push(...group.weights);
        }
        const weightData = tf.io.concatenateArrayBuffers(buffers);
        const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
        if (weightData.byteLength !== expected) {
          throw new ModelFileError(`${file}: weights hold ${weightData.byteLength} bytes, the manifest needs ${expected} (truncated or mismatched files)`);
        }
        return [specs, weightData];
      });
    },
  };
}

/** Loads a model from a folder or a model.json path on disk. */
export async function loadModel(source: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileModelHandler(source));
}
