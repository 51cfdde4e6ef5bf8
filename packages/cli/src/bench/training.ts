/**
 * Training throughput: images per second of a full SINet step (forward, backward, Adam) at
 * 224 x 224, median over runs: on each backend on one thread, and data-parallel with worker
 * replicas (DataParallel) where workers > 0. The pure-JS cpu backend is timed at a small batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageU8, LabelMap } from '@sinet/augment';
import { createSINet, OFFICIAL_PREPROCESSING } from '@sinet/model';
import { initializeWeights, isKernelWeight } from '@sinet/model/training';
import { initBackend } from '@sinet/model/node';
import { AdamW, batchTensors, DataParallel, makeLoss } from '@sinet/train';
import { quantile } from './inference.js';

export interface TrainingBenchRow {
  backend: string;
  batch: number;
  /** Worker-thread replicas besides the main thread (0: one thread). */
  workers: number;
  medianStepMs: number;
  imagesPerSecond: number;
}

function randomBatch(n: number, size: number, seed: number): { images: ImageU8[]; masks: LabelMap[] } {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  const images = Array.from({ length: n }, () => ({ data: Uint8Array.from({ length: size * size * 3 }, next), width: size, height: size, channels: 3 as const }));
  // A centred disc: a mask with a boundary, so the boundary loss has a band.
  const masks = Array.from({ length: n }, () => ({ data: Uint8Array.from({ length: size * size }, (_, i) => (Math.hypot((i % size) - size / 2, Math.floor(i / size) - size / 2) < size / 3 ? 1 : 0)), width: size, height: size }));
  return { images, masks };
}

export async function benchTraining(backends: string[], runs: number, batch: number, log: (line: string) => void, workerCounts: number[] = [0]): Promise<TrainingBenchRow[]> {
  const rows: TrainingBenchRow[] = [];
  const size = 224;
  for (const name of backends) {
    const info = await initBackend(name, { log: null });
    const b = info.name === 'cpu' ? Math.min(batch, 2) : batch;
    const n = info.name === 'cpu' ? 1 : runs;
    // Data-parallel first: a batch too large for one wasm heap aborts that heap for good, and
    // the replicas each hold only a share of it.
    for (const workers of info.name === 'cpu' ? [0] : [...workerCounts].sort((a, c) => c - a)) {
      const model = createSINet();
      initializeWeights(model, 1);
      // The trainer's optimizer: AdamW with decoupled decay on the kernels.
      const optimizer = new AdamW({ learningRate: 1e-3, weightDecay: 2e-4, decays: isKernelWeight });
      const loss = makeLoss('official-decoder');
      const data = randomBatch(b, size, 7);
      const parallel = workers > 0 ? await DataParallel.start(model, model.trainableWeights.map((_, i) => i), { workers, backend: info.name, loss: 'official-decoder', preprocessing: OFFICIAL_PREPROCESSING, size: [size, size] }) : null;
      const step = async () => {
        if (parallel) return void (await parallel.step(data.images, data.masks, optimizer));
        const { x, y } = batchTensors(data.images, data.masks, [size, size], OFFICIAL_PREPROCESSING);
        const cost = optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor), true)!;
        await cost.data();
        tf.dispose([cost, x, y]);
      };
      try {
        await step(); // warm-up: kernels compile, Adam allocates its moments
        const samples: number[] = [];
        for (let i = 0; i < n; i++) {
          const start = performance.now();
          await step();
          samples.push(performance.now() - start);
        }
        const median = quantile(samples.sort((a, c) => a - c), 0.5);
        rows.push({ backend: info.name, batch: b, workers, medianStepMs: median, imagesPerSecond: (1000 * b) / median });
        log(`  ${info.description}${workers ? ` + ${workers} worker replica${workers > 1 ? 's' : ''}` : ''}: ${median.toFixed(0)} ms per step at batch ${b} = ${((1000 * b) / median).toFixed(2)} img/s (${n} runs)`);
      } catch (e) {
        log(`  ${info.description}${workers ? ` + ${workers} workers` : ''}: batch ${b} failed (${(e as Error).message.split('\n')[0]})`);
      } finally {
        await parallel?.close();
        optimizer.dispose();
        model.dispose();
      }
    }
  }
  return rows.sort((a, c) => (a.backend === c.backend ? a.workers - c.workers : 0));
}
