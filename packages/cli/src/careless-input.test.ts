/** `sinet` never loses data: colliding outputs, existing outputs and earlier runs are refused, not overwritten. */
import { freshDir } from '@sinet/test-utils';
import { createSINet, DEFAULT_CLASS_NAMES, OFFICIAL_PREPROCESSING, resolveSINetConfig, setSINetMetadata } from '@sinet/model';
import { initBackend, readMask, saveModel, writeImage } from '@sinet/model/node';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

async function sinet(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await main([...argv, '--backend', 'wasm'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err, error: undefined as Error | undefined };
  } catch (error) {
    return { code: -1, out, err, error: error as Error };
  }
}

let model: string;
let work: string;
const photo = { data: new Uint8Array(40 * 30 * 3).fill(120), width: 40, height: 30, channels: 3 as const };

beforeAll(async () => {
  await initBackend('wasm', { log: null });
  work = freshDir('sinet-careless');
  model = path.join(work, 'model');
  const config = resolveSINetConfig({ inputSize: [64, 64] });
  const net = createSINet(config);
  setSINetMetadata(net, { format: 1, config, classNames: DEFAULT_CLASS_NAMES, personClass: 1, preprocessing: OFFICIAL_PREPROCESSING });
  await saveModel(net, model);
  net.dispose();
  mkdirSync(path.join(work, 'a'));
  mkdirSync(path.join(work, 'b'));
  await writeImage(path.join(work, 'a', 'photo.png'), photo);
  await writeImage(path.join(work, 'b', 'photo.png'), photo);
  await writeImage(path.join(work, 'b', 'Photo.jpg'), photo);
});

describe('sinet segment', () => {
  it('refuses inputs whose outputs would collide, naming both, before writing anything', async () => {
    const out = path.join(work, 'collide');
    const r = await sinet('segment', path.join(work, 'a', 'photo.png'), path.join(work, 'b', 'photo.png'), '--model', model, '--out', out);
    expect(r.error?.message).toBe(`${path.join(work, 'a', 'photo.png')} and ${path.join(work, 'b', 'photo.png')} would both write ${path.join(out, 'photo.mask.png')}: rename one, or segment them into different --out folders`);
    expect(existsSync(out)).toBe(false);
    // photo.png and Photo.jpg: one file on macOS and Windows.
    const caseOnly = await sinet('segment', path.join(work, 'a', 'photo.png'), path.join(work, 'b', 'Photo.jpg'), '--model', model, '--out', out);
    expect(caseOnly.error?.message).toMatch(/would both write/);
  });

  it('keeps an existing output unless --overwrite, and refuses an --out that is a file', async () => {
    const out = path.join(work, 'again');
    const first = await sinet('segment', path.join(work, 'a', 'photo.png'), '--model', model, '--out', out);
    expect(first.error).toBeUndefined();
    const target = path.join(out, 'photo.mask.png');
    writeFileSync(target, 'the user edited this');
    const second = await sinet('segment', path.join(work, 'a', 'photo.png'), '--model', model, '--out', out);
    expect(second.error?.message).toBe(`${target} exists already (from ${path.join(work, 'a', 'photo.png')}): pass --overwrite to replace it, or choose another --out`);
    expect(readFileSync(target, 'utf8')).toBe('the user edited this');
    const third = await sinet('segment', path.join(work, 'a', 'photo.png'), '--model', model, '--out', out, '--overwrite');
    expect(third.error).toBeUndefined();
    expect(readFileSync(target).subarray(1, 4).toString()).toBe('PNG');
    const file = path.join(work, 'a-file');
    writeFileSync(file, 'x');
    expect((await sinet('segment', path.join(work, 'a', 'photo.png'), '--model', model, '--out', file)).error?.message).toBe(`--out ${file}: is a file, not a folder`);
  });
});

describe('sinet train', () => {
  const quick = (out: string, ...more: string[]) => sinet('train', '--preset', 'quick', '--out', out, '--max-epochs', '1', '--workers', '0', ...more);

  it('refuses to start over in a folder with an earlier run, leaving it as it was; --overwrite replaces it', async () => {
    const out = path.join(freshDir('sinet-careless-train'), 'run');
    expect((await quick(out)).error).toBeUndefined();
    const log = readFileSync(path.join(out, 'log.jsonl'), 'utf8');
    const state = readFileSync(path.join(out, 'checkpoint', 'state.json'), 'utf8');
    const again = await quick(out);
    expect(again.error?.message).toMatch(new RegExp(`^${out} holds an earlier run \\(checkpoint, .*log.jsonl.*\\): continue it with --resume, start over with --overwrite, or choose another --out$`));
    expect(readFileSync(path.join(out, 'log.jsonl'), 'utf8')).toBe(log);
    expect(readFileSync(path.join(out, 'checkpoint', 'state.json'), 'utf8')).toBe(state);
    // One "epoch 1" in the log after starting over, not two.
    expect((await quick(out, '--overwrite')).error).toBeUndefined();
    expect(readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect((await quick(out, '--overwrite', '--resume')).error?.message).toBe('give --resume or --overwrite, not both');
  }, 120_000);

  it('--resume names a damaged state.json or a truncated optimizer.bin, one line, nothing changed', async () => {
    const out = path.join(freshDir('sinet-careless-resume'), 'run');
    expect((await quick(out)).error).toBeUndefined();
    const stateFile = path.join(out, 'checkpoint', 'state.json');
    const optimizerFile = path.join(out, 'checkpoint', 'optimizer.bin');
    const [state, optimizer] = [readFileSync(stateFile), readFileSync(optimizerFile)];
    writeFileSync(stateFile, state.subarray(0, 40));
    const torn = await sinet('train', '--preset', 'quick', '--out', out, '--resume', '--workers', '0');
    expect(torn.error?.message).toMatch(new RegExp(`^${stateFile}: not valid JSON \\(.*\\); the checkpoint is damaged$`));
    writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(state.toString()), epoch: -3 }));
    expect((await sinet('train', '--preset', 'quick', '--out', out, '--resume', '--workers', '0')).error?.message).toBe(`${stateFile}: 'epoch' is missing or wrong; the checkpoint is damaged`);
    writeFileSync(stateFile, state);
    writeFileSync(optimizerFile, optimizer.subarray(0, 1000));
    const truncated = await sinet('train', '--preset', 'quick', '--out', out, '--resume', '--workers', '0');
    expect(truncated.error?.message).toBe(`${optimizerFile}: 1000 bytes, the state needs ${optimizer.length} (truncated or damaged)`);
    expect(readFileSync(stateFile)).toEqual(state);
  }, 120_000);
});

describe('masks in the 0/1 convention', () => {
  it('sinet eval scores 0/1 masks as their 0/255 originals and says which it read; an all-background set is an error', async () => {
    const data = path.join(freshDir('sinet-masks-01'), 'synth');
    expect((await sinet('synth', '--out', data, '--count', '6', '--input-size', '64x64', '--val', '0.5')).error).toBeUndefined();
    const ones = `${data}-01`;
    const empty = `${data}-empty`;
    cpSync(data, ones, { recursive: true });
    cpSync(data, empty, { recursive: true });
    for (const f of readdirSync(path.join(data, 'masks'))) {
      const m = await readMask(path.join(data, 'masks', f));
      await writeImage(path.join(ones, 'masks', f), { ...m, data: m.data.map((v) => (v > 127 ? 1 : 0)), channels: 1 });
      await writeImage(path.join(empty, 'masks', f), { ...m, data: new Uint8Array(m.data.length), channels: 1 });
    }
    const scores = async (dir: string) => {
      const r = await sinet('eval', '--model', model, '--data', dir, '--json');
      expect(r.error).toBeUndefined();
      return JSON.parse(r.out[0]!);
    };
    const [a, b] = [await scores(data), await scores(ones)];
    expect(a.maskConventions).toEqual({ '0/255': 6, '0/1': 0 });
    expect(b.maskConventions).toEqual({ '0/255': 0, '0/1': 6 });
    for (const key of ['miou', 'personIou', 'boundaryF', 'miouFull', 'personIouFull']) expect(b[key]).toBe(a[key]);
    expect((await sinet('eval', '--model', model, '--data', empty)).error?.message).toBe('every mask of the 6 images is all background: nothing to score (are the masks in another convention than 0/255 or 0/1?)');
    const train = await sinet('train', '--preset', 'quick', '--data', empty, '--out', path.join(empty, 'run'), '--workers', '0', '--max-epochs', '1');
    expect(train.error?.message).toBe(`every train mask in ${empty} is all background: nothing to learn from (masks must mark the person as 255 on 0, or 1 on 0)`);
  }, 120_000);
});

describe('smaller mistakes', () => {
  const photoFile = () => path.join(work, 'a', 'photo.png');

  it('--background: #rgb and #rrggbb are colours, other # strings are refused as colours (not looked up as files); it applies to replace only', async () => {
    const out = path.join(freshDir('sinet-careless-bg'), 'o');
    expect((await sinet('segment', photoFile(), '--model', model, '--out', out, '--mode', 'replace', '--background', '#zzzzzz')).error?.message).toBe("--background: colour must look like #rrggbb or #rgb, got '#zzzzzz'");
    expect((await sinet('segment', photoFile(), '--model', model, '--out', out, '--mode', 'mask', '--background', '#00b140')).error?.message).toBe('--background applies to --mode replace, not --mode mask');
    expect(existsSync(out)).toBe(false);
    expect((await sinet('segment', photoFile(), '--model', model, '--out', out, '--mode', 'replace', '--background', '#0b4')).error).toBeUndefined();
  });

  it('an unreadable image is named once, not twice', async () => {
    const bad = path.join(freshDir('sinet-careless-bad'), 'x.jpg');
    writeFileSync(bad, 'not a jpeg');
    const r = await sinet('segment', bad, '--model', model, '--out', path.join(path.dirname(bad), 'o'));
    expect(r.err.filter((l) => l.includes('x.jpg'))).toEqual([expect.stringMatching(new RegExp(`^${bad}: not a readable image`))]);
  });

  it('a config whose stages all have 0 epochs is refused; a batch larger than the data set is said', async () => {
    const dir = freshDir('sinet-careless-config');
    const config = (stages: unknown[]) => {
      const file = path.join(dir, `c${stages.length}.json`);
      writeFileSync(file, JSON.stringify({ name: 'c', inputSize: [64, 64], seed: 1, data: { source: 'synthetic', train: 4, val: 2 }, stages, optimizer: { weightDecay: 0, schedule: 'poly' } }));
      return file;
    };
    const zero = await sinet('train', '--config', config([{ kind: 'full', epochs: 0, batchSize: 2, lr: 1e-3, loss: 'official-decoder', augment: 'none' }]), '--out', path.join(dir, 'run0'));
    expect(zero.error?.message).toMatch(/stages: every stage has 0 epochs: nothing would be trained/);
    expect(existsSync(path.join(dir, 'run0'))).toBe(false);
    const big = await sinet('train', '--config', config([{ kind: 'encoder', epochs: 0, batchSize: 8, lr: 1e-3, loss: 'official-encoder', augment: 'none' }, { kind: 'full', epochs: 1, batchSize: 8, lr: 1e-3, loss: 'official-decoder', augment: 'none' }]), '--out', path.join(dir, 'run1'), '--workers', '0');
    expect(big.error).toBeUndefined();
    expect(big.err).toContain("warning: stage 2's batch of 8 is larger than the 4 training images of an epoch: every step trains on all of them (one step an epoch)");
  }, 60_000);

  it('a photo over 24 MP is refused by name, and the photos after it are still written (exit 1)', async () => {
    const dir = freshDir('sinet-careless-huge');
    const huge = path.join(dir, 'huge.jpg');
    await writeImage(huge, { data: new Uint8Array(8000 * 6000 * 3).fill(90), width: 8000, height: 6000, channels: 3 });
    const out = path.join(dir, 'o');
    const r = await sinet('segment', huge, photoFile(), '--model', model, '--out', out, '--mode', 'blur', '--workers', '1');
    // Refused from the file's header, before 144 MB of pixels are decoded.
    expect(r.err).toContain(`${huge}: 8000 x 6000 (48.0 MP) is larger than the 24 MP images are read up to; downscale it first`);
    expect(r.error?.message).toBe('1 of 2 images could not be segmented (see above)');
    expect(existsSync(path.join(out, 'photo.blur.png'))).toBe(true);
    expect(existsSync(path.join(out, 'huge.blur.png'))).toBe(false);
  }, 60_000);
});
