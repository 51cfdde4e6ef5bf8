/** Every published package, packed and installed from its tarball alone, works in a fresh project. */
import { EG1800, freshDir, freshProject, haveShared, packageDir, packPackage, runNode, runNodeAsync, sharedPath, tarballFiles, typecheck } from '@sinet/test-utils';
import { DEFAULT_PRETRAINED, DEFAULT_REALTIME_PRETRAINED, PRETRAINED_MODELS } from '@sinet/pretrained';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PUBLISHED = ['augment', 'cli', 'layers', 'losses', 'model', 'pretrained', 'track-processor', 'train', 'wasm-kernels'];

describe('published packages', () => {
  const destination = freshDir('sinet-packs-');
  const tarballs = Object.fromEntries(PUBLISHED.map((name) => [`@sinet/${name}`, packPackage(packageDir(name), destination)]));

  it.each(PUBLISHED)('@sinet/%s holds only built files, README, LICENSE and package.json', (name) => {
    const files = tarballFiles(tarballs[`@sinet/${name}`]!);
    // wasm-kernels and augment also ship their compiled SIMD modules; the CLI the PyTorch script of `sinet bench --compare-torch`.
    const extra = name === 'wasm-kernels' ? ['build/simd.wasm'] : name === 'augment' ? ['build/kernels.wasm'] : name === 'cli' ? ['bench/torch_sinet.py'] : name === 'pretrained' ? ['models/official/model.json', 'models/official/MODEL_CARD.md', 'models/official/LICENSE'] : [];
    // The CLI is a program (its bin), the others libraries.
    const entry = name === 'cli' ? ['dist/main.js'] : ['dist/index.js', 'dist/index.d.ts'];
    // The pretrained package also ships its model folders (model.json, weights, card, licence).
    const shipped = (f: string) => f.startsWith('dist/') || (name === 'pretrained' && /^models\/[\w-]+\/(model\.json|weights-[0-9a-f]+\.bin|MODEL_CARD\.md|LICENSE)$/.test(f));
    expect(files.filter((f) => !(shipped(f) || ['README.md', 'LICENSE', 'package.json', ...extra].includes(f)))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(extra));
    expect(files.filter((f) => /\.test\.|test-support/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', ...entry]));
  });

  // What npm users' tools check: publint (the package.json against the files), and attw (the types
  // each entry point resolves to, as Node's ESM and bundlers resolve them; ESM only, the .wasm
  // entries are not modules).
  it.each(PUBLISHED)('@sinet/%s passes publint and arethetypeswrong with no problem', (name) => {
    const tarball = tarballs[`@sinet/${name}`]!;
    const bin = (tool: string) => path.join(packageDir('cli'), 'node_modules', '.bin', tool);
    const lint = execFileSync(bin('publint'), ['run', tarball, '--strict'], { encoding: 'utf8' });
    expect(lint).toContain('All good!');
    const exportsMap = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })).exports as Record<string, unknown>;
    const wasm = Object.keys(exportsMap).filter((k) => k.endsWith('.wasm'));
    const types = execFileSync(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', ...(wasm.length ? ['--exclude-entrypoints', ...wasm] : [])], { encoding: 'utf8' });
    // attw exits 1 on any problem its profile does not ignore (execFileSync throws with the report).
    expect(types).toContain(`@sinet/${name} v`);
  });

  let dir = '';
  it('their entry points import, the sinet bin runs, and the types resolve in a clean project', () => {
    const files = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
    // pnpm pack turned workspace:* into versions; overrides point those at the tarballs.
    // tfjs core and layers only: nothing of ours needs the union package.
    dir = freshProject({ ...files, '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0' }, files);
    const out = runNode(
      dir,
      'check.mjs',
      `import * as tf from '@tensorflow/tfjs-core';
import * as augment from '@sinet/augment';
import { augmentKernelsActive } from '@sinet/augment/ops';
import { augmentTensors } from '@sinet/augment/tf';
import * as layers from '@sinet/layers';
import * as losses from '@sinet/losses';
import * as model from '@sinet/model';
import { convertOfficialCheckpoint } from '@sinet/model/convert';
import { checkModelJson } from '@sinet/model/files';
import * as node from '@sinet/model/node';
import { exportOnnx } from '@sinet/model/onnx';
import * as train from '@sinet/train';
import * as fineTune from '@sinet/train/fine-tune';
import * as kernels from '@sinet/wasm-kernels';
await node.initBackend('wasm', { log: null });
const sinet = model.createSINet();
console.log(JSON.stringify({
  layers: layers.registeredClassNames.length,
  parameters: model.countParameters(sinet).trainable,
  node: typeof node.loadSegmenter,
  subpaths: [typeof convertOfficialCheckpoint, typeof checkModelJson],
  // The ONNX exporter needs nothing beyond the tarballs (no protobuf package, no onnxruntime).
  onnx: exportOnnx(sinet).bytes.length > 100_000,
  train: typeof train.evaluate,
  augment: augment.sinetBlog({ seed: 1 }).augmentSample({ image: { data: new Uint8Array(12), width: 2, height: 2, channels: 3 } }).image.width,
  // Its pixel kernels load from the installed package's build/kernels.wasm.
  augmentKernels: augmentKernelsActive(),
  augmentTf: typeof augmentTensors,
  fineTune: typeof fineTune.fineTune,
  // The SIMD module loads from the installed package's build/simd.wasm.
  simd: await kernels.loadSimdKernels(),
  // Uniform logits: cross-entropy ln 2, and an all-background mask has no band.
  loss: losses.sinetLoss()(tf.zeros([1, 8, 8], 'int32'), tf.zeros([1, 8, 8, 2])).dataSync()[0],
}));
`,
    );
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result).toMatchObject({ layers: 11, parameters: 86910, node: 'function', subpaths: ['function', 'function'], onnx: true, train: 'function', augment: 2, augmentKernels: true, augmentTf: 'function', fineTune: 'function', simd: true });
    expect(result.loss).toBeCloseTo(Math.log(2), 6);
    const info = JSON.parse(execFileSync(path.join(dir, 'node_modules', '.bin', 'sinet'), ['info', '--json', '--backend', 'wasm'], { encoding: 'utf8' }));
    expect(info).toMatchObject({ parameters: 86910, macs: expect.any(Number) });
    typecheck(
      dir,
      'check.ts',
      `import { createSINet, loadSegmenter as load, type Segmentation } from '@sinet/model';
import { loadSegmenter, readImage } from '@sinet/model/node';
import { exportOnnx, type OnnxExport } from '@sinet/model/onnx';
import { evaluate, type EvalReport } from '@sinet/train';
export const model = createSINet({ inputSize: [256, 320] });
export const onnx: OnnxExport = exportOnnx(model, { softmax: true });
export type Results = [Segmentation, EvalReport, typeof load, typeof loadSegmenter, typeof readImage, typeof evaluate];
`,
    );
  });

  it.runIf(haveShared('scoring the shipped models', EG1800))('every shipped model loads from the installed tarball (no argument: the default) and scores its card\'s figures: one pass for each, the photo protocol for the default', async () => {
    expect(dir).not.toBe('');
    const out = await runNodeAsync(
      dir,
      'pretrained.mjs',
      `import { DEFAULT_PRETRAINED, PRETRAINED_MODELS } from '@sinet/pretrained';
import { initBackend, loadSegmenter } from '@sinet/model/node';
import { evaluate, listFolderDataset } from '@sinet/train';
await initBackend('wasm', { log: null });
const entries = await listFolderDataset(${JSON.stringify(sharedPath(...EG1800))}, ${JSON.stringify(sharedPath(...EG1800, 'val.txt'))});
const fallback = await loadSegmenter();
const scores = { defaultSize: fallback.inputSize, defaultName: DEFAULT_PRETRAINED };
fallback.dispose();
// A model's own module (what bundled apps import) loads from the installed package too.
const realtime = (await import('@sinet/pretrained/realtime')).default;
const fromModule = await loadSegmenter(realtime);
scores.realtimeModule = { name: realtime.name, inputSize: fromModule.inputSize, personIou: (await evaluate(fromModule, entries.slice(0, 8), { flipTest: false, refine: false })).personIou };
fromModule.dispose();
const named = await loadSegmenter(realtime.name);
scores.realtimeNamed = (await evaluate(named, entries.slice(0, 8), { flipTest: false, refine: false })).personIou;
named.dispose();
// One pass (deterministic, ~20 s a model) for every model against its card's one-pass EG1800 figure
// at photo size; the photo protocol (flip test, refinement: ~1 minute) for the default's headline figure.
for (const name of Object.keys(PRETRAINED_MODELS)) {
  const segmenter = await loadSegmenter(name);
  scores[name] = (await evaluate(segmenter, entries, { flipTest: false, refine: false })).personIouFull;
  if (name === DEFAULT_PRETRAINED) scores.defaultVal = (await evaluate(segmenter, entries)).personIou;
  segmenter.dispose();
}
console.log(JSON.stringify(scores));
`,
    );
    const scores = JSON.parse(out.trim().split('\n').pop()!);
    for (const [name, m] of Object.entries(PRETRAINED_MODELS)) expect([name, scores[name]]).toEqual([name, expect.closeTo(m.crossDomain.onePass.sources.eg1800!, 3)]);
    for (const [name, m] of Object.entries(PRETRAINED_MODELS)) expect(scores[name]).toBeGreaterThan(m.crossDomain.onePass.sources.eg1800! - 0.002);
    expect(scores.defaultVal).toBeGreaterThan(PRETRAINED_MODELS[DEFAULT_PRETRAINED].val.personIou - 0.002);
    expect(scores.defaultVal).toBeCloseTo(PRETRAINED_MODELS[DEFAULT_PRETRAINED].val.personIou, 3);
    expect(scores.defaultName).toBe(DEFAULT_PRETRAINED);
    expect(scores.defaultSize).toEqual(PRETRAINED_MODELS[DEFAULT_PRETRAINED].inputSize);
    expect(scores.realtimeModule).toEqual({ name: DEFAULT_REALTIME_PRETRAINED, inputSize: PRETRAINED_MODELS[DEFAULT_REALTIME_PRETRAINED].inputSize, personIou: scores.realtimeNamed });
    // Ten models one pass and the default's photo protocol over 133 photos: ~5 minutes on two cores.
  }, 600_000);
});
