import { EG1800, freshDir, haveShared, maxWeightDifference, sharedPath } from '@sinet/test-utils';
import { loadModel, loadSegmenter } from '@sinet/model/node';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PRESET_NAMES } from '@sinet/augment';
import { LOSS_NAMES } from './batch.js';
import { parseTrainConfig, TRAIN_PRESETS, type TrainConfig } from './config.js';
import { learningRate } from './schedule.js';
import { train } from './trainer.js';

import { listFolderDataset } from '../data/folder-dataset.js';
import { evaluate } from '../eval/evaluate.js';

const tiny = (overrides: Partial<TrainConfig> = {}): TrainConfig =>
  parseTrainConfig({
    name: 'tiny',
    inputSize: [64, 64],
    seed: 5,
    data: { source: 'synthetic', train: 16, val: 8, seed: 2 },
    stages: [
      { kind: 'encoder', epochs: 1, batchSize: 8, lr: 5e-3, loss: 'official-encoder', augment: 'sinetOfficial' },
      { kind: 'full', epochs: 2, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'sinetOfficial' },
    ],
    optimizer: { weightDecay: 2e-4, schedule: 'poly' },
    ...overrides,
  });

describe('training config', () => {
  it('names every wrong field', () => {
    // Each problem on its own line, every one of them.
    expect(() => parseTrainConfig({ ...tiny(), inputSize: [64, 60], stages: [{ kind: 'middle' }], extra: 1 })).toThrow(
      /\(root\): Unrecognized key\(s\) in object: 'extra'\n {2}inputSize\.1: Number must be a multiple of 32\n {2}stages\.0\.kind: Invalid enum value\. Expected 'encoder' \| 'full', received "middle"\n/,
    );
    // The names a stage may use are the owners' lists: every loss the trainer makes, every augment preset.
    expect(() => parseTrainConfig({ ...tiny(), stages: [{ ...tiny().stages[0], loss: 'x', augment: 'y' }] })).toThrow(
      `stages.0.loss: Invalid enum value. Expected ${LOSS_NAMES.map((n) => `'${n}'`).join(' | ')}, received "x"\n  stages.0.augment: Invalid enum value. Expected ${[...PRESET_NAMES, 'none'].map((n) => `'${n}'`).join(' | ')}, received "y"`,
    );
    expect(parseTrainConfig({ ...tiny(), stages: [{ ...tiny().stages[0], loss: 'cross-entropy', augment: 'sinetBlogGeometric' }] }).stages[0]).toMatchObject({ loss: 'cross-entropy', augment: 'sinetBlogGeometric' });
    const message = (() => {
      try {
        parseTrainConfig({ ...tiny(), optimizer: { weightDecay: -1, schedule: 'poly' } });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(/optimizer\.weightDecay: Number must be greater than or equal to 0/);
    expect(Object.keys(TRAIN_PRESETS)).toEqual(['quick', 'paper', 'blog']);
  });

  it('the configs in the repository parse', async () => {
    const { repoRoot } = await import('@sinet/test-utils');
    const dir = path.join(repoRoot, 'configs');
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(parseTrainConfig(JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')), file).stages.length).toBeGreaterThan(0);
  });

  it('schedules: poly decays to 0, multistep steps at milestones, cosine halves at the middle', () => {
    const o = tiny().optimizer;
    expect(learningRate(1, o, 10, 0, 0)).toBe(1);
    expect(learningRate(1, o, 10, 5, 0.5)).toBeCloseTo(0.5, 12);
    expect(learningRate(1, { ...o, schedule: 'multistep', milestones: [3, 6], gamma: 0.1 }, 10, 6, 0.6)).toBeCloseTo(0.01, 12);
    expect(learningRate(1, { ...o, schedule: 'cosine' }, 10, 5, 0.5)).toBeCloseTo(0.5, 12);
  });
});

/** The reference: tiny() trained straight through, once per file. */
let straight: Promise<string> | undefined;
const straightRun = () =>
  (straight ??= (async () => {
    const out = freshDir('sinet-train-a-');
    await train(tiny(), { out, backend: 'wasm' });
    return path.join(out, 'checkpoint');
  })());


describe('train', () => {
  it('runs both stages on synthetic portraits, logs every epoch, keeps the best model and lowers the loss', async () => {
    const out = freshDir('sinet-train-');
    const result = await train(tiny({ stages: [{ kind: 'encoder', epochs: 2, batchSize: 8, lr: 5e-3, loss: 'official-encoder', augment: 'none', freezeEncoder: false }, { kind: 'full', epochs: 3, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'none', freezeEncoder: false }] }), { out, backend: 'wasm', trainWorkers: 0 });
    expect(result.finished).toBe(true);
    expect(result.history.map((r) => [r.stage, r.epoch])).toEqual([[1, 1], [1, 2], [2, 1], [2, 2], [2, 3]]);
    const full = result.history.filter((r) => r.kind === 'full');
    expect(full[2]!.loss).toBeLessThan(full[0]!.loss);
    const lines = (await fs.readFile(path.join(out, 'log.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(5);
    // Each epoch says what share of its training time went to waiting for augmented batches.
    for (const r of lines.map((l) => JSON.parse(l))) {
      expect(r.dataWaitShare).toBeGreaterThanOrEqual(0);
      expect(r.dataWaitShare).toBeLessThanOrEqual(1);
    }
    const report = await fs.readFile(path.join(out, 'report.html'), 'utf8');
    expect(report.match(/<svg /g)).toHaveLength(4);
    expect(report).toContain('src="predictions.png"');
    // Where stage 2 starts is marked on every chart; the loss axis starts at zero.
    expect(report.match(/stroke-dasharray="4 3"\/><text [^>]*>stage 2 \(full\)</g)).toHaveLength(4);
    expect(report).toMatch(/aria-label="training loss"[\s\S]*?>0\.000<\/text>/);
    // It says which epoch best/ holds (the best full-network mIoU), and what to do next.
    const bestFull = full.reduce((b, r) => (r.valMiou > b.valMiou ? r : b));
    expect(report).toContain(`stage 2 epoch ${bestFull.epoch}, validation mIoU ${(100 * bestFull.valMiou).toFixed(2)}`);
    expect(report.match(/<tr class="best"><td>2 \(full\)<\/td><td>(\d+)</)?.[1]).toBe(String(bestFull.epoch));
    expect(report).toContain(`pnpm sinet segment photo.jpg --model ${path.join(out, 'best')}`);
    const { readImage } = await import('@sinet/model/node');
    const grid = await readImage(path.join(out, 'predictions.png'));
    // 8 validation images of 64 x 64 in 4 columns and 2 rows with 4-pixel gaps.
    expect([grid.width, grid.height]).toEqual([4 * 64 + 5 * 4, 2 * 64 + 3 * 4]);
    const best = await loadModel(path.join(out, 'best'));
    expect(best.outputs[0]!.shape).toEqual([null, 64, 64, 2]);
    best.dispose();
  });

  it('1 epoch + resume + the rest gives the same weights as a straight run', async () => {
    const resumed = freshDir('sinet-train-b-');
    const partial = await train(tiny(), { out: resumed, backend: 'wasm', maxEpochs: 2 });
    expect(partial.finished).toBe(false);
    const rest = await train(tiny(), { out: resumed, backend: 'wasm', resume: true });
    expect(rest.finished).toBe(true);
    // Exact on one backend: Adam's running products are restored bit for bit.
    expect(await maxWeightDifference(await straightRun(), path.join(resumed, 'checkpoint'))).toBeLessThan(1e-7);
  });

  it('an abort inside an epoch saves exactly that step; resuming gives the straight run, augmentation inline or in workers', async () => {
    for (const augmentWorkers of [0, 1]) {
      const out = freshDir('sinet-train-abort-');
      const stop = new AbortController();
      let steps = 0;
      // Abort after the 3rd step: the first of stage 2's first epoch (2 steps an epoch).
      const first = await train(tiny(), { out, backend: 'wasm', signal: stop.signal, onStep: () => ++steps === 3 && stop.abort(), augmentWorkers });
      expect(first).toMatchObject({ finished: false, interrupted: true });
      const saved = JSON.parse(await fs.readFile(path.join(out, 'checkpoint', 'state.json'), 'utf8'));
      expect([saved.stage, saved.epoch, saved.partial.step]).toEqual([1, 0, 1]);
      expect(first.history.map((r) => [r.stage, r.epoch])).toEqual([[1, 1]]);
      const rest = await train(tiny(), { out, backend: 'wasm', resume: true, augmentWorkers });
      expect(rest.finished).toBe(true);
      expect(rest.history.map((r) => [r.stage, r.epoch])).toEqual([[1, 1], [2, 1], [2, 2]]);
      expect(await maxWeightDifference(await straightRun(), path.join(out, 'checkpoint'))).toBeLessThan(1e-7);
    }
  });

  it('stops at an exploding loss, naming where, keeps the last good checkpoint, and resumes from it', async () => {
    const out = freshDir('sinet-train-explode-');
    const sane = { kind: 'full', epochs: 1, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'none', freezeEncoder: false } as const;
    const stages = (lr: number) => [sane, { ...sane, epochs: 2, lr }];
    const optimizer = { ...tiny().optimizer, weightDecay: 0 };
    // Adam at lr 1e6 throws the weights far away in one step: the next loss is huge or NaN.
    await expect(train(tiny({ stages: stages(1e6), optimizer }), { out, backend: 'wasm', trainWorkers: 0 })).rejects.toThrow(
      /loss became (NaN|Infinity|\d[\d.e+]*) at stage 2, epoch 1, step \d+: stopping; the last good checkpoint is in .*checkpoint/,
    );
    const saved = JSON.parse(await fs.readFile(path.join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect([saved.stage, saved.epoch, saved.partial]).toEqual([1, 0, undefined]);
    expect((await fs.readFile(path.join(out, 'log.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
    const resumed = await train(tiny({ stages: stages(5e-3), optimizer }), { out, backend: 'wasm', trainWorkers: 0, resume: true });
    expect(resumed.finished).toBe(true);
    expect(resumed.history.map((r) => [r.stage, r.epoch])).toEqual([[1, 1], [2, 1], [2, 2]]);
    expect(resumed.history.every((r) => Number.isFinite(r.loss) && r.loss < 10)).toBe(true);
  });

  it('starts from a saved model with init and names a weight that does not fit', async () => {
    const from = path.join(await straightRun(), '..', 'best');
    const out = freshDir('sinet-train-init-');
    const zeroEpochs = tiny({ init: from, stages: [{ kind: 'full', epochs: 1, batchSize: 8, lr: 1e-12, loss: 'official-decoder', augment: 'none', freezeEncoder: false }], optimizer: { ...tiny().optimizer, weightDecay: 0 } });
    await train(zeroEpochs, { out, backend: 'wasm' });
    // lr 1e-12: one epoch leaves the weights where init put them (BN running statistics aside).
    expect(await maxWeightDifference(from, path.join(out, 'checkpoint'), (name) => !/moving_/.test(name))).toBeLessThan(1e-6);
    const wide = freshDir('sinet-train-init-bad-');
    await expect(train(tiny({ init: path.join(wide, 'nothing') }), { out: wide, backend: 'wasm' })).rejects.toThrow(/init: cannot load .*nothing/);
  });

  it('freezeEncoder keeps the encoder exactly as it was (weight decay included) while the decoder trains', async () => {
    const from = await straightRun();
    const out = freshDir('sinet-train-frozen-');
    const frozen = tiny({ init: from, stages: [{ kind: 'full', epochs: 1, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'none', freezeEncoder: true }] });
    await train(frozen, { out, backend: 'wasm' });
    const trainable = (name: string) => !/moving_/.test(name);
    expect(await maxWeightDifference(from, path.join(out, 'checkpoint'), (n) => n.startsWith('encoder.') && trainable(n))).toBeLessThan(1e-9);
    expect(await maxWeightDifference(from, path.join(out, 'checkpoint'), (n) => !n.startsWith('encoder.') && trainable(n))).toBeGreaterThan(1e-4);
  });

  it('resumes from checkpoint.old when a crash fell between the two renames of a checkpoint write', async () => {
    const out = freshDir('sinet-train-crash-');
    await train(tiny(), { out, backend: 'wasm', maxEpochs: 2 });
    // The state a crash after "checkpoint -> checkpoint.old" and before "tmp -> checkpoint" leaves.
    await fs.rename(path.join(out, 'checkpoint'), path.join(out, 'checkpoint.old'));
    const result = await train(tiny(), { out, backend: 'wasm', resume: true });
    expect(result.finished).toBe(true);
    expect(result.history.map((r) => r.epoch)).toEqual([1, 1, 2]);
  });

  it('two crashes in a row: a resumed run that crashes again while writing its checkpoint still leaves a complete one', async () => {
    const out = freshDir('sinet-train-crash2-');
    await train(tiny(), { out, backend: 'wasm', maxEpochs: 2 });
    await fs.rename(path.join(out, 'checkpoint'), path.join(out, 'checkpoint.old'));
    // The second crash: the rename of the new checkpoint into place fails.
    const rename = fs.rename.bind(fs);
    const spy = vi.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      if (String(to) === path.join(out, 'checkpoint')) throw Object.assign(new Error('simulated crash'), { code: 'EIO' });
      return rename(from, to);
    });
    try {
      await expect(train(tiny(), { out, backend: 'wasm', resume: true })).rejects.toThrow(/simulated crash/);
    } finally {
      spy.mockRestore();
    }
    const result = await train(tiny(), { out, backend: 'wasm', resume: true });
    expect(result.finished).toBe(true);
    expect(result.history.map((r) => r.epoch)).toEqual([1, 1, 2]);
  });

  it('a damaged state.json is named field by field, never a crash later or a silent start', async () => {
    const out = freshDir('sinet-train-damaged-');
    const config = tiny({ stages: [{ kind: 'full', epochs: 2, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'sinetOfficial', freezeEncoder: false }] });
    const stop = new AbortController();
    await train(config, { out, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, signal: stop.signal, onStep: () => stop.abort() });
    const file = path.join(out, 'checkpoint', 'state.json');
    const good = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(good.partial.step).toBe(1);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a state.json damaged in any field
    const cases: [string, (s: Record<string, any>) => void, RegExp][] = [
      ['rng as text', (s) => (s.rng = 'x'), /'rng' is missing or wrong/],
      ['rng too short', (s) => (s.rng = [1, 2]), /'rng' is missing or wrong/],
      ['order as text', (s) => (s.partial.order = 'x'), /'partial' is missing or wrong/],
      ['history of numbers', (s) => (s.history = [1]), /'history' is missing or wrong/],
      ['step far past the epoch', (s) => (s.partial.step = 1e6), /'partial\.step' 1000000 is not below the epoch's 2 steps/],
      ['no seeds', (s) => (s.partial.seeds = []), /'partial\.seeds' holds 0 seeds for 2 steps/],
      ['an index past the samples', (s) => (s.partial.order[0] = 999), /'partial\.order' is not an order of 16 of the 16 training samples/],
      ['stage 7 of 1', (s) => ((s.stage = 6), delete s.partial), /'stage' 7 is past the config's 1 stage/],
    ];
    for (const [what, damage, message] of cases) {
      const state = structuredClone(good);
      damage(state);
      await fs.writeFile(file, JSON.stringify(state));
      await expect(train(config, { out, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, resume: true }), what).rejects.toThrow(message);
    }
    await fs.writeFile(file, JSON.stringify(good));
    expect((await train(config, { out, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0, resume: true })).finished).toBe(true);
  });

  it('refuses a run name that would leave the runs folder', () => {
    for (const name of ['.', '..', '.hidden']) expect(() => tiny({ name } as Partial<TrainConfig>), name).toThrow(/name: letters, digits, _ \. - only, not starting with '\.'/);
    expect(tiny({ name: 'a.b-c_1' } as Partial<TrainConfig>).name).toBe('a.b-c_1');
  });

  it('refuses to resume where there is no checkpoint', async () => {
    await expect(train(tiny(), { out: freshDir('sinet-train-none-'), backend: 'wasm', resume: true })).rejects.toThrow(/no checkpoint to resume from/);
  });
});

describe.runIf(haveShared('a short training run on EG1800', EG1800))('train on real portraits', () => {
  // 32 images at batch 8: with 16 at batch 4, eval-mode figures swung 30 points with float rounding.
  it('32 EG1800 images at 64 x 64: the loss falls, the model beats any constant prediction on them, and its validation figures are sinet eval\'s', async () => {
    const dir = sharedPath(...EG1800);
    const ids = (await fs.readFile(path.join(dir, 'train.txt'), 'utf8')).trim().split('\n').slice(0, 32);
    const work = freshDir('sinet-train-eg-');
    const list = path.join(work, 'ids.txt');
    await fs.writeFile(list, `${ids.join('\n')}\n`);
    const config = tiny({
      data: { source: 'folder', dir, trainList: list, valList: list, skipBad: false },
      stages: [
        { kind: 'encoder', epochs: 4, batchSize: 8, lr: 5e-3, loss: 'official-encoder', augment: 'none', freezeEncoder: false },
        { kind: 'full', epochs: 8, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'none', freezeEncoder: false },
      ],
    });
    const result = await train(config, { out: path.join(work, 'run'), backend: 'wasm', cacheDir: path.join(work, 'cache') });
    const full = result.history.filter((r) => r.kind === 'full');
    expect(full.at(-1)!.loss).toBeLessThan(full[0]!.loss);
    // A constant prediction scores (share of its class) / 2 mIoU: at most 0.5.
    console.log(`EG1800 32-image run: best mIoU ${result.bestMiou.toFixed(3)}, full-stage loss ${full[0]!.loss.toFixed(3)} -> ${full.at(-1)!.loss.toFixed(3)}`);
    expect(result.bestMiou).toBeGreaterThan(0.5);
    // Validation follows `sinet eval --no-flip-test --no-refine` at the training size: evaluating the
    // kept model gives the figures logged for its epoch (the cached images are rounded to 8 bits, so not bit for bit).
    const best = full.reduce((a, b) => (b.valMiou > a.valMiou ? b : a));
    const onePass = { flipTest: false, refine: false };
    const report = await evaluate(await loadSegmenter(path.join(work, 'run', 'best')), await listFolderDataset(dir, list), onePass);
    const logged = { miou: best.valMiou, personIou: best.valPersonIou, boundaryF: best.valBoundaryF!, boundaryIou: best.valBoundaryIou! };
    console.log(`validation vs sinet eval on the kept model: ${JSON.stringify(logged)} vs ${JSON.stringify({ miou: report.miou, personIou: report.personIou, boundaryF: report.boundaryF, boundaryIou: report.boundaryIou })}`);
    expect(Math.abs(report.miou - logged.miou)).toBeLessThan(1e-3);
    expect(Math.abs(report.personIou - logged.personIou)).toBeLessThan(1e-3);
    expect(Math.abs(report.boundaryF - logged.boundaryF)).toBeLessThan(5e-3);
    expect(Math.abs(report.boundaryIou - logged.boundaryIou)).toBeLessThan(5e-3);
  });
});
