/**
 * The two-stage SINet trainer. Stage 'encoder' trains the encoder alone against the mask at
 * 1/8 (the loss resizes labels nearest); stage 'full' trains the whole network from the stage-1
 * encoder. After every epoch it validates, runs its callbacks (progress, log.jsonl, report),
 * keeps the best full model by validation mIoU and writes a checkpoint atomically (see
 * checkpoint.ts). All randomness (initial weights, shuffling, augmentation) derives from the
 * config's seed, so a run and its resumption give the same weights on one backend.
 */
import * as tf from '@sinet/layers/tfjs';
import { Rng } from '@sinet/augment';
import { createSINet, DEFAULT_CLASS_NAMES, getSINetMetadata, initializeWeights, isEncoderWeight, isKernelWeight, OFFICIAL_PREPROCESSING, resolveSINetConfig, setSINetMetadata, sinetEncoder, type Preprocessing } from '@sinet/model';
import { initBackend, loadModel, saveModel, writeFileAtomic } from '@sinet/model/node';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AugmentPool, spareCores, packSamples } from '../data/augment-pool.js';
import { drawEpoch, loadRunData, type ValSample } from '../data/run-data.js';
import { machineLine } from '../machine.js';
import { TrainingError } from '../errors.js';
import { scoreBatch, SegmentationScores } from '../eval/scores.js';
import { AdamW } from './adamw.js';
import { imageBatch, makeLoss } from './batch.js';
import { logFileCallback, progressCallback, reportCallback, type TrainingCallback } from './callbacks.js';
import { CHECKPOINT_VERSION, readCheckpoint, refuseEarlierRun, restoreOptimizer, writeCheckpoint, type EpochRecord, type TrainerState } from './checkpoint.js';
import type { StageConfig, TrainConfig } from './config.js';
import { DataParallel } from './data-parallel.js';
import { ProgressReporter, ThroughputMeter, type ProgressSink, type ProgressState } from './progress.js';
import { learningRate } from './schedule.js';
import { runEpoch, type StepContext } from './step.js';

export { TrainingError } from '../errors.js';
export type { EpochRecord } from './checkpoint.js';
export type { EpochEnd, TrainingCallback } from './callbacks.js';

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
  /** Called in order after the trainer's own (progress, log.jsonl, report) at every step and epoch. */
  callbacks?: TrainingCallback[];
}

export interface TrainResult {
  history: EpochRecord[];
  bestMiou: number;
  out: string;
  finished: boolean;
  /** Stopped by a signal or an abort (the checkpoint is saved). */
  interrupted: boolean;
}

type Scores = ReturnType<SegmentationScores['report']>;

/**
 * Validation by `sinet eval`'s protocol at the training size (mIoU, person IoU, boundary F and
 * IoU, against masks resized as eval resizes them); encoder-stage outputs are scored at 1/8.
 * Scores are kept for all images together and for each source apart.
 */
async function validate(model: tf.LayersModel, val: ValSample[], size: [number, number], preprocessing: Preprocessing, personClass: number, batchSize: number): Promise<{ all: Scores; bySource: Record<string, Scores> }> {
  const sources = [...new Set(val.map((s) => s.source))];
  const all = new SegmentationScores();
  const bySource = new Map(sources.map((name) => [name, new SegmentationScores()]));
  for (const name of sources) {
    const part = val.filter((s) => s.source === name);
    for (let i = 0; i < part.length; i += batchSize) {
      const batch = part.slice(i, i + batchSize);
      // The images are already at the training size and preprocessed here: predict as they are.
      const x = imageBatch(batch.map((s) => s.image), size, preprocessing);
      await scoreBatch((input) => model.predict(input) as tf.Tensor4D, personClass, x, batch.map((s) => s.truth ?? s.mask), { atOutput: bySource.get(name)! });
      x.dispose();
    }
    all.merge(bySource.get(name)!);
  }
  return { all: all.report(), bySource: Object.fromEntries([...bySource].map(([k, v]) => [k, v.report()])) };
}

/**
 * The score that picks the best epoch: with several validation sources, the mean of their person
 * IoUs (each kind of photo counts once, however many images it has); else the mIoU.
 */
export function selectionScore(v: { all: Scores; bySource: Record<string, Scores> }): number {
  const sources = Object.values(v.bySource);
  return sources.length > 1 ? sources.reduce((a, s) => a + s.personIou, 0) / sources.length : v.all.miou;
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

/** SIGINT / SIGTERM and an AbortSignal as one "stop after this step" flag. */
function stopRequests(options: TrainOptions, log: (line: string) => void): { readonly requested: boolean; dispose(): void } {
  let requested = options.signal?.aborted ?? false;
  const onSignal = (signal: string) => {
    requested = true;
    log(`${signal}: finishing the current step, then saving a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C again quits without saving' : 'send it again to quit without saving'})`);
  };
  const onAbort = () => onSignal('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** The model a run starts from: fresh (seeded) weights with metadata, a checkpoint's, or `init`'s. */
async function prepareModel(config: TrainConfig, options: TrainOptions, rng: Rng, log: (line: string) => void): Promise<{ model: tf.LayersModel; state: TrainerState; resumedFrom: string | null }> {
  const modelConfig = resolveSINetConfig({ inputSize: config.inputSize });
  const model = createSINet(modelConfig);
  setSINetMetadata(model, { format: 1, config: modelConfig, classNames: DEFAULT_CLASS_NAMES, personClass: 1, preprocessing: OFFICIAL_PREPROCESSING, source: `sinet train (${config.name})` });
  initializeWeights(model, rng.nextUint32());
  let state: TrainerState = { version: CHECKPOINT_VERSION, stage: 0, epoch: 0, rng: rng.getState(), bestMiou: -1, history: [], optimizer: null };
  if (!options.resume) {
    await refuseEarlierRun(options.out, options.overwrite ?? false);
    if (config.init) await initFrom(model, config.init);
    return { model, state, resumedFrom: null };
  }
  const checkpoint = await readCheckpoint(options.out);
  if (!checkpoint) throw new TrainingError(`${options.out}: no checkpoint to resume from`);
  const saved = await loadModel(checkpoint.dir, { requireSINet: true });
  model.setWeights(saved.getWeights());
  saved.dispose();
  state = checkpoint.state;
  rng.setState(state.rng);
  log(`resuming ${options.out} at stage ${state.stage + 1}, epoch ${state.epoch + 1}${state.partial ? `, step ${state.partial.step + 1}` : ''}`);
  return { model, state, resumedFrom: checkpoint.dir };
}

export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const progress = new ProgressReporter(options.progress ?? null);
  const log = (line: string) => progress.log(line, options.log);
  await initBackend(options.backend, { log });
  const size = config.inputSize;
  const rng = new Rng(config.seed);
  const prepared = await prepareModel(config, options, rng, log);
  const { model } = prepared;
  let { state, resumedFrom } = prepared;
  // The model's metadata is the one source of its preprocessing.
  const { preprocessing, personClass } = getSINetMetadata(model);
  const stop = stopRequests(options, log);
  let result: TrainResult | null = null;
  try {
    await fs.mkdir(options.out, { recursive: true });
    if (resumedFrom) {
      // A kill -9 can leave a half-written checkpoint folder and log lines past the checkpoint.
      for (const name of await fs.readdir(options.out)) if (/^\.checkpoint\..*\.tmp$/.test(name)) await fs.rm(path.join(options.out, name), { recursive: true, force: true });
      await writeFileAtomic(path.join(options.out, 'log.jsonl'), state.history.map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
    await writeFileAtomic(path.join(options.out, 'config.json'), JSON.stringify(config, null, 2));
    const data = await loadRunData(config, options);
    const epochSize = data.plan?.epochSize ?? data.train.length;
    log(`data: ${data.train.length} train${data.plan ? ` (${epochSize} drawn an epoch: ${data.plan.sources.map((p) => `${p.name} ${p.quota}`).join(', ')})` : ''}, ${data.val.length} val at ${size[1]}x${size[0]}`);
    if (data.heldOut) {
      // The held-out ids, for `sinet eval --list` at each photo's own size.
      await fs.mkdir(path.join(options.out, 'held-out'), { recursive: true });
      for (const [name, ids] of Object.entries(data.heldOut)) await writeFileAtomic(path.join(options.out, 'held-out', `${name}.txt`), ids.map((id) => `${id}\n`).join(''));
    }
    config.stages.forEach((st, i) => {
      if (st.epochs > 0 && st.batchSize > epochSize) log(`warning: stage ${i + 1}'s batch of ${st.batchSize} is larger than the ${epochSize} training images of an epoch: every step trains on all of them (one step an epoch)`);
    });
    const workers = options.augmentWorkers ?? spareCores();
    const trainWorkers = options.trainWorkers ?? state.trainWorkers ?? spareCores();
    if (!Number.isInteger(trainWorkers) || trainWorkers < 0) throw new TrainingError(`trainWorkers must be an integer >= 0, got ${trainWorkers}`);
    if (state.trainWorkers !== undefined && state.trainWorkers !== trainWorkers) log(`note: this run trained with ${state.trainWorkers} worker replicas, now ${trainWorkers}: the rest will not match a straight run bit for bit`);
    state.trainWorkers = trainWorkers;
    const machine = machineLine();
    if (!state.machines?.includes(machine)) state.machines = [...(state.machines ?? []), machine];
    const callbacks: TrainingCallback[] = [progressCallback(progress, log), logFileCallback(options.out), reportCallback(options.out, config.name, data.val, preprocessing), ...(options.callbacks ?? [])];
    const backendName = tf.getBackend();
    const packed = packSamples(data.train, workers > 0);
    const encoder = sinetEncoder(model);
    const meter = new ThroughputMeter();
    const imagesLeft = (s: number, epoch: number, step: number) => {
      let images = 0;
      for (let i = s; i < config.stages.length; i++) images += (config.stages[i].epochs - (i === s ? epoch : 0)) * epochSize;
      return images - Math.min(epochSize, step * config.stages[s].batchSize);
    };
    let epochsRun = 0;
    const stopped = (finished: boolean): TrainResult => ({ history: state.history, bestMiou: state.bestMiou, out: options.out, finished, interrupted: stop.requested });
    stages: for (let s = state.stage; s < config.stages.length; s++) {
      const stage: StageConfig = config.stages[s];
      const trainModel = stage.kind === 'encoder' ? encoder : model;
      const trainedIndices = trainModel.trainableWeights.flatMap((w, i) => (stage.kind === 'full' && stage.freezeEncoder && isEncoderWeight(w.originalName) ? [] : [i]));
      const variables = trainedIndices.map((i) => trainModel.trainableWeights[i].read() as tf.Variable);
      // Decay only what this stage trains: a frozen encoder stays as stage 1 left it.
      const decayedNames = new Set(trainedIndices.filter((i) => isKernelWeight(trainModel.trainableWeights[i].originalName)).map((i) => (trainModel.trainableWeights[i].read() as tf.Variable).name));
      const optimizer = new AdamW({ learningRate: stage.lr, weightDecay: config.optimizer.weightDecay, decays: (name) => decayedNames.has(name) });
      const pool = new AugmentPool(packed, stage.augment, { workers, prefetch: options.prefetch });
      let parallel: DataParallel | null = null;
      try {
        if (trainWorkers > 0) {
          parallel = await DataParallel.start(trainModel, trainedIndices, { workers: trainWorkers, backend: backendName, loss: stage.loss, size, preprocessing });
          log(`data-parallel: ${parallel.replicas} replicas (this thread + ${trainWorkers} worker${trainWorkers === 1 ? '' : 's'}), batch ${stage.batchSize} split between them`);
        }
        // Moments are restored once, into the stage the checkpoint stopped in.
        if (resumedFrom && state.optimizer) await restoreOptimizer(optimizer, resumedFrom, state.optimizer, variables);
        resumedFrom = null;
        const ctx: StepContext = { trainModel, variables, optimizer, loss: makeLoss(stage.loss), size, preprocessing, parallel };
        const startEpoch = s === state.stage ? state.epoch : 0;
        const steps = Math.ceil(epochSize / stage.batchSize);
        for (let epoch = startEpoch; epoch < stage.epochs; epoch++) {
          if (options.maxEpochs !== undefined && epochsRun >= options.maxEpochs) {
            result = stopped(false);
            break stages;
          }
          // The epoch's order and augmentation seeds are drawn up front, so batches can be prepared ahead.
          const resumed = s === state.stage && epoch === state.epoch ? state.partial : undefined;
          const order = resumed?.order ?? (data.plan ? drawEpoch(data.plan, rng) : rng.shuffle(data.train.map((_, i) => i)));
          const seeds = resumed?.seeds ?? Array.from({ length: steps }, () => (stage.augment === 'none' ? 0 : rng.nextUint32()));
          const firstStep = resumed?.step ?? 0;
          let stepStarted = performance.now();
          const reached = await runEpoch(ctx, pool, {
            requests: Array.from({ length: steps - firstStep }, (_, i) => ({ indices: order.slice((firstStep + i) * stage.batchSize, (firstStep + i + 1) * stage.batchSize), seed: seeds[firstStep + i] })),
            steps,
            start: { step: firstStep, lossSum: resumed?.lossSum ?? 0, seconds: resumed?.seconds ?? 0 },
            learningRate: (step) => learningRate(stage.lr, config.optimizer, stage.epochs, epoch, (epoch + step / steps) / stage.epochs),
            stopRequested: () => stop.requested,
            where: (step) => `stage ${s + 1}, epoch ${epoch + 1}, step ${step + 1}: stopping; the last good checkpoint is in ${path.join(options.out, 'checkpoint')}`,
            onStep: ({ step, lossSum }, images) => {
              const now = performance.now();
              meter.add(images, (now - stepStarted) / 1000);
              stepStarted = now;
              const p: ProgressState = {
                stage: s + 1, stages: config.stages.length, kind: stage.kind, epoch: epoch + 1, epochs: stage.epochs, step, steps,
                loss: lossSum / step, imagesPerSecond: meter.imagesPerSecond,
                epochEta: meter.eta(epochSize - Math.min(epochSize, step * stage.batchSize)), runEta: meter.eta(imagesLeft(s, epoch, step)),
              };
              for (const c of callbacks) c.onStep?.(p);
              options.onStep?.(p);
            },
          });
          if (!reached.complete) {
            // Mid-epoch: save exactly where we are; validation waits for the epoch's end.
            state = { ...state, stage: s, epoch, rng: rng.getState(), partial: { step: reached.step, order, seeds, lossSum: reached.lossSum, seconds: reached.seconds } };
            await writeCheckpoint(options.out, model, optimizer, state);
            progress.done();
            log(`saved a checkpoint at stage ${s + 1}, epoch ${epoch + 1}, step ${reached.step}/${steps}; continue with --resume`);
            result = stopped(false);
            break stages;
          }
          progress.done();
          const scores = await validate(trainModel, data.val, size, preprocessing, personClass, stage.batchSize);
          const v = scores.all;
          const record: EpochRecord = { stage: s + 1, kind: stage.kind, epoch: epoch + 1, loss: reached.lossSum / steps, lr: reached.lr, valMiou: v.miou, valPersonIou: v.personIou, valBoundaryF: v.boundaryF, valBoundaryIou: v.boundaryIou, imagesPerSecond: epochSize / reached.seconds, seconds: reached.seconds };
          if (Object.keys(scores.bySource).length > 1) {
            record.valSources = Object.fromEntries(Object.entries(scores.bySource).map(([k, r]) => [k, { miou: r.miou, personIou: r.personIou, boundaryF: r.boundaryF }]));
            record.valScore = selectionScore(scores);
          }
          const score = selectionScore(scores);
          state.history.push(record);
          for (const c of callbacks) await c.onEpochEnd?.({ record, epochs: stage.epochs, history: state.history, trainModel });
          if (stage.kind === 'full' && score > state.bestMiou) {
            state.bestMiou = score;
            await saveModel(model, path.join(options.out, 'best'));
          }
          const last = epoch + 1 === stage.epochs;
          state = { ...state, stage: last ? s + 1 : s, epoch: last ? 0 : epoch + 1, rng: rng.getState(), partial: undefined };
          await writeCheckpoint(options.out, model, last ? null : optimizer, state);
          epochsRun++;
          if (stop.requested) {
            log(`saved a checkpoint after stage ${s + 1}, epoch ${epoch + 1}; continue with --resume`);
            result = stopped(false);
            break stages;
          }
        }
      } finally {
        // Also on an early stop (maxEpochs, Ctrl-C): the moments are in the checkpoint.
        optimizer.dispose();
        await pool.close();
        await parallel?.close();
      }
    }
    return result ?? { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: true, interrupted: false };
  } finally {
    progress.done();
    stop.dispose();
    model.dispose();
  }
}
