import * as tf from '@tensorflow/tfjs';
import { freshDir } from '@sinet/test-utils';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { float16Bits, toFloat16 } from './float16.js';
import { loadModel, saveModel } from './node/model-io.js';
import { untrainedModel } from './test-support.js';

/** Half-precision bits to a number, by the definition (independent of the encoder under test). */
function fromBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

describe('float16', () => {
  it('encodes by IEEE 754: exact values, rounding to nearest even, overflow, subnormals, NaN', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
      [65520, 0x7c00], [1e6, 0x7c00], [-Infinity, 0xfc00], [2 ** -24, 0x0001], [2 ** -14, 0x0400], [1e-9, 0x0000],
      // Halfway between 1 and its successor rounds to even (1); past halfway rounds up; 3 x half-ulp to the even 1 + 2^-9.
      [1 + 2 ** -11, 0x3c00], [1 + 2 ** -11 + 2 ** -20, 0x3c01], [1 + 3 * 2 ** -11, 0x3c02],
      [0.1, 0x2e66], [-0.333333, 0xb555],
    ];
    for (const [value, bits] of cases) expect([value, float16Bits(value).toString(16)]).toEqual([value, bits.toString(16)]);
    expect(float16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(float16Bits(Number.NaN) & 0x3ff).not.toBe(0);
    // Every encoded value is the nearest half: no other half is closer.
    const values = Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 9) - 6));
    toFloat16(values).forEach((h, i) => {
      const err = Math.abs(fromBits(h) - values[i]!);
      for (const neighbour of [h - 1, h + 1]) if ((neighbour & 0x7c00) !== 0x7c00 && ((neighbour ^ h) & 0x8000) === 0) expect(err).toBeLessThanOrEqual(Math.abs(fromBits(neighbour) - values[i]!));
    });
  });

  it('saveModel({ float16 }) halves the weights file, and tfjs loads back exactly the rounded weights', async () => {
    await tf.setBackend('cpu');
    const model = untrainedModel({ inputSize: [32, 32] });
    const [full, half] = [freshDir('sinet-f32-'), freshDir('sinet-f16-')];
    const a = await saveModel(model, full);
    const b = await saveModel(model, half, { float16: true });
    expect(b.bytes).toBe(a.bytes / 2);
    const manifest = JSON.parse(readFileSync(path.join(half, 'model.json'), 'utf8')).weightsManifest[0].weights;
    expect(manifest.every((w: { quantization?: { dtype: string } }) => w.quantization?.dtype === 'float16')).toBe(true);
    const loaded = await loadModel(half, { requireSINet: true });
    const before = model.getWeights();
    const after = loaded.getWeights();
    expect(after.map((w) => w.dtype)).toEqual(before.map(() => 'float32'));
    before.forEach((w, i) => {
      const expected = Array.from(toFloat16(w.dataSync() as Float32Array), fromBits);
      expect(Array.from(after[i]!.dataSync())).toEqual(expected);
    });
    model.dispose();
    loaded.dispose();
  });
});
