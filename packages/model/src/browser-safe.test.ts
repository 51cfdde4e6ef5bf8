/** The browser entries must bundle for browsers: nothing they reach may import Node built-ins or sharp. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) reachable(path.resolve(path.dirname(file), m[1]!), seen);
  return seen;
}

describe('@sinet/model browser entries', () => {
  it.each(['index.js', 'convert.js', 'files.js'])('%s reaches no node: module, sharp or the Node helpers', (entry) => {
    const files = [...reachable(path.join(dist, entry))];
    expect(files.length).toBeGreaterThan(entry === 'index.js' ? 5 : 2);
    const offenders = files.filter((f) => f.includes(`${path.sep}node${path.sep}`) || /['"](node:[^'"]+|sharp|fs|path)['"]/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
    expect(readdirSync(path.join(dist, 'node'))).toContain('index.js');
  });
});
