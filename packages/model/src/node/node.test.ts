import * as tf from '@tensorflow/tfjs';
import { expectClose, freshDir, randomTensor } from '@sinet/test-utils';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getSINetMetadata } from '../metadata.js';
import { untrainedModel } from '../test-support.js';
import { BackendError, initBackend } from './backend.js';
import { ImageFileError, readImage, readMask, writeImage } from './image-io.js';
import { loadModel, ModelFileError, saveModel } from './model-io.js';
import { loadSegmenter } from './index.js';

describe('initBackend', () => {
  it('selects wasm with SIMD from the package files, and cpu on request, logging once', async () => {
    const lines: string[] = [];
    const wasm = await initBackend('wasm', { log: (l) => lines.push(l) });
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(wasm.description).toMatch(/SIMD/);
    await initBackend('wasm', { log: (l) => lines.push(l) });
    // Said once, with every kernel @sinet/wasm-kernels put in place process-wide.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('sinet: backend wasm (SIMD, 1 thread)');
    // Counts only on the notice; the kernels themselves in the result.
    const [, added, replaced, fused] = /^sinet: training kernels of @sinet\/wasm-kernels in place: (\d+) added, (\d+) of tfjs-wasm's replaced, (\d+) gradients fused$/.exec(lines[1]!)!.map(Number);
    expect(wasm.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Concat', 'Prelu gradient', 'FusedBatchNorm gradient', 'SinetLabelBand', 'AvgPoolGrad']));
    expect(wasm.replaced).toEqual(expect.arrayContaining(['Concat', 'FusedBatchNorm', 'Sum']));
    expect(wasm.replaced).not.toContain('Conv2DBackpropFilter'); // added: tfjs-wasm has none
    expect([replaced, fused]).toEqual([wasm.replaced.length, 2]);
    // Added, replaced and fused gradients are told apart: together they are every entry once.
    expect(added! + replaced! + fused!).toBe(wasm.kernels.length);
    expect((await initBackend('cpu', { log: null })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('auto falls back past a missing tfjs-node and says why', async () => {
    const lines: string[] = [];
    const info = await initBackend('auto', { log: (l) => lines.push(l) });
    if (info.name === 'tensorflow') return; // tfjs-node is installed on this machine
    expect(info.name).toBe('wasm');
    expect(info.skipped.join()).toMatch(/tensorflow: @tensorflow\/tfjs-node is not installed/);
    // Said as what it is: an optional package, not an error.
    expect(lines[0]).toBe('sinet: backend wasm (SIMD, 1 thread) (@tensorflow/tfjs-node (optional, native) is not installed)');
    await initBackend('cpu', { log: null });
  });

  it('names unknown or unavailable backends', async () => {
    await expect(initBackend('gpu', { log: null })).rejects.toThrow(/unknown backend 'gpu': use one of auto, tensorflow, wasm, cpu/);
    const tensorflow = initBackend('tensorflow', { log: null });
    await tensorflow.then(
      (info) => expect(info.name).toBe('tensorflow'),
      (e) => {
        expect(e).toBeInstanceOf(BackendError);
        expect((e as Error).message).toMatch(/backend 'tensorflow' is not available here/);
      },
    );
    await initBackend('cpu', { log: null });
  });
});

describe('model folders', () => {
  it('save + load keeps weights, outputs and metadata; a second save replaces the weights file atomically', async () => {
    const dir = freshDir('sinet-model-');
    const model = untrainedModel({ inputSize: [32, 64] });
    const first = await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const x = randomTensor([1, 32, 64, 3], 1);
    expectClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 0);
    expect(getSINetMetadata(loaded).config.inputSize).toEqual([32, 64]);
    // Change a weight and save again: the old weights file goes, model.json points at the new one.
    const layer = model.getLayer('classifier.1');
    layer.setWeights([tf.mul(layer.getWeights()[0]!, 3)]);
    const second = await saveModel(model, dir);
    expect(second.weightsFile).not.toBe(first.weightsFile);
    expect((await fs.readdir(dir)).sort()).toEqual(['model.json', path.basename(second.weightsFile)].sort());
    const reloaded = await loadModel(path.join(dir, 'model.json'));
    expectClose(reloaded.getLayer('classifier.1').getWeights()[0]!.dataSync(), layer.getWeights()[0]!.dataSync(), 0);
    const segmenter = await loadSegmenter(dir);
    expect(segmenter.inputSize).toEqual([32, 64]);
    segmenter.dispose();
    tf.dispose(x);
    [model, loaded, reloaded].forEach((m) => m.dispose());
  });

  it('missing, corrupt and truncated folders give errors that name the file', async () => {
    const dir = freshDir('sinet-bad-model-');
    await expect(loadModel(path.join(dir, 'nope'))).rejects.toThrow(/no such model folder/);
    await expect(loadModel(dir)).rejects.toThrow(/has no model\.json/);
    await fs.writeFile(path.join(dir, 'model.json'), '{ not json');
    await expect(loadModel(dir)).rejects.toThrow(ModelFileError);
    await expect(loadModel(dir)).rejects.toThrow(/model\.json: not valid JSON/);
    const model = untrainedModel({ inputSize: [32, 32] });
    const { weightsFile } = await saveModel(model, dir);
    const bytes = await fs.readFile(weightsFile);
    await fs.writeFile(weightsFile, bytes.subarray(0, 1000));
    await expect(loadModel(dir)).rejects.toThrow(/weights hold 1000 bytes, the manifest needs \d+/);
    await fs.rm(weightsFile);
    await expect(loadModel(dir)).rejects.toThrow(/weights file 'weights-[0-9a-f]+\.bin' is missing/);
    model.dispose();
  });
});

describe('image files', () => {
  it('PNG round trip is exact; RGBA reads back as RGB; readMask takes the first channel', async () => {
    const dir = freshDir('sinet-img-');
    const rgba = { data: Uint8ClampedArray.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256), width: 3, height: 2 };
    await writeImage(path.join(dir, 'a.png'), rgba);
    const rgb = await readImage(path.join(dir, 'a.png'));
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([3, 2, 3]);
    expect(Array.from(rgb.data)).toEqual(Array.from(rgba.data).filter((_, i) => i % 4 !== 3));
    const mask = await readMask(path.join(dir, 'a.png'));
    expect(Array.from(mask.data)).toEqual(Array.from(rgba.data).filter((_, i) => i % 4 === 0));
    expect((await readImage(await fs.readFile(path.join(dir, 'a.png')))).width).toBe(3);
  });

  it('an image above 24 MP is refused from its header, before it is decoded', async () => {
    const sharp = (await import('sharp')).default;
    const file = path.join(freshDir('sinet-img-huge-'), 'huge.png');
    // 7000 x 4000 = 28 MP of one grey: a few hundred bytes as a PNG, 84 MB decoded.
    await fs.writeFile(file, await sharp({ create: { width: 7000, height: 4000, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer());
    const rss = process.memoryUsage().rss;
    await expect(readImage(file)).rejects.toThrow(`${file}: 7000 x 4000 (28.0 MP) is larger than the 24 MP images are read up to; downscale it first`);
    await expect(readMask(file)).rejects.toThrow(ImageFileError);
    expect(process.memoryUsage().rss - rss).toBeLessThan(60e6);
  });

  it('missing, non-image and corrupt files name the file', async () => {
    const dir = freshDir('sinet-img-bad-');
    await expect(readImage(path.join(dir, 'missing.jpg'))).rejects.toThrow(/missing\.jpg: no such file/);
    await expect(readImage(dir)).rejects.toThrow(/not a regular file/);
    await fs.writeFile(path.join(dir, 'text.jpg'), 'this is not a JPEG');
    await expect(readImage(path.join(dir, 'text.jpg'))).rejects.toThrow(ImageFileError);
    await expect(readImage(path.join(dir, 'text.jpg'))).rejects.toThrow(/text\.jpg: not a readable image/);
    await writeImage(path.join(dir, 'ok.png'), { data: new Uint8ClampedArray(64 * 64 * 4).fill(200), width: 64, height: 64 });
    const png = await fs.readFile(path.join(dir, 'ok.png'));
    await fs.writeFile(path.join(dir, 'cut.png'), png.subarray(0, png.length / 2));
    await expect(readImage(path.join(dir, 'cut.png'))).rejects.toThrow(/cut\.png: not a readable image/);
    await expect(writeImage(path.join(dir, 'x.bmp'), { data: new Uint8ClampedArray(4), width: 1, height: 1 })).rejects.toThrow(/unsupported output format/);
  });
});

describe('NodeSegmenter', () => {
  it('segments an image file path and encoded bytes exactly like decoded pixels, on the backend it was asked for', async () => {
    const dir = freshDir('sinet-node-seg-');
    const file = path.join(dir, 'photo.png');
    await writeImage(file, { data: Uint8ClampedArray.from({ length: 40 * 30 * 3 }, (_, i) => (i * 31) % 256), width: 40, height: 30, channels: 3 });
    const segmenter = await loadSegmenter(untrainedModel({ inputSize: [32, 32] }), { backend: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    const fromPixels = await segmenter.segment(await readImage(file));
    const fromPath = await segmenter.segment(file);
    const [fromBytes] = await segmenter.segmentBatch([await fs.readFile(file)]);
    expectClose(fromPath.probabilities, fromPixels.probabilities, 0);
    expectClose(fromBytes!.probabilities, fromPixels.probabilities, 0);
    await expect(segmenter.segment(path.join(dir, 'nope.jpg'))).rejects.toThrow(/nope\.jpg: no such file/);
    segmenter.dispose();
    segmenter.model.dispose();
    await initBackend('cpu', { log: null });
  });
});
