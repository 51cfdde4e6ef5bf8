#!/usr/bin/env node
// `pnpm release`: what the release workflow runs once the changesets version PR is merged.
// `pnpm release --dry-run` runs every step that needs no registry: the release plan from the
// pending changesets, the build, and the tarballs attached to the GitHub release (publint and
// arethetypeswrong check the same tarballs in the tests). Without --dry-run it then publishes
// with `changeset publish` (npm provenance when NPM_CONFIG_PROVENANCE=true, as in the workflow).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dryRun = process.argv.includes('--dry-run');
const out = path.resolve('release-tarballs');

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`release: ${command} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

// The plan: fails on a malformed changeset; on a merged version PR it is empty.
const planFile = path.join(os.tmpdir(), `sinet-release-plan-${process.pid}.json`);
run('pnpm', ['exec', 'changeset', 'status', '--output', planFile], { stdio: ['ignore', 'ignore', 'inherit'] });
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
rmSync(planFile, { force: true });
const releases = plan.releases.filter((r) => r.type !== 'none');
console.log(releases.length ? `release plan (${plan.changesets.length} changesets):\n${releases.map((r) => `  ${r.name} ${r.oldVersion} -> ${r.newVersion} (${r.type})`).join('\n')}` : 'release plan: nothing pending (versions as they are)');

run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);

// Every public package, packed as npm would publish it.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const publicPackages = readdirSync('packages')
  .map((name) => path.join('packages', name))
  .filter((dir) => !JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).private);
for (const dir of publicPackages) run('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
console.log(`tarballs for the GitHub release in ${path.relative(process.cwd(), out)}/: ${readdirSync(out).join(', ')}`);

if (dryRun) {
  console.log('dry run: nothing published');
} else {
  run('pnpm', ['exec', 'changeset', 'publish']);
}
