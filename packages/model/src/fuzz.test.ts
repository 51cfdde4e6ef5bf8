/**
 * Fuzzing of @sinet/model's parsers of untrusted bytes (see @sinet/test-utils' fuzz): the legacy
 * .pth reader with its pickle machine, model.json with its weight manifest and the SINet rebuilt
 * from it, and the ONNX codec. Each input either parses or is refused with a ModelError.
 */
import * as tf from '@tensorflow/tfjs';
import { fc, fuzz, fuzzTimeout, mutatedBytes, mutatedJson, repoRoot } from '@sinet/test-utils';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from './errors.js';
import { buildModel, checkModelJson } from './model-files.js';
import { readLegacyTorchStateDict } from './official/torch-checkpoint.js';

const here = path.join(repoRoot, 'packages', 'model');
const shipped = (name: string, file: string) => readFileSync(path.join(repoRoot, 'packages', 'pretrained', 'models', name, file));

describe('fuzzing the parsers of untrusted bytes', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('the legacy .pth reader (pickle machine included) parses or names the problem', async () => {
    const seed = new Uint8Array(readFileSync(path.join(here, 'fuzz', 'tiny-legacy.pth.bin')));
    expect([...readLegacyTorchStateDict(seed).keys()]).toEqual(['conv.weight', 'bn.num_batches_tracked', 'bn.running_var']);
    await fuzz(mutatedBytes([seed]), [ModelError], (bytes) => readLegacyTorchStateDict(bytes));
  }, fuzzTimeout(60_000));

  it('model.json and its manifest: checked, or refused by name', async () => {
    const corpus = ['official', 'official-f16'].map((name) => shipped(name, 'model.json').toString('utf8'));
    await fuzz(mutatedJson(corpus), [ModelError], (text) => checkModelJson(text, 'model.json'));
    // Found by fuzzing: a format whose toString is not a function was a TypeError in the message.
    const odd = JSON.stringify({ ...JSON.parse(corpus[0]!), format: { toString: 1 } });
    expect(() => checkModelJson(odd, 'model.json')).toThrow('model.json: a tfjs model of format {"toString":1}, not a layers model');
  }, fuzzTimeout(60_000));

  it('a SINet rebuilt from a damaged model.json and weights: built, or refused by name, without leaking tensors', async () => {
    const json = shipped('official-f16', 'model.json').toString('utf8');
    const weightsFile = (JSON.parse(json) as tf.io.ModelJSON).weightsManifest[0]!.paths[0]!;
    const weights = new Uint8Array(shipped('official-f16', weightsFile));
    const before = tf.memory().numTensors;
    const cases = fc.tuple(mutatedJson([json]), fc.oneof(fc.constant(weights), mutatedBytes([weights])));
    await fuzz(cases, [ModelError], async ([text, bytes]) => {
      const model = await buildModel({ where: 'model.json', checked: checkModelJson(text, 'model.json'), weights: bytes.slice().buffer }, { requireSINet: true });
      model.dispose();
    }, { runs: Math.min(60, Number(process.env.SINET_FUZZ_RUNS ?? 60)) });
    expect(tf.memory().numTensors).toBe(before);
  }, fuzzTimeout(120_000));
});
