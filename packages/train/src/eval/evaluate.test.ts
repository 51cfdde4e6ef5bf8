/** sinet eval's figures by person size: each class scores as its photos evaluated alone. */
import { createSINet, DEFAULT_CLASS_NAMES, OFFICIAL_PREPROCESSING, resolveSINetConfig, setSINetMetadata } from '@sinet/model';
import { initializeWeights } from '@sinet/model/training';
import { loadSegmenter, writeImage } from '@sinet/model/node';
import { freshDir, useBackend } from '@sinet/test-utils';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listFolderDataset } from '../data/folder-dataset.js';
import { syntheticPortrait } from '../data/synthetic.js';
import { evaluate, type EvalReport } from './evaluate.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** A 64 x 48 photo whose mask is a person rectangle covering `share` of the frame (and one with no person). */
async function dataset(shares: number[]): Promise<string> {
  const dir = freshDir('sinet-eval-sizes-');
  await fs.mkdir(path.join(dir, 'images'));
  await fs.mkdir(path.join(dir, 'masks'));
  const [w, h] = [48, 64];
  for (const [i, share] of shares.entries()) {
    const { image } = syntheticPortrait(i + 1, { width: w, height: h });
    const rows = Math.round(share * h);
    await writeImage(path.join(dir, 'images', `p${i}.png`), image);
    await writeImage(path.join(dir, 'masks', `p${i}.png`), { data: Uint8Array.from({ length: w * h }, (_, k) => (Math.floor(k / w) >= h - rows ? 255 : 0)), width: w, height: h, channels: 1 });
  }
  await fs.writeFile(path.join(dir, 'all.txt'), shares.map((_, i) => `p${i}`).join('\n'));
  return dir;
}

describe('evaluate by person size', () => {
  it('puts each photo in its class by the truth\'s person share, and each class scores as its photos alone', async () => {
    // Shares 1/16 (small), 1/4 (medium), 1/2 and 3/4 (large), and a photo without a person.
    const dir = await dataset([4 / 64, 16 / 64, 32 / 64, 48 / 64, 0]);
    const config = resolveSINetConfig({ inputSize: [64, 64] });
    const model = createSINet(config);
    setSINetMetadata(model, { format: 1, config, classNames: DEFAULT_CLASS_NAMES, personClass: 1, preprocessing: OFFICIAL_PREPROCESSING });
    initializeWeights(model, 7);
    const segmenter = await loadSegmenter(model);
    const entries = await listFolderDataset(dir, path.join(dir, 'all.txt'));
    // One pass: the network's own masks (refinement would make these flat photos all one class).
    const onePass = { flipTest: false, refine: false };
    const report = await evaluate(segmenter, entries, onePass);
    expect(Object.fromEntries(Object.entries(report.bySize).map(([k, v]) => [k, [v.images, v.shareOfFrame]]))).toEqual({ small: [1, '< 10%'], medium: [1, '10-30%'], large: [2, '>= 30%'] });
    const alone = async (ids: string[]) => evaluate(segmenter, entries.filter((e) => ids.includes(e.id)), onePass);
    // An untrained network's masks: a different IoU for each class, none 0 or 1.
    expect(new Set(Object.values(report.bySize).map((v) => v.personIou.toFixed(4))).size).toBe(3);
    for (const v of Object.values(report.bySize)) expect(v.personIou > 0 && v.personIou < 1).toBe(true);
    expect(report.bySize.small.personIou).toBeCloseTo((await alone(['p0'])).personIouFull, 10);
    expect(report.bySize.medium.personIou).toBeCloseTo((await alone(['p1'])).personIouFull, 10);
    const large = await alone(['p2', 'p3']);
    expect(report.bySize.large.personIou).toBeCloseTo(large.personIouFull, 10);
    expect(report.bySize.large.boundaryF).toBeCloseTo(large.boundaryFFull, 10);
    // Unless told otherwise, eval scores what segment() gives a photo: flip test and refinement (DEFAULT_SEGMENT_OPTIONS).
    const figures = (r: EvalReport) => [r.personIou, r.personIouFull, r.boundaryFFull];
    const byDefault = await evaluate(segmenter, entries);
    expect(figures(byDefault)).toEqual(figures(await evaluate(segmenter, entries, { flipTest: true, refine: true })));
    expect(figures(byDefault)).not.toEqual(figures(await evaluate(segmenter, entries, { flipTest: true, refine: false })));
    expect(byDefault.personIou).not.toBe(report.personIou);
    segmenter.dispose();
    model.dispose();
  }, 60_000);
});
