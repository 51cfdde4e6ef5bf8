/** The main entry must bundle for browsers: nothing it reaches may import Node built-ins or sharp. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) reachable(path.resolve(path.dirname(file), m[1]), seen);
  return seen;
}

describe('@sinet/model browser entry', () => {
  it('reaches no node: module, sharp or the Node helpers', () => {
    const files = [...reachable(path.join(dist, 'index.js'))];
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.filter((f) => f.includes(`${path.sep}node${path.sep}`) || /['"](node:[^'"]+|sharp|fs|path)['"]/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
    expect(readdirSync(path.join(dist, 'node'))).toContain('index.js');
  });
});
