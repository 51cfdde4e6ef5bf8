#!/usr/bin/env node
// `pnpm test`: builds, type-checks and tests every package through turbo, then prints one
// closing line summed over all packages' vitest JSON reports. Fails if anything failed or no test ran.
// Packages run one at a time: on two cores, parallel training tests starve vitest's workers.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const REPORT = '.vitest-report.json';
const packageDirs = ['packages', 'apps']
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).map((p) => path.join(d, p)))
  .filter((d) => existsSync(path.join(d, 'package.json')));
for (const dir of packageDirs) rmSync(path.join(dir, REPORT), { force: true });

const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', 'typecheck', 'test', '--output-logs=new-only', '--continue', '--concurrency=1', ...process.argv.slice(2)], { stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of packageDirs) {
  const file = path.join(dir, REPORT);
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  // A test file that failed to load has no tests but a failed suite.
  failed += report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turbo.status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
