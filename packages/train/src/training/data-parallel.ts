/**
 * Data-parallel training on several cores: the calling thread and `workers` worker threads each
 * hold a replica of the model; every step the batch is split between them, each computes the
 * loss and gradients of its share, the gradients are averaged (weighted by share size) through
 * a SharedArrayBuffer and the caller's optimizer applies them once. After the step the caller's
 * weights are copied to shared memory and every replica loads them before its next share, so
 * all replicas compute with identical weights. Only the caller keeps optimizer state and
 * checkpoints.
 *
 * BatchNorm in training mode normalises with the statistics of each replica's share (as
 * PyTorch's DistributedDataParallel does without SyncBatchNorm), and only the caller's replica
 * updates the running statistics that are saved. Each share's loss is weighted by its number of
 * images: for a pixel-mean loss (cross-entropy) and a model without BatchNorm a step equals the
 * single-thread step on the whole batch up to float rounding; SINet's boundary term averages
 * over the band's pixels, so there the shares' band sizes make a small difference (as in DDP).
 */
import * as tf from '@sinet/layers/tfjs';
import type { ImageU8, LabelMap } from '@sinet/augment';
import { Worker } from 'node:worker_threads';
import { compiledWorkerUrl } from '@sinet/model/node';
import type { Preprocessing } from '@sinet/model';
import { batchTensors, type LossName, makeLoss } from './batch.js';
import { TrainError, TrainingError } from '../errors.js';

export interface DataParallelOptions {
  /** Worker threads besides the calling thread (1 on a 2-core machine). */
  workers: number;
  /** tfjs backend of the workers (the caller's is already set). */
  backend: string;
  loss: LossName;
  /** [height, width] of the batches. */
  size: [number, number];
  /** The model's input preprocessing (its metadata's). */
  preprocessing: Preprocessing;
}

interface WorkerReply {
  id: number;
  loss?: number;
  error?: string;
  ready?: boolean;
}


/** Sizes of the shares of a batch of n among k replicas: as equal as possible, larger first. */
export function shareSizes(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

export class DataParallel {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private readonly sizes: number[];
  private readonly total: number;
  /** Shared: the current trainable weights (written by the caller after each step). */
  private readonly weights: Float32Array;
  /** Shared: one gradient region per worker. */
  private readonly grads: Float32Array[];
  private failure: Error | null = null;

  private constructor(
    private readonly model: tf.LayersModel,
    /** Indices into model.trainableWeights that are trained (others are frozen). */
    private readonly trained: number[],
    private readonly options: DataParallelOptions,
  ) {
    this.sizes = model.trainableWeights.map((w) => w.shape.reduce((a: number, b) => a * (b ?? 1), 1));
    this.total = this.sizes.reduce((a, b) => a + b, 0);
    this.weights = new Float32Array(new SharedArrayBuffer(4 * this.total));
    this.grads = Array.from({ length: options.workers }, () => new Float32Array(new SharedArrayBuffer(4 * this.total)));
  }

  /**
   * Starts the workers with replicas of `model` (its topology; weights follow each step).
   * `trained` lists the indices of model.trainableWeights to compute gradients for.
   */
  static async start(model: tf.LayersModel, trained: number[], options: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new TrainError(`DataParallel: workers must be an integer >= 1, got ${options.workers}`, 'CONFIG');
    const dp = new DataParallel(model, trained, options);
    const topology = JSON.stringify(model.toJSON(null, false));
    const url = compiledWorkerUrl('./gradient-worker.js', import.meta.url);
    for (let i = 0; i < options.workers; i++) {
      const worker = new Worker(url, { workerData: { topology, trained, backend: options.backend, loss: options.loss, size: options.size, preprocessing: options.preprocessing, weights: dp.weights, grads: dp.grads[i] } });
      worker.on('message', (m: WorkerReply) => {
        const job = dp.pending.get(m.id);
        if (!job) return;
        dp.pending.delete(m.id);
        if (m.error !== undefined) job.reject(new TrainingError(`gradient worker ${i + 1}: ${m.error}`));
        else job.resolve(m);
      });
      worker.on('error', (e) => dp.fail(e));
      worker.on('exit', (code) => code !== 0 && dp.fail(new TrainingError(`gradient worker ${i + 1} exited with code ${code}`)));
      dp.workers.push(worker);
    }
    await Promise.all(dp.workers.map((_, i) => dp.ask(i, { kind: 'ready' })));
    return dp;
  }

  get replicas(): number {
    return this.workers.length + 1;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }

  private ask(worker: number, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[worker]!.postMessage({ ...message, id }, transfer);
    });
  }

  /** Copies the caller's trainable weights to shared memory for the replicas. */
  private async publishWeights(): Promise<void> {
    const values = await Promise.all(this.model.trainableWeights.map((w) => w.read().data() as Promise<Float32Array>));
    let at = 0;
    values.forEach((v) => {
      this.weights.set(v, at);
      at += v.length;
    });
  }

  /**
   * One step on the batch: the caller's share is the first; `optimizer` applies the averaged
   * gradients to the trained weights. Returns the batch's mean loss.
   */
  async step(images: ImageU8[], masks: LabelMap[], optimizer: tf.Optimizer): Promise<number> {
    if (this.failure) throw this.failure;
    const n = images.length;
    const shares = shareSizes(n, this.replicas).filter((s) => s > 0);
    await this.publishWeights();
    let start = shares[0]!;
    const replies = shares.slice(1).map((count, w) => {
      const part = { images: images.slice(start, start + count), masks: masks.slice(start, start + count) };
      start += count;
      const copy = { images: part.images.map((im) => ({ ...im, data: im.data.slice() })), masks: part.masks.map((m) => ({ ...m, data: m.data.slice() })) };
      return this.ask(w, { kind: 'step', ...copy }, [...copy.images.map((im) => im.data.buffer as ArrayBuffer), ...copy.masks.map((m) => m.data.buffer as ArrayBuffer)]);
    });
    // The caller's share, while the workers compute theirs.
    const { x, y } = batchTensors(images.slice(0, shares[0]), masks.slice(0, shares[0]), this.options.size, this.options.preprocessing);
    const loss = makeLoss(this.options.loss);
    const trainedVariables = this.trained.map((i) => this.model.trainableWeights[i]!.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => loss(y, this.model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, trainedVariables);
    tf.dispose([x, y]);
    const own = (await value.data())[0]!;
    value.dispose();
    const ownGrads = await Promise.all(trainedVariables.map((v) => grads[v.name]!.data() as Promise<Float32Array>));
    tf.dispose(Object.values(grads));
    const answers = await Promise.all(replies);
    // Weighted mean of the shares' gradients (the gradient of the mean loss over the batch), in
    // one loop over plain arrays: ~100 small parameters would cost ~400 kernel calls as tensors.
    const offsets = this.offsets();
    const averaged: tf.NamedTensorMap = {};
    this.trained.forEach((index, k) => {
      const variable = trainedVariables[k]!;
      const mean = Float32Array.from(ownGrads[k]!, (g) => (g * shares[0]!) / n);
      answers.forEach((_, w) => {
        const region = this.grads[w]!.subarray(offsets[index], offsets[index]! + this.sizes[index]!);
        const weight = shares[w + 1]! / n;
        for (let i = 0; i < mean.length; i++) mean[i]! += region[i]! * weight;
      });
      averaged[variable.name] = tf.tensor(mean, variable.shape);
    });
    optimizer.applyGradients(averaged);
    tf.dispose(Object.values(averaged));
    return (own * shares[0]! + answers.reduce((s, a, w) => s + a.loss! * shares[w + 1]!, 0)) / n;
  }

  private offsets(): number[] {
    const out: number[] = [];
    let at = 0;
    for (const s of this.sizes) {
      out.push(at);
      at += s;
    }
    return out;
  }

  async close(): Promise<void> {
    this.fail(new TrainingError('DataParallel closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
