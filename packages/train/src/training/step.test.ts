import * as tf from '@sinet/layers/tfjs';
import type { ImageU8, LabelMap } from '@sinet/augment';
import { createSINet, OFFICIAL_PREPROCESSING, resolveSINetConfig } from '@sinet/model';
import { initBackend } from '@sinet/model/node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AugmentPool, AugmentedBatch, BatchRequest } from '../data/augment-pool.js';
import { AdamW } from './adamw.js';
import { makeLoss } from './batch.js';
import { runEpoch, type StepContext } from './step.js';

const SIZE: [number, number] = [64, 64];
const sample = (seed: number): { image: ImageU8; mask: LabelMap } => ({
  image: { data: Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7 + seed * 31) % 256), width: 64, height: 64, channels: 3 },
  mask: { data: Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 64 < 32 ? 1 : 0)), width: 64, height: 64 },
});

/** A pool whose every batch arrives `delayMs` after it is asked for: augmentation slower than the step. */
function slowPool(delayMs: number): AugmentPool {
  return {
    async *batches(requests: BatchRequest[]): AsyncGenerator<AugmentedBatch> {
      for (const r of requests) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const samples = r.indices.map(sample);
        yield { images: samples.map((s) => s.image), masks: samples.map((s) => s.mask) };
      }
    },
  } as unknown as AugmentPool;
}

describe('runEpoch', () => {
  beforeAll(() => initBackend('wasm', { log: null }));

  it('counts the time the step waited for its batch, continuing the count of a resumed epoch', async () => {
    const before = tf.memory().numTensors;
    const trainModel = createSINet(resolveSINetConfig({ inputSize: SIZE }));
    const optimizer = new AdamW({ learningRate: 1e-4, weightDecay: 0, decays: () => false });
    const ctx: StepContext = { trainModel, variables: trainModel.trainableWeights.map((w) => w.read() as tf.Variable), optimizer, loss: makeLoss('cross-entropy'), size: SIZE, preprocessing: OFFICIAL_PREPROCESSING, parallel: null };
    const requests = [0, 1, 2].map((i) => ({ indices: [i, i + 3], seed: i }));
    const plan = (start: { step: number; lossSum: number; seconds: number; dataWaitSeconds?: number }) => ({
      requests, steps: 3 + start.step, start, learningRate: () => 1e-4, onStep: () => {}, stopRequested: () => false, where: () => '',
    });
    const slow = await runEpoch(ctx, slowPool(250), plan({ step: 0, lossSum: 0, seconds: 0 }));
    expect(slow.complete).toBe(true);
    // Three batches, each 250 ms late: at least 0.75 s of waiting, and never more than the epoch took.
    expect(slow.dataWaitSeconds).toBeGreaterThanOrEqual(0.74);
    expect(slow.dataWaitSeconds).toBeLessThanOrEqual(slow.seconds);
    // A resumed epoch (3 steps done, 10 s of which 2 s waiting) adds to its counts.
    const resumed = await runEpoch(ctx, slowPool(0), plan({ step: 3, lossSum: 1, seconds: 10, dataWaitSeconds: 2 }));
    expect(resumed.step).toBe(6);
    expect(resumed.dataWaitSeconds).toBeGreaterThanOrEqual(2);
    expect(resumed.dataWaitSeconds! - 2).toBeLessThan(resumed.seconds - 10);
    optimizer.dispose();
    trainModel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
