import { EG1800, freshDir, haveShared, OFFICIAL_WEIGHTS, sharedPath } from '@sinet/test-utils';
import { readImage, writeImage } from '@sinet/model/node';
import { DEFAULT_PRETRAINED } from '@sinet/pretrained';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

interface Run {
  code: number;
  out: string[];
  err: string[];
  error?: Error;
}

async function sinet(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await main([...argv, '--backend', 'wasm'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  } catch (error) {
    return { code: -1, out, err, error: error as Error };
  }
}

const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

describe('sinet without shared data', () => {
  it('quickstart without the official weights segments its synthetic portrait with the shipped default model, and runs again', async () => {
    const out = freshDir('sinet-quickstart-');
    for (let run = 0; run < 2; run++) {
      const r = await sinet('quickstart', '--weights', path.join(out, 'no-such.pth'), '--out', out);
      expect(r.error).toBeUndefined();
      expect(r.out.join('\n')).toContain(`segmenting a synthetic portrait with the shipped '${DEFAULT_PRETRAINED}' model`);
    }
    // The drawing is @sinet/train's synthetic portrait (seed 9), whose exact mask is known: the default model's mask matches it.
    const mask = await readImage(path.join(out, 'synthetic-portrait.mask.png'));
    expect([mask.width, mask.height]).toEqual([240, 320]);
    const { syntheticPortrait } = await import('@sinet/train');
    const truth = syntheticPortrait(9, { width: 240, height: 320 }).mask.data;
    let [inter, union] = [0, 0];
    truth.forEach((t, i) => {
      const m = mask.data[(mask.data.length / truth.length) * i]! > 127 ? 1 : 0;
      inter += m & t;
      union += m | t;
    });
    expect(inter / union).toBeGreaterThan(0.95);
    await fs.access(path.join(out, 'synthetic-portrait.blur.png'));
  });

  it('prints usage, rejects unknown commands and options', async () => {
    expect((await main(['--help'], { out: () => {}, err: () => {} }))).toBe(0);
    expect((await sinet('frobnicate')).error?.message).toMatch(/unknown command 'frobnicate'/);
    expect((await sinet('info', '--data', 'x')).error?.message).toMatch(/info does not take --data/);
    expect((await sinet('eval', '--model', 'm')).error?.message).toMatch(/eval needs --data <dir> \(with --list\) or --config/);
    expect((await sinet('info', '--input-size', '100')).error?.message).toMatch(/multiples of 32/);
    expect((await sinet('eval', '--data', 'x', '--fit', 'pad')).error?.message).toBe("--fit must be stretch, letterbox, aspect, got 'pad'");
    expect((await sinet('segment', 'x.jpg', '--fit', 'pad')).error?.message).toBe("--fit must be stretch, letterbox, aspect, got 'pad'");
    expect((await sinet('info', '--bogus')).error?.message).toMatch(/Unknown option '--bogus'/);
  });

  it('eval --config scores each validation source of a mixed training config at full size, and their mean', async () => {
    const { syntheticPortrait } = await import('@sinet/train');
    const root = freshDir('sinet-cli-evalcfg-');
    const make = async (name: string, count: number, width: number, height: number) => {
      const dir = path.join(root, name);
      await fs.mkdir(path.join(dir, 'images'), { recursive: true });
      await fs.mkdir(path.join(dir, 'masks'));
      for (let i = 0; i < count; i++) {
        const { image, mask } = syntheticPortrait(100 * count + i, { width, height });
        await writeImage(path.join(dir, 'images', `${name}${i}.png`), { data: image.data, width, height, channels: 3 });
        await writeImage(path.join(dir, 'masks', `${name}${i}.png`), { data: mask.data.map((v) => v * 255), width, height, channels: 1 });
      }
      await fs.writeFile(path.join(dir, 'all.txt'), Array.from({ length: count }, (_, i) => `${name}${i}`).join('\n'));
      return dir;
    };
    const a = await make('a', 3, 60, 80);
    const b = await make('b', 8, 96, 64);
    await fs.writeFile(path.join(a, 'val.txt'), 'a0\na2\n');
    const config = path.join(root, 'mixed.json');
    await fs.writeFile(config, JSON.stringify({
      name: 'm', inputSize: [64, 64], seed: 1,
      data: { source: 'mixed', epochSize: 8, holdOut: 0.25, sources: [{ name: 'a', dir: a, trainList: 'all.txt', valList: 'val.txt', weight: 1 }, { name: 'b', dir: b, trainList: 'all.txt', weight: 1 }] },
      stages: [{ kind: 'full', epochs: 1, batchSize: 4, lr: 1e-3, loss: 'official-decoder', augment: 'none' }],
      optimizer: { weightDecay: 0, schedule: 'cosine' },
    }));
    process.env.SINET_CACHE = path.join(root, 'cache');
    try {
      const r = await sinet('eval', '--config', config, '--model', 'official', '--json');
      expect(r.error).toBeUndefined();
      const report = JSON.parse(r.out.at(-1)!);
      expect(Object.keys(report.sources)).toEqual(['a', 'b']);
      expect(report.sources.b.images).toBe(2);
      const plain = JSON.parse((await sinet('eval', '--data', a, '--list', path.join(a, 'val.txt'), '--model', 'official', '--json')).out.at(-1)!);
      expect(report.sources.a).toEqual({ ...plain, msPerImage: report.sources.a.msPerImage });
      expect(report.mean.personIouFull).toBeCloseTo((report.sources.a.personIouFull + report.sources.b.personIouFull) / 2, 12);
      const table = await sinet('eval', '--config', config, '--model', 'official');
      expect(table.out.at(-1)).toMatch(/^mean\s/);
      // At each photo's own aspect, the table says so: the first figures are no longer at 224 x 224.
      expect((await sinet('eval', '--config', config, '--model', 'official', '--fit', 'aspect')).out.find((l) => l.startsWith('source'))).toMatch(/at the network, about 224x224 pixels at each photo's aspect/);
      expect((await sinet('eval', '--config', config, '--data', a)).error?.message).toMatch(/not both/);
      expect((await sinet('eval', '--config', config, '--list', 'x.txt')).error?.message).toMatch(/--list applies to --data/);
    } finally {
      delete process.env.SINET_CACHE;
    }
  });

  it('info reports 86,910 parameters and 0.064 G MACs for the official architecture', async () => {
    const text = await sinet('info');
    expect(text.out.join('\n')).toMatch(/86,910 trainable/);
    expect(text.out.join('\n')).toMatch(/MACs: +0\.0639 G at 224x224/);
    const json = JSON.parse((await sinet('info', '--json', '--input-size', '256x320')).out[0]!);
    expect(json).toMatchObject({ parameters: 86910, inputSize: [256, 320], classes: 2 });
    expect(json.backend).toMatch(/^wasm/);
  });

  it('augment-preview writes a contact sheet with the mask outlined, and names a bad preset', async () => {
    const dir = freshDir('sinet-cli-aug-');
    const w = 60;
    const h = 80;
    const mask = Uint8Array.from({ length: w * h }, (_, i) => (Math.hypot((i % w) - 30, Math.floor(i / w) - 40) < 20 ? 255 : 0));
    await writeImage(path.join(dir, 'p.png'), { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (mask[Math.floor(i / 3)] ? 200 : 40)), width: w, height: h, channels: 3 });
    await writeImage(path.join(dir, 'm.png'), { data: mask, width: w, height: h, channels: 1 });
    const r = await sinet('augment-preview', path.join(dir, 'p.png'), '--mask', path.join(dir, 'm.png'), '--preset', 'sinetOfficial', '--n', '6', '--size', '40', '--out', path.join(dir, 'grid.png'));
    expect(r.error).toBeUndefined();
    const sheet = await readImage(path.join(dir, 'grid.png'));
    // 6 samples: 3 columns x 2 rows of 30 x 40 cells with 4-pixel gaps.
    expect([sheet.width, sheet.height]).toEqual([3 * 30 + 4 * 4, 2 * 40 + 3 * 4]);
    let magenta = 0;
    for (let i = 0; i < sheet.data.length; i += 3) if (sheet.data[i] === 255 && sheet.data[i + 1] === 0 && sheet.data[i + 2] === 255) magenta++;
    expect(magenta).toBeGreaterThan(6 * 20);
    expect((await sinet('augment-preview', path.join(dir, 'p.png'), '--preset', 'fancy', '--out', path.join(dir, 'x.png'))).error?.message).toMatch(/--preset must be one of sinetBlog/);
    // Nothing the user has is replaced unasked: an existing sheet, and never the command's own input.
    const before = await fs.readFile(path.join(dir, 'grid.png'));
    const again = ['augment-preview', path.join(dir, 'p.png'), '--mask', path.join(dir, 'm.png'), '--preset', 'sinetOfficial', '--n', '2', '--size', '40'];
    expect((await sinet(...again, '--out', path.join(dir, 'grid.png'))).error?.message).toMatch(/grid\.png exists: choose another --out, or --overwrite/);
    expect(Buffer.compare(before, await fs.readFile(path.join(dir, 'grid.png')))).toBe(0);
    expect((await sinet(...again, '--out', path.join(dir, 'grid.png'), '--overwrite')).error).toBeUndefined();
    for (const input of ['p.png', 'm.png']) expect((await sinet(...again, '--out', path.join(dir, input), '--overwrite')).error?.message, input).toMatch(/is an input of this command/);
  });

  it('synth writes a folder dataset whose masks are exactly the generator\'s', async () => {
    const dir = freshDir('sinet-cli-synth-');
    const r = await sinet('synth', '--out', dir, '--count', '6', '--input-size', '64x96', '--seed', '3', '--val', '0.5');
    expect(r.out[0]).toMatch(/6 synthetic portraits at 96x64 \(seed 3\): 3 train, 3 val/);
    const lists = await fs.readFile(path.join(dir, 'train.txt'), 'utf8');
    expect((await sinet('synth', '--out', dir, '--count', '2', '--input-size', '64x96')).error?.message).toMatch(/already holds a data set \(images, masks, train\.txt, val\.txt\): choose another --out, or --overwrite/);
    expect(await fs.readFile(path.join(dir, 'train.txt'), 'utf8')).toBe(lists);
    const { listFolderDataset, syntheticPortrait } = await import('@sinet/train');
    const train = await listFolderDataset(dir, path.join(dir, 'train.txt'));
    const val = await listFolderDataset(dir, path.join(dir, 'val.txt'));
    expect(train.length + val.length).toBe(6);
    const mask = await readImage(train[0]!.mask);
    const index = Number(train[0]!.id.split('-')[1]);
    const expected = syntheticPortrait(3 * 1_000_003 + index, { width: 96, height: 64 }).mask.data;
    expect(Array.from(mask.data.filter((_, i) => i % 3 === 0), (v) => (v > 127 ? 1 : 0))).toEqual(Array.from(expected));
  });

  it('train names a bad config field, a bad pair (or skips it with --skip-bad), and refuses --skip-bad on synthetic data', async () => {
    const dir = freshDir('sinet-cli-train-');
    await fs.writeFile(path.join(dir, 'bad.json'), JSON.stringify({ name: 'x', inputSize: [64, 64], seed: 1, data: { source: 'synthetic', train: 4, val: 2 }, stages: [], optimizer: { weightDecay: 0, schedule: 'poly' } }));
    expect((await sinet('train', '--config', path.join(dir, 'bad.json'), '--out', path.join(dir, 'r'))).error?.message).toMatch(/bad\.json is not a valid training config:\n {2}stages: Array must contain at least 1 element/);
    expect((await sinet('train', '--preset', 'quick', '--skip-bad', '--out', path.join(dir, 'r'))).error?.message).toMatch(/--skip-bad applies to folder datasets/);
    const data = path.join(dir, 'data');
    expect((await sinet('synth', '--out', data, '--count', '4', '--input-size', '64x64', '--val', '0.5')).error).toBeUndefined();
    await fs.writeFile(path.join(data, 'images', 'synth-00000.png'), 'broken');
    const config = { name: 'cli', inputSize: [64, 64], seed: 1, data: { source: 'synthetic', train: 4, val: 2 }, stages: [{ kind: 'full', epochs: 1, batchSize: 2, lr: 1e-3, loss: 'official-decoder', augment: 'none' }], optimizer: { weightDecay: 0, schedule: 'poly' } };
    await fs.writeFile(path.join(dir, 'ok.json'), JSON.stringify(config));
    const failed = await sinet('train', '--config', path.join(dir, 'ok.json'), '--data', data, '--out', path.join(dir, 'r1'));
    expect(failed.error?.message).toMatch(/1 bad image\/mask pair \(use --skip-bad[\s\S]*synth-00000\.png: not a readable image/);
    const cache = path.join(dir, 'user-cache');
    process.env.SINET_CACHE = cache;
    const skipped = await sinet('train', '--config', path.join(dir, 'ok.json'), '--data', data, '--skip-bad', '--out', path.join(dir, 'r2'));
    delete process.env.SINET_CACHE;
    expect(skipped.error).toBeUndefined();
    expect(skipped.err.join('\n')).toMatch(/skipped train synth-00000/);
    // The decode cache goes to the user's cache folder, never beside (or into) --out.
    expect((await fs.readdir(cache)).filter((f) => f.endsWith('.bin')).length).toBe(3);
    expect((await fs.readdir(dir)).sort()).toEqual(['bad.json', 'data', 'ok.json', 'r1', 'r2', 'user-cache']);
    // The closing summary: the validation figures of the first and last full-stage epochs.
    const [record] = (await fs.readFile(path.join(dir, 'r2', 'log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const pct = (v: number) => (100 * v).toFixed(2);
    expect(skipped.out).toContain(
      `validation mIoU ${pct(record.valMiou)} -> ${pct(record.valMiou)}, person IoU ${pct(record.valPersonIou)} -> ${pct(record.valPersonIou)}, boundary F ${pct(record.valBoundaryF)} -> ${pct(record.valBoundaryF)} (a constant prediction scores at most 50 mIoU)`,
    );
  });

  it('convert names a missing or non-PyTorch file', async () => {
    const dir = freshDir('sinet-cli-');
    expect((await sinet('convert', path.join(dir, 'missing.pth'), '--out', dir)).error?.message).toMatch(/missing\.pth: no such file/);
    await fs.writeFile(path.join(dir, 'fake.pth'), 'definitely not a checkpoint');
    expect((await sinet('convert', path.join(dir, 'fake.pth'), '--out', dir)).error?.message).toMatch(/fake\.pth: not a PyTorch checkpoint/);
  });

  it('the installed binary prints one error line and exits non-zero, without a stack trace', () => {
    const r = spawnSync(process.execPath, [cliPath, 'segment', '/no/such/photo.jpg', '--model', '/no/such/model', '--out', '/tmp/x', '--backend', 'cpu'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('sinet: backend'))).toEqual(['sinet: error: /no/such/model: no such model folder or model.json']);
    const usage = spawnSync(process.execPath, [cliPath, 'convert'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).not.toMatch(/\n\s+at /);
    expect(execFileSync(process.execPath, [cliPath, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe.runIf(haveShared('CLI tests with the official weights', OFFICIAL_WEIGHTS, EG1800))('sinet with the official weights', () => {
  const modelDir = freshDir('sinet-cli-model-');
  const eg1800 = sharedPath(...EG1800);

  beforeAll(async () => {
    const r = await sinet('convert', sharedPath(...OFFICIAL_WEIGHTS), '--out', modelDir);
    expect(r.error).toBeUndefined();
    expect(r.out[0]).toMatch(/335 tensors \(58 BatchNorm counters skipped\), 86,910 parameters/);
  });

  it('records the MIT licence and the preprocessing in the converted model', async () => {
    const json = JSON.parse(await fs.readFile(path.join(modelDir, 'model.json'), 'utf8'));
    expect(json.userDefinedMetadata.sinet.license.name).toBe('MIT');
    expect(json.userDefinedMetadata.sinet.preprocessing).toMatchObject({ channelOrder: 'BGR', scale: 1 / 255 });
    expect((await sinet('info', '--model', modelDir)).out.join('\n')).toMatch(/licence: +MIT, NAVER Corp/);
  });

  it('segment writes each mode at the photo\'s resolution', async () => {
    const out = freshDir('sinet-cli-seg-');
    const photo = path.join(eg1800, 'images', '00017.jpg');
    for (const mode of ['mask', 'cutout', 'blur']) expect((await sinet('segment', photo, '--model', modelDir, '--out', out, '--mode', mode)).error).toBeUndefined();
    expect((await sinet('segment', photo, '--model', modelDir, '--out', out, '--mode', 'replace', '--background', '#00ff00')).error).toBeUndefined();
    expect((await sinet('segment', photo, '--model', modelDir, '--out', out, '--mode', 'replace')).error?.message).toMatch(/needs --background/);
    for (const mode of ['mask', 'cutout', 'blur', 'replace']) {
      const img = await readImage(path.join(out, `00017.${mode}.png`));
      expect([img.width, img.height]).toEqual([600, 800]);
    }
    // The mask covers the person: roughly the share the hand-made mask has (56.6% at 224 x 224).
    const mask = await readImage(path.join(out, '00017.mask.png'));
    const share = mask.data.filter((v, i) => i % 3 === 0 && v > 127).length / (600 * 800);
    expect(share).toBeGreaterThan(0.5);
    expect(share).toBeLessThan(0.63);
  });

  it('segment --workers 2 writes the same files as one thread, reports in input order, and skips a corrupt image naming it', async () => {
    const dir = freshDir('sinet-cli-par-');
    const corrupt = path.join(dir, 'corrupt.jpg');
    await fs.writeFile(corrupt, 'not a jpeg at all');
    const photos = ['00017', '00006', '00007'].map((id) => path.join(eg1800, 'images', `${id}.jpg`));
    const inputs = [photos[0]!, corrupt, photos[1]!, photos[2]!];
    for (const workers of ['1', '2']) {
      const out = path.join(dir, `w${workers}`);
      const r = await sinet('segment', ...inputs, '--model', modelDir, '--out', out, '--mode', 'blur', '--workers', workers);
      expect(r.error?.message).toMatch(/1 of 4 images could not be segmented/);
      expect(r.err.filter((l) => l.includes('corrupt.jpg'))).toHaveLength(1);
      expect(r.out.map((l) => l.split(' -> ')[0])).toEqual([photos[0], photos[1], photos[2]]);
    }
    for (const id of ['00017', '00006', '00007']) {
      const [one, two] = await Promise.all(['w1', 'w2'].map((w) => fs.readFile(path.join(dir, w, `${id}.blur.png`))));
      expect(two!.equals(one!)).toBe(true);
    }
  });

  it('eval --json prints exactly one object with the documented keys', async () => {
    const r = await sinet('eval', '--model', modelDir, '--data', eg1800, '--list', path.join(eg1800, 'val.txt'), '--limit', '4', '--json');
    expect(r.out).toHaveLength(1);
    const report = JSON.parse(r.out[0]!);
    expect(Object.keys(report).sort()).toEqual(
      ['backend', 'backgroundIou', 'backgroundIouFull', 'boundaryF', 'boundaryFFull', 'boundaryIou', 'boundaryIouFull', 'bySize', 'images', 'maskConventions', 'miou', 'miouFull', 'msPerImage', 'personIou', 'personIouFull'].sort(),
    );
    expect(report.images).toBe(4);
    expect(report.maskConventions).toEqual({ '0/255': 4, '0/1': 0 });
    for (const k of ['miou', 'personIou', 'backgroundIou', 'miouFull', 'personIouFull', 'backgroundIouFull', 'boundaryF', 'boundaryFFull', 'boundaryIou', 'boundaryIouFull']) {
      expect(report[k], k).toBeGreaterThan(0.5);
      expect(report[k]).toBeLessThanOrEqual(1);
    }
  });

  it('reproduces the official person IoU on the EG1800 val split (95.87, within 0.3 points)', async () => {
    // The official protocol: one pass, no refinement.
    const r = await sinet('eval', '--model', modelDir, '--data', eg1800, '--list', path.join(eg1800, 'val.txt'), '--json', '--no-flip-test', '--no-refine');
    const report = JSON.parse(r.out[0]!);
    expect(report.images).toBe(133);
    expect(Math.abs(100 * report.personIou - 95.87)).toBeLessThan(0.3);
    expect(Math.abs(100 * report.miou - 94.73)).toBeLessThan(0.3);
    // Boundary figures are stricter than region IoU: a good model still scores well below its mIoU.
    expect(report.boundaryIou).toBeLessThan(report.miou);
  });

  it('eval names a mask whose size differs from its image, and a missing mask', async () => {
    const dir = freshDir('sinet-cli-bad-ds-');
    await fs.mkdir(path.join(dir, 'images'));
    await fs.mkdir(path.join(dir, 'masks'));
    const noise = (w: number, h: number, c: number) => ({ data: Uint8Array.from({ length: w * h * c }, (_, i) => (i * 7919) % 256), width: w, height: h, channels: c });
    await writeImage(path.join(dir, 'images', 'a.png'), noise(64, 48, 3));
    await writeImage(path.join(dir, 'masks', 'a.png'), noise(32, 48, 1));
    const mismatch = await sinet('eval', '--model', modelDir, '--data', dir);
    expect(mismatch.error?.message).toMatch(/masks\/a\.png: mask is 32 x 48 but its image .*a\.png is 64 x 48/);
    await writeImage(path.join(dir, 'images', 'b.png'), noise(64, 48, 3));
    expect((await sinet('eval', '--model', modelDir, '--data', dir)).error?.message).toMatch(/masks\/b\.png: missing mask/);
  });
});
