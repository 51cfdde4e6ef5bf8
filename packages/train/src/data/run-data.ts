/**
 * The data a training config names: synthetic portraits, a folder dataset, or a mix of folder
 * datasets and person-free backgrounds drawn by weight, each decoded, checked and cached up front.
 */
import type { Rng } from '@sinet/augment';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { TrainingError } from '../errors.js';
import type { MixedSourceConfig, TrainConfig } from '../training/config.js';
import { DatasetError, listFolderDataset, type DatasetEntry, type ImageEntry } from './folder-dataset.js';
import { loadSamples, type LoadedSample } from './loader.js';
import { syntheticPortrait } from './synthetic.js';

/** A training sample with what the mixed data path knows about it. */
export interface RunSample extends LoadedSample {
  /** Index of its source in the mixed config (0 otherwise). */
  source: number;
  /** Probability that people are pasted onto it (backgrounds); 0 for photos. */
  paste: number;
  /** Its people may be pasted onto backgrounds. */
  donor: boolean;
}

/** A validation sample and the source its scores are reported under. */
export interface ValSample extends LoadedSample {
  source: string;
}

/** How an epoch is drawn from a mixed training set. */
export interface EpochPlan {
  /** Train sample indices of each source with a weight above 0, and the samples drawn from it per epoch. */
  sources: { name: string; indices: number[]; quota: number }[];
  epochSize: number;
}

export interface RunData {
  train: RunSample[];
  val: ValSample[];
  /** Mixed data only: how epochs are drawn. Without one an epoch is every train sample once, shuffled. */
  plan?: EpochPlan;
  /** Mixed data only: the ids held out of each source's training list for validation. */
  heldOut?: Record<string, string[]>;
}

/** Where a function writes its progress lines. */
export type Log = (line: string) => void;

export async function loadRunData(config: TrainConfig, options: { cacheDir?: string; log?: Log }): Promise<RunData> {
  const [h, w] = config.inputSize;
  const d = config.data;
  if (d.source === 'synthetic') {
    const make = (offset: number, count: number) =>
      Array.from({ length: count }, (_, i) => {
        const { image, mask } = syntheticPortrait(d.seed * 1_000_003 + offset + i, { width: w, height: h });
        return { id: `synth-${offset + i}`, image, mask, frame: { width: w, height: h } };
      });
    return { train: make(0, d.train).map(asTrain(0, 0, true)), val: make(d.train, d.val).map((s) => ({ ...s, source: 'synthetic' })) };
  }
  if (d.source === 'mixed') return loadMixed(config, d, options);
  const list = (file?: string) => (file ? path.resolve(d.dir, file) : undefined);
  const [trainEntries, valEntries] = await Promise.all([listFolderDataset(d.dir, list(d.trainList)), listFolderDataset(d.dir, list(d.valList))]);
  const load = async (entries: typeof trainEntries, what: 'train' | 'val') => {
    const result = await loadSamples(entries, { size: [h, w], skipBad: d.skipBad, cacheDir: options.cacheDir, evalTruth: what === 'val' });
    for (const s of result.skipped) options.log?.(`skipped ${what} ${s.id}: ${s.reason}`);
    return result.samples;
  };
  const train = await load(trainEntries, 'train');
  const val = await load(valEntries, 'val');
  refuseOneClass(train, 'train', d.dir);
  refuseOneClass(val, 'val', d.dir);
  return { train: train.map(asTrain(0, 0, true)), val: val.map((s) => ({ ...s, source: path.basename(path.resolve(d.dir)) })) };
}

const asTrain = (source: number, paste: number, donor: boolean) => (s: LoadedSample): RunSample => {
  const { truth: _truth, ...rest } = s;
  return { ...rest, source, paste, donor };
};

// A set whose masks are all one class trains (or validates) on nothing: an error, not a result.
function refuseOneClass(samples: LoadedSample[], what: string, dir: string): void {
  const some = (v: number) => samples.some((s) => s.mask.data.includes(v));
  if (samples.length > 0 && (!some(1) || !some(0))) throw new TrainingError(`every ${what} mask in ${dir} is all ${some(1) ? 'person' : 'background'}: nothing to learn from (masks must mark the person as 255 on 0, or 1 on 0)`);
}

const personShare = (s: LoadedSample) => {
  let n = 0;
  for (const v of s.mask.data) n += v;
  return n / s.mask.data.length;
};
const idHash = (source: string, id: string) => createHash('sha256').update(`holdout:${source}:${id}`).digest().readUInt32BE(0);

/**
 * The ids held out of a source: its samples sorted by the person's share of the frame, in runs
 * of round(1 / fraction), one from each run (the one whose id hashes lowest), so the held-out part
 * has the source's mix of small and large people. Depends only on the ids and masks.
 */
/**
 * The size at which hold-out shares are measured, whatever a run trains at: a share measured at
 * 320 x 320 orders near-ties differently from one at 224, and would hold out other photos, so a
 * run continued at a larger input would train on its parent's validation photos.
 */
export const HOLD_OUT_SIZE: [number, number] = [224, 224];

export function holdOutStratified(source: string, samples: LoadedSample[], fraction: number): Set<string> {
  if (fraction <= 0 || samples.length < 2) return new Set();
  const run = Math.max(2, Math.round(1 / fraction));
  const sorted = samples.map((s) => ({ id: s.id, share: personShare(s) })).sort((a, b) => a.share - b.share || (a.id < b.id ? -1 : 1));
  const held = new Set<string>();
  for (let i = 0; i < sorted.length; i += run) {
    const group = sorted.slice(i, i + run);
    if (group.length < run && i > 0 && group.length * fraction < 0.5) break;
    held.add(group.reduce((best, s) => (idHash(source, s.id) < idHash(source, best.id) ? s : best)).id);
  }
  return held;
}

const sameSize = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];

/** A source's photos decoded at HOLD_OUT_SIZE (as a 224 x 224 run decodes them, so its decode cache serves). */
async function samplesAtHoldOutSize(entries: ImageEntry[], skipBad: boolean | undefined, cacheDir: string | undefined): Promise<LoadedSample[]> {
  return (await loadSamples(entries, { size: HOLD_OUT_SIZE, skipBad, cacheDir, evalTruth: true })).samples;
}

async function loadMixed(config: TrainConfig, d: Extract<TrainConfig['data'], { source: 'mixed' }>, options: { cacheDir?: string; log?: Log }): Promise<RunData> {
  const size: [number, number] = config.inputSize;
  const train: RunSample[] = [];
  const val: ValSample[] = [];
  const heldOut: Record<string, string[]> = {};
  const plan: EpochPlan = { sources: [], epochSize: d.epochSize };
  const load = async (source: MixedSourceConfig, list: string | undefined, truth: boolean) => {
    const entries = await listFolderDataset(source.dir, list && path.resolve(source.dir, list), { masks: source.kind === 'photos' });
    const result = await loadSamples(entries, { size, skipBad: d.skipBad, cacheDir: options.cacheDir, evalTruth: truth });
    for (const s of result.skipped) options.log?.(`skipped ${source.name} ${s.id}: ${s.reason}`);
    return { entries, samples: result.samples };
  };
  for (const [index, source] of d.sources.entries()) {
    const photos = source.kind === 'photos';
    const { entries, samples } = await load(source, source.trainList, photos);
    let trainPart = samples;
    if (photos && source.valList) {
      const valPart = (await load(source, source.valList, true)).samples;
      const trainIds = new Set(samples.map((s) => s.id));
      const overlap = valPart.filter((s) => trainIds.has(s.id)).map((s) => s.id);
      if (overlap.length) throw new TrainingError(`${source.name}: ${overlap.length} ids are in both ${source.trainList ?? 'the train images'} and ${source.valList} (e.g. ${overlap.slice(0, 3).join(', ')})`);
      val.push(...valPart.map((s) => ({ ...s, source: source.name })));
    } else if (photos) {
      const atHoldOutSize = sameSize(size, HOLD_OUT_SIZE) ? samples : await samplesAtHoldOutSize(entries, d.skipBad, options.cacheDir);
      const held = holdOutStratified(source.name, atHoldOutSize, source.holdOut ?? d.holdOut);
      trainPart = samples.filter((s) => !held.has(s.id));
      val.push(...samples.filter((s) => held.has(s.id)).map((s) => ({ ...s, source: source.name })));
      heldOut[source.name] = [...held].sort();
    }
    if (photos) refuseOneClass(trainPart, `${source.name} train`, source.dir);
    const first = train.length;
    train.push(...trainPart.map(asTrain(index, photos ? 0 : source.paste, photos && source.donor)));
    if (source.weight > 0 && trainPart.length > 0) plan.sources.push({ name: source.name, indices: Array.from({ length: trainPart.length }, (_, i) => first + i), quota: 0 });
    options.log?.(`${source.name}: ${trainPart.length} train, ${val.filter((s) => s.source === source.name).length} val (${source.kind}, weight ${source.weight})`);
  }
  // Quotas by largest remainder, so they add up to the epoch size exactly.
  const weights = plan.sources.map((p) => d.sources.find((s) => s.name === p.name)!.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((wt) => (d.epochSize * wt) / total);
  plan.sources.forEach((p, i) => (p.quota = Math.floor(exact[i]!)));
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0, left = d.epochSize - plan.sources.reduce((a, p) => a + p.quota, 0); k < left; k++) plan.sources[order[k % order.length]!.i]!.quota++;
  if (val.length === 0) throw new TrainingError('data.sources: nothing to validate on: give a source a valList or a holdOut above 0');
  return { train, val, plan, heldOut };
}

/**
 * One epoch's sample order: each source's quota drawn from its samples (a fresh shuffle of them
 * each pass, so none repeats before all were drawn), then all shuffled together.
 */
export function drawEpoch(plan: EpochPlan, rng: Rng): number[] {
  const order: number[] = [];
  for (const source of plan.sources) {
    for (let left = source.quota; left > 0; left -= source.indices.length) {
      const pass = rng.shuffle(source.indices.slice());
      order.push(...pass.slice(0, Math.min(left, pass.length)));
    }
  }
  return rng.shuffle(order);
}

/**
 * The files a config validates on, source by source: each `valList`, or the ids the trainer holds
 * out (holdOutStratified on the same decoded masks), so `sinet eval --config` scores a run's
 * validation split at every photo's own size.
 */
export async function validationSets(config: TrainConfig, options: { cacheDir?: string; log?: Log } = {}): Promise<{ source: string; entries: DatasetEntry[] }[]> {
  const d = config.data;
  if (d.source === 'synthetic') throw new DatasetError('the config trains on synthetic portraits: there are no files to evaluate');
  const resolve = (dir: string, list?: string) => (list ? path.resolve(dir, list) : undefined);
  if (d.source === 'folder') return [{ source: path.basename(path.resolve(d.dir)), entries: await listFolderDataset(d.dir, resolve(d.dir, d.valList)) }];
  const sets: { source: string; entries: DatasetEntry[] }[] = [];
  for (const source of d.sources) {
    if (source.kind !== 'photos') continue;
    if (source.valList) {
      sets.push({ source: source.name, entries: await listFolderDataset(source.dir, resolve(source.dir, source.valList)) });
      continue;
    }
    const entries = await listFolderDataset(source.dir, resolve(source.dir, source.trainList));
    const held = holdOutStratified(source.name, await samplesAtHoldOutSize(entries, d.skipBad, options.cacheDir), source.holdOut ?? d.holdOut);
    if (held.size) sets.push({ source: source.name, entries: entries.filter((e) => held.has(e.id)) });
  }
  return sets;
}
