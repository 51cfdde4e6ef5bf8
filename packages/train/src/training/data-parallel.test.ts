import { OFFICIAL_PREPROCESSING } from '@sinet/model';
import { initBackend } from '@sinet/model/node';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticPortrait } from '../data/synthetic.js';
import { batchTensors, makeLoss } from './batch.js';
import { DataParallel, shareSizes } from './data-parallel.js';

/** A small fully convolutional net without BatchNorm: data-parallel steps must equal full-batch ones. */
function plainNet(): tf.LayersModel {
  const input = tf.input({ shape: [64, 64, 3] });
  const hidden = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const logits = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

const samples = Array.from({ length: 5 }, (_, i) => syntheticPortrait(70 + i, { width: 64, height: 64 }));
const images = samples.map((s) => s.image);
const masks = samples.map((s) => s.mask);

describe('DataParallel', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('splits a batch as evenly as possible', () => {
    expect(shareSizes(5, 2)).toEqual([3, 2]);
    expect(shareSizes(16, 2)).toEqual([8, 8]);
    expect(shareSizes(1, 2)).toEqual([1, 0]);
  });

  it('2 replicas give the same losses and weights as one thread on the full batch (no BatchNorm, pixel-mean cross-entropy), 4 SGD steps, no leaks', async () => {
    const single = plainNet();
    const parallelModel = plainNet();
    parallelModel.setWeights(single.getWeights());
    const loss = makeLoss('cross-entropy');
    // Plain SGD: Adam divides by the root of tiny second moments, which magnifies rounding.
    const optA = tf.train.momentum(0.5, 0.9);
    const optB = tf.train.momentum(0.5, 0.9);
    const trained = single.trainableWeights.map((_, i) => i);
    const dp = await DataParallel.start(parallelModel, trained, { workers: 1, backend: 'wasm', loss: 'cross-entropy', size: [64, 64], preprocessing: OFFICIAL_PREPROCESSING });
    try {
      expect(dp.replicas).toBe(2);
      let tensorsAfterFirstStep = 0;
      let worstLoss = 0;
      for (let step = 0; step < 4; step++) {
        const { x, y } = batchTensors(images, masks, [64, 64], OFFICIAL_PREPROCESSING);
        const cost = optA.minimize(() => loss(y, single.apply(x) as tf.Tensor), true)!;
        const expected = (await cost.data())[0]!;
        tf.dispose([cost, x, y]);
        const got = await dp.step(images, masks, optB);
        // The momentum accumulators appear at the first step; after it the count must stay flat.
        if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
        worstLoss = Math.max(worstLoss, Math.abs(got - expected) / expected);
      }
      expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
      const wa = single.getWeights();
      const wb = parallelModel.getWeights();
      const worst = Math.max(...wa.map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w, wb[i]!))).dataSync()[0]!)));
      const scale = Math.max(...wa.map((w) => tf.tidy(() => tf.max(tf.abs(w)).dataSync()[0]!)));
      console.log(`data-parallel vs single thread, 4 steps: loss rel. diff <= ${worstLoss.toExponential(2)}, max |dw| ${worst.toExponential(2)} (weights up to ${scale.toFixed(3)})`);
      // float32 means of 20,480 pixel losses, summed in another order: ~sqrt(n) * 6e-8 = 1e-5 typical.
      expect(worstLoss).toBeLessThan(1e-4);
      expect(worst).toBeLessThan(1e-5 * scale);
      // The steps really moved the weights.
      const initial = plainNet();
      const moved = Math.max(...initial.getWeights().map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w, wa[i]!))).dataSync()[0]!)));
      expect(moved).toBeGreaterThan(1e-3);
      initial.dispose();
    } finally {
      await dp.close();
      optA.dispose();
      optB.dispose();
      single.dispose();
      parallelModel.dispose();
    }
  });

  it('reports a failing worker instead of hanging', async () => {
    const model = plainNet();
    const dp = await DataParallel.start(model, [0, 1, 2, 3], { workers: 1, backend: 'wasm', loss: 'official-decoder', size: [64, 64], preprocessing: OFFICIAL_PREPROCESSING });
    try {
      const odd = syntheticPortrait(1, { width: 32, height: 32 });
      await expect(dp.step([images[0]!, odd.image], [masks[0]!, odd.mask], tf.train.sgd(0.1))).rejects.toThrow(/gradient worker 1: .*32 x 32/);
    } finally {
      await dp.close();
      model.dispose();
    }
  });
});
