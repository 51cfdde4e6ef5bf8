/**
 * Fuzzing of parsers of untrusted bytes, property-based with fast-check: inputs near a committed
 * seed corpus (valid files mutated by bit flips, overwritten bytes and 32-bit integers, insertions,
 * deletions, truncation and splices) or generated from scratch, and a property that the parser
 * either returns or throws its package's error class within a time limit, never anything else.
 * The tests run a bounded number of cases; `pnpm fuzz` sets SINET_FUZZ_RUNS / SINET_FUZZ_SECONDS
 * for long runs. A failure prints fast-check's seed and the shrunk input: make it a regression test.
 */
import fc from 'fast-check';

export { fc };

/** Cases per property: $SINET_FUZZ_RUNS, else 200 (a few seconds). */
export const FUZZ_RUNS = Number(process.env.SINET_FUZZ_RUNS ?? 200);
/** With $SINET_FUZZ_SECONDS, each property stops after that long (for `pnpm fuzz`). */
const FUZZ_MS = process.env.SINET_FUZZ_SECONDS ? 1000 * Number(process.env.SINET_FUZZ_SECONDS) : undefined;
/** A fuzz test's own time limit, plus the time `pnpm fuzz` gives each property (a test limit below it would end the run early). */
export function fuzzTimeout(ms: number): number {
  return ms + (FUZZ_MS ?? 0);
}
/** The tests' runs are repeatable (a fixed seed, $SINET_FUZZ_SEED to change it); `pnpm fuzz` draws a new one each time. */
const FUZZ_SEED = FUZZ_MS ? undefined : Number(process.env.SINET_FUZZ_SEED ?? 20261202);

type Mutation = { kind: 'flip' | 'byte' | 'int32' | 'insert' | 'delete' | 'truncate' | 'splice'; at: number; value: number };

function mutate(seed: Uint8Array, mutations: Mutation[], other: Uint8Array): Uint8Array {
  let bytes = Uint8Array.from(seed);
  for (const m of mutations) {
    const at = bytes.length ? m.at % bytes.length : 0;
    switch (m.kind) {
      case 'flip':
        if (bytes.length) bytes[at]! ^= 1 << (m.value & 7);
        break;
      case 'byte':
        if (bytes.length) bytes[at] = m.value & 255;
        break;
      case 'int32': {
        // Lengths and counts: small, huge and negative ones.
        const v = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffb, m.value][m.value % 7]!;
        const out = Uint8Array.from(bytes);
        for (let k = 0; k < 4 && at + k < out.length; k++) out[at + k] = (v >>> (8 * k)) & 255;
        bytes = out;
        break;
      }
      case 'insert':
        bytes = Uint8Array.from([...bytes.subarray(0, at), m.value & 255, ...bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + (m.value % 16))]);
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
      case 'splice':
        if (other.length) bytes = Uint8Array.from([...bytes.subarray(0, at), ...other.subarray(m.value % other.length)]);
        break;
    }
  }
  return bytes;
}

/** Byte strings near the corpus: a seed with up to 6 mutations, or (one case in ten) random bytes. */
export function mutatedBytes(corpus: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (corpus.length === 0) throw new Error('mutatedBytes: an empty corpus');
  const mutation = fc.record({ kind: fc.constantFrom('flip', 'byte', 'int32', 'insert', 'delete', 'truncate', 'splice'), at: fc.nat(), value: fc.nat() }) as fc.Arbitrary<Mutation>;
  const near = fc.tuple(fc.nat(corpus.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.nat(corpus.length - 1)).map(([i, ms, j]) => mutate(corpus[i]!, ms, corpus[j]!));
  return fc.oneof({ weight: 9, arbitrary: near }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) });
}

/** JSON text near the corpus: a seed's parsed value with a random subtree replaced by any JSON value, or the seed's text mutated. */
export function mutatedJson(corpus: string[]): fc.Arbitrary<string> {
  const values = corpus.map((t) => JSON.parse(t) as unknown);
  const replaceAt = (value: unknown, path: number[], replacement: unknown): unknown => {
    if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return replacement;
    const [key, child] = entries[path[0]! % entries.length]!;
    const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
    copy[key] = replaceAt(child, path.slice(1), replacement);
    return copy;
  };
  const structural = fc.tuple(fc.nat(values.length - 1), fc.array(fc.nat(), { maxLength: 6 }), fc.jsonValue({ maxDepth: 3 })).map(([i, path, replacement]) => JSON.stringify(replaceAt(values[i], path, replacement)));
  const textual = mutatedBytes(corpus.map((t) => new TextEncoder().encode(t))).map((b) => new TextDecoder().decode(b));
  return fc.oneof(structural, textual);
}

/**
 * Asserts `run(input)` for generated inputs: it must return, or throw an instance of one of
 * `allowed`, within `timeoutMs`; any other throw (TypeError, RangeError, a stack overflow) fails
 * with the input that caused it.
 */
export async function fuzz<T>(arbitrary: fc.Arbitrary<T>, allowed: readonly (abstract new (...args: never[]) => Error)[], run: (input: T) => unknown, options: { runs?: number; timeoutMs?: number } = {}): Promise<void> {
  let yielded = Date.now();
  const property = fc.asyncProperty(arbitrary, async (input) => {
    // Back to the event loop now and then: cases that never wait would starve vitest's worker messages ("Timeout calling onTaskUpdate").
    if (Date.now() - yielded > 100) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      yielded = Date.now();
    }
    try {
      await run(input);
    } catch (e) {
      if (allowed.some((cls) => e instanceof cls)) return;
      throw e;
    }
  });
  await fc.assert(property, { numRuns: options.runs ?? FUZZ_RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }), ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}), ...(FUZZ_MS ? { interruptAfterTimeLimit: FUZZ_MS, numRuns: Number.MAX_SAFE_INTEGER } : {}) });
}
