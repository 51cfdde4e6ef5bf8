/**
 * ONNX export, checked by running the exported file in onnxruntime-node against the tfjs model it
 * came from (and, where ../shared is present, against the official network's own activations).
 */
import * as tf from '@tensorflow/tfjs';
import { haveShared, OFFICIAL_WEIGHTS, PARITY_DIR, readNpy, sharedPath } from '@sinet/test-utils';
import { sinetLayers } from '@sinet/layers';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { OFFICIAL_PREPROCESSING } from '../constants.js';
import { initBackend } from '../node/backend.js';
import { officialModel, seededWeights, untrainedModel } from '../test-support.js';
import { exportOnnx, type OnnxExportOptions } from './export.js';
import { decodeOnnxModel, OnnxExportError } from '@sinet/layers/onnx';

beforeAll(async () => {
  await initBackend('cpu', { log: null });
});

/** Runs the exported model on an NHWC batch and returns its output as NHWC values. */
async function runOnnx(model: tf.LayersModel, nhwc: tf.Tensor4D, options: OnnxExportOptions = {}): Promise<{ values: Float32Array; shape: number[] }> {
  const exported = exportOnnx(model, options);
  const session = await ort.InferenceSession.create(exported.bytes);
  try {
    const nchw = tf.transpose(nhwc, [0, 3, 1, 2]);
    const input = new ort.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape);
    nchw.dispose();
    const output = (await session.run({ [exported.inputName]: input }))[exported.outputName]!;
    const back = tf.tidy(() => tf.transpose(tf.tensor4d(output.data as Float32Array, output.dims as [number, number, number, number]), [0, 2, 3, 1]));
    const values = (await back.data()) as Float32Array;
    const shape = back.shape;
    back.dispose();
    return { values, shape };
  } finally {
    await session.release();
  }
}

async function expectSameAsTfjs(model: tf.LayersModel, input: tf.Tensor4D, tolerance: number, options: OnnxExportOptions = {}): Promise<number> {
  const expected = model.predict(input) as tf.Tensor;
  const reference = options.softmax ? tf.softmax(expected, -1) : expected;
  const want = (await reference.data()) as Float32Array;
  const shape = reference.shape;
  tf.dispose([expected, reference]);
  const got = await runOnnx(model, input, options);
  expect(got.shape).toEqual(shape);
  return expectClose(got.values, want, tolerance);
}

/** Largest difference, relative to the reference's largest magnitude where that exceeds 1 (float32 spacing grows with it). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): number {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(want[i]! - got[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  expect(worst / scale).toBeLessThan(tolerance);
  return worst;
}

/** A photo-scaled input: preprocessed noise in the range a real photo has. */
const photoLike = (shape: [number, number, number, number], seed: number) => tf.tidy(() => tf.div(tf.randomNormal(shape, 0, 1, 'float32', seed), 255) as tf.Tensor4D);

describe('exportOnnx: a SINet of another shape, random weights (no ../shared needed)', () => {
  it('runs in onnxruntime with the same logits as tfjs, at the saved size and at another multiple of 32', async () => {
    const config = { classes: 3, p: 1, q: 3, chnn: 2, blocks: [[[3, 1], [5, 2]], [[3, 2], [3, 4]], [[5, 1], [3, 1]], [[3, 4], [5, 2]]] as [number, number][][], inputSize: [96, 64] as [number, number] };
    const model = seededWeights(untrainedModel(config), 7);
    // Seeded weights make activations large: expectClose compares relative to them.
    const input = tf.tidy(() => tf.mul(photoLike([2, 96, 64, 3], 1), 255) as tf.Tensor4D);
    const before = tf.memory().numTensors;
    await expectSameAsTfjs(model, input, 1e-5);
    expect(tf.memory().numTensors).toBe(before);
    const other = seededWeights(untrainedModel({ ...config, inputSize: [64, 128] }), 7);
    const wide = tf.tidy(() => tf.mul(photoLike([1, 64, 128, 3], 2), 255) as tf.Tensor4D);
    // The file exported at 96 x 64 runs at 64 x 128: height and width are symbolic.
    const expected = (await (other.predict(wide) as tf.Tensor).data()) as Float32Array;
    const got = await runOnnx(model, wide);
    expect(got.shape).toEqual([1, 64, 128, 3]);
    expectClose(got.values, expected, 1e-5);
    tf.dispose([input, wide]);
    model.dispose();
    other.dispose();
  });

  it('ends with a softmax on request, and writes preprocessing, class names and config into metadata_props', async () => {
    const model = seededWeights(untrainedModel({ inputSize: [64, 64] }), 3);
    const input = photoLike([1, 64, 64, 3], 5);
    await expectSameAsTfjs(model, input, 1e-5, { softmax: true });
    const file = decodeOnnxModel(exportOnnx(model, { softmax: true }).bytes);
    expect(file.graph.output.map((o) => o.name)).toEqual(['probabilities']);
    const props = Object.fromEntries(file.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(props['sinet.preprocessing']!)).toEqual(OFFICIAL_PREPROCESSING);
    expect(JSON.parse(props['sinet.class_names']!)).toEqual(['background', 'person']);
    expect(JSON.parse(props['sinet.config']!).inputSize).toEqual([64, 64]);
    expect(props['sinet.input_layout']).toBe('NCHW');
    expect(file.opsetImport).toEqual([{ domain: '', version: 17 }]);
    input.dispose();
    model.dispose();
  });

  it('writes BatchNorm folded into the convolutions, the grouped reduction as one grouped Conv, no shuffle node', () => {
    const model = untrainedModel({ inputSize: [64, 64] });
    const file = decodeOnnxModel(exportOnnx(model).bytes);
    const ops = file.graph.node.map((n) => n.opType);
    const count = (op: string) => ops.filter((o) => o === op).length;
    // Only BR2, BR3, the ten S2 modules' own BN and the decoder's two stand alone.
    expect(count('BatchNormalization')).toBe(2 + 10 + 2);
    expect(count('Gather')).toBe(0);
    const reductions = file.graph.node.filter((n) => n.name.includes('.reduce'));
    expect(reductions).toHaveLength(10);
    for (const r of reductions) expect(r.attribute.find((a) => a.name === 'group')?.i).toBe(2);
    const resizes = file.graph.node.filter((n) => n.opType === 'Resize');
    for (const r of resizes) expect(new TextDecoder().decode(r.attribute.find((a) => a.name === 'coordinate_transformation_mode')?.s)).toBe('align_corners');
    expect(file.graph.input[0]!.type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }, { dimParam: 'height' }, { dimParam: 'width' }]);
    const fixed = decodeOnnxModel(exportOnnx(model, { fixedSize: true }).bytes);
    expect(fixed.graph.input[0]!.type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 64 }, { dimValue: 64 }]);
    model.dispose();
  });

  it('refuses, in onnxruntime, a size that is not a multiple of 32 (as documented: a shape error at a Concat)', async () => {
    const model = untrainedModel({ inputSize: [64, 64] });
    const session = await ort.InferenceSession.create(exportOnnx(model).bytes, { logSeverityLevel: 4 });
    model.dispose();
    await expect(session.run({ image: new ort.Tensor('float32', new Float32Array(3 * 80 * 80), [1, 3, 80, 80]) })).rejects.toThrow(/Concat/);
    const ok = await session.run({ image: new ort.Tensor('float32', new Float32Array(3 * 96 * 64), [1, 3, 96, 64]) });
    expect(ok.logits!.dims).toEqual([1, 2, 96, 64]);
    await session.release();
  });
});

describe('exportOnnx: each layer alone', () => {
  const cases: [string, () => tf.layers.Layer[], [number, number, number, number]][] = [
    ['ChannelShuffle', () => [sinetLayers.channelShuffle({ groups: 3 })], [2, 8, 8, 6]],
    ['GroupedPointwiseConv2D with bias', () => [sinetLayers.groupedPointwiseConv2d({ filters: 8, groups: 2, useBias: true })], [1, 8, 8, 6]],
    ['SqueezeExcitation', () => [sinetLayers.squeezeExcitation({ divide: 2 })], [2, 8, 8, 6]],
    ['SeparableConvBNPReLU stride 2', () => [sinetLayers.separableConvBNPReLU({ filters: 5, kernelSize: 5, strides: 2 })], [1, 16, 16, 4]],
    ['S2Block', () => [sinetLayers.s2Block({ filters: 6, kernelSize: 3, poolSize: 2 })], [1, 16, 8, 4]],
    ['S2Module of one branch, not residual', () => [sinetLayers.s2Module({ filters: 6, blocks: [[5, 4]], residual: false })], [1, 16, 16, 4]],
    ['BilinearResize to a size, corners not aligned', () => [sinetLayers.bilinearResize({ size: [11, 7], alignCorners: false })], [1, 5, 4, 3]],
    ['BilinearResize by 3, corners aligned', () => [sinetLayers.bilinearResize({ scale: 3 })], [1, 5, 4, 3]],
    ['Conv2D same stride 2 + relu', () => [tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })], [1, 9, 10, 3]],
    ['Conv2D valid, dilated, bias', () => [tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'valid' })], [1, 12, 12, 3]],
    ['BatchNormalization + sigmoid', () => [tf.layers.batchNormalization({ axis: -1 }), tf.layers.activation({ activation: 'sigmoid' })], [2, 4, 4, 3]],
  ];
  it.each(cases)('%s: onnxruntime equals tfjs', async (_name, layers, shape) => {
    const input = tf.input({ shape: shape.slice(1) });
    let y = input;
    for (const layer of layers()) y = layer.apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    // Non-trivial BatchNorm statistics and PReLU slopes.
    seededWeights(model, 11);
    const x = tf.randomNormal(shape, 0, 1, 'float32', 13) as tf.Tensor4D;
    await expectSameAsTfjs(model, x, 1e-5);
    x.dispose();
    model.dispose();
  });

  it('refuses a model with a layer it cannot write, naming the layer', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const y = tf.layers.maxPooling2d({ poolSize: 2, name: 'my_pool' }).apply(sinetLayers.convBNPReLU({ filters: 4, kernelSize: 3 }).apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    expect(() => exportOnnx(model)).toThrow(OnnxExportError);
    expect(() => exportOnnx(model)).toThrow(/layer 'my_pool' \(MaxPooling2D\)/);
    const elu = tf.model({ inputs: input, outputs: tf.layers.activation({ activation: 'elu', name: 'odd_activation' }).apply(input) as tf.SymbolicTensor });
    expect(() => exportOnnx(elu)).toThrow(/layer 'odd_activation' \(Activation\).*activation 'elu'/);
    model.dispose();
    elu.dispose();
  });
});

const pythonOnnx = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
describe.skipIf(!pythonOnnx)('the ONNX checker (python3-onnx)', () => {
  it('accepts the exported SINet with full shape inference', () => {
    if (!pythonOnnx) return;
    const dir = mkdtempSync(join(tmpdir(), 'sinet-onnx-'));
    try {
      const file = join(dir, 'sinet.onnx');
      const model = untrainedModel();
      writeFileSync(file, exportOnnx(model, { softmax: true }).bytes);
      model.dispose();
      const out = execFileSync('/usr/bin/python3', ['-c', 'import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(len(m.graph.node), m.opset_import[0].version)', file], { encoding: 'utf8' });
      expect(out.trim()).toMatch(/^\d+ 17$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
if (!pythonOnnx) console.warn('skipping the ONNX checker test: /usr/bin/python3 with the onnx module (Debian python3-onnx) is not installed');

const shared = haveShared('ONNX parity with the official network', OFFICIAL_WEIGHTS, PARITY_DIR);
interface Case {
  name: string;
  input: string;
  input_shape: [number, number, number, number];
  outputs: { logits: { file: string } };
}
const cases: Case[] = shared ? JSON.parse(readFileSync(sharedPath(...PARITY_DIR, 'manifest.json'), 'utf8')).cases : [];

describe.runIf(shared)('exportOnnx: the official weights', () => {
  it.each(cases.filter((c) => !c.name.startsWith('random_224')).map((c) => [c.name, c] as const))('%s: onnxruntime equals tfjs within 1e-4 and the official logits', async (_name, c) => {
    const [, , h, w] = c.input_shape;
    // One file, exported at 224 x 224, serves every size.
    const model = officialModel([224, 224]);
    const atSize = h === 224 && w === 224 ? model : officialModel([h, w]);
    const fixture = readNpy(sharedPath(...PARITY_DIR, c.input));
    const input = tf.tidy(() => tf.transpose(tf.tensor4d(fixture.data, fixture.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D);
    const want = (await (atSize.predict(input) as tf.Tensor).data()) as Float32Array;
    const got = await runOnnx(model, input);
    // 1e-4 absolute on photos; relative to the largest logit for N(0, 1) noise (activations near 3e7, as in parity.test.ts).
    expectClose(got.values, want, 1e-4);
    const official = readNpy(sharedPath(...PARITY_DIR, c.outputs.logits.file));
    const nhwc = tf.tidy(() => tf.transpose(tf.tensor4d(official.data, official.shape as [number, number, number, number]), [0, 2, 3, 1]));
    const reference = (await nhwc.data()) as Float32Array;
    expectClose(got.values, reference, 1e-4);
    tf.dispose([input, nhwc]);
    model.dispose();
    if (atSize !== model) atSize.dispose();
  });
});
