#!/usr/bin/env node
// `pnpm test`: lints the workspace, builds, type-checks and tests every package through turbo, then prints one
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

const lint = spawnSync('pnpm', ['run', '--silent', 'lint'], { stdio: 'inherit' });

const RUNS = path.join('.turbo', 'runs');
rmSync(RUNS, { recursive: true, force: true });
const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', 'typecheck', 'test', '--output-logs=new-only', '--continue', '--concurrency=1', '--summarize', ...process.argv.slice(2)], { stdio: 'inherit' });

// The tasks that failed (a type error fails CI with every test green), from turbo's run summary.
function failedTasks() {
  if (!existsSync(RUNS)) return [];
  const summaries = readdirSync(RUNS).filter((f) => f.endsWith('.json'));
  return summaries.flatMap((f) => JSON.parse(readFileSync(path.join(RUNS, f), 'utf8')).tasks)
    .filter((t) => t.execution && t.execution.exitCode !== 0 && t.execution.exitCode !== undefined)
    .map((t) => t.taskId);
}

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
const broken = [...(lint.status !== 0 ? ['lint'] : []), ...failedTasks()];
const tasks = broken.length ? `; failed tasks: ${broken.join(', ')}` : turbo.status !== 0 ? '; turbo failed (see above)' : '';
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${tasks}`);
process.exit(lint.status !== 0 || turbo.status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
