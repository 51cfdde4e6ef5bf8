#!/usr/bin/env node
// `pnpm start`: install, build, then run the main job: `turbo run train`, the two-stage trainer on
// the embedded synthetic portraits (about a minute). Official weights: `pnpm sinet quickstart`.
import { spawnSync } from 'node:child_process';

function run(command, args) {
  const r = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('pnpm', ['install', '--frozen-lockfile']);
run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
run('pnpm', ['exec', 'turbo', 'run', 'train', '--output-logs=new-only']);
