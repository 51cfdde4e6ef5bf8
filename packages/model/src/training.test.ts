/**
 * Training SINet on the wasm backend (with @sinet/wasm-kernels) follows the reference cpu
 * backend: the first 20 steps from the same weights and data give the same losses. (At 64 x 64
 * the deepest S2 branches pool to 2 x 2; smaller inputs leave training-mode BatchNorm a handful of
 * values per channel, which amplifies float rounding differences between any two backends.)
 */
import * as tf from '@tensorflow/tfjs';
import { randomArray } from '@sinet/test-utils';
import { describe, expect, it } from 'vitest';
import { createSINet, initializeWeights } from './architecture.js';
import { initBackend } from './node/backend.js';

async function trainSteps(backend: 'cpu' | 'wasm', weights: Float32Array[], steps: number): Promise<number[]> {
  await initBackend(backend, { log: null });
  const model = createSINet({ inputSize: [64, 64] });
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.weights[i]!.shape as number[])));
  const optimizer = tf.train.adam(1e-3);
  const x = tf.tensor4d(randomArray(2 * 64 * 64 * 3, 31, -1, 1), [2, 64, 64, 3]);
  // A learnable target: person where the red channel is positive.
  const labels = tf.tidy(() => tf.oneHot(tf.cast(tf.greater(tf.squeeze(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]), [3]), 0), 'int32'), 2));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    losses.push((await cost.data())[0]!);
    cost.dispose();
    // Let vitest's worker answer its runner between the (synchronous, seconds-long) cpu steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  tf.dispose([x, labels]);
  optimizer.dispose();
  model.dispose();
  return losses;
}

describe('SINet training on wasm', () => {
  it('the first 20 steps match the cpu backend within 1e-3 relative, and the loss falls', async () => {
    await initBackend('cpu', { log: null });
    // Seeded kernels (layer initialisers are unseeded): the same network every run.
    const init = createSINet({ inputSize: [64, 64] });
    initializeWeights(init, 100);
    const weights = init.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    init.dispose();
    const cpu = await trainSteps('cpu', weights, 20);
    const wasm = await trainSteps('wasm', weights, 20);
    await initBackend('cpu', { log: null });
    const worst = Math.max(...cpu.map((l, i) => Math.abs(l - wasm[i]!) / Math.abs(l)));
    console.log(`worst relative loss difference over 20 steps: ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-3);
    expect(wasm[19]).toBeLessThan(wasm[0]!);
  }, 400_000);
});
