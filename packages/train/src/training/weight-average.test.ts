/** The moving average of the weights: hand-computed updates, swapped in and out without a leak, and exact across a resume. */
import * as tf from '@sinet/layers/tfjs';
import { freshDir, maxWeightDifference, useBackend } from '@sinet/test-utils';
import { loadModel } from '@sinet/model/node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrainConfig } from './config.js';
import { train } from './trainer.js';
import { WeightAverage } from './weight-average.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** A dense weight (trainable) and a BatchNorm moving mean (not trainable): both are averaged. */
function twoWeightModel(): tf.LayersModel {
  const input = tf.input({ shape: [1] });
  const dense = tf.layers.dense({ units: 1, useBias: false, kernelInitializer: 'zeros' }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ movingMeanInitializer: 'zeros' }).apply(dense) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: bn });
}

function setAll(model: tf.LayersModel, value: number): void {
  const values = model.weights.map((w) => tf.fill(w.shape as number[], value));
  model.setWeights(values);
  tf.dispose(values);
}

describe('WeightAverage', () => {
  it('averages every weight with decay min(d, (1 + n) / (10 + n)), as computed by hand, and swaps the average in only inside withAverage', async () => {
    const model = twoWeightModel();
    setAll(model, 1);
    const before = tf.memory().numTensors;
    const average = new WeightAverage(model, 0.5);
    // Starts at the weights (1); updates with weights 3, 5, 7. Rates: min(0.5, 1/10) = 0.1, then 2/11, then 3/12 = 0.25.
    let expected = 1;
    for (const [value, rate] of [[3, 0.1], [5, 2 / 11], [7, 0.25]] as const) {
      setAll(model, value);
      average.update();
      expected = rate * expected + (1 - rate) * value;
    }
    expect(average.updates).toBe(3);
    const seen = await average.withAverage(async () => model.getWeights().map((w) => w.dataSync()[0]));
    // Five weights (kernel, gamma, beta, moving mean, moving variance): each averaged the same way.
    expect(seen).toHaveLength(model.weights.length);
    for (const v of seen) expect(v).toBeCloseTo(expected, 6);
    // Afterwards the model holds its trained weights again.
    for (const w of model.getWeights()) expect(w.dataSync()[0]).toBe(7);
    // Once the decay is reached it stays: the 10th update of decay 0.5 uses 0.5.
    for (let i = 0; i < 20; i++) average.update();
    await expect(average.withAverage(async () => { throw new Error('inside'); })).rejects.toThrow('inside');
    for (const w of model.getWeights()) expect(w.dataSync()[0]).toBe(7);
    average.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a decay outside (0, 1) and a checkpoint average that does not fit the model', () => {
    const model = twoWeightModel();
    expect(() => new WeightAverage(model, 1)).toThrow(/between 0 and 1, got 1/);
    const wrong = [tf.zeros([2, 2])];
    expect(() => new WeightAverage(model, 0.9, { values: wrong, updates: 1 })).toThrow(/do not fit this model \(1 tensors for 5 weights\)/);
    tf.dispose(wrong);
    model.dispose();
  });
});

const withEma = (ema: number) =>
  parseTrainConfig({
    name: 'ema',
    inputSize: [64, 64],
    seed: 5,
    data: { source: 'synthetic', train: 16, val: 8, seed: 2 },
    stages: [{ kind: 'full', epochs: 3, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'sinetOfficial' }],
    optimizer: { weightDecay: 2e-4, schedule: 'poly', ema },
  });

describe('training with optimizer.ema', () => {
  it('validates and keeps as best the averaged weights, checkpoints the average, and resumes it bit for bit', async () => {
    const straight = freshDir('sinet-ema-straight-');
    // What the callbacks (best/, the report) see at the last epoch's end.
    let seen: Float32Array[] = [];
    const peek = { onEpochEnd: async ({ model, record }: { model: tf.LayersModel; record: { epoch: number } }) => void (record.epoch === 3 && (seen = model.getWeights().map((w) => w.dataSync() as Float32Array))) };
    const result = await train(withEma(0.9), { out: straight, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, callbacks: [peek] });
    expect(result.finished).toBe(true);
    const state = JSON.parse(readFileSync(path.join(straight, 'checkpoint', 'state.json'), 'utf8'));
    // 16 images at batch 8: two steps an epoch, three epochs.
    expect(state.average).toEqual({ updates: 6 });
    // The callbacks saw the average (saved as checkpoint/average), and the trained weights differ from it.
    const average = await loadModel(path.join(straight, 'checkpoint', 'average'), { requireSINet: true });
    const saved = average.getWeights().map((w) => w.dataSync() as Float32Array);
    expect(seen.length).toBe(saved.length);
    seen.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(saved[i]!)));
    average.dispose();
    expect(await maxWeightDifference(path.join(straight, 'checkpoint'), path.join(straight, 'checkpoint', 'average'))).toBeGreaterThan(1e-4);
    // Stopped after one epoch and resumed: the same average, to the bit.
    const resumed = freshDir('sinet-ema-resumed-');
    await train(withEma(0.9), { out: resumed, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, maxEpochs: 1 });
    const rest = await train(withEma(0.9), { out: resumed, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, resume: true });
    expect(rest.history.map((r) => r.valMiou)).toEqual(result.history.map((r) => r.valMiou));
    expect(await maxWeightDifference(path.join(straight, 'checkpoint', 'average'), path.join(resumed, 'checkpoint', 'average'))).toBe(0);
    // The averaged model is a SINet model like any other.
    (await loadModel(path.join(resumed, 'checkpoint', 'average'), { requireSINet: true })).dispose();
  }, 120_000);

  it('names a decay of 1 or more in the config', () => {
    expect(() => withEma(1)).toThrow(/optimizer\.ema: Number must be less than 1/);
  });
});
