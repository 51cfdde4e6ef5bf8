/** The API reference (TypeDoc, typedoc.json at the root): every published package's entry points, generated without a warning. */
import { freshDir, repoRoot } from '@sinet/test-utils';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('API reference', () => {
  it('generates from the sources with warnings as errors (no public signature names an unexported type), one module per entry point', async () => {
    const out = freshDir('sinet-api-docs-');
    await run(process.execPath, [path.join(repoRoot, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
    const index = readFileSync(path.join(out, 'index.html'), 'utf8');
    for (const name of ['layers', 'losses', 'augment', 'wasm-kernels', 'model', 'pretrained', 'train', 'track-processor']) expect(index).toContain(`@sinet/${name}`);
    // A class of a package root and one of a subpath have their pages.
    const pages = (await run('find', [out, '-name', '*.html'], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 })).stdout.split('\n');
    expect(pages.some((p) => /S2Block\.html$/.test(p))).toBe(true);
    expect(pages.some((p) => /GraphBuilder\.html$/.test(p))).toBe(true);
    expect(pages.some((p) => /BackgroundProcessor\.html$/.test(p))).toBe(true);
  }, 300_000);
});
