/**
 * Publishing checks: `pnpm pack` a workspace package, list what the tarball holds, and install
 * tarballs into a fresh project outside the workspace, as a user of the registry would.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './shared.js';

export function packageDir(name: string): string {
  return path.join(repoRoot, 'packages', name);
}

/** Packs the package in `dir` into `destination` and returns the tarball's path. */
export function packPackage(dir: string, destination: string): string {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', destination], { cwd: dir, encoding: 'utf8' });
  const tarball = out.trim().split('\n').filter((l) => l.trim().endsWith('.tgz')).pop();
  if (!tarball) throw new Error(`pnpm pack printed no tarball:\n${out}`);
  return path.isAbsolute(tarball.trim()) ? tarball.trim() : path.join(destination, path.basename(tarball.trim()));
}

export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
}

export function freshDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Creates an ESM project in a fresh folder with these dependencies and installs them with
 * pnpm outside the workspace (packages come from the local store when it has them).
 */
export function freshProject(dependencies: Record<string, string>, overrides: Record<string, string> = {}): string {
  const dir = freshDir('sinet-consumer-');
  const manifest = { name: 'consumer', private: true, type: 'module', dependencies, pnpm: { overrides, onlyBuiltDependencies: [] } };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(path.join(dir, '.npmrc'), 'auto-install-peers=false\n');
  execFileSync('pnpm', ['install', '--prefer-offline', '--ignore-workspace', '--reporter=silent'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return dir;
}

/**
 * Copies an example app (examples/<name>: its package.json names our packages by registry
 * version, as a user writes them) into a fresh folder and installs it there, our packages taken
 * from these tarballs (pnpm overrides), outside the workspace.
 */
export function installExample(name: string, tarballs: Record<string, string>): string {
  const dir = freshDir(`sinet-example-${name}-`);
  cpSync(path.join(repoRoot, 'examples', name), dir, { recursive: true, filter: (f) => !/node_modules|dist$/.test(f) });
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const overrides = Object.fromEntries(Object.entries(tarballs).map(([pkg, file]) => [pkg, `file:${file}`]));
  manifest.pnpm = { overrides, onlyBuiltDependencies: [] };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(path.join(dir, '.npmrc'), 'auto-install-peers=false\n');
  execFileSync('pnpm', ['install', '--prefer-offline', '--ignore-workspace', '--reporter=silent'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return dir;
}

/**
 * Like runNode, without blocking the test worker's event loop (vitest's RPC times out when a
 * synchronous child runs for minutes).
 */
export async function runNodeAsync(dir: string, file: string, source: string): Promise<string> {
  writeFileSync(path.join(dir, file), source);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  return stdout;
}

/** Runs a script file in the project with node and returns its stdout. */
export function runNode(dir: string, file: string, source: string): string {
  writeFileSync(path.join(dir, file), source);
  return execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Type-checks a TypeScript file in the project with the workspace's compiler (NodeNext resolution: uses the exports map). */
export function typecheck(dir: string, file: string, source: string): void {
  writeFileSync(path.join(dir, file), source);
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', file], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
