/**
 * A run's folder and its checkpoint: the state a run resumes from (position, RNG, history, best
 * score, optimizer moments), written atomically and read back field by field. The format is
 * versioned (`CHECKPOINT_VERSION`); `readCheckpoint` migrates older versions it knows.
 */
import * as tf from '@sinet/layers/tfjs';
import { saveModel, syncFolder, writeFileAtomic } from '@sinet/model/node';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { AdamW } from './adamw.js';
import type { AveragedWeights } from './weight-average.js';
import type { StageConfig } from './config.js';
import { TrainingError } from '../errors.js';

/** The state.json format this trainer writes; 1 is the only one so far (every checkpoint since the first). */
export const CHECKPOINT_VERSION = 1;

export interface EpochRecord {
  stage: number;
  kind: StageConfig['kind'];
  epoch: number;
  loss: number;
  lr: number;
  valMiou: number;
  valPersonIou: number;
  /** Mean boundary F-score over validation images (absent in records written before it was logged). */
  valBoundaryF?: number;
  valBoundaryIou?: number;
  /** Mixed data: each validation source's scores. */
  valSources?: Record<string, { miou: number; personIou: number; boundaryF: number }>;
  /** Mixed data: the score the best epoch is chosen by (see selectionScore). */
  valScore?: number;
  imagesPerSecond: number;
  seconds: number;
  /** Share of the epoch's training time spent waiting for augmented batches (absent in older records). */
  dataWaitShare?: number;
}

/** The score an epoch is ranked by: its selection score (mixed data), else its validation mIoU. */
export const epochScore = (r: EpochRecord): number => r.valScore ?? r.valMiou;

/** The epoch `best/` holds: the first full-network epoch with the highest epochScore. */
export function bestEpoch(history: EpochRecord[]): EpochRecord | undefined {
  return history.filter((r) => r.kind === 'full').reduce<EpochRecord | undefined>((best, r) => (!best || epochScore(r) > epochScore(best) ? r : best), undefined);
}

export interface TrainerState {
  version: typeof CHECKPOINT_VERSION;
  /** Next stage index and epoch to run. */
  stage: number;
  epoch: number;
  rng: number[];
  /** The best full-stage epoch's selection score (mIoU, or with mixed data the mean per-source person IoU; see selectionScore). */
  bestMiou: number;
  history: EpochRecord[];
  /** Moments' names and shapes in optimizer.bin. Checkpoints of tf.train.adam runs also hold `accBeta`, its running bias corrections; AdamW derives them from the step count. */
  optimizer: { names: string[]; shapes: number[][]; accBeta?: [number, number] } | null;
  /** Replicas in worker threads the run trains with (kept across resumes: results depend on it). */
  trainWorkers?: number;
  /** The machines the run trained on (machineLine), each once, in order; absent in checkpoints written before it was kept. */
  machines?: string[];
  /** With optimizer.ema: the moving average's update count; its weights are the model folder `checkpoint/average`. */
  average?: { updates: number };
  /** Set when a run stopped inside an epoch (Ctrl-C): where it continues, bit for bit. */
  partial?: { step: number; order: number[]; seeds: number[]; lossSum: number; seconds: number; dataWaitSeconds?: number };
}

/** Writes the checkpoint folder atomically: a complete new folder, then two renames. */
export async function writeCheckpoint(out: string, model: tf.LayersModel, optimizer: AdamW | null, state: TrainerState, average: AveragedWeights | null = null): Promise<void> {
  const dir = path.join(out, 'checkpoint');
  const tmp = path.join(out, `.checkpoint.${process.pid}.tmp`);
  await fs.rm(tmp, { recursive: true, force: true });
  await saveModel(model, tmp);
  if (average) await average.withAverage(() => saveModel(model, path.join(tmp, 'average')));
  // At a stage boundary the next stage starts a fresh optimizer: no moments to keep.
  const weights = optimizer ? await optimizer.getWeights() : [];
  const names = weights.map((w) => w.name);
  const shapes = weights.map((w) => w.tensor.shape);
  const values = await Promise.all(weights.map((w) => w.tensor.data() as Promise<Float32Array>));
  const total = values.reduce((n, v) => n + v.length, 0);
  const flat = new Float32Array(total);
  values.reduce((at, v) => (flat.set(v, at), at + v.length), 0);
  await writeFileAtomic(path.join(tmp, 'optimizer.bin'), new Uint8Array(flat.buffer));
  await writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify({ ...state, optimizer: optimizer ? { names, shapes } : null, average: average ? { updates: average.updates } : undefined }, null, 1));
  // Rotation that always leaves one complete checkpoint: checkpoint.old is removed only while a
  // complete checkpoint/ exists (after a crash between the renames it is the only one left).
  const old = path.join(out, 'checkpoint.old');
  if (existsSync(dir)) {
    await fs.rm(old, { recursive: true, force: true });
    await fs.rename(dir, old);
  }
  await fs.rename(tmp, dir);
  await syncFolder(out);
  await fs.rm(old, { recursive: true, force: true });
}

export async function readCheckpoint(out: string): Promise<{ dir: string; state: TrainerState } | null> {
  // A crash between the two renames leaves only checkpoint.old: it is complete.
  for (const name of ['checkpoint', 'checkpoint.old']) {
    const dir = path.join(out, name);
    const file = path.join(dir, 'state.json');
    if (!existsSync(file)) continue;
    return { dir, state: checkState(await fs.readFile(file, 'utf8'), file) };
  }
  return null;
}

/** A checkpoint's state.json, parsed and checked field by field (a corrupt one is named, not a crash later). */
function checkState(text: string, file: string): TrainerState {
  let state: TrainerState;
  try {
    state = JSON.parse(text) as TrainerState;
  } catch (e) {
    throw new TrainingError(`${file}: not valid JSON (${(e as Error).message.slice(0, 120)}); the checkpoint is damaged`);
  }
  const bad = (field: string) => new TrainingError(`${file}: '${field}' is missing or wrong; the checkpoint is damaged`);
  if (!state || typeof state !== 'object') throw bad('(root)');
  if (state.version !== CHECKPOINT_VERSION) throw new TrainingError(`${file}: checkpoint format version ${JSON.stringify(state.version)} is not one this trainer reads (${CHECKPOINT_VERSION})`);
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!count(state.stage)) throw bad('stage');
  if (!count(state.epoch)) throw bad('epoch');
  // Rng.getState(): four 32-bit words and the spare normal deviate (NaN, written as null, when none).
  const word = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;
  if (!Array.isArray(state.rng) || state.rng.length !== 5 || !state.rng.slice(0, 4).every(word) || !(state.rng[4] === null || typeof state.rng[4] === 'number')) throw bad('rng');
  if (state.rng[4] === null) state.rng[4] = Number.NaN;
  if (typeof state.bestMiou !== 'number') throw bad('bestMiou');
  if (!Array.isArray(state.history) || state.history.some((r) => !r || typeof r !== 'object' || !count(r.stage) || !count(r.epoch) || typeof r.valMiou !== 'number' || typeof r.loss !== 'number')) throw bad('history');
  const o = state.optimizer;
  if (o !== null && (typeof o !== 'object' || !Array.isArray(o.names) || !Array.isArray(o.shapes) || o.names.length !== o.shapes.length || o.shapes.some((sh) => !Array.isArray(sh) || sh.some((d) => !count(d))))) throw bad('optimizer');
  if (state.machines !== undefined && (!Array.isArray(state.machines) || state.machines.some((m) => typeof m !== 'string'))) throw bad('machines');
  if (state.average !== undefined && (typeof state.average !== 'object' || state.average === null || !count(state.average.updates))) throw bad('average');
  const p = state.partial;
  if (p !== undefined && (typeof p !== 'object' || p === null || !count(p.step) || !Array.isArray(p.order) || !p.order.every(count) || !Array.isArray(p.seeds) || !p.seeds.every(word) || typeof p.lossSum !== 'number' || typeof p.seconds !== 'number' || (p.dataWaitSeconds !== undefined && typeof p.dataWaitSeconds !== 'number'))) throw bad('partial');
  return state;
}

/**
 * Checks that a checkpoint's position fits the run it resumes: its stage exists in the config, and
 * a stop inside an epoch names that epoch's steps, seeds and samples. (An epoch past a stage's
 * end is allowed: the config's epochs may have been shortened; that stage is then done.)
 */
export function checkResumePosition(state: TrainerState, file: string, stages: { epochs: number; batchSize: number }[], epochSize: number, samples: number): void {
  const bad = (what: string) => new TrainingError(`${file}: ${what}; the checkpoint is damaged or belongs to another config`);
  if (state.stage > stages.length) throw bad(`'stage' ${state.stage + 1} is past the config's ${stages.length} stage${stages.length === 1 ? '' : 's'}`);
  const p = state.partial;
  if (!p) return;
  if (state.stage >= stages.length) throw bad("'partial' is set for a finished run");
  const steps = Math.ceil(epochSize / stages[state.stage]!.batchSize);
  if (p.step >= steps) throw bad(`'partial.step' ${p.step} is not below the epoch's ${steps} steps`);
  if (p.seeds.length !== steps) throw bad(`'partial.seeds' holds ${p.seeds.length} seeds for ${steps} steps`);
  if (p.order.length !== epochSize || p.order.some((i) => i >= samples)) throw bad(`'partial.order' is not an order of ${epochSize} of the ${samples} training samples`);
}

export async function restoreOptimizer(optimizer: AdamW, dir: string, meta: NonNullable<TrainerState['optimizer']>, variables: tf.Variable[]): Promise<void> {
  const file = path.join(dir, 'optimizer.bin');
  const sizes = meta.shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
  // 'iter', then a first and a second moment per trained variable, in order.
  const moments = meta.shapes.slice(1);
  const fits = moments.length === 2 * variables.length && moments.every((shape, i) => shape.join('x') === variables[i % variables.length]!.shape.join('x'));
  if (!fits) throw new TrainingError(`${path.join(dir, 'state.json')}: its optimizer state does not fit this model's ${variables.length} trained weights; was the config changed?`);
  const expected = 4 * sizes.reduce((a, b) => a + b, 0);
  const bytes = await fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new TrainingError(`${file}: ${e.code === 'ENOENT' ? 'missing' : e.message}; the checkpoint is damaged`);
  });
  if (bytes.byteLength !== expected) throw new TrainingError(`${file}: ${bytes.byteLength} bytes, the state needs ${expected} (truncated or damaged)`);
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  const weights = meta.names.map((name, i) => {
    const size = meta.shapes[i]!.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(flat.subarray(at, at + size), meta.shapes[i]);
    at += size;
    return { name, tensor };
  });
  // The step count (and with it the bias corrections) is part of the weights ('iter').
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
}

/** What a run writes in its folder. */
const RUN_FILES = ['checkpoint', 'checkpoint.old', 'best', 'log.jsonl', 'report.html', 'predictions.png', 'config.json', 'held-out'];

/**
 * A fresh run must not replace an earlier one by accident: `out` as a file, or holding a run's
 * files, is refused unless `overwrite` (then those files, and only those, are removed).
 */
export async function refuseEarlierRun(out: string, overwrite: boolean): Promise<void> {
  const stat = await fs.stat(out).catch(() => null);
  if (!stat) return;
  if (!stat.isDirectory()) throw new TrainingError(`--out ${out}: is a file, not a folder`);
  const present = RUN_FILES.filter((f) => existsSync(path.join(out, f)));
  if (present.length === 0) return;
  if (!overwrite) throw new TrainingError(`${out} holds an earlier run (${present.join(', ')}): continue it with --resume, start over with --overwrite, or choose another --out`);
  for (const f of present) await fs.rm(path.join(out, f), { recursive: true, force: true });
}
