/**
 * Folder datasets: images/<id>.(jpg|jpeg|png) with masks/<id>.png, optional id lists.
 * Everything is checked up front and every bad entry is named in one error.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TrainError } from '../errors.js';

export class DatasetError extends TrainError {
  constructor(message: string) {
    super(message, 'DATASET');
  }
}

export interface DatasetEntry {
  id: string;
  image: string;
  mask: string;
}

/** An entry that may have no mask: a person-free photo (listed with `masks: false`), all background. */
export type ImageEntry = Omit<DatasetEntry, 'mask'> & { mask?: string };

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/** Reads an id list: one id a line, blank lines and '#' comments ignored, extensions stripped. */
export async function readIdList(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new DatasetError(`${file}: ${e.code === 'ENOENT' ? 'no such id list' : e.message}`);
  });
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => l.replace(/\.(jpe?g|png)$/i, ''));
  if (ids.length === 0) throw new DatasetError(`${file}: the id list is empty`);
  const seen = new Set<string>();
  const duplicates = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  if (duplicates.length) throw new DatasetError(`${file}: duplicate ids: ${[...new Set(duplicates)].slice(0, 10).join(', ')}`);
  return ids;
}

/**
 * Where an id list is: as given, or, for a relative path missing from the working directory,
 * inside the dataset folder (where EG1800 keeps train.txt and val.txt).
 */
export async function resolveIdList(dataDir: string, listFile: string): Promise<string> {
  if (path.isAbsolute(listFile)) return listFile;
  const exists = (f: string) => fs.stat(f).then((st) => st.isFile(), () => false);
  if (await exists(listFile)) return listFile;
  const inDataset = path.join(dataDir, listFile);
  if (await exists(inDataset)) return inDataset;
  throw new DatasetError(`${listFile}: no such id list (looked in ${path.resolve(listFile)} and ${path.resolve(inDataset)})`);
}

/**
 * Resolves the entries of a folder dataset. Without `listFile`, every image in images/ is used;
 * a relative `listFile` is looked up in the working directory, then in `dataDir`.
 * Throws one DatasetError that names every missing image or mask.
 */
export async function listFolderDataset(dataDir: string, listFile?: string, options?: { masks?: true }): Promise<DatasetEntry[]>;
export async function listFolderDataset(dataDir: string, listFile: string | undefined, options: { masks: boolean }): Promise<ImageEntry[]>;
export async function listFolderDataset(dataDir: string, listFile?: string, options: { masks?: boolean } = {}): Promise<ImageEntry[]> {
  const withMasks = options.masks ?? true;
  const imagesDir = path.join(dataDir, 'images');
  const masksDir = path.join(dataDir, 'masks');
  for (const dir of withMasks ? [dataDir, imagesDir, masksDir] : [dataDir, imagesDir]) {
    const stat = await fs.stat(dir).catch(() => null);
    if (!stat?.isDirectory()) throw new DatasetError(`${dir}: no such folder (a dataset holds images/<id>.jpg|png${withMasks ? ' and masks/<id>.png' : ''})`);
  }
  const imageFiles = await fs.readdir(imagesDir);
  const byId = new Map<string, string>();
  for (const f of imageFiles.sort()) {
    const ext = path.extname(f).toLowerCase();
    if (IMAGE_EXTENSIONS.includes(ext)) byId.set(path.basename(f, path.extname(f)), path.join(imagesDir, f));
  }
  const ids = listFile ? await readIdList(await resolveIdList(dataDir, listFile)) : [...byId.keys()];
  if (ids.length === 0) throw new DatasetError(`${imagesDir}: no .jpg or .png images`);
  const problems: string[] = [];
  const entries: ImageEntry[] = [];
  const maskFiles = new Set(withMasks ? await fs.readdir(masksDir) : []);
  for (const id of ids) {
    const image = byId.get(id);
    const mask = path.join(masksDir, `${id}.png`);
    if (!image) problems.push(`${path.join(imagesDir, id)}.(jpg|png): missing image`);
    if (withMasks && !maskFiles.has(`${id}.png`)) problems.push(`${mask}: missing mask`);
    if (image && (!withMasks || maskFiles.has(`${id}.png`))) entries.push(withMasks ? { id, image, mask } : { id, image });
  }
  if (problems.length) {
    const shown = problems.slice(0, 20).join('\n  ');
    throw new DatasetError(`${problems.length} problem${problems.length > 1 ? 's' : ''} in ${dataDir}:\n  ${shown}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`);
  }
  return entries;
}
