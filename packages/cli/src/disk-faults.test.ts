/**
 * `sinet` on a full disk and a read-only one: real (tiny) tmpfs mounts where the machine allows
 * them (root on Linux, as CI here runs), else skipped with a message. Every case: exit 1, one
 * line naming the problem and what to do, no stack trace, and the last checkpoint intact.
 */
import { freshDir } from '@sinet/test-utils';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

function sinet(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args, '--backend', 'wasm'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SINET_CACHE: path.join(freshDir('sinet-disk-cache-'), 'c') } });
  return { code: r.status, stderr: r.stderr };
}

/** Mounts a tmpfs of `size` at a fresh folder; null where mounting is not allowed. */
function mountTmpfs(size: string): string | null {
  const dir = freshDir('sinet-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}

const mounted: string[] = [];
let full: string | null = null;
let readOnly: string | null = null;
beforeAll(() => {
  full = mountTmpfs('600k');
  readOnly = mountTmpfs('1m');
  if (readOnly) {
    writeFileSync(path.join(readOnly, 'keep.txt'), 'mine');
    execFileSync('mount', ['-o', 'remount,ro', readOnly]);
  }
  for (const d of [full, readOnly]) if (d) mounted.push(d);
});
afterAll(() => {
  for (const d of mounted) spawnSync('umount', [d]);
});

const canMount = process.platform === 'linux' && process.getuid?.() === 0;
if (!canMount) console.warn('disk-faults: skipped (needs root on Linux to mount a small tmpfs)');

describe.runIf(canMount)('sinet on a full or read-only disk', () => {
  it('a full disk during training: exit 1, one line with what to do, no half-written checkpoint', () => {
    expect(full, 'mounting a tmpfs failed').not.toBeNull();
    // A checkpoint of the quick preset is ~1 MB: the first one does not fit in 600 KB.
    const out = path.join(full!, 'run');
    const r = sinet('train', '--preset', 'quick', '--out', out);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/sinet: error: .*ENOSPC.*\(the disk is full: free some space and run again/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    // No half-written checkpoint is left where one would be read.
    expect(existsSync(path.join(out, 'checkpoint'))).toBe(false);
  });

  it('a read-only folder: exit 1, one line, nothing changed', () => {
    expect(readOnly, 'mounting a tmpfs failed').not.toBeNull();
    for (const args of [['train', '--preset', 'quick', '--out', path.join(readOnly!, 'run')], ['synth', '--out', path.join(readOnly!, 'data'), '--count', '2']]) {
      const r = sinet(...args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr, args[0]).toMatch(/sinet: error: .*EROFS.*the file system is read-only/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
    expect(readFileSync(path.join(readOnly!, 'keep.txt'), 'utf8')).toBe('mine');
  });
});

// Keep vitest from reporting an empty file where mounting is not allowed.
describe.runIf(!canMount)('sinet on a full or read-only disk (skipped)', () => {
  it('needs root on Linux', () => {
    mkdirSync(freshDir('sinet-disk-none-'), { recursive: true });
  });
});
