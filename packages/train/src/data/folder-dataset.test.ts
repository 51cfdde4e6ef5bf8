import { freshDir } from '@sinet/test-utils';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, listFolderDataset, readIdList } from './folder-dataset.js';

async function dataset(images: string[], masks: string[]): Promise<string> {
  const dir = freshDir('sinet-ds-');
  await fs.mkdir(path.join(dir, 'images'));
  await fs.mkdir(path.join(dir, 'masks'));
  for (const f of images) await fs.writeFile(path.join(dir, 'images', f), '');
  for (const f of masks) await fs.writeFile(path.join(dir, 'masks', f), '');
  return dir;
}

describe('folder datasets', () => {
  it('pairs images (jpg or png) with png masks, in id order', async () => {
    const dir = await dataset(['b.png', 'a.jpg', 'notes.txt'], ['a.png', 'b.png']);
    const entries = await listFolderDataset(dir);
    expect(entries.map((e) => [e.id, path.basename(e.image), path.basename(e.mask)])).toEqual([
      ['a', 'a.jpg', 'a.png'],
      ['b', 'b.png', 'b.png'],
    ]);
  });

  it('reads id lists with comments, blank lines and extensions', async () => {
    const dir = await dataset(['1.jpg', '2.jpg', '3.jpg'], ['1.png', '2.png', '3.png']);
    await fs.writeFile(path.join(dir, 'val.txt'), '# val split\n3\n\n1.jpg\n');
    expect((await listFolderDataset(dir, path.join(dir, 'val.txt'))).map((e) => e.id)).toEqual(['3', '1']);
  });

  it('finds a relative id list in the dataset folder and names both places when it is in neither', async () => {
    const dir = await dataset(['1.jpg', '2.jpg'], ['1.png', '2.png']);
    await fs.writeFile(path.join(dir, 'val.txt'), '2\n');
    expect((await listFolderDataset(dir, 'val.txt')).map((e) => e.id)).toEqual(['2']);
    const error = await listFolderDataset(dir, 'test.txt').catch((e: Error) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain(path.resolve('test.txt'));
    expect((error as Error).message).toContain(path.join(dir, 'test.txt'));
  });

  it('names every missing image and mask in one error', async () => {
    const dir = await dataset(['1.jpg', '2.jpg'], ['1.png']);
    await fs.writeFile(path.join(dir, 'list.txt'), '1\n2\n9\n');
    const error = await listFolderDataset(dir, path.join(dir, 'list.txt')).catch((e: Error) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/3 problems/);
    expect((error as Error).message).toContain(path.join(dir, 'masks', '2.png'));
    expect((error as Error).message).toContain(`${path.join(dir, 'images', '9')}.(jpg|png): missing image`);
    expect((error as Error).message).toContain(path.join(dir, 'masks', '9.png'));
  });

  it('rejects empty and duplicate lists and missing folders', async () => {
    const dir = await dataset([], []);
    await fs.writeFile(path.join(dir, 'empty.txt'), '\n# nothing\n');
    await expect(readIdList(path.join(dir, 'empty.txt'))).rejects.toThrow(/empty\.txt: the id list is empty/);
    await fs.writeFile(path.join(dir, 'dup.txt'), 'a\nb\na\n');
    await expect(readIdList(path.join(dir, 'dup.txt'))).rejects.toThrow(/duplicate ids: a/);
    await expect(listFolderDataset(dir)).rejects.toThrow(/no \.jpg or \.png images/);
    await expect(listFolderDataset(path.join(dir, 'nope'))).rejects.toThrow(/nope: no such folder/);
  });
});
