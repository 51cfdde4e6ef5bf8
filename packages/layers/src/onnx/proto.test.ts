/** The protobuf codec against bytes computed by hand from the wire format's definition. */
import { fuzz, mutatedBytes } from '@sinet/test-utils';
import { describe, expect, it } from 'vitest';
import { LayersError } from '../errors.js';
import { decodeOnnxModel, encodeOnnxModel, type OnnxModel } from './proto.js';

const model = (fields: Partial<OnnxModel>) => fields as OnnxModel;
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('ONNX protobuf codec', () => {
  it('writes varints, strings and nested messages as the wire format defines them', () => {
    // Field 1 (ir_version), varint: tag 0x08; 8 -> 08; 300 -> ac 02.
    expect(hex(encodeOnnxModel(model({ irVersion: 8 })))).toBe('08 08');
    expect(hex(encodeOnnxModel(model({ irVersion: 300 })))).toBe('08 ac 02');
    // Field 2 (producer_name), length-delimited: tag 0x12, length 2, 'ab'.
    expect(hex(encodeOnnxModel(model({ producerName: 'ab' })))).toBe('12 02 61 62');
    // Field 8 (opset_import), a message { domain: '' (1), version: 17 (2) }: tag 0x42.
    expect(hex(encodeOnnxModel(model({ opsetImport: [{ domain: '', version: 17 }] })))).toBe('42 04 0a 00 10 11');
  });

  it('packs repeated numbers, writes floats little-endian and negative int64 in ten bytes', () => {
    const bytes = encodeOnnxModel(
      model({ graph: { name: '', node: [{ input: [], output: [], name: '', opType: '', attribute: [{ name: 'a', type: 7, ints: [1, -1], f: 1.5 }] }], initializer: [], input: [], output: [] } }),
    );
    // graph (7) > node (1) > attribute (5), fields in the object's order: name 'a' (1), type 7
    // (field 20: tag a0 01), ints packed [1, -1] (field 8: 01, then ff x9 01), f = 1.5 (field 2, fixed32 3f c0 00 00).
    const attribute = '2a 18 0a 01 61 a0 01 07 42 0b 01 ff ff ff ff ff ff ff ff ff 01 15 00 00 c0 3f';
    expect(hex(bytes)).toContain(attribute);
    const back = decodeOnnxModel(bytes);
    expect(back.graph.node[0]!.attribute[0]).toEqual({ name: 'a', type: 7, ints: [1, -1], f: 1.5, floats: [], strings: [] });
  });

  it('reads back what it writes, skipping fields outside its subset', () => {
    const original = model({ irVersion: 8, producerName: 'p', opsetImport: [{ domain: '', version: 17 }], metadataProps: [{ key: 'k', value: 'v' }] });
    const bytes = encodeOnnxModel(original);
    // An unknown field 20 (varint 5) and 21 (length-delimited 'xy') in front.
    const withUnknown = Uint8Array.from([0xa0, 0x01, 0x05, 0xaa, 0x01, 0x02, 0x78, 0x79, ...bytes]);
    expect(decodeOnnxModel(withUnknown)).toEqual({ ...original, opsetImport: [{ domain: '', version: 17 }] });
    expect(() => decodeOnnxModel(Uint8Array.from([0x08]))).toThrow(/truncated varint/);
  });

  it('the ONNX codec reads what it writes and refuses damaged files by name', async () => {
    const small: OnnxModel = {
      irVersion: 8, producerName: 'fuzz', producerVersion: '1', opsetImport: [{ domain: '', version: 17 }], metadataProps: [{ key: 'k', value: 'v' }],
      graph: {
        name: 'g', node: [{ input: ['x', 'w'], output: ['y'], name: 'conv', opType: 'Conv', attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }, { name: 'alpha', type: 1, f: 0.25 }] }],
        initializer: [{ name: 'w', dims: [1, 1, 3, 3], dataType: 1, rawData: new Uint8Array(36) }], input: [{ name: 'x' }], output: [{ name: 'y' }],
      },
    } as OnnxModel;
    const seed = encodeOnnxModel(small);
    expect(decodeOnnxModel(seed).graph.node[0]!.opType).toBe('Conv');
    await fuzz(mutatedBytes([seed]), [LayersError], (bytes) => decodeOnnxModel(bytes));
  }, 60_000);
});
