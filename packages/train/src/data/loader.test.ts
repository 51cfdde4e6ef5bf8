import { freshDir } from '@sinet/test-utils';
import { writeImage } from '@sinet/model/node';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFolderDataset } from './folder-dataset.js';
import { loadSamples } from './loader.js';
import { syntheticPortrait } from './synthetic.js';

async function dataset(count: number): Promise<string> {
  const dir = freshDir('sinet-loader-');
  await fs.mkdir(path.join(dir, 'images'));
  await fs.mkdir(path.join(dir, 'masks'));
  for (let i = 0; i < count; i++) {
    const { image, mask } = syntheticPortrait(i, { width: 48, height: 64 });
    await writeImage(path.join(dir, 'images', `s${i}.png`), image);
    await writeImage(path.join(dir, 'masks', `s${i}.png`), { data: mask.data.map((v) => v * 255), width: 48, height: 64, channels: 1 });
  }
  return dir;
}

describe('loading a folder dataset', () => {
  it('decodes, binarises and resizes every pair; a second load comes from the content-keyed cache', async () => {
    const dir = await dataset(4);
    const cacheDir = path.join(dir, '.cache');
    const entries = await listFolderDataset(dir);
    const first = await loadSamples(entries, { size: [32, 24], cacheDir });
    expect(first.samples.map((s) => s.id)).toEqual(['s0', 's1', 's2', 's3']);
    expect(first.cacheHits).toBe(0);
    const s = first.samples[0]!;
    expect([s.image.width, s.image.height, s.image.channels, s.mask.width, s.mask.height]).toEqual([24, 32, 3, 24, 32]);
    expect(new Set(s.mask.data)).toEqual(new Set([0, 1]));
    const second = await loadSamples(entries, { size: [32, 24], cacheDir });
    expect(second.cacheHits).toBe(4);
    second.samples.forEach((x, i) => {
      expect(Array.from(x.image.data)).toEqual(Array.from(first.samples[i]!.image.data));
      expect(Array.from(x.mask.data)).toEqual(Array.from(first.samples[i]!.mask.data));
    });
    // Changed content (not name) misses the cache.
    const { image } = syntheticPortrait(99, { width: 48, height: 64 });
    await writeImage(path.join(dir, 'images', 's1.png'), image);
    expect((await loadSamples(entries, { size: [32, 24], cacheDir })).cacheHits).toBe(3);
  });

  it('names every bad pair before training starts, or skips and reports them', async () => {
    const dir = await dataset(4);
    await fs.writeFile(path.join(dir, 'images', 's1.png'), 'not an image');
    await writeImage(path.join(dir, 'masks', 's2.png'), { data: new Uint8Array(10 * 10), width: 10, height: 10, channels: 1 });
    const entries = await listFolderDataset(dir);
    const error = await loadSamples(entries, { size: [32, 24] }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/2 bad image\/mask pairs \(use --skip-bad/);
    expect((error as Error).message).toContain(`${path.join(dir, 'images', 's1.png')}: not a readable image`);
    expect((error as Error).message).toContain(`${path.join(dir, 'masks', 's2.png')}: mask is 10 x 10 but its image is 48 x 64`);
    const skipped = await loadSamples(entries, { size: [32, 24], skipBad: true });
    expect(skipped.samples.map((s) => s.id)).toEqual(['s0', 's3']);
    expect(skipped.skipped.map((s) => s.id)).toEqual(['s1', 's2']);
  });

  it('refuses a FIFO and a link to /dev/zero among the images by name, at once, with the cache on', async () => {
    const dir = await dataset(3);
    await fs.rm(path.join(dir, 'images', 's1.png'));
    execFileSync('mkfifo', [path.join(dir, 'images', 's1.png')]);
    await fs.rm(path.join(dir, 'masks', 's2.png'));
    await fs.symlink('/dev/zero', path.join(dir, 'masks', 's2.png'));
    const entries = await listFolderDataset(dir);
    const started = performance.now();
    const error = await loadSamples(entries, { size: [32, 24], cacheDir: path.join(dir, '.cache') }).catch((e: Error) => e);
    expect((error as Error).message).toContain(`${path.join(dir, 'images', 's1.png')}: not a regular file`);
    expect((error as Error).message).toContain(`${path.join(dir, 'masks', 's2.png')}: not a regular file`);
    const skipped = await loadSamples(entries, { size: [32, 24], skipBad: true, cacheDir: path.join(dir, '.cache') });
    expect(skipped.samples.map((s) => s.id)).toEqual(['s0']);
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 20_000);
});
