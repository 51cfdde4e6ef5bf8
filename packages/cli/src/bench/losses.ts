/**
 * Cost of the losses: loss + gradient w.r.t. the logits at batch 24, 224 x 224, 2 classes, as a
 * fraction of one SINet training step (forward, backward, Adam) on the same backend. A step at
 * batch 24 takes minutes on the pure-JS cpu backend, so there the step is timed at a smaller
 * batch and scaled linearly (its cost is linear in the batch); --step-batch sets it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lovaszSoftmax, sinetLoss } from '@sinet/losses';
import { createSINet } from '@sinet/model';
import { initBackend } from '@sinet/model/node';
import { quantile } from './inference.js';

export interface LossBenchRow {
  backend: string;
  loss: string;
  batch: number;
  medianMs: number;
  /** Median loss + gradient time over the (extrapolated) training-step time at the same batch. */
  fractionOfStep: number;
}

async function median(runs: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return quantile(samples.sort((a, b) => a - b), 0.5);
}

export async function benchLosses(options: { backend: string; batch: number; stepBatch: number; runs: number }, log: (line: string) => void): Promise<{ stepMs: number; rows: LossBenchRow[] }> {
  const info = await initBackend(options.backend, { log: null });
  const { batch, stepBatch, runs } = options;
  // One training step of the full model at stepBatch, scaled to `batch`.
  const model = createSINet();
  const optimizer = tf.train.adam(1e-3);
  const loss = sinetLoss();
  const x = tf.randomNormal([stepBatch, 224, 224, 3]);
  const y = tf.cast(tf.greater(tf.randomNormal([stepBatch, 224, 224]), 0), 'int32');
  let stepMs: number;
  try {
    const measured = await median(Math.max(1, Math.min(runs, stepBatch >= 16 ? 1 : 2)), async () => {
      const cost = optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor), true)!;
      await cost.data();
      cost.dispose();
    });
    stepMs = (measured * batch) / stepBatch;
    log(`  SINet training step on ${info.description}: ${measured.toFixed(0)} ms at batch ${stepBatch}${stepBatch === batch ? '' : `, ${stepMs.toFixed(0)} ms scaled to batch ${batch}`}`);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
  const labels = tf.tidy(() => tf.cast(tf.greater(tf.randomNormal([batch, 224, 224]), 0.5), 'int32'));
  const logits = tf.randomNormal([batch, 224, 224, 2]);
  const candidates: [string, (y: tf.Tensor, l: tf.Tensor) => tf.Scalar][] = [
    ['sinetLoss official-decoder (15x15)', sinetLoss({ preset: 'official-decoder' })],
    ['sinetLoss seed (15x15, per class)', sinetLoss({ preset: 'seed' })],
    ['sinetLoss official-encoder (5x5)', sinetLoss({ preset: 'official-encoder' })],
    ['lovaszSoftmax', lovaszSoftmax],
  ];
  const rows: LossBenchRow[] = [];
  try {
    for (const [name, fn] of candidates) {
      const ms = await median(runs, async () => {
        const g = tf.grad((l: tf.Tensor) => fn(labels, l))(logits);
        await g.data();
        g.dispose();
      });
      rows.push({ backend: info.name, loss: name, batch, medianMs: ms, fractionOfStep: ms / stepMs });
      log(`  ${name}: loss + gradient ${ms.toFixed(0)} ms = ${(100 * ms / stepMs).toFixed(2)}% of a step`);
    }
  } finally {
    tf.dispose([labels, logits]);
  }
  return { stepMs, rows };
}
