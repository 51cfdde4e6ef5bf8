/**
 * Fuzzing of @sinet/train's readers of untrusted text (see @sinet/test-utils' fuzz): training
 * configs and checkpoint state files. Each either parses or is refused with a TrainError.
 */
import { freshDir, fuzz, fuzzTimeout, mutatedJson, repoRoot } from '@sinet/test-utils';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrainError } from './errors.js';
import { readCheckpoint } from './training/checkpoint.js';
import { parseTrainConfig, TRAIN_PRESETS } from './training/config.js';
import { train } from './training/trainer.js';

describe('fuzzing the readers of untrusted text', () => {
  it('training configs: parsed, or refused naming the field', async () => {
    const dir = path.join(repoRoot, 'configs');
    const corpus = [...readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(path.join(dir, f), 'utf8')), ...Object.values(TRAIN_PRESETS).map((c) => JSON.stringify(c))];
    await fuzz(mutatedJson(corpus), [TrainError], (text) => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return; // not JSON: the CLI names that before parsing (readTrainConfig)
      }
      parseTrainConfig(json, 'config.json');
    });
  }, fuzzTimeout(60_000));

  it('checkpoint state.json: read, or refused as damaged', async () => {
    const out = freshDir('sinet-fuzz-state-');
    const stop = new AbortController();
    // A real state with a partial epoch, the richest seed.
    await train({ ...TRAIN_PRESETS.quick, inputSize: [64, 64], data: { source: 'synthetic', train: 8, val: 4, seed: 1 }, stages: [{ ...TRAIN_PRESETS.quick.stages[1]!, epochs: 1, batchSize: 4 }] }, { out, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, signal: stop.signal, onStep: () => stop.abort() });
    const file = path.join(out, 'checkpoint', 'state.json');
    const seed = await fs.readFile(file, 'utf8');
    expect(JSON.parse(seed).partial.step).toBe(1);
    await fs.rm(path.join(out, 'checkpoint', 'model.json'));
    await fuzz(mutatedJson([seed]), [TrainError], async (text) => {
      await fs.writeFile(file, text);
      await readCheckpoint(out);
    });
  }, fuzzTimeout(60_000));
});
