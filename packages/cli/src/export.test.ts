/** `sinet export` and `--runtime onnx`: files onnxruntime runs, Triton layouts, and eval figures equal to tfjs's. */
import { EG1800, freshDir, haveShared, sharedPath } from '@sinet/test-utils';
import { loadModel } from '@sinet/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

async function sinet(...argv: string[]): Promise<{ code: number; out: string[]; error?: Error }> {
  const out: string[] = [];
  try {
    const code = await main([...argv, '--backend', 'wasm'], { out: (l) => out.push(l), err: () => {} });
    return { code, out };
  } catch (error) {
    return { code: -1, out, error: error as Error };
  }
}

describe('sinet export', () => {
  it('writes an ONNX file of a shipped model that onnxruntime runs to the logits tfjs gives', async () => {
    const dir = freshDir('sinet-export-');
    const file = path.join(dir, 'official.onnx');
    const r = await sinet('export', '--model', 'official', '--out', file);
    expect(r.error).toBeUndefined();
    expect(r.out.join('\n')).toMatch(/input 'image' \[batch, 3, height, width\], output 'logits'/);
    const session = await ort.InferenceSession.create(await fs.readFile(file));
    const model = await loadModel('official');
    // The official preprocessing divides by 255 twice: photos arrive within about +-0.01.
    const input = tf.randomUniform([1, 224, 224, 3], -0.01, 0.01, 'float32', 3) as tf.Tensor4D;
    const nchw = tf.transpose(input, [0, 3, 1, 2]);
    const out = await session.run({ image: new ort.Tensor('float32', (await nchw.data()) as Float32Array, [1, 3, 224, 224]) });
    const want = tf.transpose(model.predict(input) as tf.Tensor, [0, 3, 1, 2]);
    const expected = (await want.data()) as Float32Array;
    const got = out.logits!.data as Float32Array;
    let worst = 0;
    expected.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - got[i]!))));
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([input, nchw, want]);
    model.dispose();
    await session.release();
    // Nothing is replaced unasked.
    const again = await sinet('export', '--model', 'official', '--out', file);
    expect(again.error?.message).toMatch(/exists already: pass --overwrite/);
    expect((await sinet('export', '--model', 'official', '--out', file, '--overwrite')).error).toBeUndefined();
  });

  it('writes a Triton model repository with fixed sizes and a softmax on request', async () => {
    const dir = freshDir('sinet-triton-');
    const r = await sinet('export', '--model', 'eg1800', '--triton', dir, '--triton-name', 'portrait', '--fixed-size', '--softmax', '--input-size', '256x192');
    expect(r.error).toBeUndefined();
    const config = await fs.readFile(path.join(dir, 'portrait', 'config.pbtxt'), 'utf8');
    expect(config).toMatch(/name: "portrait"/);
    expect(config).toMatch(/platform: "onnxruntime_onnx"/);
    expect(config).toMatch(/name: "probabilities"[\s\S]*dims: \[ 2, 256, 192 \]/);
    const session = await ort.InferenceSession.create(path.join(dir, 'portrait', '1', 'model.onnx'));
    const out = await session.run({ image: new ort.Tensor('float32', new Float32Array(2 * 3 * 256 * 192), [2, 3, 256, 192]) });
    expect(out.probabilities!.dims).toEqual([2, 2, 256, 192]);
    const p = out.probabilities!.data as Float32Array;
    // Softmax over the class axis: the two channels sum to 1 at every pixel.
    for (const i of [0, 1000, 256 * 192 - 1]) expect(p[i]! + p[256 * 192 + i]!).toBeCloseTo(1, 5);
    await session.release();
  });

  it('reports usage mistakes before loading anything', async () => {
    expect((await sinet('export', '--model', 'official')).error?.message).toMatch(/export needs --out <file.onnx> or --triton <dir>/);
    expect((await sinet('export', '--format', 'tflite', '--out', 'x.tflite')).error?.message).toMatch(/--format must be onnx/);
    expect((await sinet('export', '--triton', 'x', '--triton-name', '../up')).error?.message).toMatch(/--triton-name must be a plain folder name/);
    expect((await sinet('eval', '--data', 'x', '--runtime', 'tensorrt')).error?.message).toMatch(/--runtime must be tfjs or onnx, got 'tensorrt'/);
  });
});

const shared = haveShared('eval --runtime onnx on EG1800', EG1800);
describe.runIf(shared)('sinet eval --runtime onnx', () => {
  it('gives the figures of tfjs on all of EG1800 val to 0.01 points', async () => {
    const data = sharedPath(...EG1800);
    const args = ['eval', '--model', 'official', '--data', data, '--list', path.join(data, 'val.txt'), '--json'];
    const tfjs = JSON.parse((await sinet(...args)).out[0]!);
    const onnx = JSON.parse((await sinet(...args, '--runtime', 'onnx')).out[0]!);
    for (const key of ['miou', 'personIou', 'boundaryF', 'boundaryIou', 'miouFull', 'personIouFull', 'boundaryFFull', 'boundaryIouFull']) {
      expect(Math.abs(100 * onnx[key] - 100 * tfjs[key]), key).toBeLessThan(0.01);
    }
    expect(tfjs.images).toBe(133);
    expect(tfjs.personIou).toBeGreaterThan(0.95);
  }, 300_000);
});
