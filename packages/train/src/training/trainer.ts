/**
 * The two-stage SINet trainer. Stage 'encoder' trains the encoder alone against the mask at
 * 1/8 (the loss resizes labels nearest); stage 'full' trains the whole network from the stage-1
 * encoder. After every epoch it validates, writes a checkpoint atomically (model, optimizer
 * moments, RNG state, position) and keeps the best full model by validation mIoU. All randomness
 * (initial weights, shuffling, augmentation) derives from the config's seed, so a run and its
 * resumption give the same weights on one backend.
 */
import * as tf from '../tfjs.js';
import { Rng } from '@sinet/augment';
import { sinetLoss } from '@sinet/losses';
import { createSINet, DEFAULT_CLASS_NAMES, initializeWeights, isEncoderWeight, isKernelWeight, OFFICIAL_PREPROCESSING, resolveSINetConfig, setSINetMetadata, sinetEncoder } from '@sinet/model';
import { initBackend, loadModel, saveModel, writeFileAtomic } from '@sinet/model/node';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { listFolderDataset } from '../data/folder-dataset.js';
import { AugmentPool, spareCores, packSamples } from '../data/augment-pool.js';
import { loadSamples, resizeNearestFloor, type LoadedSample } from '../data/loader.js';
import { SegmentationScores } from '../eval/scores.js';
import { syntheticPortrait } from '../data/synthetic.js';
import type { StageConfig, TrainConfig } from './config.js';
import { batchTensors, imageBatch } from './batch.js';
import { DataParallel } from './data-parallel.js';
import { writeReport } from './report.js';
import { ProgressReporter, ThroughputMeter, type ProgressSink, type ProgressState } from './progress.js';
import { learningRate } from './schedule.js';
import { AdamW } from './adamw.js';
import { TrainError } from '../errors.js';

export class TrainingError extends TrainError {
  constructor(message: string) {
    super(message, 'TRAINING');
  }
}

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
  imagesPerSecond: number;
  seconds: number;
}

interface TrainerState {
  version: 1;
  /** Next stage index and epoch to run. */
  stage: number;
  epoch: number;
  rng: number[];
  bestMiou: number;
  history: EpochRecord[];
  /** Moments' names and shapes in optimizer.bin. Checkpoints of tf.train.adam runs also hold `accBeta`, its running bias corrections; AdamW derives them from the step count. */
  optimizer: { names: string[]; shapes: number[][]; accBeta?: [number, number] } | null;
  /** Replicas in worker threads the run trains with (kept across resumes: results depend on it). */
  trainWorkers?: number;
  /** Set when a run stopped inside an epoch (Ctrl-C): where it continues, bit for bit. */
  partial?: { step: number; order: number[]; seeds: number[]; lossSum: number; seconds: number };
}

export interface TrainOptions {
  out: string;
  /** Continue from the last checkpoint in `out`. */
  resume?: boolean;
  /** Replace an earlier run in `out` (its checkpoint, best model, log and report); without it, or `resume`, such a folder is refused. */
  overwrite?: boolean;
  /** Stop after this many epochs in total in this call (for tests and time-boxed runs). */
  maxEpochs?: number;
  backend?: string;
  log?: (line: string) => void;
  /** Cache folder for decoded folder datasets. */
  cacheDir?: string;
  /** Where the progress bar goes (process.stderr in the CLI); none by default. */
  progress?: ProgressSink | null;
  /** Augmentation worker threads (0: on the training thread). Default: cores - 1. */
  augmentWorkers?: number;
  /** Batches augmented ahead of the training step. Default 2. */
  prefetch?: number;
  /**
   * Model replicas in worker threads besides this thread (data-parallel training, see
   * DataParallel). Default: cores - 1; 0 trains on this thread alone. A resumed run keeps the
   * count it was started with unless this is given.
   */
  trainWorkers?: number;
  /** Called after every training step (a progress bar of one's own, a UI). */
  onStep?: (progress: ProgressState) => void;
  /** Stops the run after the current step, saving a checkpoint to resume from (like Ctrl-C). */
  signal?: AbortSignal;
  /** Treat SIGINT / SIGTERM as a request to save and stop (the CLI does). Default false. */
  handleSignals?: boolean;
}

export interface TrainResult {
  history: EpochRecord[];
  bestMiou: number;
  out: string;
  finished: boolean;
  /** Stopped by a signal or an abort (the checkpoint is saved). */
  interrupted: boolean;
}

async function loadData(config: TrainConfig, options: TrainOptions): Promise<{ train: LoadedSample[]; val: LoadedSample[] }> {
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

/**
 * Validation by `sinet eval`'s protocol at the training size (mIoU, person IoU, boundary F and
 * IoU, against masks resized as eval resizes them); encoder-stage outputs are scored at 1/8.
 */
async function validate(model: tf.LayersModel, val: LoadedSample[], size: [number, number], batchSize: number): Promise<ReturnType<SegmentationScores['report']>> {
  const scores = new SegmentationScores();
  for (let i = 0; i < val.length; i += batchSize) {
    const batch = val.slice(i, i + batchSize);
    const x = imageBatch(batch.map((s) => s.image), size);
    const pred = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor4D, -1));
    const [, oh, ow] = pred.shape;
    const labels = await pred.data();
    tf.dispose([x, pred]);
    batch.forEach((sample, b) => {
      const truth = resizeNearestFloor(sample.truth ?? sample.mask, ow, oh);
      scores.add(truth.data, labels.subarray(b * oh * ow, (b + 1) * oh * ow), ow, oh);
    });
  }
  return scores.report();
}

/** Writes the checkpoint folder atomically: a complete new folder, then two renames. */
async function writeCheckpoint(out: string, model: tf.LayersModel, optimizer: AdamW | null, state: TrainerState): Promise<void> {
  const dir = path.join(out, 'checkpoint');
  const tmp = path.join(out, `.checkpoint.${process.pid}.tmp`);
  await fs.rm(tmp, { recursive: true, force: true });
  await saveModel(model, tmp);
  // At a stage boundary the next stage starts a fresh optimizer: no moments to keep.
  const weights = optimizer ? await optimizer.getWeights() : [];
  const names = weights.map((w) => w.name);
  const shapes = weights.map((w) => w.tensor.shape);
  const values = await Promise.all(weights.map((w) => w.tensor.data() as Promise<Float32Array>));
  const total = values.reduce((n, v) => n + v.length, 0);
  const flat = new Float32Array(total);
  values.reduce((at, v) => (flat.set(v, at), at + v.length), 0);
  await writeFileAtomic(path.join(tmp, 'optimizer.bin'), new Uint8Array(flat.buffer));
  await writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify({ ...state, optimizer: optimizer ? { names, shapes } : null }, null, 1));
  const old = path.join(out, 'checkpoint.old');
  await fs.rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await fs.rename(dir, old);
  await fs.rename(tmp, dir);
  await fs.rm(old, { recursive: true, force: true });
}

async function readCheckpoint(out: string): Promise<{ dir: string; state: TrainerState } | null> {
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
  if (state.version !== 1) throw new TrainingError(`${file}: checkpoint format version ${JSON.stringify(state.version)} is not one this trainer reads (1)`);
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!count(state.stage)) throw bad('stage');
  if (!count(state.epoch)) throw bad('epoch');
  if (!Array.isArray(state.rng)) throw bad('rng');
  if (typeof state.bestMiou !== 'number') throw bad('bestMiou');
  if (!Array.isArray(state.history)) throw bad('history');
  const o = state.optimizer;
  if (o !== null && (typeof o !== 'object' || !Array.isArray(o.names) || !Array.isArray(o.shapes) || o.names.length !== o.shapes.length || o.shapes.some((sh) => !Array.isArray(sh) || sh.some((d) => !count(d))))) throw bad('optimizer');
  const p = state.partial;
  if (p !== undefined && (typeof p !== 'object' || !count(p.step) || !Array.isArray(p.order) || !Array.isArray(p.seeds))) throw bad('partial');
  return state;
}

async function restoreOptimizer(optimizer: AdamW, dir: string, meta: NonNullable<TrainerState['optimizer']>, variables: tf.Variable[]): Promise<void> {
  const file = path.join(dir, 'optimizer.bin');
  const sizes = meta.shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
  // 'iter', then a first and a second moment per trained variable, in order.
  const moments = meta.shapes.slice(1);
  const fits = moments.length === 2 * variables.length && moments.every((shape, i) => shape.join('x') === variables[i % variables.length].shape.join('x'));
  if (!fits) throw new TrainingError(`${path.join(dir, 'state.json')}: its optimizer state does not fit this model's ${variables.length} trained weights; was the config changed?`);
  const expected = 4 * sizes.reduce((a, b) => a + b, 0);
  const bytes = await fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new TrainingError(`${file}: ${e.code === 'ENOENT' ? 'missing' : e.message}; the checkpoint is damaged`);
  });
  if (bytes.byteLength !== expected) throw new TrainingError(`${file}: ${bytes.byteLength} bytes, the state needs ${expected} (truncated or damaged)`);
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  const weights = meta.names.map((name, i) => {
    const size = meta.shapes[i].reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(flat.subarray(at, at + size), meta.shapes[i]);
    at += size;
    return { name, tensor };
  });
  // The step count (and with it the bias corrections) is part of the weights ('iter').
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
}

/** What a run writes in its folder. */
const RUN_FILES = ['checkpoint', 'checkpoint.old', 'best', 'log.jsonl', 'report.html', 'predictions.png', 'config.json'];

/**
 * A fresh run must not replace an earlier one by accident: `out` as a file, or holding a run's
 * files, is refused unless `overwrite` (then those files, and only those, are removed).
 */
async function refuseEarlierRun(out: string, overwrite: boolean): Promise<void> {
  const stat = await fs.stat(out).catch(() => null);
  if (!stat) return;
  if (!stat.isDirectory()) throw new TrainingError(`--out ${out}: is a file, not a folder`);
  const present = RUN_FILES.filter((f) => existsSync(path.join(out, f)));
  if (present.length === 0) return;
  if (!overwrite) throw new TrainingError(`${out} holds an earlier run (${present.join(', ')}): continue it with --resume, start over with --overwrite, or choose another --out`);
  for (const f of present) await fs.rm(path.join(out, f), { recursive: true, force: true });
}

/** Copies a saved model's weights into `model` by name; shapes must match (input size may differ). */
async function initFrom(model: tf.LayersModel, dir: string): Promise<void> {
  const source = await loadModel(dir, { requireSINet: true }).catch((e: Error) => {
    throw new TrainingError(`init: cannot load ${dir}: ${e.message}`);
  });
  try {
    const byName = new Map(source.weights.map((w) => [w.originalName, w]));
    const values = model.weights.map((w) => {
      const from = byName.get(w.originalName);
      if (!from) throw new TrainingError(`init: ${dir} has no weight ${w.originalName}; is it a SINet model?`);
      if (from.shape.join('x') !== w.shape.join('x')) throw new TrainingError(`init: ${dir}: weight ${w.originalName} is ${from.shape.join('x')}, the model needs ${w.shape.join('x')}`);
      return from.read();
    });
    model.setWeights(values);
  } finally {
    source.dispose();
  }
}

export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const progress = new ProgressReporter(options.progress ?? null);
  const log = (line: string) => progress.log(line, options.log);
  await initBackend(options.backend, { log });
  const size = config.inputSize;
  const modelConfig = resolveSINetConfig({ inputSize: size });
  const model = createSINet(modelConfig);
  setSINetMetadata(model, { format: 1, config: modelConfig, classNames: DEFAULT_CLASS_NAMES, personClass: 1, preprocessing: OFFICIAL_PREPROCESSING, source: `sinet train (${config.name})` });
  const rng = new Rng(config.seed);
  initializeWeights(model, rng.nextUint32());
  let state: TrainerState = { version: 1, stage: 0, epoch: 0, rng: rng.getState(), bestMiou: -1, history: [], optimizer: null };
  let resumedFrom: string | null = null;
  if (options.resume) {
    const checkpoint = await readCheckpoint(options.out);
    if (!checkpoint) throw new TrainingError(`${options.out}: no checkpoint to resume from`);
    const saved = await loadModel(checkpoint.dir, { requireSINet: true });
    model.setWeights(saved.getWeights());
    saved.dispose();
    state = checkpoint.state;
    rng.setState(state.rng);
    resumedFrom = checkpoint.dir;
    log(`resuming ${options.out} at stage ${state.stage + 1}, epoch ${state.epoch + 1}${state.partial ? `, step ${state.partial.step + 1}` : ''}`);
  } else {
    await refuseEarlierRun(options.out, options.overwrite ?? false);
    if (config.init) await initFrom(model, config.init);
  }
  await fs.mkdir(options.out, { recursive: true });
  if (resumedFrom) {
    // A kill -9 can leave a half-written checkpoint folder and log lines past the checkpoint.
    for (const name of await fs.readdir(options.out)) if (/^\.checkpoint\..*\.tmp$/.test(name)) await fs.rm(path.join(options.out, name), { recursive: true, force: true });
    await writeFileAtomic(path.join(options.out, 'log.jsonl'), state.history.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  await writeFileAtomic(path.join(options.out, 'config.json'), JSON.stringify(config, null, 2));
  const data = await loadData(config, options);
  log(`data: ${data.train.length} train, ${data.val.length} val at ${size[1]}x${size[0]}`);
  config.stages.forEach((st, i) => {
    if (st.epochs > 0 && st.batchSize > data.train.length) log(`warning: stage ${i + 1}'s batch of ${st.batchSize} is larger than the ${data.train.length} training images: every step trains on all of them (one step an epoch)`);
  });
  const workers = options.augmentWorkers ?? spareCores();
  const trainWorkers = options.trainWorkers ?? state.trainWorkers ?? spareCores();
  if (!Number.isInteger(trainWorkers) || trainWorkers < 0) throw new TrainingError(`trainWorkers must be an integer >= 0, got ${trainWorkers}`);
  if (state.trainWorkers !== undefined && state.trainWorkers !== trainWorkers) log(`note: this run trained with ${state.trainWorkers} worker replicas, now ${trainWorkers}: the rest will not match a straight run bit for bit`);
  state.trainWorkers = trainWorkers;
  const backendName = tf.getBackend();
  const packed = packSamples(data.train, workers > 0);
  const encoder = sinetEncoder(model);
  const meter = new ThroughputMeter();
  const imagesLeft = (s: number, epoch: number, step: number) => {
    let images = 0;
    for (let i = s; i < config.stages.length; i++) {
      const epochs = config.stages[i].epochs - (i === s ? epoch : 0);
      images += epochs * data.train.length;
    }
    return images - Math.min(data.train.length, step * config.stages[s].batchSize);
  };
  let epochsRun = 0;
  let interrupted = options.signal?.aborted ?? false;
  const onSignal = (signal: string) => {
    interrupted = true;
    log(`${signal}: finishing the current step, then saving a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C again quits without saving' : 'send it again to quit without saving'})`);
  };
  const onAbort = () => onSignal('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    for (let s = state.stage; s < config.stages.length; s++) {
      const stage = config.stages[s];
      const trainModel = stage.kind === 'encoder' ? encoder : model;
      const trainedIndices = trainModel.trainableWeights.flatMap((w, i) => (stage.kind === 'full' && stage.freezeEncoder && isEncoderWeight(w.originalName) ? [] : [i]));
      const variables = trainedIndices.map((i) => trainModel.trainableWeights[i].read() as tf.Variable);
      // Decay only what this stage trains: a frozen encoder stays as stage 1 left it.
      const decayed = trainedIndices.filter((i) => isKernelWeight(trainModel.trainableWeights[i].originalName)).map((i) => trainModel.trainableWeights[i].read() as tf.Variable);
      const decayedNames = new Set(decayed.map((v) => v.name));
      const optimizer = new AdamW({ learningRate: stage.lr, weightDecay: config.optimizer.weightDecay, decays: (name) => decayedNames.has(name) });
      const pool = new AugmentPool(packed, stage.augment, { workers, prefetch: options.prefetch });
      let parallel: DataParallel | null = null;
      try {
        if (trainWorkers > 0) {
          parallel = await DataParallel.start(trainModel, trainedIndices, { workers: trainWorkers, backend: backendName, loss: stage.loss, size });
          log(`data-parallel: ${parallel.replicas} replicas (this thread + ${trainWorkers} worker${trainWorkers === 1 ? '' : 's'}), batch ${stage.batchSize} split between them`);
        }
        // Moments are restored once, into the stage the checkpoint stopped in.
        if (resumedFrom && state.optimizer) await restoreOptimizer(optimizer, resumedFrom, state.optimizer, variables);
        resumedFrom = null;
        const loss = sinetLoss({ preset: stage.loss });
        const startEpoch = s === state.stage ? state.epoch : 0;
        const steps = Math.ceil(data.train.length / stage.batchSize);
        for (let epoch = startEpoch; epoch < stage.epochs; epoch++) {
          if (options.maxEpochs !== undefined && epochsRun >= options.maxEpochs) return { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: false, interrupted };
          // The epoch's order and augmentation seeds are drawn up front, so batches can be prepared ahead.
          const resumed = s === state.stage && epoch === state.epoch ? state.partial : undefined;
          const order = resumed?.order ?? rng.shuffle(data.train.map((_, i) => i));
          const seeds = resumed?.seeds ?? Array.from({ length: steps }, () => (stage.augment === 'none' ? 0 : rng.nextUint32()));
          const firstStep = resumed?.step ?? 0;
          let lossSum = resumed?.lossSum ?? 0;
          const started = performance.now() - (resumed?.seconds ?? 0) * 1000;
          let lr = stage.lr;
          let step = firstStep;
          const requests = Array.from({ length: steps - firstStep }, (_, i) => ({ indices: order.slice((firstStep + i) * stage.batchSize, (firstStep + i + 1) * stage.batchSize), seed: seeds[firstStep + i] }));
          let stepStarted = performance.now();
          for await (const batch of pool.batches(requests)) {
            lr = learningRate(stage.lr, config.optimizer, stage.epochs, epoch, (epoch + step / steps) / stage.epochs);
            optimizer.learningRate = lr;
            let value: number;
            if (parallel) value = await parallel.step(batch.images, batch.masks, optimizer);
            else {
              const { x, y } = batchTensors(batch.images, batch.masks, size);
              const cost = optimizer.minimize(() => loss(y, trainModel.apply(x, { training: true }) as tf.Tensor), true, variables)!;
              value = (await cost.data())[0];
              tf.dispose([cost, x, y]);
            }
            if (!Number.isFinite(value) || value > 1e4) {
              throw new TrainingError(`loss became ${value} at stage ${s + 1}, epoch ${epoch + 1}, step ${step + 1}: stopping; the last good checkpoint is in ${path.join(options.out, 'checkpoint')}`);
            }
            lossSum += value;
            step++;
            const now = performance.now();
            meter.add(batch.images.length, (now - stepStarted) / 1000);
            stepStarted = now;
            const stepProgress: ProgressState = {
              stage: s + 1, stages: config.stages.length, kind: stage.kind, epoch: epoch + 1, epochs: stage.epochs, step, steps,
              loss: lossSum / step, imagesPerSecond: meter.imagesPerSecond,
              epochEta: meter.eta(data.train.length - Math.min(data.train.length, step * stage.batchSize)), runEta: meter.eta(imagesLeft(s, epoch, step)),
            };
            progress.update(stepProgress);
            options.onStep?.(stepProgress);
            // Give the event loop a turn: signals and worker messages are only handled there.
            await new Promise<void>((resolve) => setImmediate(resolve));
            if (interrupted && step < steps) break;
          }
          const seconds = (performance.now() - started) / 1000;
          if (interrupted && step < steps) {
            // Mid-epoch: save exactly where we are; validation waits for the epoch's end.
            state = { ...state, stage: s, epoch, rng: rng.getState(), partial: { step, order, seeds, lossSum, seconds } };
            await writeCheckpoint(options.out, model, optimizer, state);
            progress.done();
            log(`saved a checkpoint at stage ${s + 1}, epoch ${epoch + 1}, step ${step}/${steps}; continue with --resume`);
            return { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: false, interrupted };
          }
          progress.done();
          const v = await validate(trainModel, data.val, size, stage.batchSize);
          const record: EpochRecord = { stage: s + 1, kind: stage.kind, epoch: epoch + 1, loss: lossSum / steps, lr, valMiou: v.miou, valPersonIou: v.personIou, valBoundaryF: v.boundaryF, valBoundaryIou: v.boundaryIou, imagesPerSecond: data.train.length / seconds, seconds };
          state.history.push(record);
          log(`stage ${s + 1} (${stage.kind}) epoch ${epoch + 1}/${stage.epochs}: loss ${record.loss.toFixed(4)}, val mIoU ${(100 * v.miou).toFixed(2)}, person IoU ${(100 * v.personIou).toFixed(2)}, boundary F ${(100 * v.boundaryF).toFixed(2)}, ${record.imagesPerSecond.toFixed(2)} img/s, lr ${lr.toExponential(2)}`);
          await fs.appendFile(path.join(options.out, 'log.jsonl'), `${JSON.stringify(record)}\n`);
          await writeReport(options.out, config.name, state.history, trainModel, data.val);
          if (stage.kind === 'full' && v.miou > state.bestMiou) {
            state.bestMiou = v.miou;
            await saveModel(model, path.join(options.out, 'best'));
          }
          const last = epoch + 1 === stage.epochs;
          state = { ...state, stage: last ? s + 1 : s, epoch: last ? 0 : epoch + 1, rng: rng.getState(), partial: undefined };
          await writeCheckpoint(options.out, model, last ? null : optimizer, state);
          epochsRun++;
          if (interrupted) {
            log(`saved a checkpoint after stage ${s + 1}, epoch ${epoch + 1}; continue with --resume`);
            return { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: false, interrupted };
          }
        }
      } finally {
        // Also on an early return (maxEpochs, Ctrl-C): the moments are in the checkpoint.
        optimizer.dispose();
        await pool.close();
        await parallel?.close();
      }
    }
    return { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: true, interrupted: false };
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    options.signal?.removeEventListener('abort', onAbort);
    model.dispose();
  }
}
