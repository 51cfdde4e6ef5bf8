/**
 * One trainer per run folder: `<out>/.lock` holds the owner's pid, host and start time, created
 * exclusively. A lock whose process is gone on this host (a kill -9) is stale and taken over;
 * a live one, or one from another host (which cannot be checked), refuses the run.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrainingError } from '../errors.js';

export const LOCK_FILE = '.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the run folder's lock (the folder must exist); resolves with its release. */
export async function lockRunFolder(out: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const file = path.join(out, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(me), { flag: 'wx' });
      return async () => {
        const owner = await fs.readFile(file, 'utf8').catch(() => '');
        if (owner === JSON.stringify(me)) await fs.rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: Partial<LockOwner> = {};
    try {
      owner = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LockOwner>;
    } catch {
      // Unreadable (a crash while writing it): treated as stale below.
    }
    const known = Number.isInteger(owner.pid) && typeof owner.host === 'string';
    if (known && (owner.host !== me.host || alive(owner.pid!))) {
      const where = owner.host === me.host ? `pid ${owner.pid}` : `pid ${owner.pid} on host ${owner.host}`;
      throw new TrainingError(`${out} is in use by another trainer (${where}, since ${owner.since ?? 'an unknown time'}): wait for it to end or stop it${owner.host === me.host ? '' : `; if it is gone, delete ${file}`}`);
    }
    log(`removing a stale lock of ${known ? `pid ${owner.pid}, which is no longer running` : 'an unreadable owner'} (${file})`);
    await fs.rm(file, { force: true });
  }
  throw new TrainingError(`${file}: could not take the lock (another trainer took it at the same moment)`);
}
