import { freshDir } from '@sinet/test-utils';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { syncFolder, writeFileAtomic } from './atomic.js';

describe('writeFileAtomic', () => {
  it('writes the file whole, then syncs the file and, after the rename, its folder', async () => {
    const dir = freshDir('sinet-atomic-');
    const file = path.join(dir, 'state.json');
    const events: string[] = [];
    const open = fs.open.bind(fs);
    const rename = fs.rename.bind(fs);
    const openSpy = vi.spyOn(fs, 'open').mockImplementation(async (p, flags) => {
      const handle = await open(p, flags);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        events.push(`sync ${path.relative(dir, String(p)) || '.'}`);
        return sync();
      };
      return handle;
    });
    const renameSpy = vi.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      events.push(`rename -> ${path.relative(dir, String(to))}`);
      return rename(from, to);
    });
    try {
      await writeFileAtomic(file, '{"a":1}');
    } finally {
      openSpy.mockRestore();
      renameSpy.mockRestore();
    }
    expect(await fs.readFile(file, 'utf8')).toBe('{"a":1}');
    expect(events.map((e) => e.replace(/sync \..*\.tmp$/, 'sync tmp'))).toEqual(['sync tmp', 'rename -> state.json', 'sync .']);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('syncFolder reports a missing folder', async () => {
    await expect(syncFolder(path.join(freshDir('sinet-atomic-'), 'gone'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
