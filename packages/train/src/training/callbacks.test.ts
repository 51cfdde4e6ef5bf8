import { freshDir } from '@sinet/test-utils';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { earlyStoppingCallback, type SavePoint, type TrainingCallback } from './callbacks.js';
import { parseTrainConfig, type TrainConfig } from './config.js';
import { DIVERGED_LOSS, checkLoss } from './step.js';
import { train } from './trainer.js';

const fullOnly = (epochs: number, lr: number): TrainConfig =>
  parseTrainConfig({
    name: 'cb',
    inputSize: [64, 64],
    seed: 9,
    data: { source: 'synthetic', train: 16, val: 8, seed: 3 },
    stages: [{ kind: 'full', epochs, batchSize: 8, lr, loss: 'official-decoder', augment: 'none' }],
    optimizer: { weightDecay: 0, schedule: 'poly' },
  });

describe('trainer callbacks and control', () => {
  it('early stopping ends the run after `patience` epochs without a better score, with a checkpoint to resume from', async () => {
    const out = freshDir('sinet-cb-early-');
    // The learning rate hardly moves the weights: the score stops improving at once.
    const result = await train(fullOnly(6, 1e-12), { out, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, callbacks: [earlyStoppingCallback({ patience: 2 })] });
    expect(result.history).toHaveLength(3);
    expect(result).toMatchObject({ finished: false, interrupted: false, stoppedBy: 'callback' });
    const state = JSON.parse(await fs.readFile(path.join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect([state.stage, state.epoch]).toEqual([0, 3]);
    expect(() => earlyStoppingCallback({ patience: 0 })).toThrow(/patience must be an integer >= 1/);
  });

  it('a callback can ask for a checkpoint inside an epoch without changing the run', async () => {
    const saves: SavePoint['state'][] = [];
    const askAtStep: TrainingCallback = {
      onStep: (p, control) => {
        if (p.epoch === 2 && p.step === 1) control.shouldSave = true;
      },
      onSave: async ({ state }) => {
        saves.push(structuredClone(state));
      },
    };
    const withSave = await train(fullOnly(2, 5e-3), { out: freshDir('sinet-cb-save-'), backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, callbacks: [askAtStep] });
    const straight = await train(fullOnly(2, 5e-3), { out: freshDir('sinet-cb-plain-'), backend: 'wasm', trainWorkers: 0, augmentWorkers: 0 });
    expect(saves.map((s) => [s.stage, s.epoch, s.partial?.step ?? null])).toEqual([
      [0, 1, null],
      [0, 1, 1],
      [1, 0, null],
    ]);
    expect(withSave.history.map((r) => r.loss)).toEqual(straight.history.map((r) => r.loss));
  });

  it('the defaults can be replaced: a run without the checkpoint callback writes no checkpoint', async () => {
    const out = freshDir('sinet-cb-replace-');
    const result = await train(fullOnly(1, 5e-3), { out, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, callbacks: (defaults) => defaults.filter((c) => !c.onSave) });
    expect(result.finished).toBe(true);
    expect(existsSync(path.join(out, 'checkpoint'))).toBe(false);
    expect(existsSync(path.join(out, 'best', 'model.json'))).toBe(true);
    expect(existsSync(path.join(out, 'log.jsonl'))).toBe(true);
  });

  it('one divergence rule for training and fine-tuning', () => {
    expect(() => checkLoss(DIVERGED_LOSS, 'here')).not.toThrow();
    expect(() => checkLoss(DIVERGED_LOSS * 1.01, 'here')).toThrow(/loss became 10100 at here; lower the learning rate/);
    expect(() => checkLoss(Number.NaN, 'step 3')).toThrow(/loss became NaN at step 3/);
  });
});
