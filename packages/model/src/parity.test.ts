/**
 * Parity with the official PyTorch network: every tap of every fixture case, on the cpu and
 * wasm backends. Real portraits must match to 1e-4 absolute. The random cases feed N(0, 1)
 * noise, about 600x the scale of a preprocessed photo (the official pipeline divides by 255
 * twice), so their activations reach 3e7 where float32 spacing alone is ~2: there the bound
 * is 1e-4 relative to the tap's largest magnitude.
 */
import * as tf from '@tensorflow/tfjs';
import { haveShared, OFFICIAL_WEIGHTS, PARITY_DIR, readNpy, sharedPath } from '@sinet/test-utils';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sinetTaps } from './architecture.js';
import { OFFICIAL_PREPROCESSING, TAP_LAYERS, type TapName } from './constants.js';
import { initBackend } from './node/backend.js';
import { preprocess } from './pixels.js';
import { officialModel } from './test-support.js';

interface Case {
  name: string;
  input: string;
  input_shape: [number, number, number, number];
  outputs: Record<TapName, { file: string; shape: number[] }>;
}

const available = haveShared('parity tests', OFFICIAL_WEIGHTS, PARITY_DIR);
const cases: Case[] = available ? JSON.parse(readFileSync(sharedPath(...PARITY_DIR, 'manifest.json'), 'utf8')).cases : [];

/** NCHW fixture -> NHWC tensor. */
function fixture(file: string): tf.Tensor4D {
  const { data, shape } = readNpy(sharedPath(...PARITY_DIR, file));
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]));
}

describe.runIf(available).each(['cpu', 'wasm'])('parity with the official network on %s', (backend) => {
  afterAll(async () => {
    await initBackend('cpu', { log: null });
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: all ten taps match', async (_name, c) => {
    await initBackend(backend, { log: null });
    const [, , h, w] = c.input_shape;
    const model = officialModel([h, w]);
    const taps = sinetTaps(model);
    const names = Object.keys(TAP_LAYERS) as TapName[];
    expect(Object.keys(c.outputs)).toEqual(names);
    const input = fixture(c.input);
    const outputs = taps.predict(input) as tf.Tensor[];
    const random = c.name.startsWith('random');
    const report: string[] = [];
    names.forEach((tap, i) => {
      const expected = fixture(c.outputs[tap].file);
      expect(outputs[i]!.shape, tap).toEqual(expected.shape);
      const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(outputs[i]!, expected))).dataSync()[0]!, tf.max(tf.abs(expected)).dataSync()[0]!]);
      const tolerance = random ? 1e-4 * Math.max(1, scale) : 1e-4;
      if (!(diff <= tolerance)) report.push(`${tap}: max |diff| ${diff.toExponential(2)} > ${tolerance.toExponential(2)} (max |ref| ${scale.toExponential(2)})`);
      expected.dispose();
    });
    tf.dispose([input, ...outputs]);
    model.dispose();
    expect(report).toEqual([]);
  });
});

describe.runIf(available)('official preprocessing', () => {
  it.each(cases.filter((c) => c.name.startsWith('image')).map((c) => [c.name] as const))('%s: BGR pixels normalise to the fixture input', async (name) => {
    await initBackend('cpu', { log: null });
    // This fixture is NHWC BGR pixels (the others are NCHW); preprocess takes RGB and reorders itself.
    const raw = readNpy(sharedPath(...PARITY_DIR, `${name}.input_bgr224_uint8.npy`));
    const bgr = tf.tensor4d(raw.data, raw.shape as [number, number, number, number]);
    const expected = fixture(`${name}.input.npy`);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(preprocess(tf.reverse(bgr, 3) as tf.Tensor4D, OFFICIAL_PREPROCESSING, [224, 224]), expected))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-7);
    tf.dispose([bgr, expected]);
  });
});
