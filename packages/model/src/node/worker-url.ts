/** Where a worker script compiled next to a module is; tests run the sources, so fall back to dist/. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../errors.js';

export function compiledWorkerUrl(file: string, from: string): URL {
  const here = new URL(file, from);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(here.href.replace(/\/src\/(.*)$/, '/dist/$1'));
  if (existsSync(fileURLToPath(built))) return built;
  throw new ModelError(`worker script not found at ${fileURLToPath(here)}; build the package first (pnpm build)`, 'DEPENDENCY');
}
