#!/usr/bin/env node
// `pnpm fuzz [--seconds N]`: the fuzz tests of every package (src/fuzz.test.ts), each property
// running for N seconds (default 400: about an hour for all of them) instead of the tests' 200
// cases. A failure prints fast-check's seed and shrunk input: turn it into a regression test.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--seconds');
const seconds = i >= 0 ? Number(process.argv[i + 1]) : 400;
if (!(seconds > 0)) {
  console.error(`fuzz: --seconds must be a positive number, got ${process.argv[i + 1]}`);
  process.exit(2);
}
let failed = 0;
for (const pkg of ['model', 'train', 'augment']) {
  console.log(`fuzz: @sinet/${pkg}, ${seconds} s a property`);
  const r = spawnSync('pnpm', ['exec', 'vitest', 'run', 'src/fuzz.test.ts', '--testTimeout', String((seconds + 120) * 1000)], {
    cwd: path.join(root, 'packages', pkg),
    stdio: 'inherit',
    env: { ...process.env, SINET_FUZZ_SECONDS: String(seconds) },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
