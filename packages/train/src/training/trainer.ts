/**
 * The two-stage SINet trainer. Stage 'encoder' trains the encoder alone against the mask at
 * 1/8 (the loss resizes labels nearest); stage 'full' trains the whole network from the stage-1
 * encoder. The trainer owns the loop, the state and when things happen: after every epoch it
 * validates and runs the callbacks' onEpochEnd (progress, log.jsonl, report, best model), then
 * their onSave (the checkpoint); callbacks steer it through a TrainerControl (see callbacks.ts).
 * All randomness (initial weights, shuffling, augmentation) derives from the config's seed, so a
 * run and its resumption give the same weights on one backend.
 */
import * as tf from '@sinet/layers/tfjs';
import { Rng } from '@sinet/augment';
import { createSINet, DEFAULT_CLASS_NAMES, getSINetMetadata, OFFICIAL_PREPROCESSING, resolveSINetConfig, Segmenter, setSINetMetadata, type Preprocessing } from '@sinet/model';
import { initializeWeights, isEncoderWeight, isKernelWeight, sinetEncoder } from '@sinet/model/training';
import { initBackend, loadModel, makeFolder, writeFileAtomic } from '@sinet/model/node';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { AugmentPool, spareCores, packSamples } from '../data/augment-pool.js';
import { drawEpoch, loadRunData, type RunData, type ValSample } from '../data/run-data.js';
import { machineLine } from '../machine.js';
import { TrainingError } from '../errors.js';
import { scoreBatch, SegmentationScores } from '../eval/scores.js';
import { AdamW } from './adamw.js';
import { makeLoss, rgbBatch } from './batch.js';
import { defaultCallbacks, type SavePoint, type TrainerControl, type TrainingCallback } from './callbacks.js';
import { CHECKPOINT_VERSION, checkResumePosition, readCheckpoint, refuseEarlierRun, restoreOptimizer, type EpochRecord, type TrainerState } from './checkpoint.js';
import type { StageConfig, TrainConfig } from './config.js';
import { DataParallel } from './data-parallel.js';
import { ProgressReporter, ThroughputMeter, type ProgressSink, type ProgressState } from './progress.js';
import { learningRate } from './schedule.js';
import { lockRunFolder } from './run-lock.js';
import { runEpoch, type EpochPosition, type StepContext } from './step.js';
import { WeightAverage } from './weight-average.js';

export { TrainingError } from '../errors.js';
export type { EpochRecord } from './checkpoint.js';
export type { EpochEnd, SavePoint, TrainerControl, TrainingCallback } from './callbacks.js';

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
  /**
   * Callbacks run after the defaults (progress, log.jsonl, report, best model, checkpoint; see
   * `defaultCallbacks`), or a function given the defaults that returns the list to run (to drop,
   * replace or reorder them).
   */
  callbacks?: TrainingCallback[] | ((defaults: TrainingCallback[]) => TrainingCallback[]);
}

export interface TrainResult {
  history: EpochRecord[];
  bestMiou: number;
  out: string;
  finished: boolean;
  /** Stopped by a signal or an abort (the checkpoint is saved). */
  interrupted: boolean;
  /** Why a run that did not finish stopped. */
  stoppedBy?: 'signal' | 'callback' | 'maxEpochs';
  /** With stoppedBy 'signal': which one. */
  stopCause?: StopCause;
}

type Scores = ReturnType<SegmentationScores['report']>;

/**
 * Validation by `sinet eval`'s one-pass protocol (`--no-flip-test --no-refine`: per epoch, the
 * photo defaults would cost 2-2.5x) at the training size (mIoU, person IoU, boundary F and IoU,
 * against masks resized as eval resizes them); encoder-stage outputs are scored at 1/8.
 * Scores are kept for all images together and for each source apart.
 */
async function validate(model: tf.LayersModel, val: ValSample[], size: [number, number], personClass: number, batchSize: number): Promise<{ all: Scores; bySource: Record<string, Scores> }> {
  const sources = [...new Set(val.map((s) => s.source))];
  const segmenter = new Segmenter(model); // not its owner: the run keeps the model
  const all = new SegmentationScores();
  const bySource = new Map(sources.map((name) => [name, new SegmentationScores()]));
  for (const name of sources) {
    const part = val.filter((s) => s.source === name);
    for (let i = 0; i < part.length; i += batchSize) {
      const batch = part.slice(i, i + batchSize);
      // The images are already at the training size; the segmenter preprocesses as the model's metadata says.
      const x = rgbBatch(batch.map((s) => s.image), size);
      await scoreBatch((input) => segmenter.predictLogits(input), personClass, x, batch.map((s) => s.truth ?? s.mask), { atOutput: bySource.get(name)! });
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

/** What asked a run to stop: a signal, the caller's AbortSignal, or the parent process exiting (pnpm does not forward SIGTERM). */
export type StopCause = 'SIGINT' | 'SIGTERM' | 'abort' | 'parent exited';

/** SIGINT / SIGTERM, an AbortSignal and (with handleSignals) the parent's exit as one "stop after this step" flag. */
function stopRequests(options: TrainOptions, log: (line: string) => void): { readonly requested: boolean; readonly cause: StopCause | null; dispose(): void } {
  let cause: StopCause | null = options.signal?.aborted ? 'abort' : null;
  const onSignal = (signal: StopCause) => {
    cause ??= signal;
    log(`${signal}: finishing the current step, then saving a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C again quits without saving' : 'send it again to quit without saving'})`);
  };
  const onAbort = () => onSignal('abort');
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // A trainer whose parent died (a killed `pnpm sinet train`) is re-parented: stop rather than run on orphaned.
  const parent = process.ppid;
  if (options.handleSignals) {
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  }
  return {
    get requested() {
      if (options.handleSignals && cause === null && process.ppid !== parent) onSignal('parent exited');
      return cause !== null;
    },
    get cause() {
      return cause;
    },
    dispose() {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
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

/** The moving average of the weights (optimizer.ema): a resumed run's from its checkpoint, else from the starting weights. */
async function startAverage(config: TrainConfig, model: tf.LayersModel, state: TrainerState, resumedFrom: string | null, log: (line: string) => void): Promise<WeightAverage | null> {
  const decay = config.optimizer.ema;
  if (!(decay > 0)) return null;
  const dir = resumedFrom && path.join(resumedFrom, 'average');
  if (!dir || !state.average || !existsSync(path.join(dir, 'model.json'))) {
    if (resumedFrom) log(`note: the checkpoint holds no moving average of the weights: it starts again from the current weights`);
    return new WeightAverage(model, decay);
  }
  const saved = await loadModel(dir, { requireSINet: true }).catch((e: Error) => {
    throw new TrainingError(`${dir}: ${e.message}; the checkpoint is damaged`);
  });
  try {
    return new WeightAverage(model, decay, { values: saved.getWeights(), updates: state.average.updates });
  } finally {
    saved.dispose();
  }
}

/** One run of `train()`: the loaded data, the model and its state, the callbacks and what they asked for. */
class TrainingRun {
  private readonly control: TrainerControl = { shouldStop: false, shouldSave: false };
  private readonly meter = new ThroughputMeter();
  private readonly epochSize: number;
  private epochsRun = 0;
  private stoppedBy: TrainResult['stoppedBy'];

  constructor(
    private readonly config: TrainConfig,
    private readonly options: TrainOptions,
    private readonly model: tf.LayersModel,
    private state: TrainerState,
    private resumedFrom: string | null,
    private readonly data: RunData,
    private readonly callbacks: TrainingCallback[],
    private readonly rng: Rng,
    private readonly stop: { readonly requested: boolean; readonly cause: StopCause | null },
    private readonly progress: ProgressReporter,
    private readonly log: (line: string) => void,
    private readonly setup: { workers: number; trainWorkers: number; preprocessing: Preprocessing; personClass: number },
    private readonly average: WeightAverage | null,
  ) {
    this.epochSize = data.plan?.epochSize ?? data.train.length;
  }

  /** Runs the stages from the state's position on; resolves once, however the run ends. */
  async fit(): Promise<TrainResult> {
    const packed = packSamples(this.data.train, this.setup.workers > 0);
    let going = true;
    for (let s = this.state.stage; going && s < this.config.stages.length; s++) going = await this.runStage(s, packed);
    const finished = going && this.state.stage >= this.config.stages.length;
    const cause = this.stop.cause;
    return { history: this.state.history, bestMiou: this.state.bestMiou, out: this.options.out, finished, interrupted: cause !== null, ...(finished ? {} : { stoppedBy: this.stoppedBy }), ...(cause ? { stopCause: cause } : {}) };
  }

  private stopReason(): TrainResult['stoppedBy'] | null {
    if (this.stop.requested) return 'signal';
    if (this.control.shouldStop) return 'callback';
    return null;
  }

  private async save(point: SavePoint): Promise<void> {
    for (const c of this.callbacks) await c.onSave?.(point);
  }

  private imagesLeft(s: number, epoch: number, step: number): number {
    let images = 0;
    for (let i = s; i < this.config.stages.length; i++) images += (this.config.stages[i]!.epochs - (i === s ? epoch : 0)) * this.epochSize;
    return images - Math.min(this.epochSize, step * this.config.stages[s]!.batchSize);
  }

  /** One stage from its first epoch to run; false when the run stops inside it. */
  private async runStage(s: number, packed: ReturnType<typeof packSamples>): Promise<boolean> {
    const { config, options, model } = this;
    const stage: StageConfig = config.stages[s]!;
    const size = config.inputSize;
    const trainModel = stage.kind === 'encoder' ? sinetEncoder(model) : model;
    // The encoder answers at 1/8 with the network's classes and preprocessing: the same metadata.
    if (trainModel !== model) setSINetMetadata(trainModel, getSINetMetadata(model));
    const trainedIndices = trainModel.trainableWeights.flatMap((w, i) => (stage.kind === 'full' && stage.freezeEncoder && isEncoderWeight(w.originalName) ? [] : [i]));
    const variables = trainedIndices.map((i) => trainModel.trainableWeights[i]!.read() as tf.Variable);
    // Decay only what this stage trains: a frozen encoder stays as stage 1 left it.
    const decayedNames = new Set(trainedIndices.filter((i) => isKernelWeight(trainModel.trainableWeights[i]!.originalName)).map((i) => (trainModel.trainableWeights[i]!.read() as tf.Variable).name));
    const optimizer = new AdamW({ learningRate: stage.lr, weightDecay: config.optimizer.weightDecay, decays: (name) => decayedNames.has(name) });
    const pool = new AugmentPool(packed, stage.augment, { workers: this.setup.workers, prefetch: options.prefetch });
    let parallel: DataParallel | null = null;
    try {
      if (this.setup.trainWorkers > 0) {
        parallel = await DataParallel.start(trainModel, trainedIndices, { workers: this.setup.trainWorkers, backend: tf.getBackend(), loss: stage.loss, size, preprocessing: this.setup.preprocessing });
        this.log(`data-parallel: ${parallel.replicas} replicas (this thread + ${this.setup.trainWorkers} worker${this.setup.trainWorkers === 1 ? '' : 's'}), batch ${stage.batchSize} split between them`);
      }
      // Moments are restored once, into the stage the checkpoint stopped in.
      if (this.resumedFrom && this.state.optimizer) await restoreOptimizer(optimizer, this.resumedFrom, this.state.optimizer, variables);
      this.resumedFrom = null;
      const ctx: StepContext = { trainModel, variables, optimizer, loss: makeLoss(stage.loss), size, preprocessing: this.setup.preprocessing, parallel };
      for (let epoch = s === this.state.stage ? this.state.epoch : 0; epoch < stage.epochs; epoch++) {
        if (options.maxEpochs !== undefined && this.epochsRun >= options.maxEpochs) {
          this.stoppedBy = 'maxEpochs';
          return false;
        }
        if (!(await this.runEpoch(s, epoch, ctx, pool, trainModel))) return false;
      }
      return true;
    } finally {
      // Also on an early stop (maxEpochs, Ctrl-C): the moments are in the checkpoint.
      optimizer.dispose();
      await pool.close();
      await parallel?.close();
    }
  }

  /** One epoch, its validation, callbacks and checkpoint; false when the run stops. */
  private async runEpoch(s: number, epoch: number, ctx: StepContext, pool: AugmentPool, trainModel: tf.LayersModel): Promise<boolean> {
    const { config, options, rng, model } = this;
    const stage = config.stages[s]!;
    const steps = Math.ceil(this.epochSize / stage.batchSize);
    // The epoch's order and augmentation seeds are drawn up front, so batches can be prepared ahead.
    const resumed = s === this.state.stage && epoch === this.state.epoch ? this.state.partial : undefined;
    const order = resumed?.order ?? (this.data.plan ? drawEpoch(this.data.plan, rng) : rng.shuffle(this.data.train.map((_, i) => i)));
    const seeds = resumed?.seeds ?? Array.from({ length: steps }, () => (stage.augment === 'none' ? 0 : rng.nextUint32()));
    const firstStep = resumed?.step ?? 0;
    const partialState = (position: EpochPosition): TrainerState => ({ ...this.state, stage: s, epoch, rng: rng.getState(), partial: { step: position.step, order, seeds, lossSum: position.lossSum, seconds: position.seconds, dataWaitSeconds: position.dataWaitSeconds } });
    let stepStarted = performance.now();
    const reached = await runEpoch(ctx, pool, {
      requests: Array.from({ length: steps - firstStep }, (_, i) => ({ indices: order.slice((firstStep + i) * stage.batchSize, (firstStep + i + 1) * stage.batchSize), seed: seeds[firstStep + i]! })),
      steps,
      start: { step: firstStep, lossSum: resumed?.lossSum ?? 0, seconds: resumed?.seconds ?? 0, dataWaitSeconds: resumed?.dataWaitSeconds ?? 0 },
      learningRate: (step) => learningRate(stage.lr, config.optimizer, stage.epochs, epoch, (epoch + step / steps) / stage.epochs),
      stopRequested: () => this.stopReason() !== null,
      where: (step) => `stage ${s + 1}, epoch ${epoch + 1}, step ${step + 1}: stopping; the last good checkpoint is in ${path.join(options.out, 'checkpoint')}`,
      onStep: async (position, images) => {
        this.average?.update();
        const now = performance.now();
        this.meter.add(images, (now - stepStarted) / 1000);
        stepStarted = now;
        const { step, lossSum } = position;
        const p: ProgressState = {
          stage: s + 1, stages: config.stages.length, kind: stage.kind, epoch: epoch + 1, epochs: stage.epochs, step, steps,
          loss: lossSum / step, imagesPerSecond: this.meter.imagesPerSecond,
          epochEta: this.meter.eta(this.epochSize - Math.min(this.epochSize, step * stage.batchSize)), runEta: this.meter.eta(this.imagesLeft(s, epoch, step)),
        };
        for (const c of this.callbacks) c.onStep?.(p, this.control);
        options.onStep?.(p);
        if (this.control.shouldSave && step < steps) {
          this.control.shouldSave = false;
          await this.save({ model, optimizer: ctx.optimizer, state: partialState(position), average: this.average });
        }
      },
    });
    if (!reached.complete) {
      // Mid-epoch: save exactly where we are; validation waits for the epoch's end.
      this.state = partialState(reached);
      await this.save({ model, optimizer: ctx.optimizer, state: this.state, average: this.average });
      this.progress.done();
      this.log(`saved a checkpoint at stage ${s + 1}, epoch ${epoch + 1}, step ${reached.step}/${steps}; continue with --resume`);
      this.stoppedBy = this.stopReason() ?? 'signal';
      return false;
    }
    this.progress.done();
    // With a moving average of the weights, the averaged ones are validated and handed to the callbacks (best/, the report).
    const averaged = <T>(fn: () => Promise<T>) => (this.average ? this.average.withAverage(fn) : fn());
    const scores = await averaged(() => validate(trainModel, this.data.val, config.inputSize, this.setup.personClass, stage.batchSize));
    const v = scores.all;
    const record: EpochRecord = { stage: s + 1, kind: stage.kind, epoch: epoch + 1, loss: reached.lossSum / steps, lr: reached.lr, valMiou: v.miou, valPersonIou: v.personIou, valBoundaryF: v.boundaryF, valBoundaryIou: v.boundaryIou, imagesPerSecond: this.epochSize / reached.seconds, seconds: reached.seconds, dataWaitShare: (reached.dataWaitSeconds ?? 0) / reached.seconds };
    if (Object.keys(scores.bySource).length > 1) {
      record.valSources = Object.fromEntries(Object.entries(scores.bySource).map(([k, r]) => [k, { miou: r.miou, personIou: r.personIou, boundaryF: r.boundaryF }]));
      record.valScore = selectionScore(scores);
    }
    this.state.history.push(record);
    await averaged(async () => {
      for (const c of this.callbacks) await c.onEpochEnd?.({ record, epochs: stage.epochs, history: this.state.history, trainModel, model, state: this.state, score: selectionScore(scores) }, this.control);
    });
    const last = epoch + 1 === stage.epochs;
    this.state = { ...this.state, stage: last ? s + 1 : s, epoch: last ? 0 : epoch + 1, rng: rng.getState(), partial: undefined };
    this.control.shouldSave = false;
    await this.save({ model, optimizer: last ? null : ctx.optimizer, state: this.state, average: this.average });
    this.epochsRun++;
    const reason = this.stopReason();
    if (reason) {
      this.log(`saved a checkpoint after stage ${s + 1}, epoch ${epoch + 1}; continue with --resume`);
      this.stoppedBy = reason;
      return false;
    }
    return true;
  }
}

export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const progress = new ProgressReporter(options.progress ?? null);
  const log = (line: string) => progress.log(line, options.log);
  await initBackend(options.backend, { log });
  const rng = new Rng(config.seed);
  // The lock comes first: --overwrite and --resume must not touch a folder another trainer writes.
  const stat = await fs.stat(options.out).catch(() => null);
  if (stat && !stat.isDirectory()) throw new TrainingError(`--out ${options.out}: is a file, not a folder`);
  await makeFolder(options.out);
  const unlock = await lockRunFolder(options.out, log);
  try {
    return await trainLocked(config, options, rng, progress, log);
  } finally {
    await unlock();
  }
}

async function trainLocked(config: TrainConfig, options: TrainOptions, rng: Rng, progress: ProgressReporter, log: (line: string) => void): Promise<TrainResult> {
  const size = config.inputSize;
  const prepared = await prepareModel(config, options, rng, log);
  const { model, state, resumedFrom } = prepared;
  // The model's metadata is the one source of its preprocessing.
  const { preprocessing, personClass } = getSINetMetadata(model);
  const stop = stopRequests(options, log);
  let average: WeightAverage | null = null;
  try {
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
      await makeFolder(path.join(options.out, 'held-out'));
      for (const [name, ids] of Object.entries(data.heldOut)) await writeFileAtomic(path.join(options.out, 'held-out', `${name}.txt`), ids.map((id) => `${id}\n`).join(''));
    }
    config.stages.forEach((st, i) => {
      if (st.epochs > 0 && st.batchSize > epochSize) log(`warning: stage ${i + 1}'s batch of ${st.batchSize} is larger than the ${epochSize} training images of an epoch: every step trains on all of them (one step an epoch)`);
    });
    if (resumedFrom) checkResumePosition(state, path.join(resumedFrom, 'state.json'), config.stages, epochSize, data.train.length);
    const workers = options.augmentWorkers ?? spareCores();
    const trainWorkers = options.trainWorkers ?? state.trainWorkers ?? spareCores();
    if (!Number.isInteger(trainWorkers) || trainWorkers < 0) throw new TrainingError(`trainWorkers must be an integer >= 0, got ${trainWorkers}`);
    if (state.trainWorkers !== undefined && state.trainWorkers !== trainWorkers) log(`note: this run trained with ${state.trainWorkers} worker replicas, now ${trainWorkers}: the rest will not match a straight run bit for bit`);
    state.trainWorkers = trainWorkers;
    const machine = machineLine();
    if (!state.machines?.includes(machine)) state.machines = [...(state.machines ?? []), machine];
    const defaults = defaultCallbacks({ out: options.out, name: config.name, val: data.val, progress, log });
    const callbacks = typeof options.callbacks === 'function' ? options.callbacks(defaults) : [...defaults, ...(options.callbacks ?? [])];
    average = await startAverage(config, model, state, resumedFrom, log);
    const run = new TrainingRun(config, options, model, state, resumedFrom, data, callbacks, rng, stop, progress, log, { workers, trainWorkers, preprocessing, personClass }, average);
    return await run.fit();
  } finally {
    progress.done();
    stop.dispose();
    average?.dispose();
    model.dispose();
  }
}
