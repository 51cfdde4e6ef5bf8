/** The published tarball must work in a project with nothing else of ours but @sinet/wasm-kernels (which owns the contracts of the kernels the layers call). */
import { freshDir, freshProject, packageDir, packPackage, runNode, tarballFiles, typecheck } from '@sinet/test-utils';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('@sinet/layers as published', () => {
  const packed = freshDir('sinet-pack-');
  const tarball = packPackage(packageDir('layers'), packed);
  const kernels = packPackage(packageDir('wasm-kernels'), packed);

  it('holds only built files, README, LICENSE and package.json', () => {
    const files = tarballFiles(tarball);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    const unexpected = files.filter((f) => !(f.startsWith('dist/') || ['README.md', 'LICENSE', 'package.json'].includes(f)));
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => /\.test\.|test-utils|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it("runs the README's example as written: builds, fits, saves to files and reloads in Node", () => {
    // One owner: the README's js block is the script.
    const readme = readFileSync(path.join(packageDir('layers'), 'README.md'), 'utf8');
    const example = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)![1]!;
    const ours = { '@sinet/layers': `file:${tarball}`, '@sinet/wasm-kernels': `file:${kernels}` };
    const dir = freshProject({ ...ours, '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0', '@tensorflow/tfjs-backend-cpu': '4.22.0' }, ours);
    const result = JSON.parse(runNode(dir, 'example.mjs', example).trim().split('\n').pop()!);
    expect(result.loss).toHaveLength(4);
    expect(result.loss[3]).toBeLessThan(result.loss[0]);
    expect(result.difference).toBe(0);
    expect(result.gate).toEqual([null, 64, 64, 1]);
  });

  it('builds, saves and reloads a model in a fresh project with tfjs core and layers only (no wasm backend), and its types resolve', () => {
    const ours = { '@sinet/layers': `file:${tarball}`, '@sinet/wasm-kernels': `file:${kernels}` };
    const dir = freshProject({ ...ours, '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0', '@tensorflow/tfjs-backend-cpu': '4.22.0' }, ours);
    const out = runNode(
      dir,
      'check.mjs',
      `import * as tf from '@tensorflow/tfjs-core';
import { input, layers, loadLayersModel, model as functionalModel } from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { S2Module, SESeparableConvBNPReLU, BilinearResize, InformationBlockingGate, registeredClassNames } from '@sinet/layers';
await tf.setBackend('cpu');
const inputs = input({ shape: [16, 16, 3] });
let x = new SESeparableConvBNPReLU({ filters: 8, kernelSize: 3, strides: 2, divide: 2 }).apply(inputs);
x = new S2Module({ filters: 8, blocks: [[3, 1], [5, 2]] }).apply(x);
const logits = new BilinearResize({ scale: 2 }).apply(layers.conv2d({ filters: 2, kernelSize: 1 }).apply(x));
const model = functionalModel({ inputs, outputs: new InformationBlockingGate().apply(logits) });
let saved;
await model.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
const loaded = await loadLayersModel(tf.io.fromMemory(saved));
const probe = tf.randomNormal([1, 16, 16, 3]);
const diff = tf.max(tf.abs(tf.sub(model.predict(probe), loaded.predict(probe)))).dataSync()[0];
console.log(JSON.stringify({ diff, classes: registeredClassNames.length, shape: loaded.outputs[0].shape }));
`,
    );
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result).toEqual({ diff: 0, classes: 11, shape: [null, 16, 16, 1] });
    typecheck(dir, 'check.ts', `import { S2Module, type S2ModuleArgs } from '@sinet/layers';\nconst args: S2ModuleArgs = { filters: 8, blocks: [[3, 1]] };\nexport const layer: S2Module = new S2Module(args);\n`);
  });
});
