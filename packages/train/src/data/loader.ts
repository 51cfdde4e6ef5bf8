/**
 * Loads a folder dataset into memory before training: every image and mask is decoded and
 * checked up front (so a bad file never stops a run mid-epoch), resized to the training size
 * (image bilinear, mask nearest) and cached on disk, keyed by the files' content, so the next
 * run does not decode the JPEGs again.
 */
import { type ImageU8, type LabelMap } from '@sinet/augment';
import { Resize } from '@sinet/augment/augmenters';
import { ImageFileError, readImage, readImageFile, readPersonMask, makeFolder, writeFileAtomic } from '@sinet/model/node';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DatasetError, type ImageEntry } from './folder-dataset.js';
import { resizeNearestFloor } from '../eval/scores.js';

export interface LoadedSample {
  id: string;
  image: ImageU8;
  /** 0 = background, 1 = person (mask > 127), at the training size. */
  mask: LabelMap;
  /**
   * The mask as `sinet eval` scores it at the training size (nearest neighbour without
   * half-pixel centres, like the official code's cv2.INTER_NEAREST); with `evalTruth` only.
   */
  truth?: LabelMap;
  /** The photo's size before it was resized to the training size. */
  frame: { width: number; height: number };
}

export interface LoadOptions {
  /** Training size [height, width]. */
  size: [number, number];
  /** Report and leave out bad pairs instead of failing. */
  skipBad?: boolean;
  /** Folder for decoded samples; none to skip the disk cache. */
  cacheDir?: string;
  /** Also keep each mask as `sinet eval` resizes it (`truth`), for validation. */
  evalTruth?: boolean;
  /** Decodes in flight at once. Default 4. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LoadResult {
  samples: LoadedSample[];
  skipped: { id: string; reason: string }[];
  cacheHits: number;
}

// 2: masks in the 0/1 convention are read as such (they were all background). 3: the photo's size is kept.
const CACHE_VERSION = 3;

/** An entry's files, each read once (regular files only: a FIFO or a device is refused by name, never read). */
interface EntryBytes {
  image: Uint8Array;
  mask?: Uint8Array;
}

async function readEntry(entry: ImageEntry): Promise<EntryBytes> {
  return { image: await readImageFile(entry.image), ...(entry.mask === undefined ? {} : { mask: await readImageFile(entry.mask) }) };
}

function cacheKey(bytes: EntryBytes, size: [number, number], evalTruth: boolean): string {
  const hash = createHash('sha256').update(`v${CACHE_VERSION}:${size.join('x')}:${evalTruth ? 'truth:' : ''}`);
  hash.update(bytes.image);
  hash.update(bytes.mask ?? 'no mask');
  return hash.digest('hex').slice(0, 32);
}

async function decodePair(entry: ImageEntry, bytes: EntryBytes, size: [number, number], evalTruth: boolean): Promise<LoadedSample> {
  const image = await readImage(bytes.image, entry.image);
  // A person-free photo has no mask file: all background.
  const mask = bytes.mask === undefined ? { data: new Uint8Array(image.width * image.height), width: image.width, height: image.height } : await readPersonMask(bytes.mask, entry.mask);
  if (image.width !== mask.width || image.height !== mask.height) {
    throw new ImageFileError(entry.mask!, `mask is ${mask.width} x ${mask.height} but its image is ${image.width} x ${image.height}`);
  }
  const binary: LabelMap = { data: mask.data, width: mask.width, height: mask.height };
  const resized = new Resize({ size: [size[1], size[0]] }).augmentSample({ image: { data: image.data, width: image.width, height: image.height, channels: 3 }, mask: binary });
  const sample: LoadedSample = { id: entry.id, image: resized.image, mask: resized.mask!, frame: { width: image.width, height: image.height } };
  if (evalTruth) sample.truth = resizeNearestFloor(binary, size[1], size[0]);
  return sample;
}

function serialize(sample: LoadedSample): Uint8Array {
  const { image, mask, truth } = sample;
  const out = new Uint8Array(image.data.length + mask.data.length + (truth?.data.length ?? 0) + 8);
  out.set(image.data, 0);
  out.set(mask.data, image.data.length);
  if (truth) out.set(truth.data, image.data.length + mask.data.length);
  new DataView(out.buffer).setUint32(out.length - 8, sample.frame.width, true);
  new DataView(out.buffer).setUint32(out.length - 4, sample.frame.height, true);
  return out;
}

function deserialize(id: string, bytes: Uint8Array, size: [number, number], evalTruth: boolean): LoadedSample | null {
  const [h, w] = size;
  const n = h * w;
  if (bytes.length !== n * (evalTruth ? 5 : 4) + 8) return null; // stale or foreign file: decode again
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frame = { width: view.getUint32(bytes.length - 8, true), height: view.getUint32(bytes.length - 4, true) };
  if (frame.width < 1 || frame.height < 1) return null;
  const sample: LoadedSample = { id, image: { data: bytes.slice(0, n * 3), width: w, height: h, channels: 3 }, mask: { data: bytes.slice(n * 3, n * 4), width: w, height: h }, frame };
  if (evalTruth) sample.truth = { data: bytes.slice(n * 4, n * 5), width: w, height: h };
  return sample;
}

export async function loadSamples(entries: ImageEntry[], options: LoadOptions): Promise<LoadResult> {
  const { size, skipBad = false, cacheDir, concurrency = 4, evalTruth = false } = options;
  if (entries.length === 0) throw new DatasetError('the dataset is empty');
  if (cacheDir) await makeFolder(cacheDir);
  const results: (LoadedSample | null)[] = new Array(entries.length).fill(null);
  const problems: { id: string; reason: string }[] = [];
  let cacheHits = 0;
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < entries.length; i = next++) {
      const entry = entries[i]!;
      try {
        let sample: LoadedSample | null = null;
        const bytes = await readEntry(entry);
        const key = cacheDir ? cacheKey(bytes, size, evalTruth) : null;
        const cached = key ? path.join(cacheDir!, `${key}.bin`) : null;
        if (cached) {
          const bytes = await fs.readFile(cached).catch(() => null);
          sample = bytes && deserialize(entry.id, new Uint8Array(bytes), size, evalTruth);
          if (sample) cacheHits++;
        }
        if (!sample) {
          sample = await decodePair(entry, bytes, size, evalTruth);
          if (cached) await writeFileAtomic(cached, serialize(sample));
        }
        results[i] = sample;
      } catch (e) {
        problems.push({ id: entry.id, reason: (e as Error).message });
      }
      options.onProgress?.(++done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  problems.sort((a, b) => a.id.localeCompare(b.id));
  if (problems.length && !skipBad) {
    const shown = problems.slice(0, 20).map((p) => p.reason).join('\n  ');
    throw new DatasetError(`${problems.length} bad image/mask pair${problems.length > 1 ? 's' : ''} (use --skip-bad to leave them out):\n  ${shown}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`);
  }
  const samples = results.filter((s): s is LoadedSample => s !== null);
  if (samples.length === 0) throw new DatasetError('no usable image/mask pairs remain');
  return { samples, skipped: problems, cacheHits };
}
