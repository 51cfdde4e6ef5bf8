import { freshDir } from '@sinet/test-utils';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageFileError, readPersonMask, writeImage } from './image-io.js';

const dir = freshDir('sinet-masks');
const w = 6;
const h = 4;
// A person in the middle columns.
const person = Uint8Array.from({ length: w * h }, (_, i) => (i % w >= 2 && i % w < 4 ? 1 : 0));

async function maskFile(name: string, values: Uint8Array, channels: 1 | 3 = 1): Promise<string> {
  const file = path.join(dir, name);
  await writeImage(file, { data: values, width: w, height: h, channels });
  return file;
}

describe('readPersonMask', () => {
  it('reads 0/255 and 0/1 masks to the same person map, and says which convention it found', async () => {
    const a = await readPersonMask(await maskFile('255.png', person.map((v) => v * 255)));
    const b = await readPersonMask(await maskFile('01.png', person));
    expect(a.convention).toBe('0/255');
    expect(b.convention).toBe('0/1');
    expect(Array.from(a.data)).toEqual(Array.from(person));
    expect(Array.from(b.data)).toEqual(Array.from(person));
    // Soft 0/255 edges: person above 127.
    const soft = await readPersonMask(await maskFile('soft.png', person.map((v, i) => (v ? 255 : i % 2 ? 100 : 0))));
    expect(Array.from(soft.data)).toEqual(Array.from(person));
  });

  it('refuses a colour mask whose channels differ and values that fit neither convention, naming the file', async () => {
    const green = new Uint8Array(w * h * 3);
    person.forEach((v, i) => (green[i * 3 + 1] = v * 255));
    const greenFile = await maskFile('green.png', green, 3);
    await expect(readPersonMask(greenFile)).rejects.toThrow(new ImageFileError(greenFile, 'a colour mask whose channels differ (pixel 2, 0); give one channel, 0/255 or 0/1'));
    const classes = await maskFile('classes.png', person.map((v) => v * 5));
    await expect(readPersonMask(classes)).rejects.toThrow(`${classes}: values up to 5: neither a 0/255 nor a 0/1 person mask`);
    // A grey RGB mask (equal channels) is fine.
    const grey = new Uint8Array(w * h * 3).map((_, i) => person[Math.floor(i / 3)]! * 255);
    expect((await readPersonMask(await maskFile('grey.png', grey, 3))).convention).toBe('0/255');
  });
});
