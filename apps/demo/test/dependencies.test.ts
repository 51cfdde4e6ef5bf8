/** What a visitor's page is built from: the demo's production dependency tree, as installed. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const demoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Finds an installed package the way Node does: in node_modules of the folder and its ancestors. */
function locate(name: string, from: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return null;
  }
}

/** Every package reachable through `dependencies` and `optionalDependencies` (not dev, not peers). */
function productionTree(root: string): Set<string> {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = locate(name, dir);
      if (!found || seen.has(found)) continue;
      seen.add(found);
      visit(found);
    }
  };
  visit(root);
  return new Set([...seen].map((dir) => (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest).name));
}

describe('the demo\'s production dependencies', () => {
  it('hold our libraries and tfjs, and neither the CLI nor its Node-only packages (sharp, zod)', () => {
    const names = productionTree(demoDir);
    expect([...names]).toEqual(expect.arrayContaining(['@sinet/model', '@sinet/train', '@tensorflow/tfjs-core']));
    expect([...names].filter((n) => n === 'sharp' || n === 'zod' || n === '@sinet/cli' || n.startsWith('@img/'))).toEqual([]);
  });
});
