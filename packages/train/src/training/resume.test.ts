/** Checkpoints written by earlier commits keep resuming (a run outlives the code that started it). */
import { freshDir } from '@sinet/test-utils';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TRAIN_PRESETS } from './config.js';
import { machineLine } from '../machine.js';
import { train } from './trainer.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-fixtures/quick-checkpoint-2026-11-27');

describe('resuming a checkpoint of an earlier commit', () => {
  it('finishes the quick run that commit 6d048b8 (tf.train.adam) stopped after stage 2, epoch 1', async () => {
    const out = path.join(freshDir('sinet-old-checkpoint'), 'quick');
    cpSync(FIXTURE, out, { recursive: true });
    const lines: string[] = [];
    const result = await train(TRAIN_PRESETS.quick, { out, resume: true, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/resuming .* at stage 2, epoch 2/);
    expect(result.finished).toBe(true);
    // The 5 epochs it brought, then stage 2's epochs 2-4 trained now.
    expect(result.history.map((r) => `${r.stage}.${r.epoch}`)).toEqual(['1.1', '1.2', '1.3', '1.4', '2.1', '2.2', '2.3', '2.4']);
    const [before, ...after] = result.history.slice(4);
    // Training goes on from where it was (moments restored), not from scratch: the loss keeps falling.
    for (const r of after) expect(r.loss).toBeLessThan(before!.loss);
    expect(Math.max(...after.map((r) => r.valMiou))).toBeGreaterThan(0.5);
    // The checkpoint kept no machines; from this resume on, the run records the one it trains on.
    expect(JSON.parse(readFileSync(path.join(FIXTURE, 'checkpoint', 'state.json'), 'utf8')).machines).toBeUndefined();
    expect(JSON.parse(readFileSync(path.join(out, 'checkpoint', 'state.json'), 'utf8')).machines).toEqual([machineLine()]);
  }, 120_000);
});
