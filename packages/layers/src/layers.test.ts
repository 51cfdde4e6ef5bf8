import * as tf from '@tensorflow/tfjs';
import { checkGradient, expectClose, expectNoLeak, randomArray, reference } from '@sinet/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BilinearResize,
  BNPReLU,
  ChannelShuffle,
  ConvBNPReLU,
  GroupedPointwiseConv2D,
  InformationBlockingGate,
  S2Block,
  S2Module,
  SESeparableConvBNPReLU,
  SeparableConvBNPReLU,
  SINET_LAYER_CLASSES,
  SqueezeExcitation,
} from './index.js';
import { LayersError } from './errors.js';
import { dimsOf, OnnxExportError } from './onnx/graph.js';

type Img = reference.Image;
const EPS = 1e-3;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Random weights everywhere (variances kept positive), so BatchNorm and PReLU are not identities. */
function randomize(layers: tf.layers.Layer[], seed = 10): void {
  let s = seed;
  for (const layer of layers)
    for (const w of layer.weights) {
      const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
      let v = randomArray(n, s++, -1, 1);
      if (/variance/.test(w.originalName)) v = v.map((a) => 0.5 + Math.abs(a));
      if (/alpha/.test(w.originalName)) v = v.map((a) => 0.25 + 0.2 * a); // trained PReLU slopes are small and positive
      tf.tidy(() => {
        w.write(tf.tensor(v, w.shape as number[]));
      });
    }
}

function weight(layer: tf.layers.Layer, suffix: string): Float32Array {
  const w = layer.weights.find((v) => v.originalName === `${layer.name}/${suffix}`);
  if (!w) throw new Error(`${layer.name} has no weight ${suffix}: ${layer.weights.map((v) => v.originalName).join(', ')}`);
  return w.read().dataSync() as Float32Array;
}

const bn = (layer: tf.layers.Layer, prefix: string): reference.BatchNormParams => ({
  gamma: weight(layer, `${prefix}_gamma`),
  beta: weight(layer, `${prefix}_beta`),
  mean: weight(layer, `${prefix}_moving_mean`),
  variance: weight(layer, `${prefix}_moving_variance`),
});

function run(layer: tf.layers.Layer, x: Img, training = false): Float32Array {
  return tf.tidy(() => (layer.apply(tf.tensor4d(x.data, x.shape), { training }) as tf.Tensor).dataSync() as Float32Array);
}

/** Builds the layer on `x`, randomises its weights. */
function prepare<L extends tf.layers.Layer>(layer: L, x: Img, seed = 10): L {
  run(layer, x);
  randomize([layer], seed);
  return layer;
}

function refS2Branch(x: Img, layer: tf.layers.Layer, prefix: string, filters: number, k: number, pool: number): Img {
  const [, h, w, c] = x.shape;
  let y = pool > 1 ? reference.avgPool(x, pool) : x;
  y = reference.depthwiseConv2d(y, weight(layer, `${prefix}depthwise_kernel`), k, 1, (k - 1) / 2);
  y = reference.batchNorm(y, bn(layer, `${prefix}depthwise_bn`), EPS);
  y = reference.prelu(y, weight(layer, `${prefix}prelu_alpha`));
  y = reference.conv2d(y, weight(layer, `${prefix}pointwise_kernel`), 1, filters, 1, 0);
  void c;
  if (pool > 1) y = reference.resizeAlignCorners(y, h, w);
  return reference.batchNorm(y, bn(layer, `${prefix}bn`), EPS);
}

function refSqueeze(x: Img, layer: tf.layers.Layer, prefix: string, divide: number): Img {
  const [n, h, w, c] = x.shape;
  const pooled = new Float32Array(n * c);
  for (let i = 0; i < x.data.length; i++) pooled[Math.floor(i / (h * w * c)) * c + (i % c)]! += x.data[i]! / (h * w);
  const hidden = divide > 1 ? Math.floor(c / divide) : c;
  const act = (v: Float32Array, a: Float32Array, width: number) => v.map((t, i) => (t >= 0 ? t : a[i % width]! * t));
  let s = act(reference.dense(pooled, n, c, weight(layer, `${prefix}dense1_kernel`), weight(layer, `${prefix}dense1_bias`), hidden), weight(layer, `${prefix}prelu1_alpha`), hidden);
  if (divide > 1) s = act(reference.dense(s, n, hidden, weight(layer, `${prefix}dense2_kernel`), weight(layer, `${prefix}dense2_bias`), c), weight(layer, `${prefix}prelu2_alpha`), c);
  return reference.makeImage(x.shape, x.data.map((v, i) => v * s[Math.floor(i / (h * w * c)) * c + (i % c)]!));
}

const input = (shape: Img['shape'], seed: number) => reference.makeImage(shape, randomArray(shape.reduce((a, b) => a * b, 1), seed, -2, 2));

describe('layer outputs equal plain-loop references (PyTorch semantics)', () => {
  it('ConvBNPReLU with stride 2 on an odd-sized input pads symmetrically like PyTorch', () => {
    const x = input([2, 7, 6, 3], 1);
    const layer = prepare(new ConvBNPReLU({ filters: 5, kernelSize: 3, strides: 2 }), x);
    let y = reference.conv2d(x, weight(layer, 'kernel'), 3, 5, 2, 1);
    y = reference.prelu(reference.batchNorm(y, bn(layer, 'bn'), EPS), weight(layer, 'prelu_alpha'));
    expect(layer.computeOutputShape([null, 7, 6, 3])).toEqual([null, 4, 3, 5]);
    expectClose(run(layer, x), y.data, 1e-4, 'ConvBNPReLU');
  });

  it('SeparableConvBNPReLU', () => {
    const x = input([1, 6, 5, 4], 2);
    const layer = prepare(new SeparableConvBNPReLU({ filters: 6, kernelSize: 5 }), x);
    let y = reference.depthwiseConv2d(x, weight(layer, 'depthwise_kernel'), 5, 1, 2);
    y = reference.conv2d(y, weight(layer, 'pointwise_kernel'), 1, 6, 1, 0);
    y = reference.prelu(reference.batchNorm(y, bn(layer, 'bn'), EPS), weight(layer, 'prelu_alpha'));
    expectClose(run(layer, x), y.data, 1e-4, 'SeparableConvBNPReLU');
  });

  it.each([1, 2])('SqueezeExcitation (divide %d) has no sigmoid, as in the official code', (divide) => {
    const x = input([2, 3, 4, 8], 3);
    const layer = prepare(new SqueezeExcitation({ divide }), x);
    expectClose(run(layer, x), refSqueeze(x, layer, 'se_', divide).data, 1e-4, 'SqueezeExcitation');
    expect(layer.trainableWeights.length).toBe(divide > 1 ? 6 : 3);
  });

  it('SESeparableConvBNPReLU with stride 2', () => {
    const x = input([1, 8, 6, 4], 4);
    const layer = prepare(new SESeparableConvBNPReLU({ filters: 6, kernelSize: 3, strides: 2, divide: 2 }), x);
    let y = reference.depthwiseConv2d(x, weight(layer, 'depthwise_kernel'), 3, 2, 1);
    y = refSqueeze(y, layer, 'se_', 2);
    y = reference.conv2d(y, weight(layer, 'pointwise_kernel'), 1, 6, 1, 0);
    y = reference.prelu(reference.batchNorm(y, bn(layer, 'bn'), EPS), weight(layer, 'prelu_alpha'));
    expectClose(run(layer, x), y.data, 1e-4, 'SESeparableConvBNPReLU');
  });

  it('BNPReLU', () => {
    const x = input([2, 3, 3, 5], 5);
    const layer = prepare(new BNPReLU(), x);
    expectClose(run(layer, x), reference.prelu(reference.batchNorm(x, bn(layer, 'bn'), EPS), weight(layer, 'prelu_alpha')).data, 1e-5);
  });

  it.each([
    [3, 1],
    [5, 2],
    [3, 4],
  ])('S2Block kernel %d, pool %d', (k, pool) => {
    const x = input([2, 8, 12, 4], 6);
    const layer = prepare(new S2Block({ filters: 6, kernelSize: k, poolSize: pool }), x);
    expectClose(run(layer, x), refS2Branch(x, layer, '', 6, k, pool).data, 1e-4, 'S2Block');
  });

  it('S2Module: grouped reduce, shuffle, branches on the same tensor, concat, residual, BN + PReLU', () => {
    const x = input([2, 8, 8, 8], 7);
    const layer = prepare(new S2Module({ filters: 8, blocks: [[3, 1], [5, 2]], residual: true }), x);
    let reduced = reference.conv2d(x, weight(layer, 'reduce_kernel'), 1, 4, 1, 0, 2);
    reduced = reference.channelShuffle(reduced, 2);
    const merged = reference.concat([refS2Branch(reduced, layer, 'd1_', 4, 3, 1), refS2Branch(reduced, layer, 'd2_', 4, 5, 2)]);
    const y = reference.prelu(reference.batchNorm(reference.add(x, merged), bn(layer, 'bn'), EPS), weight(layer, 'prelu_alpha'));
    expectClose(run(layer, x), y.data, 1e-4, 'S2Module');
  });

  it('S2Module gives the remainder channels to the first branch', () => {
    const x = input([1, 4, 4, 9], 8);
    const layer = prepare(new S2Module({ filters: 20, blocks: [[3, 1], [3, 2], [5, 1]], residual: false }), x);
    // width = floor(20 / 3) = 6, remainder 2 -> branch outputs 8, 6, 6.
    let reduced = reference.conv2d(x, weight(layer, 'reduce_kernel'), 1, 6, 1, 0, 3);
    reduced = reference.channelShuffle(reduced, 3);
    const merged = reference.concat([refS2Branch(reduced, layer, 'd1_', 8, 3, 1), refS2Branch(reduced, layer, 'd2_', 6, 3, 2), refS2Branch(reduced, layer, 'd3_', 6, 5, 1)]);
    const y = reference.prelu(reference.batchNorm(merged, bn(layer, 'bn'), EPS), weight(layer, 'prelu_alpha'));
    expectClose(run(layer, x), y.data, 1e-4, 'S2Module remainder');
  });

  it('GroupedPointwiseConv2D with bias', () => {
    const x = input([1, 3, 3, 6], 9);
    const layer = prepare(new GroupedPointwiseConv2D({ filters: 4, groups: 2, useBias: true }), x);
    const conv = reference.conv2d(x, weight(layer, 'kernel'), 1, 4, 1, 0, 2);
    const b = weight(layer, 'bias');
    expectClose(run(layer, x), conv.data.map((v, i) => v + b[i % 4]!), 1e-5);
  });

  it('ChannelShuffle, BilinearResize and InformationBlockingGate layers wrap their ops', () => {
    const x = input([1, 2, 3, 6], 10);
    expectClose(run(new ChannelShuffle({ groups: 2 }), x), reference.channelShuffle(x, 2).data, 0);
    expectClose(run(new BilinearResize({ scale: 2 }), x), reference.resizeAlignCorners(x, 4, 6).data, 1e-5);
    expectClose(run(new BilinearResize({ size: [5, 7] }), x), reference.resizeAlignCorners(x, 5, 7).data, 1e-5);
    const gate = run(new InformationBlockingGate(), reference.makeImage([1, 1, 1, 2], [0, Math.log(3)]));
    expectClose(gate, [0.25], 1e-6);
  });
});

describe('training mode', () => {
  it('BatchNorm uses batch statistics and updates moving averages with the unbiased variance (hand-computed)', () => {
    const layer = new BNPReLU({ momentum: 0.9 });
    const x = reference.makeImage([1, 2, 2, 1], [1, 2, 3, 4]);
    const y = run(layer, x, true);
    // mean 2.5, biased var 1.25 -> normalised (x - 2.5) / sqrt(1.25 + 1e-3); PReLU alpha 0.25 on negatives.
    const expected = [1, 2, 3, 4].map((v) => (v - 2.5) / Math.sqrt(1.25 + EPS)).map((v) => (v >= 0 ? v : 0.25 * v));
    expectClose(y, expected, 1e-5);
    expectClose(weight(layer, 'bn_moving_mean'), [0.1 * 2.5], 1e-6);
    expectClose(weight(layer, 'bn_moving_variance'), [0.9 * 1 + 0.1 * (5 / 3)], 1e-6);
  });
});

describe('gradients', () => {
  const cases: [string, () => tf.layers.Layer, Img['shape']][] = [
    ['ConvBNPReLU', () => new ConvBNPReLU({ filters: 3, kernelSize: 3, strides: 2 }), [2, 6, 6, 2]],
    ['SESeparableConvBNPReLU', () => new SESeparableConvBNPReLU({ filters: 4, kernelSize: 3, strides: 2, divide: 2 }), [2, 6, 6, 4]],
    ['S2Module', () => new S2Module({ filters: 4, blocks: [[3, 2], [5, 1]], residual: true }), [2, 4, 4, 4]],
    ['S2Block', () => new S2Block({ filters: 3, kernelSize: 3, poolSize: 2 }), [2, 4, 4, 2]],
    ['GroupedPointwiseConv2D', () => new GroupedPointwiseConv2D({ filters: 4, groups: 2 }), [1, 3, 3, 4]],
  ];

  it.each(cases)('%s: analytic gradients match central differences and reach every trainable weight', (name, make, shape) => {
    const x = input(shape, 11);
    const layer = prepare(make(), x, 20);
    const xt = tf.tensor4d(x.data, x.shape);
    const outShape = layer.computeOutputShape([...shape]) as number[];
    const r = tf.tensor(randomArray(outShape.reduce((a, b) => a * b, 1), 12), outShape);
    const loss = () => tf.sum(tf.mul(layer.apply(xt, { training: true }) as tf.Tensor, r)) as tf.Scalar;
    const grads = tf.variableGrads(loss, layer.trainableWeights.map((w) => w.read() as tf.Variable));
    for (const w of layer.trainableWeights) {
      const g = grads.grads[(w.read() as tf.Variable).name]!;
      expect(g, `${name}: no gradient for ${w.originalName}`).toBeDefined();
      const values = g.dataSync();
      expect(values.every(Number.isFinite)).toBe(true);
      // A PReLU slope gets no gradient when none of its inputs is negative, which is legitimate.
      if (!/alpha/.test(w.originalName)) expect(values.some((v) => v !== 0), `${name}: zero gradient for ${w.originalName}`).toBe(true);
    }
    tf.dispose([grads.value, ...Object.values(grads.grads)]);
    for (const w of layer.trainableWeights) checkGradient(loss, w.read() as tf.Variable, { samples: 4 });
    tf.dispose([xt, r]);
  });
});

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Through JSON text, as a model.json file would be.
  const topology = JSON.parse(JSON.stringify(artifacts!.modelTopology));
  return tf.loadLayersModel(tf.io.fromMemory({ ...artifacts!, modelTopology: topology }));
}

describe('serialisation', () => {
  it('every layer is registered under its className', () => {
    for (const cls of SINET_LAYER_CLASSES) {
      expect(tf.serialization.SerializationMap.getMap().classNameMap[cls.className]?.[0]).toBe(cls);
    }
  });

  it('a model using every layer saves and loads with identical config and outputs', async () => {
    const inp = tf.input({ shape: [16, 16, 3] });
    const apply = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
    let x = apply(new ConvBNPReLU({ filters: 8, kernelSize: 3, strides: 2, epsilon: 2e-3, momentum: 0.8 }), inp);
    x = apply(new SeparableConvBNPReLU({ filters: 8, kernelSize: 3 }), x);
    x = apply(new SESeparableConvBNPReLU({ filters: 8, kernelSize: 3, divide: 2 }), x);
    x = apply(new SqueezeExcitation({ divide: 4 }), x);
    x = apply(new S2Module({ filters: 8, blocks: [[3, 2], [5, 4]] }), x);
    x = apply(new S2Block({ filters: 8, kernelSize: 5, poolSize: 2 }), x);
    x = apply(new GroupedPointwiseConv2D({ filters: 4, groups: 2, useBias: true }), x);
    x = apply(new ChannelShuffle({ groups: 2 }), x);
    x = apply(new BNPReLU(), x);
    const logits = apply(new BilinearResize({ scale: [2, 2] }), x);
    const gate = apply(new InformationBlockingGate(), logits);
    const model = tf.model({ inputs: inp, outputs: [logits, gate] });
    randomize(model.layers);
    const loaded = await roundTrip(model);
    const probe = tf.tensor4d(randomArray(2 * 16 * 16 * 3, 13), [2, 16, 16, 3]);
    const [a1, a2] = model.predict(probe) as tf.Tensor[];
    const [b1, b2] = loaded.predict(probe) as tf.Tensor[];
    expectClose(b1!.dataSync(), a1!.dataSync(), 0);
    expectClose(b2!.dataSync(), a2!.dataSync(), 0);
    for (let i = 1; i < model.layers.length; i++) {
      expect(loaded.layers[i]!.getClassName()).toBe(model.layers[i]!.getClassName());
      expect({ ...loaded.layers[i]!.getConfig(), name: '' }).toEqual({ ...model.layers[i]!.getConfig(), name: '' });
    }
    tf.dispose([probe, a1, a2, b1, b2]);
    model.dispose();
    loaded.dispose();
  });
});

describe('hygiene and errors', () => {
  it('repeated inference leaves no tensors behind', async () => {
    const layer = new S2Module({ filters: 8, blocks: [[3, 2], [5, 1]] });
    const x = input([1, 8, 8, 8], 14);
    run(layer, x);
    await expectNoLeak(() => {
      for (let i = 0; i < 5; i++) run(layer, x);
      run(layer, x, true);
    });
  });

  it('disposing a built S2Module frees its weights and shuffle index', () => {
    const before = tf.memory().numTensors;
    const layer = new S2Module({ filters: 8, blocks: [[3, 1], [5, 1]] });
    run(layer, input([1, 4, 4, 8], 15));
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad configs and inputs fail with messages that name the problem', () => {
    expect(() => new S2Module({ filters: 8, blocks: [] })).toThrow(/blocks/);
    expect(() => new S2Block({ filters: 4, kernelSize: 4, poolSize: 1 })).toThrow(/kernelSize.*odd/);
    expect(() => new ConvBNPReLU({ filters: 0, kernelSize: 3 })).toThrow(/filters/);
    expect(() => new GroupedPointwiseConv2D({ filters: 5, groups: 2 })).toThrow(/divisible/);
    expect(() => new BilinearResize({})).toThrow(/exactly one/);
    expect(() => new BNPReLU({ momentum: 1.5 })).toThrow(/momentum/);
    expect(() => run(new S2Module({ filters: 8, blocks: [[3, 1], [3, 1]] }), input([1, 4, 4, 4], 1))).toThrow(/residual/);
    expect(() => run(new S2Block({ filters: 2, kernelSize: 3, poolSize: 4 }), input([1, 6, 6, 2], 1))).toThrow(/not divisible by the S2 pool size 4/);
    // Images only: [batch, height, width, channels].
    expect(() => new BilinearResize({ scale: 2 }).computeOutputShape([6, 6, 2])).toThrow(/expected a \[batch, height, width, channels\] input, got shape \[6,6,2\]/);
    expect(() => new ConvBNPReLU({ filters: 2, kernelSize: 3 }).computeOutputShape([null, 6, 2])).toThrow(LayersError);
  });

  it('the ONNX converter refuses a weight of another rank than its layer has, by name', () => {
    const flat = { values: new Float32Array(6), shape: [2, 3] };
    expect(() => dimsOf(flat, 4, 'convolution kernel')).toThrow(OnnxExportError);
    expect(() => dimsOf(flat, 4, 'convolution kernel')).toThrow(/convolution kernel: expected a rank-4 weight, got shape \[2,3\]/);
    expect(dimsOf(flat, 2, 'dense kernel')).toEqual([2, 3]);
  });
});
