/** Every command that reads a model folder (--model, --init, --resume) under a hostile one: exit 1, one line, nothing outside read. */
import * as tf from '@tensorflow/tfjs-core';
import { freshDir } from '@sinet/test-utils';
import { createSINet } from '@sinet/model';
import { initBackend, saveModel } from '@sinet/model/node';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
let escaping: string;

beforeAll(async () => {
  await initBackend('cpu', { log: null });
  escaping = freshDir('sinet-escaping-model');
  const model = createSINet({ inputSize: [64, 64] });
  const saved = await saveModel(model, escaping);
  model.dispose();
  // The weights move next to the folder; model.json reaches for them with '..'.
  const outside = path.join(path.dirname(escaping), `${path.basename(escaping)}-secret.bin`);
  renameSync(saved.weightsFile, outside);
  const json = JSON.parse(readFileSync(saved.modelJson, 'utf8'));
  json.weightsManifest[0].paths = [`../${path.basename(outside)}`];
  writeFileSync(saved.modelJson, JSON.stringify(json));
  expect(tf.memory().numTensors).toBe(0);
});

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args, '--backend', 'cpu'], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

describe('sinet with a model folder that reaches outside itself', () => {
  const expectRefused = (r: ReturnType<typeof run>) => {
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => !l.startsWith('sinet: backend'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`${escaping}/model.json: weights path "\\.\\./.*" leaves the model folder`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('info --model', () => expectRefused(run('info', '--model', escaping)));

  it('segment --model', () => {
    const dir = freshDir('sinet-segment-hostile');
    writeFileSync(path.join(dir, 'x.png'), '');
    expectRefused(run('segment', path.join(dir, 'x.png'), '--model', escaping, '--out', path.join(dir, 'out')));
  });

  it('train --init', () => expectRefused(run('train', '--preset', 'quick', '--init', escaping, '--out', path.join(freshDir('sinet-train-hostile'), 'run'), '--max-epochs', '1')));

  it('train --resume from a checkpoint folder of someone else', () => {
    const out = path.join(freshDir('sinet-resume-hostile'), 'run');
    mkdirSync(out);
    // The hostile model as the run's checkpoint.
    renameSync(escaping, path.join(out, 'checkpoint'));
    writeFileSync(path.join(out, 'checkpoint', 'state.json'), JSON.stringify({ version: 1, stage: 0, epoch: 0, rng: [1, 2, 3, 4, null], bestMiou: -1, history: [], optimizer: null }));
    const r = run('train', '--preset', 'quick', '--resume', '--out', out);
    renameSync(path.join(out, 'checkpoint'), escaping);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/checkpoint\/model.json: weights path "\.\.\/.*" leaves the model folder/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
