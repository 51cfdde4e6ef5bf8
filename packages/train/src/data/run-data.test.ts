import { Rng } from '@sinet/augment';
import { writeImage } from '@sinet/model/node';
import { freshDir } from '@sinet/test-utils';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig, type TrainConfig } from '../training/config.js';
import { augmentBatch, AugmentPool, packSamples } from './augment-pool.js';
import { listFolderDataset } from './folder-dataset.js';
import { loadSamples } from './loader.js';
import { drawEpoch, HOLD_OUT_SIZE, holdOutStratified, loadRunData, validationSets } from './run-data.js';
import { selectionScore, train } from '../training/trainer.js';
import { syntheticPortrait } from './synthetic.js';

/** A folder dataset of synthetic portraits of `width` x `height` (masks 0/255), or person-free photos without masks. */
async function folder(ids: string[], width: number, height: number, options: { masks?: boolean; seed?: number } = {}): Promise<string> {
  const dir = freshDir('sinet-mixed-');
  await fs.mkdir(path.join(dir, 'images'));
  if (options.masks !== false) await fs.mkdir(path.join(dir, 'masks'));
  for (const [i, id] of ids.entries()) {
    const { image, mask } = syntheticPortrait((options.seed ?? 1) * 1000 + i, { width, height });
    if (options.masks === false) {
      // A person-free photo: the portrait's background colours only.
      await writeImage(path.join(dir, 'images', `${id}.png`), { data: image.data.map((v, k) => (mask.data[Math.floor(k / 3)] ? 90 : v)), width, height, channels: 3 });
      continue;
    }
    await writeImage(path.join(dir, 'images', `${id}.png`), { data: image.data, width, height, channels: 3 });
    await writeImage(path.join(dir, 'masks', `${id}.png`), { data: mask.data.map((v) => v * 255), width, height, channels: 1 });
  }
  await fs.writeFile(path.join(dir, 'train.txt'), ids.join('\n'));
  return dir;
}

const mixedConfig = (data: unknown): TrainConfig =>
  parseTrainConfig({
    name: 'mixed',
    inputSize: [64, 64],
    seed: 3,
    data,
    stages: [{ kind: 'full', epochs: 1, batchSize: 8, lr: 1e-3, loss: 'official-decoder', augment: 'sinetOfficial' }],
    optimizer: { weightDecay: 0, schedule: 'cosine' },
  });

describe('mixed training data', () => {
  it('holds out a stratified part of each source without a val list, draws epochs by weight and pastes people onto backgrounds', async () => {
    const portraits = await folder(Array.from({ length: 12 }, (_, i) => `p${i}`), 48, 64, { seed: 1 });
    const wide = await folder(Array.from({ length: 6 }, (_, i) => `w${i}`), 96, 48, { seed: 2 });
    await fs.writeFile(path.join(wide, 'val.txt'), 'w5\n');
    await fs.writeFile(path.join(wide, 'train5.txt'), 'w0\nw1\nw2\nw3\nw4\n');
    const backgrounds = await folder(['b0', 'b1', 'b2'], 80, 60, { masks: false, seed: 3 });
    const config = mixedConfig({
      source: 'mixed',
      epochSize: 40,
      holdOut: 0.25,
      sources: [
        { name: 'portraits', dir: portraits, trainList: 'train.txt', weight: 2 },
        { name: 'wide', dir: wide, trainList: 'train5.txt', valList: 'val.txt', weight: 1 },
        { name: 'canvas', kind: 'backgrounds', dir: backgrounds, trainList: 'train.txt', weight: 1, paste: 1 },
      ],
    });
    const data = await loadRunData(config, {});
    // 12 portraits in runs of 4 by person size: one of each run held out.
    expect(data.heldOut!.portraits).toHaveLength(3);
    expect(data.heldOut!.wide).toBeUndefined();
    expect(data.val.map((s) => `${s.source}:${s.id}`).sort()).toEqual([...data.heldOut!.portraits!.map((id) => `portraits:${id}`), 'wide:w5'].sort());
    expect(data.train.filter((s) => s.source === 0).map((s) => s.id)).not.toContain(data.heldOut!.portraits![0]);
    expect(data.train.map((s) => s.frame)).toContainEqual({ width: 96, height: 48 });
    expect(data.plan!.sources.map((p) => [p.name, p.quota])).toEqual([
      ['portraits', 20],
      ['wide', 10],
      ['canvas', 10],
    ]);
    // The same config holds out the same ids, and validationSets (sinet eval --config) names the trainer's validation files.
    expect((await loadRunData(config, {})).heldOut).toEqual(data.heldOut);
    const sets = await validationSets(config);
    expect(sets.map((v) => [v.source, v.entries.map((e) => e.id).sort()])).toEqual([
      ['portraits', data.heldOut!.portraits],
      ['wide', ['w5']],
    ]);
    expect(sets[0]!.entries[0]!.image).toMatch(new RegExp(`${portraits}/images/p\\d+\\.png$`));

    const order = drawEpoch(data.plan!, new Rng(1));
    expect(order).toHaveLength(40);
    const bySource = (k: number) => order.filter((i) => data.train[i]!.source === k);
    expect(bySource(0)).toHaveLength(20);
    // A quota above a source's size repeats each sample before any is drawn a third time.
    const counts = new Map<number, number>();
    for (const i of bySource(2)) counts.set(i, (counts.get(i) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([3, 3, 4]);
    expect(new Set(bySource(1)).size).toBe(5);

    const packed = packSamples(data.train, true);
    const canvases = data.train.flatMap((s, i) => (s.paste > 0 ? [i] : []));
    const request = { indices: canvases, seed: 77 };
    const inline = augmentBatch(packed, 'none', request);
    // Every background (paste 1) now holds people; the stored samples are untouched.
    for (const m of inline.masks) expect(m.data.some((v) => v === 1)).toBe(true);
    for (const i of canvases) expect(packed.masks.subarray(i * 64 * 64, (i + 1) * 64 * 64).every((v) => v === 0)).toBe(true);
    const pool = new AugmentPool(packed, 'sinetOfficial', { workers: 1 });
    try {
      const [fromWorker] = await Promise.all([pool.request(request)]);
      const here = augmentBatch(packed, 'sinetOfficial', request);
      expect(fromWorker.images.map((im) => Array.from(im.data))).toEqual(here.images.map((im) => Array.from(im.data)));
      expect(fromWorker.masks.map((m) => Array.from(m.data))).toEqual(here.masks.map((m) => Array.from(m.data)));
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('holds out the same photos whatever size the run trains at (shares measured at HOLD_OUT_SIZE)', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const portraits = await folder(ids, 60, 80, { seed: 4 });
    const source = { name: 'portraits', dir: portraits, trainList: 'train.txt', weight: 1 };
    const at = (size: number) => ({ ...mixedConfig({ source: 'mixed', epochSize: 8, holdOut: 0.25, sources: [source] }), inputSize: [size, size] as [number, number] });
    const entries = await listFolderDataset(portraits, path.join(portraits, 'train.txt'));
    const sharesAt = async (size: number) => holdOutStratified('portraits', (await loadSamples(entries, { size: [size, size] })).samples, 0.25);
    const reference = await sharesAt(HOLD_OUT_SIZE[0]);
    // The premise: measured at 32 x 32, the person shares order these photos otherwise.
    expect([...(await sharesAt(32))].sort()).not.toEqual([...reference].sort());
    for (const size of [32, 96]) {
      expect((await loadRunData(at(size), {})).heldOut!.portraits).toEqual([...reference].sort());
      expect((await validationSets(at(size))).map((v) => v.entries.map((e) => e.id).sort())).toEqual([[...reference].sort()]);
    }
  }, 60_000);

  it('holds out one sample of each run of person sizes, the same ones whatever the order', () => {
    const samples = Array.from({ length: 20 }, (_, i) => {
      const mask = { data: new Uint8Array(100), width: 10, height: 10 };
      mask.data.fill(1, 0, i * 5);
      return { id: `s${i}`, image: { data: new Uint8Array(300), width: 10, height: 10, channels: 3 as const }, mask, frame: { width: 10, height: 10 } };
    });
    const held = holdOutStratified('src', samples, 0.25);
    expect(held.size).toBe(5);
    const ranks = [...held].map((id) => Number(id.slice(1))).sort((a, b) => a - b);
    // One from each run of four sizes: 0-3, 4-7, ..., 16-19.
    ranks.forEach((r, k) => expect(Math.floor(r / 4)).toBe(k));
    expect(holdOutStratified('src', samples.slice().reverse(), 0.25)).toEqual(held);
    expect(holdOutStratified('src', samples, 0).size).toBe(0);
  });

  it('names every wrong field of a mixed config', () => {
    expect(() =>
      mixedConfig({
        source: 'mixed',
        epochSize: 0,
        holdOut: 1,
        sources: [
          { name: 'a', dir: 'x', weight: 1, donor: false },
          { name: 'a', dir: 'y', weight: -1 },
          { name: 'bg', kind: 'backgrounds', dir: 'z', weight: 1, valList: 'val.txt', paste: 2 },
          { name: 'q', kind: 'videos', dir: 'w', weight: 1 },
        ],
      }),
    ).toThrow(
      new RegExp(
        [
          'data.holdOut: Number must be less than 1',
          "data.sources.1.weight: Number must be greater than or equal to 0",
          "data.sources.2.paste: Expected a probability",
          "data.sources.2.valList: backgrounds are not validated on",
          "data.sources.3.kind: Invalid enum value",
          "data.sources.1.name: duplicate source name 'a'",
          'data.epochSize: Number must be greater than or equal to 1',
        ]
          .map((s) => s.replace(/\./g, '\\.'))
          .join('[\\s\\S]*'),
      ),
    );
    expect(() => mixedConfig({ source: 'mixed', epochSize: 8, sources: [{ name: 'bg', kind: 'backgrounds', dir: 'z', weight: 1 }] })).toThrow(/needs a 'photos' source/);
    expect(() => mixedConfig({ source: 'mixed', epochSize: 8, sources: [{ name: 'a', dir: 'x', weight: 1, donor: false }, { name: 'bg', kind: 'backgrounds', dir: 'z', weight: 1 }] })).toThrow(/no 'photos' source is a donor/);
  });

  it('trains on a mix: per-source validation every epoch, the best epoch by the mean person IoU of the sources, held-out lists in the run', async () => {
    const a = await folder(Array.from({ length: 10 }, (_, i) => `a${i}`), 48, 64, { seed: 4 });
    const b = await folder(Array.from({ length: 10 }, (_, i) => `b${i}`), 96, 48, { seed: 5 });
    const bg = await folder(['g0', 'g1'], 64, 48, { masks: false, seed: 6 });
    const config = mixedConfig({
      source: 'mixed',
      epochSize: 16,
      sources: [
        { name: 'tall', dir: a, trainList: 'train.txt', weight: 1 },
        { name: 'wide', dir: b, trainList: 'train.txt', weight: 1 },
        { name: 'bg', kind: 'backgrounds', dir: bg, trainList: 'train.txt', weight: 1 },
      ],
    });
    const out = path.join(freshDir('sinet-mixed-run-'), 'run');
    const result = await train({ ...config, stages: [{ ...config.stages[0]!, epochs: 2 }] }, { out, backend: 'wasm', augmentWorkers: 0, trainWorkers: 0 });
    expect(result.history).toHaveLength(2);
    for (const r of result.history) {
      expect(Object.keys(r.valSources!)).toEqual(['tall', 'wide']);
      expect(r.valScore).toBeCloseTo((r.valSources!.tall!.personIou + r.valSources!.wide!.personIou) / 2, 12);
    }
    expect(result.bestMiou).toBe(Math.max(...result.history.map((r) => r.valScore!)));
    expect((await fs.readFile(path.join(out, 'held-out', 'tall.txt'), 'utf8')).trim().split('\n')).toHaveLength(2);
    const logged = (await fs.readFile(path.join(out, 'log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(logged[1].valSources.wide.personIou).toBe(result.history[1]!.valSources!.wide!.personIou);
    // One source alone: the mIoU, as before.
    const one = { personIou: 0.5, miou: 0.7, backgroundIou: 0.9, boundaryF: 0, boundaryIou: 0 };
    expect(selectionScore({ all: one, bySource: { only: one } })).toBe(0.7);
  }, 120_000);
});
