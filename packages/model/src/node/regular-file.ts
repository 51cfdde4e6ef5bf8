import { constants, promises as fs } from 'node:fs';

/**
 * Reads a regular file of at most `limit` bytes: its kind and size are checked before and after
 * opening, so a FIFO, a device (/dev/zero) or a growing file is refused, never read until memory
 * runs out. `fail` makes the caller's error from the reason.
 */
export async function readRegularFile(file: string, limit: number, fail: (reason: string) => Error): Promise<Buffer> {
  const before = await fs.stat(file).catch((e: NodeJS.ErrnoException) => {
    throw fail(e.code === 'ENOENT' ? 'no such file' : e.message);
  });
  if (!before.isFile()) throw fail('not a regular file');
  if (before.size > limit) throw fail(`${before.size} bytes, more than the ${limit} bytes allowed`);
  // O_NONBLOCK: a FIFO swapped in after the check must not block the open.
  const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.size > limit) throw fail('changed while being opened');
    const data = Buffer.alloc(opened.size);
    const { bytesRead } = await handle.read(data, 0, opened.size, 0);
    if (bytesRead !== opened.size) throw fail(`shorter than its size (${bytesRead} of ${opened.size} bytes)`);
    return data;
  } finally {
    await handle.close();
  }
}
