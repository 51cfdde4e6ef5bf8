/** The CLI's behaviour under Ctrl-C (SIGINT) and kill -9, in real child processes. */
import { freshDir, maxWeightDifference } from '@sinet/test-utils';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrainConfig, train } from '@sinet/train';


const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

// 8 steps an epoch, so a signal lands inside one.
const config = parseTrainConfig({
  name: 'interrupt',
  inputSize: [64, 64],
  seed: 9,
  data: { source: 'synthetic', train: 32, val: 8, seed: 3 },
  stages: [
    { kind: 'encoder', epochs: 1, batchSize: 4, lr: 5e-3, loss: 'official-encoder', augment: 'sinetOfficial' },
    { kind: 'full', epochs: 2, batchSize: 4, lr: 5e-3, loss: 'official-decoder', augment: 'sinetOfficial' },
  ],
  optimizer: { weightDecay: 2e-4, schedule: 'poly' },
});

interface Child {
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

function sinetTrain(configFile: string, out: string, ...extra: string[]): Child {
  const child = spawn(process.execPath, [cliPath, 'train', '--config', configFile, '--out', out, '--backend', 'wasm', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  const result: Child = {
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: (signal) => child.kill(signal),
  };
  child.stderr!.on('data', (d: Buffer) => (result.stderr += d.toString()));
  return result;
}

async function until(what: string, condition: () => boolean, child: Child): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 120_000) throw new Error(`timed out waiting for ${what}; stderr:\n${child.stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}


describe('sinet train interrupted', () => {
  let work: string;
  let configFile: string;
  let straight: string;
  beforeAll(async () => {
    work = freshDir('sinet-interrupt-');
    configFile = path.join(work, 'config.json');
    await fs.writeFile(configFile, JSON.stringify(config));
    straight = path.join(work, 'straight');
    await train(config, { out: straight, backend: 'wasm' });
  });

  it('Ctrl-C inside an epoch saves that step and exits 130; --resume ends where a straight run ends', async () => {
    const out = path.join(work, 'sigint');
    const run = sinetTrain(configFile, out);
    // Without a terminal the first step prints one progress line.
    await until('the first step', () => / 1\/8 loss /.test(run.stderr), run);
    run.kill('SIGINT');
    const { code } = await run.exit;
    expect(code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(/SIGINT: finishing the current step/);
    expect(run.stderr).toMatch(/saved a checkpoint at stage 1, epoch 1, step [1-7]\/8; continue with --resume/);
    const resumed = sinetTrain(configFile, out, '--resume');
    expect((await resumed.exit).code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* at stage 1, epoch 1, step [2-8]/);
    expect(await maxWeightDifference(path.join(straight, 'checkpoint'), path.join(out, 'checkpoint'))).toBeLessThan(1e-7);
  });

  it('kill -9 loses at most the epoch in progress; --resume redoes it and ends where a straight run ends', async () => {
    const out = path.join(work, 'sigkill');
    const run = sinetTrain(configFile, out);
    // Wait for the first checkpoint (end of stage 1), then kill during stage 2.
    await until('the first checkpoint', () => existsSync(path.join(out, 'checkpoint', 'state.json')), run);
    run.kill('SIGKILL');
    expect((await run.exit).signal).toBe('SIGKILL');
    const saved = JSON.parse(await fs.readFile(path.join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect(saved.history.length).toBeGreaterThanOrEqual(1);
    const resumed = sinetTrain(configFile, out, '--resume');
    expect((await resumed.exit).code, resumed.stderr).toBe(0);
    expect(await maxWeightDifference(path.join(straight, 'checkpoint'), path.join(out, 'checkpoint'))).toBeLessThan(1e-7);
    const log = (await fs.readFile(path.join(out, 'log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((r) => [r.stage, r.epoch])).toEqual([[1, 1], [2, 1], [2, 2]]);
    expect((await fs.readdir(out)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('SIGTERM saves the step and exits 143 (128 + 15)', async () => {
    const out = path.join(work, 'sigterm');
    const run = sinetTrain(configFile, out);
    await until('the first step', () => / 1\/8 loss /.test(run.stderr), run);
    run.kill('SIGTERM');
    expect((await run.exit).code, run.stderr).toBe(143);
    expect(run.stderr).toMatch(/SIGTERM: finishing the current step/);
    expect(JSON.parse(await fs.readFile(path.join(out, 'checkpoint', 'state.json'), 'utf8')).partial.step).toBeGreaterThanOrEqual(1);
  });

  it('a trainer whose parent is killed (pnpm does not pass SIGTERM on) saves the step and stops instead of running on orphaned', async () => {
    const out = path.join(work, 'orphan');
    // A stand-in for pnpm: starts the trainer, prints its pid, and dies at SIGTERM without passing it on.
    const parentScript = `const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ${JSON.stringify([cliPath, 'train', '--config', configFile, '--out', out, '--backend', 'wasm'])}, { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(child.pid);
process.on('SIGTERM', () => process.exit(143));`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Child = { stderr: '', exit: new Promise((resolve) => parent.on('exit', (code, signal) => resolve({ code, signal }))), kill: (signal) => parent.kill(signal) };
    let pid = 0;
    parent.stdout!.on('data', (d: Buffer) => (pid ||= Number(d.toString().trim())));
    parent.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
    await until('the first step', () => / 1\/8 loss /.test(run.stderr), run);
    run.kill('SIGTERM');
    await run.exit;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until('the orphaned trainer to stop', () => !alive(), run);
    const state = JSON.parse(await fs.readFile(path.join(out, 'checkpoint', 'state.json'), 'utf8'));
    // Stopped inside stage 1 (8 steps), not after the whole run.
    expect([state.stage, state.epoch, state.partial?.step > 0]).toEqual([0, 0, true]);
  });
});
