/**
 * The part of ONNX's protobuf schema (onnx/onnx.proto, IR version 8) that an inference graph of
 * dense float tensors needs, as a protobufjs reflection root. Field numbers are the schema's.
 */
import protobuf from 'protobufjs/light.js';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id, ...(type === 'string' || type === 'bytes' || /^[A-Z]/.test(type) ? {} : { options: { packed: true } }) });

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            docString: { type: 'string', id: 13 },
            // AttributeType enum: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7, STRINGS 8.
            type: { type: 'int32', id: 20 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, docString: { type: 'string', id: 3 } } },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: repeated('AttributeProto', 5),
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: repeated('OperatorSetIdProto', 8),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: repeated('TensorProto', 5),
            docString: { type: 'string', id: 10 },
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            // DataType enum: FLOAT 1, INT32 6, INT64 7.
            dataType: { type: 'int32', id: 2 },
            floatData: repeated('float', 4),
            int32Data: repeated('int32', 5),
            int64Data: repeated('int64', 7),
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            docString: { type: 'string', id: 12 },
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: { Dimension: { oneofs: { value: { oneof: ['dimValue', 'dimParam'] } }, fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 }, denotation: { type: 'string', id: 3 } } } },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: { type: 'Tensor', id: 1 }, denotation: { type: 'string', id: 6 } },
          nested: { Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(SCHEMA);

/** protobufjs message types of the schema above. */
export const OnnxProto = {
  Model: root.lookupType('onnx.ModelProto'),
} as const;

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
  const message = OnnxProto.Model.fromObject(model);
  return OnnxProto.Model.encode(message).finish();
}

/** Decodes an .onnx file's bytes to plain objects (int64 as numbers, bytes as Uint8Array). */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const message = OnnxProto.Model.decode(bytes);
  return OnnxProto.Model.toObject(message, { longs: Number, defaults: false, arrays: true }) as unknown as OnnxModel;
}
