/**
 * The two-stage SINet trainer. Stage 'encoder' trains the encoder alone against the mask at
 * 1/8 (the loss resizes labels nearest); stage 'full' trains the whole network from the stage-1
 * encoder. After every epoch it validates, writes a checkpoint atomically (model, optimizer
 * moments, RNG state, position) and keeps the best full model by validation mIoU. All randomness
 * (initial weights, shuffling, augmentation) derives from the config's seed, so a run and its
 * resumption give the same weights on one backend.
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS as AUGMENT_PRESETS, Rng, type ImageU8, type LabelMap } from '@sinet/augment';
import { ConfusionMatrix, sinetLoss } from '@sinet/losses';
import { createSINet, DEFAULT_CLASS_NAMES, initializeWeights, OFFICIAL_PREPROCESSING, preprocess, resolveSINetConfig, setSINetMetadata, sinetEncoder } from '@sinet/model';
import { initBackend, loadModel, saveModel, writeFileAtomic } from '@sinet/model/node';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { listFolderDataset } from '../data/folder-dataset.js';
import { loadSamples, type LoadedSample } from '../data/loader.js';
import { syntheticPortrait } from '../data/synthetic.js';
import type { StageConfig, TrainConfig } from './config.js';
import { writeReport } from './report.js';
import { learningRate } from './schedule.js';

export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
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
  optimizer: { names: string[]; shapes: number[][]; accBeta?: [number, number] } | null;
}

/**
 * Adam's running bias-correction products. tfjs's setWeights recomputes them with pow(), which
 * differs from the running product in the last bits; they are saved and restored exactly so
 * that a resumed run follows the straight one.
 */
type AdamInternals = { accBeta1: tf.Variable; accBeta2: tf.Variable };

export interface TrainOptions {
  out: string;
  /** Continue from the last checkpoint in `out`. */
  resume?: boolean;
  /** Stop after this many epochs in total in this call (for tests and time-boxed runs). */
  maxEpochs?: number;
  backend?: string;
  log?: (line: string) => void;
  /** Cache folder for decoded folder datasets. */
  cacheDir?: string;
}

export interface TrainResult {
  history: EpochRecord[];
  bestMiou: number;
  out: string;
  finished: boolean;
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
  const load = async (entries: typeof trainEntries, what: string) => {
    const result = await loadSamples(entries, { size: [h, w], skipBad: d.skipBad, cacheDir: options.cacheDir });
    for (const s of result.skipped) options.log?.(`skipped ${what} ${s.id}: ${s.reason}`);
    return result.samples;
  };
  return { train: await load(trainEntries, 'train'), val: await load(valEntries, 'val') };
}

/** Images and labels of a batch as tensors: preprocessed input and an int32 label map. */
function batchTensors(images: ImageU8[], masks: LabelMap[], size: [number, number]): { x: tf.Tensor4D; y: tf.Tensor3D } {
  const [h, w] = size;
  const pixels = new Float32Array(images.length * h * w * 3);
  const labels = new Int32Array(images.length * h * w);
  images.forEach((im, i) => {
    if (im.width !== w || im.height !== h) throw new TrainingError(`internal: sample of ${im.width} x ${im.height}, expected ${w} x ${h}`);
    pixels.set(im.data, i * h * w * 3);
    labels.set(masks[i].data, i * h * w);
  });
  return tf.tidy(() => ({
    x: preprocess(tf.tensor4d(pixels, [images.length, h, w, 3]), OFFICIAL_PREPROCESSING, size),
    y: tf.tensor3d(labels, [images.length, h, w], 'int32'),
  }));
}

async function validate(model: tf.LayersModel, val: LoadedSample[], size: [number, number], batchSize: number): Promise<{ miou: number; personIou: number }> {
  const cm = new ConfusionMatrix(2);
  for (let i = 0; i < val.length; i += batchSize) {
    const batch = val.slice(i, i + batchSize);
    const { x, y } = batchTensors(
      batch.map((s) => s.image),
      batch.map((s) => s.mask),
      size,
    );
    const [pred, truth] = tf.tidy(() => {
      const logits = model.predict(x) as tf.Tensor4D;
      const [, oh, ow] = logits.shape;
      const t = oh === size[0] ? y : tf.squeeze(tf.image.resizeNearestNeighbor(tf.expandDims(y, -1) as tf.Tensor4D, [oh, ow]), [3]);
      return [tf.argMax(logits, -1), t];
    });
    await cm.updateFromTensors(truth, pred);
    tf.dispose([x, y, pred, truth]);
  }
  const [bg, person] = cm.perClassIou().map((v) => (Number.isNaN(v) ? 1 : v));
  return { miou: (bg + person) / 2, personIou: person };
}

/** Writes the checkpoint folder atomically: a complete new folder, then two renames. */
async function writeCheckpoint(out: string, model: tf.LayersModel, optimizer: tf.Optimizer | null, state: TrainerState): Promise<void> {
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
  const internals = optimizer as unknown as AdamInternals | null;
  const accBeta: [number, number] | undefined = internals?.accBeta1 ? [internals.accBeta1.dataSync()[0], internals.accBeta2.dataSync()[0]] : undefined;
  await writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify({ ...state, optimizer: optimizer ? { names, shapes, accBeta } : null }, null, 1));
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
    return { dir, state: JSON.parse(await fs.readFile(file, 'utf8')) as TrainerState };
  }
  return null;
}

async function restoreOptimizer(optimizer: tf.Optimizer, dir: string, meta: NonNullable<TrainerState['optimizer']>): Promise<void> {
  const bytes = await fs.readFile(path.join(dir, 'optimizer.bin'));
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  const weights = meta.names.map((name, i) => {
    const size = meta.shapes[i].reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(flat.subarray(at, at + size), meta.shapes[i]);
    at += size;
    return { name, tensor };
  });
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
  const internals = optimizer as unknown as AdamInternals;
  if (meta.accBeta && internals.accBeta1) {
    tf.tidy(() => {
      internals.accBeta1.assign(tf.scalar(meta.accBeta![0]));
      internals.accBeta2.assign(tf.scalar(meta.accBeta![1]));
    });
  }
}

export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? (() => {});
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
    const saved = await loadModel(checkpoint.dir);
    model.setWeights(saved.getWeights());
    saved.dispose();
    state = checkpoint.state;
    rng.setState(state.rng);
    resumedFrom = checkpoint.dir;
    log(`resuming ${options.out} at stage ${state.stage + 1}, epoch ${state.epoch + 1}`);
  }
  await fs.mkdir(options.out, { recursive: true });
  await writeFileAtomic(path.join(options.out, 'config.json'), JSON.stringify(config, null, 2));
  const data = await loadData(config, options);
  log(`data: ${data.train.length} train, ${data.val.length} val at ${size[1]}x${size[0]}`);
  const encoder = sinetEncoder(model);
  let epochsRun = 0;
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    log('interrupt: finishing the current step, then saving a checkpoint');
  };
  process.once('SIGINT', onSigint);
  try {
    for (let s = state.stage; s < config.stages.length; s++) {
      const stage = config.stages[s];
      const trainModel = stage.kind === 'encoder' ? encoder : model;
      const variables = trainModel.trainableWeights.filter((w) => !(stage.kind === 'full' && stage.freezeEncoder && w.originalName.startsWith('encoder.'))).map((w) => w.read() as tf.Variable);
      const decayed = trainModel.trainableWeights.filter((w) => /kernel$/.test(w.originalName)).map((w) => w.read() as tf.Variable);
      const optimizer = tf.train.adam(stage.lr);
      try {
        // Moments are restored once, into the stage the checkpoint stopped in.
        if (resumedFrom && state.optimizer) await restoreOptimizer(optimizer, resumedFrom, state.optimizer);
        resumedFrom = null;
        const loss = sinetLoss({ preset: stage.loss });
        const startEpoch = s === state.stage ? state.epoch : 0;
        const steps = Math.ceil(data.train.length / stage.batchSize);
        for (let epoch = startEpoch; epoch < stage.epochs; epoch++) {
          if (options.maxEpochs !== undefined && epochsRun >= options.maxEpochs) return { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: false };
          const started = performance.now();
          const order = rng.shuffle(data.train.map((_, i) => i));
          let lossSum = 0;
          let lr = stage.lr;
          for (let step = 0; step < steps; step++) {
            const batch = order.slice(step * stage.batchSize, (step + 1) * stage.batchSize).map((i) => data.train[i]);
            // A fresh augmenter per batch, seeded from the run's generator: resumable and reproducible.
            const augmenter = stage.augment === 'none' ? null : AUGMENT_PRESETS[stage.augment]({ seed: rng.nextUint32() });
            const samples = batch.map((b) => (augmenter ? augmenter.augmentSample({ image: b.image, mask: b.mask }) : b));
            const { x, y } = batchTensors(
              samples.map((b) => b.image),
              samples.map((b) => b.mask!),
              size,
            );
            lr = learningRate(stage.lr, config.optimizer, stage.epochs, epoch, (epoch + step / steps) / stage.epochs);
            (optimizer as unknown as { learningRate: number }).learningRate = lr;
            const cost = optimizer.minimize(() => loss(y, trainModel.apply(x, { training: true }) as tf.Tensor), true, variables)!;
            const value = (await cost.data())[0];
            tf.dispose([cost, x, y]);
            if (!Number.isFinite(value) || value > 1e4) {
              throw new TrainingError(`loss became ${value} at stage ${s + 1}, epoch ${epoch + 1}, step ${step + 1}: stopping; the last good checkpoint is in ${path.join(options.out, 'checkpoint')}`);
            }
            if (config.optimizer.weightDecay > 0) {
              const factor = 1 - lr * config.optimizer.weightDecay;
              tf.tidy(() => decayed.forEach((v) => v.assign(tf.mul(v, factor))));
            }
            lossSum += value;
            if (interrupted) break;
          }
          const seconds = (performance.now() - started) / 1000;
          const v = await validate(trainModel, data.val, size, stage.batchSize);
          const record: EpochRecord = { stage: s + 1, kind: stage.kind, epoch: epoch + 1, loss: lossSum / steps, lr, valMiou: v.miou, valPersonIou: v.personIou, imagesPerSecond: data.train.length / seconds, seconds };
          state.history.push(record);
          log(`stage ${s + 1} (${stage.kind}) epoch ${epoch + 1}/${stage.epochs}: loss ${record.loss.toFixed(4)}, val mIoU ${(100 * v.miou).toFixed(2)}, person IoU ${(100 * v.personIou).toFixed(2)}, ${record.imagesPerSecond.toFixed(2)} img/s, lr ${lr.toExponential(2)}`);
          await fs.appendFile(path.join(options.out, 'log.jsonl'), `${JSON.stringify(record)}\n`);
          await writeReport(options.out, config.name, state.history, trainModel, data.val);
          if (stage.kind === 'full' && v.miou > state.bestMiou) {
            state.bestMiou = v.miou;
            await saveModel(model, path.join(options.out, 'best'));
          }
          const last = epoch + 1 === stage.epochs;
          state = { ...state, stage: last ? s + 1 : s, epoch: last ? 0 : epoch + 1, rng: rng.getState() };
          await writeCheckpoint(options.out, model, last ? null : optimizer, state);
          epochsRun++;
          if (interrupted) return { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: false };
        }
      } finally {
        // Also on an early return (maxEpochs, Ctrl-C): the moments are in the checkpoint.
        optimizer.dispose();
      }
    }
    return { history: state.history, bestMiou: state.bestMiou, out: options.out, finished: true };
  } finally {
    process.removeListener('SIGINT', onSigint);
    model.dispose();
  }
}
