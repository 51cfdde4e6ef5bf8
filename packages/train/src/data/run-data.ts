/** The data a training config names: synthetic portraits, or a folder dataset decoded, checked and cached up front. */
import path from 'node:path';
import { TrainingError } from '../errors.js';
import type { TrainConfig } from '../training/config.js';
import { listFolderDataset } from './folder-dataset.js';
import { loadSamples, type LoadedSample } from './loader.js';
import { syntheticPortrait } from './synthetic.js';

export async function loadRunData(config: TrainConfig, options: { cacheDir?: string; log?: (line: string) => void }): Promise<{ train: LoadedSample[]; val: LoadedSample[] }> {
  const [h, w] = config.inputSize;
  const d = config.data;
  if (d.source === 'synthetic') {
    const make = (offset: number, count: number) =>
      Array.from({ length: count }, (_, i) => {
        const { image, mask } = syntheticPortrait(d.seed * 1_000_003 + offset + i, { width: w, height: h });
        return { id: `synth-${offset + i}`, image, mask };
      });
    return { train: make(0, d.train), val: make(d.train, d.val) };
  }
  const list = (file?: string) => (file ? path.resolve(d.dir, file) : undefined);
  const [trainEntries, valEntries] = await Promise.all([listFolderDataset(d.dir, list(d.trainList)), listFolderDataset(d.dir, list(d.valList))]);
  const load = async (entries: typeof trainEntries, what: 'train' | 'val') => {
    const result = await loadSamples(entries, { size: [h, w], skipBad: d.skipBad, cacheDir: options.cacheDir, evalTruth: what === 'val' });
    for (const s of result.skipped) options.log?.(`skipped ${what} ${s.id}: ${s.reason}`);
    return result.samples;
  };
  const loaded = { train: await load(trainEntries, 'train'), val: await load(valEntries, 'val') };
  for (const [what, samples] of Object.entries(loaded)) {
    // A set whose masks are all one class trains (or validates) on nothing: an error, not a result.
    const some = (v: number) => samples.some((s) => s.mask.data.includes(v));
    if (samples.length > 0 && (!some(1) || !some(0))) throw new TrainingError(`every ${what} mask in ${d.dir} is all ${some(1) ? 'person' : 'background'}: nothing to learn from (masks must mark the person as 255 on 0, or 1 on 0)`);
  }
  return loaded;
}
