/** The module's export interface is generated from AssemblyScript's bindings, not mirrored by hand. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const script = path.resolve(packageDir, '../../scripts/wasm-bindings.mjs');

describe('generated WebAssembly bindings', () => {
  it('src/simd-exports.ts is what build/simd.d.ts (asc --bindings raw) declares, and a stale one fails the check', () => {
    execFileSync(process.execPath, [script, 'build/simd.d.ts', 'src/simd-exports.ts', 'SimdExports'], { cwd: packageDir });
    const generated = readFileSync(path.join(packageDir, 'src', 'simd-exports.ts'), 'utf8');
    for (const name of ['gemmTN', 'convFilterGrad', 'adamW', 'weightedNll', 'batchNormGradInput']) expect(generated).toMatch(new RegExp(`^  ${name}\\(`, 'm'));
    // Checked against another interface name, the file is stale: exit 1 with the command that rewrites it.
    let failure: { status?: number; stderr?: Buffer } = {};
    try {
      execFileSync(process.execPath, [script, 'build/simd.d.ts', 'src/simd-exports.ts', 'Other'], { cwd: packageDir, stdio: 'pipe' });
    } catch (e) {
      failure = e as typeof failure;
    }
    expect(failure.status).toBe(1);
    expect(String(failure.stderr)).toMatch(/src\/simd-exports\.ts is not what build\/simd\.d\.ts declares: run node .*wasm-bindings\.mjs build\/simd\.d\.ts src\/simd-exports\.ts Other --write/);
  });
});
