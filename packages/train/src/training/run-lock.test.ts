import { freshDir } from '@sinet/test-utils';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from './config.js';
import { LOCK_FILE } from './run-lock.js';
import { train } from './trainer.js';

const config = parseTrainConfig({
  name: 'lock',
  inputSize: [64, 64],
  seed: 2,
  data: { source: 'synthetic', train: 8, val: 4, seed: 1 },
  stages: [{ kind: 'full', epochs: 2, batchSize: 4, lr: 1e-3, loss: 'official-decoder', augment: 'none' }],
  optimizer: { weightDecay: 0, schedule: 'poly' },
});
const quiet = { backend: 'wasm', trainWorkers: 0, augmentWorkers: 0 } as const;

describe('the run folder lock', () => {
  it('a second trainer on the same folder (resume or overwrite) is refused while the first runs, and the first run is unharmed', async () => {
    const out = freshDir('sinet-lock-');
    const first = train(config, { out, ...quiet });
    // Let the first take the lock, then try to resume and to overwrite the same folder.
    while (!existsSync(path.join(out, LOCK_FILE))) await new Promise((r) => setTimeout(r, 5));
    await expect(train(config, { out, ...quiet, overwrite: true })).rejects.toThrow(new RegExp(`${out} is in use by another trainer \\(pid ${process.pid}, since `));
    await expect(train(config, { out, ...quiet, resume: true })).rejects.toThrow(/is in use by another trainer/);
    const result = await first;
    expect(result.finished).toBe(true);
    expect(result.history).toHaveLength(2);
    expect(existsSync(path.join(out, LOCK_FILE))).toBe(false);
    const log = (await fs.readFile(path.join(out, 'log.jsonl'), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(2);
  });

  it('takes over a stale lock (its process is gone), and refuses one from another host', async () => {
    const out = freshDir('sinet-lock-stale-');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const { hostname } = await import('node:os');
    await fs.writeFile(path.join(out, LOCK_FILE), JSON.stringify({ pid: gone, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    const lines: string[] = [];
    const result = await train({ ...config, stages: [{ ...config.stages[0]!, epochs: 1 }] }, { out, ...quiet, log: (l) => lines.push(l) });
    expect(result.finished).toBe(true);
    expect(lines.join('\n')).toContain(`removing a stale lock of pid ${gone}, which is no longer running`);
    await fs.writeFile(path.join(out, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'now' }));
    await expect(train(config, { out, ...quiet, resume: true })).rejects.toThrow(/in use by another trainer \(pid 1 on host elsewhere, since now\).*if it is gone, delete .*\.lock/);
  });
});
