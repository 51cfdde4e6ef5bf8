/** `sinet segment`: masks, cut-outs and backgrounds for image files, on every core. */
import { blurBackground, cutout, parseColour, replaceBackground, toBinaryMask, type Fit, type PixelData, type RgbaImage, type Segmenter } from '@sinet/model';
import { compiledWorkerUrl, loadSegmenter, makeFolder, readImage, writeImage } from '@sinet/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Io } from './commands.js';
import { CliError, UsageError } from './errors.js';

export type SegmentMode = 'mask' | 'cutout' | 'blur' | 'replace';
export const SEGMENT_MODES: SegmentMode[] = ['mask', 'cutout', 'blur', 'replace'];

export interface SegmentFilesOptions {
  /** A model folder, model.json, URL or shipped model name; absent: the default shipped model. */
  model?: string;
  out: string;
  mode: SegmentMode;
  /** An image file or '#rrggbb' (mode 'replace'). */
  background?: string;
  threshold?: number;
  inputSize?: [number, number];
  /** Average with the mirrored image's logits (twice the network's time). Default as `segment`: on. */
  flipTest?: boolean;
  /** Refine the mask's edges against the photo's (a guided filter at its size). Default as `segment`: on. */
  refine?: boolean;
  /** Pad to the model's aspect instead of stretching. */
  fit?: Fit;
  /** Run the network in onnxruntime-node instead of tfjs. */
  runtime?: 'tfjs' | 'onnx';
}

/** What a worker (or the main thread) needs to segment files on its own. */
export interface SegmentJob {
  options: SegmentFilesOptions;
  /** tfjs backend name of the parent, so that every thread gives the same pixels. */
  backend: string;
}

/** A --background that means a colour: anything starting with '#' (checked by parseColour), or six hex digits. */
function isColourArgument(value: string): boolean {
  return value.startsWith('#') || /^[0-9a-f]{6}$/i.test(value);
}

/** Where `sinet segment` writes the result for `file`: <out>/<name without extension>.<mode>.png. */
export function segmentOutputPath(out: string, file: string, mode: SegmentMode): string {
  return path.join(out, `${path.basename(file, path.extname(file))}.${mode}.png`);
}

/**
 * Refuses, before anything is written, inputs whose outputs would collide (a/photo.jpg and
 * b/photo.jpg, or photo.jpg and photo.png; compared without case, as macOS and Windows do),
 * an --out that is a file, and outputs that exist already unless `overwrite`.
 */
export async function checkSegmentOutputs(images: string[], out: string, mode: SegmentMode, overwrite: boolean): Promise<void> {
  const outStat = await fs.stat(out).catch(() => null);
  if (outStat && !outStat.isDirectory()) throw new CliError(`--out ${out}: is a file, not a folder`);
  const seen = new Map<string, string>();
  for (const image of images) {
    const target = segmentOutputPath(out, image, mode);
    const key = target.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) throw new CliError(`${first} and ${image} would both write ${target}: rename one, or segment them into different --out folders`);
    seen.set(key, image);
  }
  if (overwrite) return;
  for (const image of images) {
    const target = segmentOutputPath(out, image, mode);
    if (await fs.stat(target).catch(() => null)) throw new CliError(`${target} exists already (from ${image}): pass --overwrite to replace it, or choose another --out`);
  }
}

/** Loads the model and the background once; then `run(file)` writes one result and returns its report line. */
export async function fileSegmenter(options: SegmentFilesOptions): Promise<{ run: (file: string) => Promise<string>; dispose: () => void }> {
  let background: string | PixelData | undefined;
  if (options.background) background = isColourArgument(options.background) ? options.background : await readImage(options.background);
  const segmenter: Segmenter = await loadSegmenter(options.model, { inputSize: options.inputSize, runtime: options.runtime });
  const run = async (file: string): Promise<string> => {
    const image = await readImage(file);
    const start = performance.now();
    const seg = await segmenter.segment(image, { threshold: options.threshold, flipTest: options.flipTest, refine: options.refine, fit: options.fit });
    let picture: RgbaImage;
    switch (options.mode) {
      case 'mask':
        picture = toBinaryMask(seg, { r: 255, g: 255, b: 255, a: 255 }, { r: 0, g: 0, b: 0, a: 255 });
        break;
      case 'cutout':
        picture = await cutout(image, seg);
        break;
      case 'blur':
        picture = await blurBackground(image, seg);
        break;
      case 'replace':
        picture = await replaceBackground(image, seg, background!);
        break;
    }
    const ms = performance.now() - start;
    const target = segmentOutputPath(options.out, file, options.mode);
    await writeImage(target, picture);
    const share = seg.mask.reduce((n, v) => n + v, 0) / seg.mask.length;
    return `${file} -> ${target} (${seg.width}x${seg.height}, person ${(100 * share).toFixed(1)}%, ${ms.toFixed(0)} ms)`;
  };
  return { run, dispose: () => segmenter.dispose() };
}

/** Below this many images, starting workers (a backend and a model each, ~1 s) costs more than it saves. */
const IMAGES_PER_WORKER_START = 4;

/** One worker per core for batches of images; this thread alone for a few. */
export function defaultSegmentWorkers(images: number): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return images < IMAGES_PER_WORKER_START ? 1 : Math.max(1, Math.min(cores, Math.floor(images / 2)));
}

/**
 * Segments every image, `workers` at a time (each a worker thread with its own model; 1: this
 * thread). Reports lines in input order; a bad image is reported and skipped, and the command
 * fails at the end naming how many did.
 */
export async function segmentCommand(io: Io, images: string[], options: SegmentFilesOptions & { workers?: number; overwrite?: boolean }): Promise<void> {
  if (images.length === 0) throw new UsageError('segment: give at least one image');
  if (options.mode === 'replace' && !options.background) throw new UsageError('segment --mode replace needs --background <image|#rrggbb>');
  if (options.mode !== 'replace' && options.background) throw new UsageError(`--background applies to --mode replace, not --mode ${options.mode}`);
  // A bad colour is named before any image is read.
  if (options.background && isColourArgument(options.background)) {
    try {
      parseColour(options.background);
    } catch (e) {
      throw new CliError(`--background: ${(e as Error).message}`);
    }
  }
  // onnxruntime spreads one image over the cores itself: one thread feeds it.
  const workers = options.workers ?? (options.runtime === 'onnx' ? 1 : defaultSegmentWorkers(images.length));
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number >= 1, got ${workers}`);
  await checkSegmentOutputs(images, options.out, options.mode, options.overwrite ?? false);
  await makeFolder(options.out);
  const { workers: _, overwrite: __, ...fileOptions } = options;
  const results: ({ line: string } | { error: string } | undefined)[] = new Array(images.length);
  let reported = 0;
  const report = () => {
    for (; reported < images.length && results[reported]; reported++) {
      const r = results[reported]!;
      if ('line' in r) io.out(r.line);
      // Errors about a file already start with its name.
      else io.err(r.error.startsWith(`${images[reported]}: `) ? r.error : `${images[reported]}: ${r.error}`);
    }
  };
  if (workers === 1) {
    const segmenter = await fileSegmenter(fileOptions);
    try {
      for (let i = 0; i < images.length; i++) {
        results[i] = await segmenter.run(images[i]!).then((line) => ({ line }), (e: Error) => ({ error: e.message }));
        report();
      }
    } finally {
      segmenter.dispose();
    }
  } else {
    await inWorkers(images, { options: fileOptions, backend: tf.getBackend() }, Math.min(workers, images.length), (i, result) => {
      results[i] = result;
      report();
    });
  }
  const failed = results.filter((r) => r && 'error' in r).length;
  if (failed) throw new CliError(`${failed} of ${images.length} image${images.length === 1 ? '' : 's'} could not be segmented (see above)`);
}

async function inWorkers(images: string[], job: SegmentJob, count: number, done: (index: number, result: { line: string } | { error: string }) => void): Promise<void> {
  const url = compiledWorkerUrl('./segment-worker.js', import.meta.url);
  let next = 0;
  const threads = Array.from({ length: count }, () => new Worker(url, { workerData: job }));
  try {
    await Promise.all(
      threads.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= images.length) return resolve();
              const index = next++;
              worker.postMessage({ index, file: images[index] });
            };
            worker.on('message', (m: { ready?: true; setupError?: string; index?: number; line?: string; error?: string }) => {
              if (m.setupError) return reject(new CliError(m.setupError));
              if (m.index !== undefined) done(m.index, m.line !== undefined ? { line: m.line } : { error: m.error! });
              feed();
            });
            worker.once('error', reject);
            // Resolving first makes this a no-op for workers that finished their share.
            worker.once('exit', (code) => reject(new CliError(`a segment worker stopped (exit code ${code}) before its images were done`)));
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
