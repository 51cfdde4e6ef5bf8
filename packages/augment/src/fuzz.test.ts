/**
 * Fuzzing of @sinet/augment's JPEG code and augmenter parameters (see @sinet/test-utils' fuzz):
 * any image and quality round-trips to an image of the same size, and any parameter is accepted or
 * refused with an AugmentError, never a crash.
 */
import { fc, fuzz, fuzzTimeout } from '@sinet/test-utils';
import { describe, expect, it } from 'vitest';
import { AugmentError, type ImageU8 } from './index.js';
import { CopyPaste, JpegCompression } from './augmenters.js';
import { jpegRoundTrip } from './ops.js';

const image = fc
  .record({ width: fc.integer({ min: 1, max: 40 }), height: fc.integer({ min: 1, max: 40 }), channels: fc.constantFrom(1, 3, 4) as fc.Arbitrary<1 | 3 | 4>, fill: fc.nat(255) })
  .chain(({ width, height, channels, fill }) =>
    fc.uint8Array({ minLength: width * height * channels, maxLength: width * height * channels }).map((data) => ({ data: fill % 2 ? data : data.map(() => fill), width, height, channels }) as ImageU8),
  );

describe('fuzzing the JPEG code and augmenter parameters', () => {
  it('jpegRoundTrip: any image at any quality gives an image of its size, or an AugmentError', async () => {
    await fuzz(fc.tuple(image, fc.oneof(fc.integer({ min: -5, max: 105 }), fc.double())), [AugmentError], ([img, quality]) => {
      const out = jpegRoundTrip(img, quality);
      expect([out.width, out.height, out.channels, out.data.length]).toEqual([img.width, img.height, img.channels, img.data.length]);
    });
  }, fuzzTimeout(60_000));

  it('parameters from JSON: accepted, or refused with an AugmentError', async () => {
    const anything = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.double());
    await fuzz(fc.record({ compression: anything, count: anything, height: anything, flip: anything }), [AugmentError], (p) => {
      new JpegCompression({ compression: p.compression as never, seed: 1 });
      const donor = { image: { data: new Uint8Array(12), width: 2, height: 2, channels: 3 as const }, mask: { data: Uint8Array.from([0, 1, 1, 0]), width: 2, height: 2 } };
      new CopyPaste({ donors: [donor], count: p.count as never, height: p.height as never, flip: p.flip as never });
    });
  }, fuzzTimeout(60_000));
});
