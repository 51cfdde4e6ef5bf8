import os from 'node:os';
import path from 'node:path';

/**
 * Where `sinet train` and `sinet eval --config` keep decoded samples between runs (keyed by the
 * files' content, so one cache serves every run and data set): $SINET_CACHE, else the user's
 * cache folder. Never inside or beside a run's --out, which belongs to the user.
 */
export function decodeCacheDir(): string {
  return process.env.SINET_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'sinet');
}
