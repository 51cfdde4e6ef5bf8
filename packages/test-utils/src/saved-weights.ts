/** Saved tfjs layers models compared by their files (no tfjs, no @sinet/model: test-utils stays at the bottom of the graph). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
}

/** A model folder's float32 weights by name, read from model.json's manifest and its .bin files. */
export function readSavedWeights(dir: string): Map<string, Float32Array> {
  const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: ManifestGroup[] };
  const weights = new Map<string, Float32Array>();
  for (const group of modelJson.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(path.join(dir, p))));
    let at = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new Error(`${dir}: weight ${w.name} is ${w.dtype}; only float32 is compared`);
      const size = w.shape.reduce((a, b) => a * b, 1);
      weights.set(w.name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + 4 * size)));
      at += 4 * size;
    }
  }
  return weights;
}

/** Largest absolute difference between the same-named weights of two saved models. */
export function maxWeightDifference(dirA: string, dirB: string, include: (name: string) => boolean = () => true): number {
  const [a, b] = [readSavedWeights(dirA), readSavedWeights(dirB)];
  let worst = 0;
  for (const [name, values] of a) {
    if (!include(name)) continue;
    const other = b.get(name);
    if (!other) throw new Error(`${dirB} lacks ${name}`);
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - other[i]!));
  }
  return worst;
}
