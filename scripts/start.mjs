#!/usr/bin/env node
// `pnpm start`: install, build, then run the main job (sinet quickstart). Extra arguments go to it.
import { spawnSync } from 'node:child_process';

function run(command, args) {
  const r = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('pnpm', ['install', '--frozen-lockfile']);
run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
run(process.execPath, ['packages/train/dist/cli/main.js', 'quickstart', ...process.argv.slice(2)]);
