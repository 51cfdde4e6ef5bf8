/**
 * Reads PyTorch state dicts saved by `torch.save` in the legacy (pre-1.6, non-zip) format
 * without Python: five pickle records, then every storage as an 8-byte element count and its
 * raw little-endian data in the order of the storage-key list.
 */
import { PickleError, unpickle } from './pickle.js';
import { ModelError } from '../errors.js';

export type TorchDType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface TorchTensor {
  dtype: TorchDType;
  shape: number[];
  /** C-order values; int64 as BigInt64Array. */
  data: Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
}

export class TorchCheckpointError extends ModelError {
  constructor(message: string) {
    super(message, 'TORCH_CHECKPOINT');
  }
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const STORAGE_TYPES: Record<string, { dtype: TorchDType; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

interface StorageRef {
  key: string;
  dtype: TorchDType;
  bytes: number;
  numel: number;
  data?: TorchTensor['data'];
}

interface TensorRef {
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

function typedArrayFor(dtype: TorchDType, buffer: ArrayBuffer, count: number): TorchTensor['data'] {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer, 0, count);
    case 'float64': return new Float64Array(buffer, 0, count);
    case 'float16': return new Uint16Array(buffer, 0, count);
    case 'int64': return new BigInt64Array(buffer, 0, count);
    case 'int32': return new Int32Array(buffer, 0, count);
    case 'uint8':
    case 'bool': return new Uint8Array(buffer, 0, count);
  }
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Copies the (possibly strided) view of a storage into a fresh C-order array. */
/** The largest tensor a checkpoint may declare (SINet's largest has a few thousand elements). */
const MAX_TENSOR_ELEMENTS = 2 ** 28;

function materialize(ref: TensorRef, name: string): TorchTensor {
  const source = ref.storage.data!;
  // Found by fuzzing: shapes, strides and offsets come from the pickle and may be anything.
  const dims = (v: unknown) => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!dims(ref.shape) || !dims(ref.stride) || ref.stride.length !== ref.shape.length || !Number.isSafeInteger(ref.offset) || ref.offset < 0) {
    throw new TorchCheckpointError(`tensor '${name}' has a malformed shape, stride or offset`);
  }
  const count = ref.shape.reduce((a, b) => a * b, 1);
  if (count > MAX_TENSOR_ELEMENTS) throw new TorchCheckpointError(`tensor '${name}' declares ${count} elements, more than ${MAX_TENSOR_ELEMENTS}`);
  const Ctor = source.constructor as new (n: number) => TorchTensor['data'];
  const out = new Ctor(count);
  const rank = ref.shape.length;
  let maxIndex = ref.offset;
  for (let d = 0; d < rank; d++) maxIndex += (ref.shape[d]! - 1) * ref.stride[d]!;
  if (count > 0 && maxIndex >= source.length) {
    throw new TorchCheckpointError(`tensor '${name}' reads past the end of storage ${ref.storage.key} (${source.length} elements)`);
  }
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < count; i++) {
    let at = ref.offset;
    for (let d = 0; d < rank; d++) at += index[d]! * ref.stride[d]!;
    (out as unknown as ArrayLike<unknown> & Record<number, unknown>)[i] = source[at];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < ref.shape[d]!) break;
      index[d] = 0;
    }
  }
  return { dtype: ref.storage.dtype, shape: [...ref.shape], data: out };
}

/**
 * Parses a legacy-format `torch.save(state_dict)` file. Keys keep the dict's order.
 * Throws TorchCheckpointError naming what is wrong for truncated files, zip-format
 * checkpoints and anything that is not a state dict of tensors.
 */
export function readLegacyTorchStateDict(bytes: Uint8Array): Map<string, TorchTensor> {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    throw new TorchCheckpointError('this is a zip-format checkpoint (torch >= 1.6); re-save it with torch.save(..., _use_new_zipfile_serialization=False)');
  }
  if (bytes.length < 2 || bytes[0] !== 0x80) throw new TorchCheckpointError('not a PyTorch checkpoint: it does not start with a pickle header');
  if (!isLittleEndianHost()) throw new TorchCheckpointError('reading checkpoints needs a little-endian host');

  const storages = new Map<string, StorageRef>();
  const storageClass = (name: string) => {
    const info = STORAGE_TYPES[name];
    return info ? Object.assign(() => info, { storageInfo: info }) : undefined;
  };
  const findClass = (module: string, name: string): ((...args: unknown[]) => unknown) | undefined => {
    if (module === 'collections' && name === 'OrderedDict') return () => new Map();
    if (module === 'torch._utils' && name === '_rebuild_tensor_v2') {
      return (storage, offset, size, stride) => ({ storage, offset, shape: size, stride }) as TensorRef;
    }
    if (module === 'torch._utils' && name === '_rebuild_parameter') return (tensor) => tensor;
    if (module === 'torch') return storageClass(name);
    return undefined;
  };
  const persistentLoad = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') throw new TorchCheckpointError(`unknown persistent id ${String(JSON.stringify(pid, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).slice(0, 80)}`);
    const [, type, key, , numel] = pid as [string, { storageInfo?: { dtype: TorchDType; bytes: number } }, string, string, number];
    const info = type?.storageInfo;
    if (!info) throw new TorchCheckpointError(`unsupported storage type in persistent id for key ${key}`);
    let ref = storages.get(key);
    if (!ref) {
      ref = { key, dtype: info.dtype, bytes: info.bytes, numel };
      storages.set(key, ref);
    }
    return ref;
  };

  let offset = 0;
  const next = () => {
    try {
      const { value, end } = unpickle(bytes, offset, { findClass, persistentLoad });
      offset = end;
      return value;
    } catch (e) {
      if (e instanceof PickleError) throw new TorchCheckpointError(`corrupt or unsupported checkpoint: ${e.message}`);
      throw e;
    }
  };
  const magic = next();
  if ((typeof magic !== 'number' && typeof magic !== 'bigint') || !Number.isInteger(Number(magic)) || BigInt(magic) !== LEGACY_MAGIC) throw new TorchCheckpointError('not a legacy PyTorch checkpoint (wrong magic number)');
  const protocol = next();
  if (protocol !== 1001) throw new TorchCheckpointError(`unsupported checkpoint protocol version ${String(protocol)}`);
  next(); // system info
  const root = next();
  const keys = next();
  if (!Array.isArray(keys)) throw new TorchCheckpointError('corrupt checkpoint: the storage key list is missing');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys as string[]) {
    const ref = storages.get(key);
    if (!ref) throw new TorchCheckpointError(`corrupt checkpoint: storage ${key} is listed but never used`);
    if (offset + 8 > bytes.length) throw new TorchCheckpointError(`truncated checkpoint: storage ${key} is missing (file ends at ${bytes.length} bytes)`);
    const count = Number(view.getBigInt64(offset, true));
    offset += 8;
    // Found by fuzzing: a negative or huge count made a RangeError (or a vast allocation) instead of an error.
    if (!Number.isSafeInteger(count) || count < 0) throw new TorchCheckpointError(`corrupt checkpoint: storage ${key} claims ${count} elements`);
    const size = count * ref.bytes;
    if (offset + size > bytes.length) throw new TorchCheckpointError(`truncated checkpoint: storage ${key} needs ${size} bytes at offset ${offset}, file has ${bytes.length}`);
    // Copy into an aligned buffer: the data of a storage starts at any byte offset.
    const buffer = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + size) as ArrayBuffer;
    ref.data = typedArrayFor(ref.dtype, buffer, count);
    offset += size;
  }

  const dict = root instanceof Map ? root : null;
  if (!dict) throw new TorchCheckpointError('the checkpoint does not hold a state dict (expected an OrderedDict of tensors)');
  const result = new Map<string, TorchTensor>();
  for (const [name, value] of dict) {
    const ref = value as TensorRef;
    if (typeof name !== 'string' || !ref || typeof ref !== 'object' || !('storage' in ref)) {
      throw new TorchCheckpointError(`state dict entry '${String(name)}' is not a tensor`);
    }
    if (!ref.storage || typeof ref.storage !== 'object' || !ref.storage.data) throw new TorchCheckpointError(`storage ${String(ref.storage?.key)} of '${name}' has no data`);
    result.set(name, materialize(ref, name));
  }
  return result;
}
