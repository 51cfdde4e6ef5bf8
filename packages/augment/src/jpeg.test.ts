import { EG1800, haveShared, sharedPath } from '@sinet/test-utils';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ImageU8 } from './image.js';
import { JpegCompression, jpegRoundTrip, quantizationTable } from './jpeg.js';
import { ParamError } from './params.js';

/** Smooth gradients, hard edges and a little texture, at a size that is not a multiple of 16. */
function testImage(width = 61, height = 45): ImageU8 {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inside = (x - 30) ** 2 + (y - 22) ** 2 < 15 ** 2;
      data[i] = inside ? 220 : (x * 4) % 256;
      data[i + 1] = inside ? 60 : (y * 5) % 256;
      data[i + 2] = ((x * 7 + y * 13) % 17) * 9 + (inside ? 40 : 0);
    }
  return { data, width, height, channels: 3 };
}

/** libjpeg-turbo (through sharp): baseline JPEG at `quality`, 4:2:0, decoded back to RGB. */
async function libjpeg(image: ImageU8, quality: number): Promise<Uint8Array> {
  const raw = { width: image.width, height: image.height, channels: 3 as const };
  const jpeg = await sharp(Buffer.from(image.data), { raw }).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
  return new Uint8Array(await sharp(jpeg).raw().toBuffer());
}

const meanAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

describe('JpegCompression', () => {
  it('scales the standard tables as libjpeg does', () => {
    const base = [16, 11, 255, 1];
    expect(Array.from(quantizationTable(base, 50))).toEqual([16, 11, 255, 1]);
    expect(Array.from(quantizationTable(base, 90))).toEqual([3, 2, 51, 1]); // scale 20: floor((v * 20 + 50) / 100)
    expect(Array.from(quantizationTable(base, 10))).toEqual([80, 55, 255, 5]); // scale 500, clamped to 255
  });

  const cases: [string, () => ImageU8][] = [['a synthetic 61 x 45 image', () => testImage()]];
  if (haveShared('the JPEG test on a real portrait', EG1800)) {
    cases.push(['an EG1800 portrait', () => {
      const id = readFileSync(sharedPath(...EG1800, 'val.txt'), 'utf8').trim().split('\n')[0];
      return { path: sharedPath(...EG1800, 'images', `${id}.jpg`) } as unknown as ImageU8;
    }]);
  }
  it.each(cases)('reproduces libjpeg-turbo\'s round trip on %s, at qualities 10, 50 and 90', async (_, make) => {
    let image = make();
    if ('path' in image) {
      const { data, info } = await sharp((image as unknown as { path: string }).path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      image = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
    }
    for (const quality of [10, 50, 90]) {
      const ours = jpegRoundTrip(image, quality).data;
      const reference = await libjpeg(image, quality);
      const artefacts = meanAbs(reference, image.data);
      const difference = meanAbs(ours, reference);
      console.log(`quality ${quality}: libjpeg's error ${artefacts.toFixed(2)} levels, ours vs libjpeg ${difference.toFixed(3)}`);
      // Not bit for bit: libjpeg's integer DCTs round differently now and then.
      expect(difference).toBeLessThan(0.1 * artefacts);
    }
  });

  it('keeps masks and alpha, follows its seed, and names a bad compression', () => {
    const rgb = testImage(20, 18);
    const rgba: ImageU8 = { data: new Uint8Array(20 * 18 * 4).map((_, i) => (i % 4 === 3 ? i % 251 : rgb.data[Math.floor(i / 4) * 3 + (i % 4)]!)), width: 20, height: 18, channels: 4 };
    const mask = { data: Uint8Array.from({ length: 20 * 18 }, (_, i) => i % 2), width: 20, height: 18 };
    const aug = new JpegCompression({ compression: [50, 90], seed: 3 });
    const a = aug.augmentSample({ image: rgba, mask });
    expect(a.mask).toEqual(mask);
    expect(Array.from(a.image.data).filter((_, i) => i % 4 === 3)).toEqual(Array.from(rgba.data).filter((_, i) => i % 4 === 3));
    expect(meanAbs(a.image.data, rgba.data)).toBeGreaterThan(1);
    expect(new JpegCompression({ compression: [50, 90], seed: 3 }).augmentSample({ image: rgba, mask }).image.data).toEqual(a.image.data);
    // Compression 0 is quality 100: a grey image comes back within a level (colour loses its
    // fine chroma to 4:2:0 at any quality).
    const grey: ImageU8 = { data: Uint8Array.from({ length: 20 * 18 }, (_, i) => rgb.data[i * 3]!), width: 20, height: 18, channels: 1 };
    expect(meanAbs(new JpegCompression({ compression: 0 }).augmentSample({ image: grey }).image.data, grey.data)).toBeLessThan(1);
    expect(meanAbs(new JpegCompression({ compression: 95 }).augmentSample({ image: grey }).image.data, grey.data)).toBeGreaterThan(5);
    expect(() => new JpegCompression({ compression: [50, 120] })).toThrow(ParamError);
    expect(() => new JpegCompression({ compression: [50, 120] })).toThrow(/JpegCompression.*compression/);
  });
});
