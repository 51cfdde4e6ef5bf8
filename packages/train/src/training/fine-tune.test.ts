import { expectNoLeak } from '@sinet/test-utils';
import { createSINet, DEFAULT_CLASS_NAMES, OFFICIAL_PREPROCESSING, resolveSINetConfig, setSINetMetadata } from '@sinet/model';
import { initializeWeights } from '@sinet/model/training';
import { initBackend } from '@sinet/model/node';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticPortrait } from '../data/synthetic.js';
import { fineTune, personIou } from './fine-tune.js';

function freshModel(size: number): tf.LayersModel {
  const config = resolveSINetConfig({ inputSize: [size, size] });
  const model = createSINet(config);
  setSINetMetadata(model, { format: 1, config, classNames: DEFAULT_CLASS_NAMES, personClass: 1, preprocessing: OFFICIAL_PREPROCESSING, source: 'test' });
  initializeWeights(model, 7);
  return model;
}

// Photos larger than the model, as a visitor's would be: fineTune resizes them.
const samples = Array.from({ length: 6 }, (_, i) => syntheticPortrait(40 + i, { width: 96, height: 128 }));

describe('fineTune (browser-safe)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('lowers the loss and raises person IoU on its samples, without leaking tensors', async () => {
    const model = freshModel(64);
    const before = await personIou(model, samples);
    const seen: number[] = [];
    await expectNoLeak(async () => {
      const result = await fineTune(model, samples, { steps: 40, lr: 5e-3, batchSize: 3, augment: 'none', onStep: (step) => seen.push(step) });
      expect(result.stopped).toBe(false);
      const first = result.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
      const last = result.losses.slice(-5).reduce((a, b) => a + b) / 5;
      expect(last).toBeLessThan(0.8 * first);
    });
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const after = await personIou(model, samples);
    console.log(`fineTune: person IoU ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    expect(after).toBeGreaterThan(before + 0.1);
    model.dispose();
  });

  it('stops at an abort and names bad samples', async () => {
    const model = freshModel(64);
    const stop = new AbortController();
    const result = await fineTune(model, samples, { steps: 10, onStep: (s) => s === 2 && stop.abort(), signal: stop.signal });
    expect(result).toMatchObject({ stopped: true });
    expect(result.losses).toHaveLength(2);
    const bad = { image: samples[0]!.image, mask: { ...samples[1]!.mask, width: 10 } };
    await expect(fineTune(model, [samples[0]!, bad], { steps: 1 })).rejects.toThrow(/sample 1: image 96x128 and mask 10x128 differ/);
    await expect(fineTune(model, samples, { steps: 0 })).rejects.toThrow(/steps must be an integer >= 1/);
    model.dispose();
  });
});
