import { describe, expect, it } from 'vitest';
import { syntheticPortrait } from './synthetic.js';
import { augmentBatch, AugmentPool, packSamples, type BatchRequest } from './augment-pool.js';

const samples = Array.from({ length: 10 }, (_, i) => syntheticPortrait(100 + i, { width: 48, height: 64 }));
const requests: BatchRequest[] = [
  { indices: [0, 1, 2, 3], seed: 11 },
  { indices: [4, 5, 6, 7], seed: 12 },
  { indices: [8, 9], seed: 13 },
  { indices: [9, 0, 9], seed: 14 },
];

describe('AugmentPool', () => {
  it('gives in order exactly the batches augmentBatch makes on the calling thread, with 2 workers and prefetch', async () => {
    const packed = packSamples(samples);
    const inline = requests.map((r) => augmentBatch(packed, 'sinetOfficial', r));
    const pool = new AugmentPool(packed, 'sinetOfficial', { workers: 2, prefetch: 3 });
    try {
      expect(pool.workerCount).toBe(2);
      const got = [];
      for await (const batch of pool.batches(requests)) got.push(batch);
      expect(got).toHaveLength(requests.length);
      got.forEach((batch, b) => {
        expect(batch.images).toHaveLength(requests[b]!.indices.length);
        batch.images.forEach((im, i) => {
          expect([im.width, im.height, im.channels]).toEqual([48, 64, 3]);
          expect(Buffer.from(im.data).equals(Buffer.from(inline[b]!.images[i]!.data))).toBe(true);
          expect(Buffer.from(batch.masks[i]!.data).equals(Buffer.from(inline[b]!.masks[i]!.data))).toBe(true);
        });
      });
      // Augmentation really happened: the seeded batch differs from the stored samples.
      expect(Buffer.from(got[0]!.images[0]!.data).equals(Buffer.from(samples[0]!.image.data))).toBe(false);
    } finally {
      await pool.close();
    }
  });

  it("without augmentation returns copies of the samples, not views of the shared store", async () => {
    const packed = packSamples(samples);
    const pool = new AugmentPool(packed, 'none', { workers: 0 });
    const batch = await pool.request({ indices: [3], seed: 0 });
    expect(Buffer.from(batch.images[0]!.data).equals(Buffer.from(samples[3]!.image.data))).toBe(true);
    expect(batch.images[0]!.data.buffer).not.toBe(packed.images.buffer);
    await pool.close();
  });

  it('reports a bad request at its batch and refuses work once closed', async () => {
    const pool = new AugmentPool(packSamples(samples), 'sinetOfficial', { workers: 1 });
    await expect(pool.request({ indices: [0, 10], seed: 1 })).rejects.toThrow(/sample index 10 outside 0\.\.9/);
    await pool.close();
    await expect(pool.request({ indices: [0], seed: 1 })).rejects.toThrow(/closed/);
  });

  it('refuses samples of different sizes, naming the sample', () => {
    const odd = syntheticPortrait(1, { width: 32, height: 32 });
    expect(() => packSamples([samples[0]!, odd])).toThrow(/sample 1 is 32x32x3, expected 48x64x3/);
  });
});
