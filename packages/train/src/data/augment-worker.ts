/** Worker side of AugmentPool: augments the requested batches from the shared samples. */
import { parentPort, workerData } from 'node:worker_threads';
import { augmentBatch, type AugmentPresetName, type BatchRequest, type PackedSamples } from './augment-pool.js';

const { packed, preset } = workerData as { packed: PackedSamples; preset: AugmentPresetName };

parentPort!.on('message', ({ id, request }: { id: number; request: BatchRequest }) => {
  try {
    const batch = augmentBatch(packed, preset, request);
    const transfer = [...new Set([...batch.images.map((im) => im.data.buffer), ...batch.masks.map((m) => m.data.buffer)])].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    parentPort!.postMessage({ id, images: batch.images, masks: batch.masks }, transfer);
  } catch (e) {
    parentPort!.postMessage({ id, error: (e as Error).message });
  }
});
