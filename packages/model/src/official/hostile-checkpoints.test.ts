/**
 * Hostile .pth files: the TypeScript pickle reader runs no code, and a crafted checkpoint must
 * end in one clear TorchCheckpointError, quickly and without a giant allocation.
 */
import { describe, expect, it } from 'vitest';
import { readLegacyTorchStateDict, TorchCheckpointError } from './torch-checkpoint.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;

/** One protocol-2 pickle record around `body` (opcodes), ending in STOP. */
const record = (...body: (number | number[] | Uint8Array)[]) => Uint8Array.from([0x80, 0x02, ...body.flatMap((b) => (typeof b === 'number' ? [b] : Array.from(b))), 0x2e]);
const long1 = (v: bigint) => {
  const bytes: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) bytes.push(Number(x & 0xffn));
  return [0x8a, bytes.length, ...bytes];
};
const binunicode = (s: string) => {
  const b = new TextEncoder().encode(s);
  return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, ...b];
};
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** The magic number, protocol 1001 and an empty system-info dict: a legacy checkpoint's first three records. */
const HEADER = concat(record(long1(MAGIC)), record(0x4d, 0xe9, 0x03), record(0x7d));

/** Runs `read` and returns its error, with the time it took and the heap it grew by. */
function attempt(bytes: Uint8Array): { error: unknown; ms: number; heapMb: number } {
  const heap = process.memoryUsage().heapUsed;
  const start = performance.now();
  let error: unknown = null;
  try {
    readLegacyTorchStateDict(bytes);
  } catch (e) {
    error = e;
  }
  return { error, ms: performance.now() - start, heapMb: (process.memoryUsage().heapUsed - heap) / 2 ** 20 };
}

describe('hostile .pth files', () => {
  it('a storage declared at 10^12 elements: refused by size, nothing allocated for it', () => {
    // State dict {'w': _rebuild_tensor_v2(persistent storage '0' of 10^12 floats, 0, (10^12,), (1,))}, keys ['0'].
    const pid = [0x28, ...binunicode('storage'), 0x63, ...new TextEncoder().encode('torch\nFloatStorage\n'), ...binunicode('0'), ...binunicode('cpu'), ...long1(10n ** 12n), 0x4e, 0x74, 0x51];
    const tensor = [0x63, ...new TextEncoder().encode('torch._utils\n_rebuild_tensor_v2\n'), 0x28, ...pid, 0x4b, 0, ...long1(10n ** 12n), 0x85, 0x4b, 1, 0x85, 0x74, 0x52];
    const dict = record(0x63, ...new TextEncoder().encode('collections\nOrderedDict\n'), 0x29, 0x52, ...binunicode('w'), ...tensor, 0x73);
    const count = new Uint8Array(new BigInt64Array([10n ** 12n]).buffer);
    const { error, ms, heapMb } = attempt(concat(HEADER, dict, record(0x5d, ...binunicode('0'), 0x61), count, new Uint8Array(64)));
    expect(error).toBeInstanceOf(TorchCheckpointError);
    expect((error as Error).message).toMatch(/truncated checkpoint: storage 0 needs 4000000000000 bytes/);
    expect(ms).toBeLessThan(1000);
    expect(heapMb).toBeLessThan(200);
  });

  it('lists nested 200,000 deep: one clear error, no stack overflow', () => {
    const depth = 200_000;
    const body = new Uint8Array(2 * depth - 1);
    body.fill(0x5d, 0, depth); // EMPTY_LIST x depth
    body.fill(0x61, depth); // APPEND x (depth - 1): each list into the one below it
    const { error, ms, heapMb } = attempt(concat(HEADER, record(body), record(0x5d)));
    expect(error).toBeInstanceOf(TorchCheckpointError);
    expect((error as Error).message).toMatch(/does not hold a state dict/);
    expect(ms).toBeLessThan(2000);
    expect(heapMb).toBeLessThan(200);
  });

  it('5 million MARK opcodes: one clear error', () => {
    const marks = new Uint8Array(5_000_000).fill(0x28);
    const { error, ms, heapMb } = attempt(concat(record(marks)));
    expect(error).toBeInstanceOf(TorchCheckpointError);
    expect((error as Error).message).toMatch(/corrupt or unsupported checkpoint|not a legacy PyTorch checkpoint/);
    expect(ms).toBeLessThan(2000);
    expect(heapMb).toBeLessThan(200);
  });

  it('a Python global it does not know (code execution in a real unpickler) is refused by name', () => {
    const evil = record(0x63, ...new TextEncoder().encode('os\nsystem\n'), ...binunicode('echo pwned'), 0x85, 0x52);
    const { error } = attempt(concat(evil));
    expect((error as Error).message).toMatch(/refusing to load the Python global os\.system/);
  });
});
