import { describe, expect, it } from 'vitest';
import { checkCommand, parseArgsOptions, usage, type CommandSpec } from './command-table.js';
import { main } from './main.js';

const table = {
  copy: { args: '<from> <to>', positionals: { min: 2, max: 2, message: 'copy takes two paths' }, options: { out: { type: 'string', value: '<dir>', required: true }, force: { type: 'boolean' } }, run: null },
  list: { options: { json: { type: 'boolean' }, out: { type: 'string', value: '<dir>' } }, run: null },
} satisfies Record<string, CommandSpec<null>>;

describe('the command table', () => {
  it('derives usage, parseArgs options and every check from one row per command', () => {
    const text = usage(table);
    expect(text).toContain('  sinet copy <from> <to> --out <dir> [--force]');
    expect(text).toContain('  sinet list [--json] [--out <dir>]');
    expect(parseArgsOptions(table)).toMatchObject({ out: { type: 'string' }, force: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, backend: { type: 'string' } });
    expect(() => checkCommand('copy', table.copy, { out: 'x', force: true, backend: 'wasm' }, ['a', 'b'])).not.toThrow();
    expect(() => checkCommand('copy', table.copy, { out: 'x', json: true }, ['a', 'b'])).toThrow(/copy does not take --json/);
    expect(() => checkCommand('copy', table.copy, { force: true }, ['a', 'b'])).toThrow(/copy needs --out/);
    expect(() => checkCommand('copy', table.copy, { out: 'x' }, ['a'])).toThrow(/copy takes two paths/);
    expect(() => checkCommand('list', table.list, { json: false }, ['extra'])).toThrow(/list takes no positional arguments, got extra/);
    // An option name with two types would make parseArgs ambiguous: refused when the table is read.
    expect(() => parseArgsOptions({ ...table, other: { options: { force: { type: 'string' } }, run: null } })).toThrow(/--force is both boolean and string/);
  });

  it('the real table: help lists every command, and a usage mistake is named before any backend starts', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => undefined };
    expect(await main(['--help'], io)).toBe(0);
    for (const command of ['convert', 'info', 'segment', 'eval', 'bench', 'quickstart', 'train', 'synth', 'augment-preview']) expect(out[0]).toContain(`  sinet ${command} `);
    await expect(main(['eval', '--model', 'm', '--backend', 'no-such-backend'], io)).rejects.toThrow(/eval needs --data/);
  });
});
