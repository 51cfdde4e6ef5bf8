/** modelFilesOf: a model in memory as the checked files a loader reads, and back. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, modelFilesOf } from './model-files.js';
import { getSINetMetadata } from './metadata.js';
import { seededWeights, untrainedModel } from './test-support.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('modelFilesOf', () => {
  it('gives files that survive structured cloning (postMessage) and rebuild the same network, leaving no tensors', async () => {
    const model = untrainedModel({ inputSize: [64, 64] });
    seededWeights(model, 7);
    const before = tf.memory().numTensors;
    const files = await modelFilesOf(model, 'tuned in the page');
    expect(files.where).toBe('tuned in the page');
    expect(files.weights.byteLength).toBe(files.checked.bytes);
    // Every weight, float32.
    expect(files.weights.byteLength).toBe(4 * model.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0));
    const rebuilt = await buildModel(structuredClone(files), { requireSINet: true });
    expect(getSINetMetadata(rebuilt)).toEqual(getSINetMetadata(model));
    const original = model.getWeights().map((w) => w.dataSync());
    const copied = rebuilt.getWeights().map((w) => w.dataSync());
    expect(copied).toEqual(original);
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 3);
    const [a, b] = [model.predict(x) as tf.Tensor, rebuilt.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    rebuilt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
