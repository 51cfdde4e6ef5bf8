import { constants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Makes the folder's entries (a rename into it) durable: without it a power cut after the rename
 * can bring back the old name. Platforms that cannot open a folder for syncing (Windows) skip it.
 */
export async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (e) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Creates a folder and its parents. Node reports a read-only or unwritable ancestor as ENOENT for
 * a recursive mkdir; this finds and throws the real cause (EROFS, EACCES) instead.
 */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let existing = path.dirname(path.resolve(dir));
    while (!existsSync(existing) && existing !== path.dirname(existing)) existing = path.dirname(existing);
    await fs.access(existing, constants.W_OK).catch((cause: NodeJS.ErrnoException) => {
      // A file-system error shaped like Node's own (code, path), so callers handle it as one.
      // eslint-disable-next-line no-restricted-syntax
      throw Object.assign(new Error(`${cause.code}: cannot create ${dir}: ${existing} is ${cause.code === 'EROFS' ? 'on a read-only file system' : 'not writable'}`), { code: cause.code, path: dir });
    });
    throw e;
  }
}

/** Writes through a temporary file in the same folder and renames it, so readers never see half a file. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await makeFolder(path.dirname(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await syncFolder(path.dirname(file));
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
