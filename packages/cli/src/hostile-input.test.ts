/**
 * `sinet` under hostile input: the CLI as a child process over a generated corpus of bad files.
 * For every case: exit code 0 or 1 (never 70 or a signal), no stack trace, nothing that existed
 * before changed, and every good input of the same run still produces its output.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { freshDir } from '@sinet/test-utils';
import { createSINet, DEFAULT_CLASS_NAMES, OFFICIAL_PREPROCESSING, resolveSINetConfig, setSINetMetadata } from '@sinet/model';
import { initBackend, saveModel, writeImage } from '@sinet/model/node';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { train, TRAIN_PRESETS } from '@sinet/train';

const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
let root: string;
let model: string;
let notSinet: string;
let run: string;
let good: string;

/** Every file under `dir` with a hash of its bytes. */
function snapshot(dir: string, into = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) snapshot(file, into);
    else into.set(file, createHash('sha256').update(readFileSync(file)).digest('hex'));
  }
  return into;
}

function sinet(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args, '--backend', 'wasm'], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  await initBackend('wasm', { log: null });
  root = freshDir('sinet-hostile');
  const config = resolveSINetConfig({ inputSize: [64, 64] });
  const net = createSINet(config);
  setSINetMetadata(net, { format: 1, config, classNames: DEFAULT_CLASS_NAMES, personClass: 1, preprocessing: OFFICIAL_PREPROCESSING });
  model = path.join(root, 'model');
  await saveModel(net, model);
  net.dispose();
  const dense = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
  notSinet = path.join(root, 'not-sinet');
  await saveModel(dense, notSinet);
  dense.dispose();
  good = path.join(root, 'in', 'good.png');
  mkdirSync(path.dirname(good));
  await writeImage(good, { data: new Uint8Array(48 * 32 * 3).fill(130), width: 48, height: 32, channels: 3 });
  writeFileSync(path.join(root, 'in', 'truncated.jpg'), readFileSync(good).subarray(0, 60));
  writeFileSync(path.join(root, 'in', 'empty.png'), '');
  writeFileSync(path.join(root, 'in', 'text.jpg'), 'this is not an image');
  mkdirSync(path.join(root, 'in2'));
  writeFileSync(path.join(root, 'in2', 'good.jpg'), readFileSync(good));
  writeFileSync(path.join(root, 'a-file'), 'x');
  // A model whose metadata declares an input inference cannot hold (4096 x 4096 exhausted the wasm heap).
  mkdirSync(path.join(root, 'huge-input'));
  for (const name of readdirSync(model)) writeFileSync(path.join(root, 'huge-input', name), readFileSync(path.join(model, name)));
  const hugeJson = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8'));
  hugeJson.userDefinedMetadata.sinet.config.inputSize = [4096, 4096];
  writeFileSync(path.join(root, 'huge-input', 'model.json'), JSON.stringify(hugeJson));
  // A run with a checkpoint, then its optimizer state cut short.
  run = path.join(root, 'run');
  await train(TRAIN_PRESETS.quick, { out: run, maxEpochs: 1, backend: 'wasm', trainWorkers: 0, augmentWorkers: 0 });
  const optimizer = path.join(run, 'checkpoint', 'optimizer.bin');
  writeFileSync(optimizer, readFileSync(optimizer).subarray(0, 100));
}, 120_000);

describe('sinet under hostile input', () => {
  const cases: { name: string; args: () => string[]; code: 0 | 1; says: RegExp; produces?: () => string }[] = [
    { name: 'truncated, zero-byte and wrong-type images beside a good one', args: () => ['segment', ...['truncated.jpg', 'empty.png', 'text.jpg', 'good.png'].map((f) => path.join(root, 'in', f)), '--model', model, '--out', path.join(root, 'out1')], code: 1, says: /truncated\.jpg: not a readable image[\s\S]*empty\.png: not a readable image[\s\S]*text\.jpg: not a readable image[\s\S]*3 of 4 images could not be segmented/, produces: () => path.join(root, 'out1', 'good.mask.png') },
    { name: 'two inputs with one output name', args: () => ['segment', good, path.join(root, 'in2', 'good.jpg'), '--model', model, '--out', path.join(root, 'out2')], code: 1, says: /would both write/ },
    { name: 'an existing output', args: () => ['segment', good, '--model', model, '--out', path.join(root, 'in'), '--mode', 'mask'], code: 0, says: /good\.png -> / },
    { name: 'the same output again, not asked to overwrite', args: () => ['segment', good, '--model', model, '--out', path.join(root, 'in'), '--mode', 'mask'], code: 1, says: /good\.mask\.png exists already/ },
    { name: '--out naming a file (segment)', args: () => ['segment', good, '--model', model, '--out', path.join(root, 'a-file')], code: 1, says: /is a file, not a folder/ },
    { name: '--out naming a file (convert)', args: () => ['convert', path.join(root, 'a-file'), '--out', path.join(root, 'a-file')], code: 1, says: /--out .*a-file: is a file, not a folder/ },
    { name: '--out naming a file (train)', args: () => ['train', '--preset', 'quick', '--out', path.join(root, 'a-file')], code: 1, says: /--out .*a-file: is a file, not a folder/ },
    { name: 'an earlier run without --resume', args: () => ['train', '--preset', 'quick', '--out', run], code: 1, says: /holds an earlier run/ },
    { name: 'a truncated optimizer.bin on --resume', args: () => ['train', '--preset', 'quick', '--out', run, '--resume', '--workers', '0'], code: 1, says: /optimizer\.bin: 100 bytes, the state needs \d+ \(truncated or damaged\)/ },
    { name: 'a corrupt .pth', args: () => ['convert', path.join(root, 'in', 'text.jpg'), '--out', path.join(root, 'converted')], code: 1, says: /text\.jpg: not a PyTorch checkpoint/ },
    { name: 'a model declaring a 4096 x 4096 input', args: () => ['segment', good, '--model', path.join(root, 'huge-input'), '--out', path.join(root, 'out-huge')], code: 1, says: /huge-input.model\.json: SINet config: 'inputSize' 4096 x 4096 \(16\.8 MP\) is more than the 4\.2 MP/ },
    { name: '--input-size 4096x4096', args: () => ['segment', good, '--model', model, '--out', path.join(root, 'out-huge2'), '--input-size', '4096x4096'], code: 1, says: /sinet: error: SINet config: 'inputSize' 4096 x 4096 \(16\.8 MP\)/ },
    { name: 'info on a tfjs model that is not a SINet', args: () => ['info', '--model', notSinet], code: 1, says: /not a SINet model/ },
    { name: 'a colour that is not one', args: () => ['segment', good, '--model', model, '--out', path.join(root, 'out3'), '--mode', 'replace', '--background', '#zzzzzz'], code: 1, says: /colour must look like #rrggbb or #rgb/ },
  ];

  it('answers every case with exit 0 or 1, one clear message, no stack trace, nothing it had changed, and good inputs still done', () => {
    const started = performance.now();
    for (const c of cases) {
      const before = snapshot(root);
      const r = sinet(...c.args());
      const after = snapshot(root);
      const where = `${c.name}: ${r.stderr}`;
      expect(r.signal, where).toBeNull();
      expect(r.code, where).toBe(c.code);
      expect(r.stderr + r.stdout, where).toMatch(c.says);
      expect(r.stderr, where).not.toMatch(/\n\s+at \S/);
      // Files that existed are unchanged; only new outputs appear.
      for (const [file, hash] of before) expect(after.get(file), `${c.name}: ${file}`).toBe(hash);
      if (c.produces) expect(after.has(c.produces()), where).toBe(true);
    }
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 120_000);
});
