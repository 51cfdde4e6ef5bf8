/**
 * Augmented training batches produced off the training thread. The decoded samples are copied
 * once into SharedArrayBuffers that every worker reads; the trainer asks for batches (sample
 * indices plus the batch's augmentation seed) ahead of time and receives them in order, so the
 * augmentation of the next batches overlaps the current training step. A batch depends only on
 * its indices and seed, never on which thread made it: results equal `augmentBatch` inline.
 */
import { PRESETS, PRESET_NAMES, Rng, type ImageU8, type LabelMap, type PresetName, type Sample } from '@sinet/augment';
import { CopyPaste } from '@sinet/augment/augmenters';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledWorkerUrl } from '@sinet/model/node';
import { TrainError, TrainingError } from '../errors.js';

export type AugmentPresetName = PresetName | 'none';
/** What a stage's `augment` may be: every @sinet/augment preset, or none. */
export const AUGMENT_PRESET_NAMES: readonly AugmentPresetName[] = [...PRESET_NAMES, 'none'];

export interface BatchRequest {
  indices: number[];
  /** Seed of the batch's augmenter; ignored for 'none'. */
  seed: number;
}

export interface AugmentedBatch {
  images: ImageU8[];
  masks: LabelMap[];
}

/** Samples of one size, packed for sharing between threads. */
export interface PackedSamples {
  width: number;
  height: number;
  count: number;
  /** count x height x width x 3 RGB bytes. */
  images: Uint8Array;
  /** count x height x width labels. */
  masks: Uint8Array;
  /** Per sample: the width and height of the photo it was resized from (absent: the stored size). */
  frames?: Uint32Array;
  /** Per sample: the probability of pasting people onto it (copy-paste); absent: never. */
  paste?: Float32Array;
  /** Indices of the samples whose people are pasted. */
  donors?: Int32Array;
}

export interface PackableSample {
  image: ImageU8;
  mask: LabelMap;
  frame?: { width: number; height: number };
  paste?: number;
  donor?: boolean;
}

export function packSamples(samples: PackableSample[], shared = true): PackedSamples {
  if (samples.length === 0) throw new TrainError('packSamples: no samples', 'DATASET');
  const { width, height } = samples[0]!.image;
  const pixels = width * height;
  const alloc = (bytes: number) => new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const images = alloc(samples.length * pixels * 3);
  const masks = alloc(samples.length * pixels);
  samples.forEach(({ image, mask }, i) => {
    if (image.width !== width || image.height !== height || image.channels !== 3 || mask.width !== width || mask.height !== height) {
      throw new TrainError(`packSamples: sample ${i} is ${image.width}x${image.height}x${image.channels}, expected ${width}x${height}x3 like the first`, 'DATASET');
    }
    images.set(image.data, i * pixels * 3);
    masks.set(mask.data, i * pixels);
  });
  const packed: PackedSamples = { width, height, count: samples.length, images, masks };
  if (samples.some((s) => s.frame)) {
    packed.frames = new Uint32Array(shared ? new SharedArrayBuffer(samples.length * 8) : new ArrayBuffer(samples.length * 8));
    samples.forEach((s, i) => packed.frames!.set([s.frame?.width ?? width, s.frame?.height ?? height], 2 * i));
  }
  if (samples.some((s) => (s.paste ?? 0) > 0)) {
    const donors = samples.flatMap((s, i) => (s.donor && s.mask.data.includes(1) ? [i] : []));
    if (donors.length === 0) throw new TrainError('packSamples: samples are to be pasted onto, but none is a donor with a person', 'DATASET');
    packed.paste = Float32Array.from(samples, (s) => s.paste ?? 0);
    packed.donors = Int32Array.from(donors);
  }
  return packed;
}

function sampleAt(packed: PackedSamples, i: number): Sample & { mask: LabelMap } {
  const { width, height } = packed;
  const pixels = width * height;
  return {
    image: { data: packed.images.subarray(i * pixels * 3, (i + 1) * pixels * 3), width, height, channels: 3 },
    mask: { data: packed.masks.subarray(i * pixels, (i + 1) * pixels), width, height },
    ...(packed.frames ? { frame: { width: packed.frames[2 * i]!, height: packed.frames[2 * i + 1]! } } : {}),
  };
}

// One paster per packed set and thread: its donors are views of the shared samples.
const pasters = new WeakMap<Uint8Array, CopyPaste>();
function pasterFor(packed: PackedSamples): CopyPaste | null {
  if (!packed.paste || !packed.donors) return null;
  let paster = pasters.get(packed.images);
  if (!paster) {
    paster = new CopyPaste({ donors: Array.from(packed.donors, (i) => sampleAt(packed, i)) });
    pasters.set(packed.images, paster);
  }
  return paster;
}
// Pasting draws from its own stream of the batch's seed, apart from the preset's.
const PASTE_STREAM = 0x2545f491;

/** The batch for a request, on the calling thread. Without augmentation the samples are copied. */
export function augmentBatch(packed: PackedSamples, preset: AugmentPresetName, request: BatchRequest): AugmentedBatch {
  const augmenter = preset === 'none' ? null : PRESETS[preset]({ seed: request.seed });
  const paster = pasterFor(packed);
  const pasteRng = paster ? new Rng((request.seed ^ PASTE_STREAM) >>> 0) : null;
  const images: ImageU8[] = [];
  const masks: LabelMap[] = [];
  for (const index of request.indices) {
    if (!Number.isInteger(index) || index < 0 || index >= packed.count) throw new TrainError(`augmentBatch: sample index ${index} outside 0..${packed.count - 1}`, 'DATASET');
    let sample: Sample = sampleAt(packed, index);
    const p = packed.paste?.[index] ?? 0;
    if (paster && pasteRng && p > 0 && pasteRng.random() < p) sample = paster.run(sample, pasteRng);
    const out = augmenter ? augmenter.augmentSample(sample) : sample;
    // Augmenters may pass pixels through untouched: never hand out views of the shared store.
    const own = <T extends { data: Uint8Array | Uint8ClampedArray }>(x: T): T => (x.data.buffer === packed.images.buffer || x.data.buffer === packed.masks.buffer ? { ...x, data: x.data.slice() } : x);
    images.push(own(out.image));
    masks.push(own(out.mask!));
  }
  return { images, masks };
}

export interface AugmentPoolOptions {
  /** Worker threads; 0 augments inline on the calling thread. Default: one less than the cores, at least 1. */
  workers?: number;
  /** Batches requested ahead of the one being consumed. Default 2. */
  prefetch?: number;
}

interface Pending {
  resolve: (batch: AugmentedBatch) => void;
  reject: (error: Error) => void;
}


/** Worker threads to start by default: one less than the cores (the calling thread has one), at least 1. */
export function spareCores(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, cores - 1);
}

export class AugmentPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(
    private readonly packed: PackedSamples,
    private readonly preset: AugmentPresetName,
    private readonly options: AugmentPoolOptions = {},
  ) {
    const count = options.workers ?? spareCores();
    if (!Number.isInteger(count) || count < 0) throw new TrainError(`AugmentPool: workers must be an integer >= 0, got ${count}`, 'CONFIG');
    if (count > 0 && !(packed.images.buffer instanceof SharedArrayBuffer)) throw new TrainError('AugmentPool: workers need samples packed into SharedArrayBuffers (packSamples(samples, true))', 'CONFIG');
    for (let i = 0; i < count; i++) {
      const worker = new Worker(compiledWorkerUrl('./augment-worker.js', import.meta.url), { workerData: { packed, preset } });
      worker.on('message', (message: { id: number; images?: ImageU8[]; masks?: LabelMap[]; error?: string }) => {
        const job = this.pending.get(message.id);
        if (!job) return;
        this.pending.delete(message.id);
        if (message.error !== undefined) job.reject(new TrainingError(`augmentation worker: ${message.error}`));
        else job.resolve({ images: message.images!, masks: message.masks! });
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (!this.closed && code !== 0) this.fail(new TrainingError(`augmentation worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  get workerCount(): number {
    return this.workers.length;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }

  /** One batch; with workers it is computed on the next worker in turn. */
  request(request: BatchRequest): Promise<AugmentedBatch> {
    if (this.closed) return Promise.reject(new TrainingError('AugmentPool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (this.workers.length === 0) {
      try {
        return Promise.resolve(augmentBatch(this.packed, this.preset, request));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    const id = this.nextId++;
    return new Promise<AugmentedBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length]!.postMessage({ id, request });
    });
  }

  /**
   * The batches of `requests` in order, keeping `prefetch` requests in flight ahead of the
   * consumer. Rejections surface at the batch they belong to.
   */
  async *batches(requests: BatchRequest[]): AsyncGenerator<AugmentedBatch> {
    const depth = Math.max(1, (this.options.prefetch ?? 2) + 1);
    const inFlight: Promise<AugmentedBatch>[] = [];
    let next = 0;
    // Unconsumed requests after an early exit must not surface as unhandled rejections.
    const settle = (p: Promise<AugmentedBatch>) => (p.catch(() => {}), p);
    try {
      while (next < requests.length || inFlight.length > 0) {
        while (next < requests.length && inFlight.length < depth) inFlight.push(settle(this.request(requests[next++]!)));
        yield await inFlight.shift()!;
      }
    } finally {
      inFlight.length = 0;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new TrainingError('AugmentPool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
