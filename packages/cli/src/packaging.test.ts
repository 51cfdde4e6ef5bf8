/** Every published package, packed and installed from its tarball alone, works in a fresh project. */
import { freshDir, freshProject, packageDir, packPackage, runNode, tarballFiles, typecheck } from '@sinet/test-utils';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PUBLISHED = ['augment', 'cli', 'layers', 'losses', 'model', 'train', 'wasm-kernels'];

describe('published packages', () => {
  const destination = freshDir('sinet-packs-');
  const tarballs = Object.fromEntries(PUBLISHED.map((name) => [`@sinet/${name}`, packPackage(packageDir(name), destination)]));

  it.each(PUBLISHED)('@sinet/%s holds only built files, README, LICENSE and package.json', (name) => {
    const files = tarballFiles(tarballs[`@sinet/${name}`]);
    // wasm-kernels also ships its compiled SIMD module; the CLI the PyTorch script of `sinet bench --compare-torch`.
    const extra = name === 'wasm-kernels' ? ['build/simd.wasm'] : name === 'cli' ? ['bench/torch_sinet.py'] : [];
    // The CLI is a program (its bin), the others libraries.
    const entry = name === 'cli' ? ['dist/main.js'] : ['dist/index.js', 'dist/index.d.ts'];
    expect(files.filter((f) => !(f.startsWith('dist/') || ['README.md', 'LICENSE', 'package.json', ...extra].includes(f)))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(extra));
    expect(files.filter((f) => /\.test\.|test-support/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', ...entry]));
  });

  it('their entry points import, the sinet bin runs, and the types resolve in a clean project', () => {
    const files = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
    // pnpm pack turned workspace:* into versions; overrides point those at the tarballs.
    // tfjs core and layers only: nothing of ours needs the union package.
    const dir = freshProject({ ...files, '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0' }, files);
    const out = runNode(
      dir,
      'check.mjs',
      `import * as tf from '@tensorflow/tfjs-core';
import * as augment from '@sinet/augment';
import { augmentTensors } from '@sinet/augment/tf';
import * as layers from '@sinet/layers';
import * as losses from '@sinet/losses';
import * as model from '@sinet/model';
import { convertOfficialCheckpoint } from '@sinet/model/convert';
import { checkModelJson } from '@sinet/model/files';
import * as node from '@sinet/model/node';
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
  train: typeof train.evaluate,
  augment: augment.sinetBlog({ seed: 1 }).augmentSample({ image: { data: new Uint8Array(12), width: 2, height: 2, channels: 3 } }).image.width,
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
    expect(result).toMatchObject({ layers: 11, parameters: 86910, node: 'function', subpaths: ['function', 'function'], train: 'function', augment: 2, augmentTf: 'function', fineTune: 'function', simd: true });
    expect(result.loss).toBeCloseTo(Math.log(2), 6);
    const info = JSON.parse(execFileSync(path.join(dir, 'node_modules', '.bin', 'sinet'), ['info', '--json', '--backend', 'wasm'], { encoding: 'utf8' }));
    expect(info).toMatchObject({ parameters: 86910, macs: expect.any(Number) });
    typecheck(
      dir,
      'check.ts',
      `import { createSINet, loadSegmenter as load, type Segmentation } from '@sinet/model';
import { loadSegmenter, readImage } from '@sinet/model/node';
import { evaluate, type EvalReport } from '@sinet/train';
export const model = createSINet({ inputSize: [256, 320] });
export type Results = [Segmentation, EvalReport, typeof load, typeof loadSegmenter, typeof readImage, typeof evaluate];
`,
    );
  });
});
