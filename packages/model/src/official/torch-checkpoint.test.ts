import { haveShared, OFFICIAL_WEIGHTS, PARITY_DIR, repoRoot, sharedPath } from '@sinet/test-utils';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLegacyTorchStateDict, TorchCheckpointError } from './torch-checkpoint.js';

describe('reading checkpoints: malformed input', () => {
  it('rejects zip-format, non-pickle and truncated files with a clear reason', () => {
    expect(() => readLegacyTorchStateDict(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toThrow(/zip-format checkpoint/);
    expect(() => readLegacyTorchStateDict(new TextEncoder().encode('{"not": "a checkpoint"}'))).toThrow(/not a PyTorch checkpoint/);
    expect(() => readLegacyTorchStateDict(new Uint8Array(0))).toThrow(TorchCheckpointError);
    // A pickle whose first record is not the legacy magic number.
    expect(() => readLegacyTorchStateDict(Uint8Array.from([0x80, 0x02, 0x4b, 0x07, 0x2e]))).toThrow(/wrong magic number/);
  });
});

describe('reading checkpoints: what fuzzing found (src/fuzz.test.ts)', () => {
  const seed = () => new Uint8Array(readFileSync(path.join(repoRoot, 'packages', 'model', 'fuzz', 'tiny-legacy.pth.bin')));
  const find = (bytes: Uint8Array, pattern: number[]) => bytes.findIndex((_, i) => pattern.every((b, k) => bytes[i + k] === b));

  it('the seed reads as the three tensors it was written with', () => {
    const sd = readLegacyTorchStateDict(seed());
    expect(Array.from(sd.get('conv.weight')!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sd.get('bn.num_batches_tracked')!.data[0]).toBe(7n);
    expect(sd.get('bn.running_var')!.shape).toEqual([2]);
  });

  it('a storage of -1 elements (was a RangeError)', () => {
    const bytes = seed();
    // The first storage's element count (int64) follows the key list's STOP: 6 float32 values.
    const at = find(bytes, [6, 0, 0, 0, 0, 0, 0, 0]);
    bytes.fill(0xff, at, at + 8);
    expect(() => readLegacyTorchStateDict(bytes)).toThrow(/corrupt checkpoint: storage 0 claims -1 elements/);
  });

  it('a magic number that is a dict (was a SyntaxError from BigInt)', () => {
    expect(() => readLegacyTorchStateDict(Uint8Array.from([0x80, 0x02, 0x7d, 0x2e]))).toThrow(/wrong magic number/);
  });

  it('a tensor whose shape is a number, not a tuple (was a TypeError)', () => {
    const bytes = seed();
    // conv.weight's (offset 0, shape (2, 3)): BININT1 0, BININT1 2, BININT1 3, TUPLE2; POP instead of TUPLE2 leaves shape = 2.
    const at = find(bytes, [0x4b, 0, 0x4b, 2, 0x4b, 3, 0x86]);
    bytes[at + 6] = 0x30;
    expect(() => readLegacyTorchStateDict(bytes)).toThrow(/tensor 'conv\.weight' has a malformed shape, stride or offset/);
  });
});

describe.runIf(haveShared('official checkpoint tests', OFFICIAL_WEIGHTS, PARITY_DIR))('the official SINet.pth', () => {
  const bytes = () => new Uint8Array(readFileSync(sharedPath(...OFFICIAL_WEIGHTS)));
  const manifest = () => JSON.parse(readFileSync(sharedPath(...PARITY_DIR, 'manifest.json'), 'utf8')) as { state_dict_keys: Record<string, number[]>; parameter_count: number };

  it('has the 393 entries of the manifest, in order, with their shapes', () => {
    const sd = readLegacyTorchStateDict(bytes());
    const expected = manifest().state_dict_keys;
    expect([...sd.keys()]).toEqual(Object.keys(expected));
    for (const [key, tensor] of sd) expect(tensor.shape, key).toEqual(expected[key]);
  });

  it('holds 335 float32 tensors with 86,910 parameters and 58 int64 counters', () => {
    const sd = readLegacyTorchStateDict(bytes());
    const floats = [...sd].filter(([, t]) => t.dtype === 'float32');
    const longs = [...sd].filter(([, t]) => t.dtype === 'int64');
    expect(floats.length).toBe(335);
    expect(longs.length).toBe(58);
    const parameters = floats.filter(([k]) => !/running_(mean|var)$/.test(k)).reduce((n, [, t]) => n + t.data.length, 0);
    expect(parameters).toBe(manifest().parameter_count);
    for (const [k, t] of floats) if (k.endsWith('running_var')) expect(Math.min(...(t.data as Float32Array)), k).toBeGreaterThan(0);
  });

  it('reports a truncated copy as truncated, naming the missing storage', () => {
    const whole = bytes();
    expect(() => readLegacyTorchStateDict(whole.subarray(0, whole.length - 1000))).toThrow(/truncated checkpoint: storage \S+ needs/);
    expect(() => readLegacyTorchStateDict(whole.subarray(0, 5000))).toThrow(/corrupt or unsupported checkpoint/);
  });
});
