/**
 * The part of ONNX's protobuf schema (onnx/onnx.proto, IR version 8) that an inference graph of
 * dense float tensors needs, with field numbers as in the schema, and a small codec of the
 * protobuf wire format for it. Our own rather than protobufjs: protobufjs compiles its encoders
 * with `new Function`, which a Content-Security-Policy without 'unsafe-eval' (the demo's) forbids.
 * The files are checked by onnx's own parser (python3-onnx) and by onnxruntime in the tests.
 */
import { LayersError } from '../errors.js';

/** An ONNX file the codec cannot read, or a message it cannot write: named, never a crash. */
export class OnnxFormatError extends LayersError {
  constructor(message: string) {
    super(message, 'ONNX_FORMAT');
  }
}

type Scalar = 'int32' | 'int64' | 'float' | 'string' | 'bytes';
interface FieldSpec {
  id: number;
  type: Scalar | MessageName;
  repeated?: boolean;
}
type MessageName =
  | 'ModelProto' | 'GraphProto' | 'NodeProto' | 'AttributeProto' | 'TensorProto' | 'ValueInfoProto' | 'TypeProto'
  | 'TypeProtoTensor' | 'TensorShapeProto' | 'Dimension' | 'OperatorSetIdProto' | 'StringStringEntryProto';

const one = (id: number, type: FieldSpec['type']): FieldSpec => ({ id, type });
const many = (id: number, type: FieldSpec['type']): FieldSpec => ({ id, type, repeated: true });

const SCHEMA = {
  ModelProto: {
    irVersion: one(1, 'int64'),
    producerName: one(2, 'string'),
    producerVersion: one(3, 'string'),
    domain: one(4, 'string'),
    modelVersion: one(5, 'int64'),
    docString: one(6, 'string'),
    graph: one(7, 'GraphProto'),
    opsetImport: many(8, 'OperatorSetIdProto'),
    metadataProps: many(14, 'StringStringEntryProto'),
  },
  GraphProto: {
    node: many(1, 'NodeProto'),
    name: one(2, 'string'),
    initializer: many(5, 'TensorProto'),
    docString: one(10, 'string'),
    input: many(11, 'ValueInfoProto'),
    output: many(12, 'ValueInfoProto'),
    valueInfo: many(13, 'ValueInfoProto'),
  },
  NodeProto: {
    input: many(1, 'string'),
    output: many(2, 'string'),
    name: one(3, 'string'),
    opType: one(4, 'string'),
    attribute: many(5, 'AttributeProto'),
    docString: one(6, 'string'),
    domain: one(7, 'string'),
  },
  AttributeProto: {
    name: one(1, 'string'),
    f: one(2, 'float'),
    i: one(3, 'int64'),
    s: one(4, 'bytes'),
    t: one(5, 'TensorProto'),
    floats: many(7, 'float'),
    ints: many(8, 'int64'),
    strings: many(9, 'bytes'),
    docString: one(13, 'string'),
    // AttributeType enum: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7, STRINGS 8.
    type: one(20, 'int32'),
  },
  TensorProto: {
    dims: many(1, 'int64'),
    // DataType enum: FLOAT 1, INT32 6, INT64 7.
    dataType: one(2, 'int32'),
    floatData: many(4, 'float'),
    int32Data: many(5, 'int32'),
    int64Data: many(7, 'int64'),
    name: one(8, 'string'),
    rawData: one(9, 'bytes'),
    docString: one(12, 'string'),
  },
  ValueInfoProto: { name: one(1, 'string'), type: one(2, 'TypeProto'), docString: one(3, 'string') },
  TypeProto: { tensorType: one(1, 'TypeProtoTensor'), denotation: one(6, 'string') },
  TypeProtoTensor: { elemType: one(1, 'int32'), shape: one(2, 'TensorShapeProto') },
  TensorShapeProto: { dim: many(1, 'Dimension') },
  Dimension: { dimValue: one(1, 'int64'), dimParam: one(2, 'string'), denotation: one(3, 'string') },
  OperatorSetIdProto: { domain: one(1, 'string'), version: one(2, 'int64') },
  StringStringEntryProto: { key: one(1, 'string'), value: one(2, 'string') },
} satisfies Record<MessageName, Record<string, FieldSpec>>;

const isMessage = (type: FieldSpec['type']): type is MessageName => type in SCHEMA;
const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
const wireType = (type: FieldSpec['type']) => (isMessage(type) || type === 'string' || type === 'bytes' ? WIRE.bytes : type === 'float' ? WIRE.fixed32 : WIRE.varint);

/** Appends protobuf wire data to a growing byte list. */
class Writer {
  private chunks: Uint8Array[] = [];
  private bytes: number[] = [];
  length = 0;

  varint(value: number | bigint): void {
    // Negative int32/int64 values take ten bytes (two's complement over 64 bits).
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      this.byte(v > 0n ? byte | 0x80 : byte);
    } while (v > 0n);
  }

  float(value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.raw(b);
  }

  raw(data: Uint8Array): void {
    this.flush();
    this.chunks.push(data);
    this.length += data.length;
  }

  private byte(b: number): void {
    this.bytes.push(b);
    this.length++;
  }

  private flush(): void {
    if (this.bytes.length) this.chunks.push(Uint8Array.from(this.bytes));
    this.bytes = [];
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

const utf8 = new TextEncoder();

function writeScalar(w: Writer, type: Scalar, value: unknown): void {
  if (type === 'float') w.float(value as number);
  else if (type === 'string' || type === 'bytes') {
    const data = type === 'string' ? utf8.encode(value as string) : (value as Uint8Array);
    w.varint(data.length);
    w.raw(data);
  } else w.varint(value as number);
}

function encodeMessage(name: MessageName, message: Record<string, unknown>): Uint8Array {
  const w = new Writer();
  const fields = SCHEMA[name] as Record<string, FieldSpec>;
  for (const [key, value] of Object.entries(message)) {
    if (value === undefined || value === null) continue;
    const field = fields[key];
    if (!field) throw new OnnxFormatError(`ONNX ${name} has no field '${key}'`);
    const values = field.repeated ? (value as unknown[]) : [value];
    if (field.repeated && !Array.isArray(value)) throw new OnnxFormatError(`ONNX ${name}.${key} must be a list`);
    const wire = wireType(field.type);
    if (field.repeated && wire !== WIRE.bytes) {
      // Repeated numbers are packed (proto3's default): one length-delimited run.
      if (values.length === 0) continue;
      const packed = new Writer();
      for (const v of values) writeScalar(packed, field.type as Scalar, v);
      w.varint((field.id << 3) | WIRE.bytes);
      w.varint(packed.length);
      w.raw(packed.finish());
      continue;
    }
    for (const v of values) {
      w.varint((field.id << 3) | wire);
      if (isMessage(field.type)) {
        const body = encodeMessage(field.type, v as Record<string, unknown>);
        w.varint(body.length);
        w.raw(body);
      } else writeScalar(w, field.type, v);
    }
  }
  return w.finish();
}

class Reader {
  at = 0;
  constructor(private readonly data: Uint8Array, private readonly end = data.length) {}

  get done(): boolean {
    return this.at >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.at >= this.end) throw new OnnxFormatError('ONNX file: truncated varint');
      const byte = this.data[this.at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      if (shift > 63n) throw new OnnxFormatError('ONNX file: varint too long');
    }
  }

  take(length: number): Uint8Array {
    if (this.at + length > this.end) throw new OnnxFormatError('ONNX file: truncated field');
    const out = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}

const utf8Decoder = new TextDecoder();

function readScalar(r: Reader, type: Scalar): unknown {
  if (type === 'float') return new DataView(r.take(4).slice().buffer).getFloat32(0, true);
  if (type === 'string') return utf8Decoder.decode(r.take(Number(r.varint())));
  if (type === 'bytes') return r.take(Number(r.varint())).slice();
  const v = r.varint();
  return Number(type === 'int32' ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v));
}

function decodeMessage(name: MessageName, data: Uint8Array): Record<string, unknown> {
  const byId = new Map(Object.entries(SCHEMA[name] as Record<string, FieldSpec>).map(([key, f]) => [f.id, [key, f] as const]));
  const out: Record<string, unknown> = {};
  for (const [key, f] of byId.values()) if (f.repeated) out[key] = [];
  const r = new Reader(data);
  while (!r.done) {
    const tag = Number(r.varint());
    const id = tag >>> 3;
    const wire = tag & 7;
    const known = byId.get(id);
    if (!known) {
      // Fields outside this subset are skipped by their wire type.
      if (wire === WIRE.varint) r.varint();
      else if (wire === WIRE.fixed64) r.take(8);
      else if (wire === WIRE.fixed32) r.take(4);
      else if (wire === WIRE.bytes) r.take(Number(r.varint()));
      else throw new OnnxFormatError(`ONNX file: unsupported wire type ${wire}`);
      continue;
    }
    const [key, field] = known;
    const push = (v: unknown) => {
      if (field.repeated) (out[key] as unknown[]).push(v);
      else out[key] = v;
    };
    if (isMessage(field.type)) push(decodeMessage(field.type, r.take(Number(r.varint()))));
    else if (field.repeated && wire === WIRE.bytes && wireType(field.type) !== WIRE.bytes) {
      const packed = new Reader(r.take(Number(r.varint())));
      while (!packed.done) push(readScalar(packed, field.type));
    } else push(readScalar(r, field.type));
  }
  return out;
}

export const TENSOR_TYPE = { float: 1, int32: 6, int64: 7 } as const;
export const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

/** ONNX IR version 8 (ONNX 1.12 and later read it) and the default-domain opset the graphs use. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

// Plain-object views of the messages, as the exporter writes and the tests read them.
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}
export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: OnnxAttribute[];
}
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}
export interface OnnxValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
}
export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  docString?: string;
}
export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  modelVersion?: number;
  docString?: string;
  graph: OnnxGraph;
  opsetImport: { domain: string; version: number }[];
  metadataProps: { key: string; value: string }[];
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  return encodeMessage('ModelProto', model as unknown as Record<string, unknown>);
}

/** Decodes an .onnx file's bytes (the fields of the subset above) to plain objects; int64 as numbers. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  return decodeMessage('ModelProto', bytes) as unknown as OnnxModel;
}
