import { describe, expect, it } from 'vitest';
import { PickleError, unpickle } from './pickle.js';
import { readLegacyTorchStateDict } from './torch-checkpoint.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));
// pickle.dumps(OrderedDict([('w', (1, -2, 300, 70000, 2**70, -1.5, 'é', None, True, False)), ('l', [1, 2, 3])]), protocol=2)
const ORDERED =
  '800263636f6c6c656374696f6e730a4f726465726564446963740a710029527101285801000000777102284b014afeffffff4d2c014a701101008a0900000000000000004047bff80000000000005802000000c3a971034e888974710458010000006c71055d7106284b014b024b0365752e';
// pickle.dumps({'k': [b'xy']}, protocol=2): bytes go through _codecs.encode in protocol 2.
const WITH_CODECS = '80027d710058010000006b71015d7102635f636f646563730a656e636f64650a710358020000007879710458060000006c6174696e31710586710652710761732e';

const findClass = (module: string, name: string) => (module === 'collections' && name === 'OrderedDict' ? () => new Map() : undefined);

describe('unpickle', () => {
  it('decodes ints of every width, big longs, floats, unicode, None/True/False, tuples, lists and OrderedDict', () => {
    const bytes = hex(ORDERED);
    const { value, end } = unpickle(bytes, 0, { findClass });
    expect(end).toBe(bytes.length);
    expect(value).toEqual(
      new Map<string, unknown>([
        ['w', [1, -2, 300, 70000, 2n ** 70n, -1.5, 'é', null, true, false]],
        ['l', [1, 2, 3]],
      ]),
    );
  });

  it('never calls a Python global it does not know', () => {
    expect(() => unpickle(hex(WITH_CODECS), 0, { findClass })).toThrow(/refusing to load the Python global _codecs\.encode/);
  });

  it('refuses negative lengths (LONG4, BINSTRING) instead of reading backwards forever', () => {
    // PROTO 2, BINSTRING of length -5, STOP: 8 bytes that used to loop until memory ran out.
    expect(() => unpickle(hex('800254fbffffff2e'), 0, { findClass })).toThrow(new PickleError('negative length -5 at offset 7'));
    expect(() => unpickle(hex('80028bffffffff2e'), 0, { findClass })).toThrow(/negative length -1 at offset 7/);
    expect(() => readLegacyTorchStateDict(hex('800254fbffffff2e'))).toThrow(/negative length/);
  });

  it('refuses a STACK_GLOBAL whose module or name is not a string (found by pnpm fuzz: a MARK there was a TypeError)', () => {
    // PROTO 2, MARK, MARK, STACK_GLOBAL, STOP.
    expect(() => unpickle(hex('80022828932e'), 0, { findClass })).toThrow(/STACK_GLOBAL of a non-string module or name/);
    expect(() => readLegacyTorchStateDict(hex('80022828932e'))).toThrow(/STACK_GLOBAL of a non-string module or name/);
  });

  it('reports truncated data and unknown opcodes with their offset', () => {
    expect(() => unpickle(hex(ORDERED).subarray(0, 40), 0, { findClass })).toThrow(PickleError);
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0xff]), 0, { findClass })).toThrow(/unsupported pickle opcode 0xff at offset 2/);
  });
});
