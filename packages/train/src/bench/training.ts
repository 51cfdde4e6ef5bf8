/**
 * Training throughput: images per second of a full SINet step (forward, backward, Adam) at
 * 224 x 224 on each backend, median over runs. The pure-JS cpu backend is timed at a small batch.
 */
import * as tf from '@tensorflow/tfjs';
import { sinetLoss } from '@sinet/losses';
import { createSINet } from '@sinet/model';
import { initBackend } from '@sinet/model/node';
import { quantile } from './inference.js';

export interface TrainingBenchRow {
  backend: string;
  batch: number;
  medianStepMs: number;
  imagesPerSecond: number;
}

export async function benchTraining(backends: string[], runs: number, batch: number, log: (line: string) => void): Promise<TrainingBenchRow[]> {
  const rows: TrainingBenchRow[] = [];
  for (const name of backends) {
    const info = await initBackend(name, { log: null });
    const b = info.name === 'cpu' ? Math.min(batch, 2) : batch;
    const n = info.name === 'cpu' ? 1 : runs;
    const model = createSINet();
    const optimizer = tf.train.adam(1e-3);
    const loss = sinetLoss();
    const x = tf.randomNormal([b, 224, 224, 3]);
    const y = tf.tidy(() => tf.cast(tf.greater(tf.randomNormal([b, 224, 224]), 0), 'int32'));
    const step = async () => {
      const cost = optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor), true)!;
      await cost.data();
      cost.dispose();
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
      rows.push({ backend: info.name, batch: b, medianStepMs: median, imagesPerSecond: (1000 * b) / median });
      log(`  ${info.description}: ${median.toFixed(0)} ms per step at batch ${b} = ${((1000 * b) / median).toFixed(2)} img/s (${n} runs)`);
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  }
  return rows;
}
