import * as tf from '@tensorflow/tfjs';
import { expectClose, randomTensor } from '@sinet/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters, createSINet, isEncoderWeight, isKernelWeight, rebuildWithInputSize, resolveSINetConfig, sinetEncoder, sinetTaps } from './architecture.js';
import { DEFAULT_SINET_CONFIG, OFFICIAL_PARAMETER_COUNT } from './constants.js';
import { getSINetMetadata } from './metadata.js';
import { countMacs, summarizeModel } from './summary.js';
import { untrainedModel } from './test-support.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createSINet', () => {
  it('builds the official architecture: 86,910 parameters, as the paper and SINet.pth', () => {
    const model = createSINet();
    expect(countParameters(model).trainable).toBe(OFFICIAL_PARAMETER_COUNT);
    expect(model.outputs[0]!.shape).toEqual([null, 224, 224, 2]);
    model.dispose();
  });

  it('costs 0.064 G multiply-accumulates at 224 x 224, the paper\'s "FLOPs"', () => {
    const model = createSINet();
    const macs = countMacs(model);
    expect(macs / 1e9).toBeCloseTo(0.064, 3);
    // MACs scale with the pixel count (all but the tiny squeeze-excitation dense layers).
    const big = createSINet({ inputSize: [448, 448] });
    expect(countMacs(big) / macs).toBeCloseTo(4, 3);
    model.dispose();
    big.dispose();
  });

  it('takes non-square sizes, width, depth, classes and block configs', () => {
    const model = createSINet({ inputSize: [256, 320], classes: 3, chnn: 2, p: 1, q: 2, blocks: [[[3, 1]], [[5, 2], [3, 1]], [[3, 4], [3, 1]]] });
    expect(model.outputs[0]!.shape).toEqual([null, 256, 320, 3]);
    const y = model.predict(tf.zeros([1, 256, 320, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 256, 320, 3]);
    y.dispose();
    const taps = sinetTaps(model, ['level2', 'level3', 'encoder_logits']);
    expect(taps.outputs.map((o) => o.shape)).toEqual([
      [null, 64, 80, 52],
      [null, 32, 40, 100],
      [null, 32, 40, 3],
    ]);
    model.dispose();
  });

  it('names the wrong config field', () => {
    expect(() => resolveSINetConfig({ inputSize: [224, 200] })).toThrow(/inputSize\[1\]' must be a multiple of 32, got 200/);
    expect(() => resolveSINetConfig({ classes: 1 })).toThrow(/'classes' must be at least 2/);
    // Limits on what inference allocates: the input's pixels, and the logits (classes x pixels).
    expect(() => resolveSINetConfig({ inputSize: [4096, 4096] })).toThrow("SINet config: 'inputSize' 4096 x 4096 (16.8 MP) is more than the 4.2 MP (2048 x 2048) a model may run at: its activations would not fit in memory");
    expect(resolveSINetConfig({ inputSize: [1024, 4096] }).inputSize).toEqual([1024, 4096]); // 4.2 MP: at the limit
    expect(() => resolveSINetConfig({ classes: 256, inputSize: [512, 512] })).toThrow("SINet config: 'classes' 256 classes at 512 x 512 make 67.1M logits, more than the 33.6M allowed: fewer classes or a smaller inputSize");
    expect(resolveSINetConfig({ classes: 256, inputSize: [352, 352] }).classes).toBe(256); // 31.7M logits
    expect(() => resolveSINetConfig({ chnn: 0 })).toThrow(expect.objectContaining({ name: 'ModelError', code: 'CONFIG' }));
    expect(() => resolveSINetConfig({ q: 9 })).toThrow(/'blocks' needs one branch list per S2 module \(p \+ q = 11\)/);
    expect(() => resolveSINetConfig({ blocks: [...DEFAULT_SINET_CONFIG.blocks.slice(0, 9), [[4, 1]]] })).toThrow(/blocks\[9\]\[0\].*odd/);
    expect(() => resolveSINetConfig({ chnn: 0.5 })).toThrow(/'chnn' must be a positive integer/);
  });
});

describe('shared encoder, taps and resizing', () => {
  it('the encoder model shares weights with the full model and outputs 1/8 resolution', () => {
    const model = createSINet({ inputSize: [64, 96] });
    const encoder = sinetEncoder(model);
    expect(encoder.outputs[0]!.shape).toEqual([null, 8, 12, 2]);
    expect(countParameters(encoder).trainable).toBeLessThan(countParameters(model).trainable);
    const x = randomTensor([1, 64, 96, 3], 1);
    const before = (encoder.predict(x) as tf.Tensor).dataSync().slice();
    // Changing a weight through the full model changes the encoder's output.
    const kernel = model.getLayer('encoder.classifier').getWeights()[0]!;
    model.getLayer('encoder.classifier').setWeights([tf.mul(kernel, 2)]);
    const after = (encoder.predict(x) as tf.Tensor).dataSync();
    expectClose(after, before.map((v) => 2 * v), 1e-4);
    model.dispose();
  });

  it('the weight-name predicates pick the encoder\'s weights and the convolution and dense kernels', () => {
    const model = createSINet();
    const encoderNames = new Set(sinetEncoder(model).weights.map((w) => w.originalName));
    for (const w of model.weights) expect([w.originalName, isEncoderWeight(w.originalName)]).toEqual([w.originalName, encoderNames.has(w.originalName)]);
    // Kernels: every conv / depthwise / pointwise / dense kernel, and nothing of BatchNorm, PReLU or biases.
    const kernels = model.weights.filter((w) => isKernelWeight(w.originalName));
    expect(kernels.every((w) => (w.shape as number[]).length >= 2)).toBe(true);
    expect(model.weights.filter((w) => !isKernelWeight(w.originalName) && (w.shape as number[]).length >= 2)).toEqual([]);
    expect(kernels.length).toBeGreaterThan(50);
    model.dispose();
  });

  it('rebuildWithInputSize keeps every weight', () => {
    const model = createSINet({ inputSize: [64, 64] });
    const resized = rebuildWithInputSize(model, resolveSINetConfig({ inputSize: [64, 64] }), [96, 128]);
    expect(resized.outputs[0]!.shape).toEqual([null, 96, 128, 2]);
    const a = model.getWeights();
    const b = resized.getWeights();
    a.forEach((w, i) => expectClose(b[i]!.dataSync(), w.dataSync(), 0));
    model.dispose();
    resized.dispose();
  });
});

describe('training the assembled network', () => {
  it('one fit step updates weights and BatchNorm statistics with a finite loss', async () => {
    const model = createSINet({ inputSize: [64, 64] });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
    const x = randomTensor([2, 64, 64, 3], 2);
    const labels = tf.oneHot(tf.cast(tf.greater(randomTensor([2, 64, 64], 3), 0), 'int32'), 2);
    const kernel = model.getLayer('encoder.level1').getWeights()[0]!.dataSync().slice();
    const movingMean = model.getLayer('bn_2').getWeights()[2]!.dataSync().slice();
    const history = await model.fit(x, labels, { epochs: 1, batchSize: 2, verbose: 0 });
    expect(Number.isFinite(history.history.loss![0] as number)).toBe(true);
    expect(model.getLayer('encoder.level1').getWeights()[0]!.dataSync()).not.toEqual(kernel);
    expect(model.getLayer('bn_2').getWeights()[2]!.dataSync()).not.toEqual(movingMean);
    model.dispose();
  });

  it('every trainable weight receives a gradient', () => {
    const model = createSINet({ inputSize: [64, 64] });
    const x = randomTensor([2, 64, 64, 3], 4);
    const target = randomTensor([2, 64, 64, 2], 5);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, target)) as tf.Scalar);
    for (const w of model.trainableWeights) {
      const g = grads[(w.read() as tf.Variable).name]!;
      expect(g, w.originalName).toBeDefined();
      expect(g.dataSync().every(Number.isFinite), w.originalName).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('saving', () => {
  it('the full model round-trips through model.json with its metadata and identical outputs', async () => {
    const model = untrainedModel({ inputSize: [64, 64] });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined })) as tf.io.ModelArtifacts & object));
    expect(getSINetMetadata(loaded).config.inputSize).toEqual([64, 64]);
    loaded.setWeights(model.getWeights());
    const x = randomTensor([1, 64, 64, 3], 6);
    expectClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 0);
    expect(summarizeModel(loaded).parameters).toBe(OFFICIAL_PARAMETER_COUNT);
    model.dispose();
    loaded.dispose();
  });
});
