/**
 * Locating ../shared (official weights, parity fixtures, EG1800). Tests that need it skip with a
 * message where it is absent, except under CI=true, where absence is a failure.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared folder: $SINET_SHARED, else ../shared beside the repository root. */
export function sharedRoot(): string {
  return process.env.SINET_SHARED ? path.resolve(process.env.SINET_SHARED) : path.resolve(repoRoot, '..', 'shared');
}

export function sharedPath(...parts: string[]): string {
  return path.join(sharedRoot(), ...parts);
}

export const OFFICIAL_WEIGHTS = ['reference', 'sinet-official', 'SINet.pth'];
export const PARITY_DIR = ['reference', 'sinet-official', 'parity'];
export const EG1800 = ['datasets', 'eg1800'];

/**
 * True when every path exists. Otherwise false with a note on what to provide,
 * or, under CI=true, an error: CI must never skip these tests silently.
 */
export function haveShared(what: string, ...relative: string[][]): boolean {
  const missing = relative.map((r) => sharedPath(...r)).filter((p) => !existsSync(p));
  if (missing.length === 0) return true;
  const message = `${what} needs ${missing.join(', ')}: put the SINet.js shared data beside the repository (../shared) or set SINET_SHARED`;
  if (process.env.CI === 'true') throw new Error(`CI=true and shared data is missing. ${message}`);
  console.warn(`skipping: ${message}`);
  return false;
}

export { repoRoot };
