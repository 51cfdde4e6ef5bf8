/**
 * A small, safe unpickler for the data pickles inside PyTorch checkpoints (protocols 2-5).
 * It never executes code: GLOBAL opcodes resolve only through the caller's `findClass`,
 * and anything unknown is an error naming the opcode and byte offset.
 */
import { ModelError } from '../errors.js';

export class PickleError extends ModelError {
  constructor(message: string) {
    super(message, 'PICKLE');
  }
}

/** A reference to a Python global (`module.name`) that `findClass` chose to represent as-is. */
export interface PickleGlobal {
  kind: 'global';
  module: string;
  name: string;
}

export interface UnpickleOptions {
  /** Maps `module.name` to a callable applied by REDUCE/NEWOBJ; return undefined to reject it. */
  findClass: (module: string, name: string) => ((...args: unknown[]) => unknown) | undefined;
  /** Resolves BINPERSID/PERSID references (PyTorch storages). */
  persistentLoad?: (pid: unknown) => unknown;
}

const MARK = Symbol('mark');

/** Reads one pickle record from `bytes` starting at `offset`; returns the value and the offset after STOP. */
export function unpickle(bytes: Uint8Array, offset: number, options: UnpickleOptions): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8');
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = offset;

  const need = (n: number) => {
    // LONG4 and BINSTRING lengths are signed: a negative one would move backwards and loop forever.
    if (n < 0) throw new PickleError(`negative length ${n} at offset ${pos}`);
    if (pos + n > bytes.length) throw new PickleError(`truncated pickle: needs ${n} bytes at offset ${pos}, file has ${bytes.length}`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`length ${v} too large at offset ${pos - 8}`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError(`unterminated text argument at offset ${pos}`);
    const s = decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw new PickleError(`stack underflow at offset ${pos}`);
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      if (stack.length === 0) throw new PickleError(`MARK not found at offset ${pos}`);
      const item = stack.pop();
      if (item === MARK) return items.reverse();
      items.push(item);
    }
  };
  const top = () => {
    if (stack.length === 0) throw new PickleError(`stack underflow at offset ${pos}`);
    return stack[stack.length - 1];
  };
  const longFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const resolveGlobal = (module: string, name: string) => {
    const fn = options.findClass(module, name);
    if (!fn) throw new PickleError(`refusing to load the Python global ${module}.${name} (not a known PyTorch checkpoint type)`);
    return fn;
  };
  const call = (fn: unknown, args: unknown) => {
    if (typeof fn !== 'function') throw new PickleError(`REDUCE on a non-callable at offset ${pos}`);
    if (!Array.isArray(args)) throw new PickleError(`REDUCE arguments are not a tuple at offset ${pos}`);
    return fn(...args);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw new PickleError(`SETITEM(S) on a non-dict at offset ${pos}`);
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError(`unsupported pickle protocol at offset ${at}`);
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: { // STOP
        const value = pop();
        if (value === MARK) throw new PickleError(`STOP with an unclosed MARK at offset ${at}`);
        return { value, end: pos };
      }
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(longFromBytes(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longFromBytes(take(i32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x49: { // INT (text)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(decoder.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(decoder.decode(take(u64())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(decoder.decode(take(i32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: { // DICT
        const items = popMark();
        const d = new Map();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError(`APPEND on a non-list at offset ${at}`);
        list.push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError(`APPENDS on a non-list at offset ${at}`);
        list.push(...items);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw new PickleError(`memo key ${key} missing at offset ${at}`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        // Pickle names globals by two strings; anything else (a MARK among them) is a damaged file.
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(`STACK_GLOBAL of a non-string module or name at offset ${at}`);
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: // BUILD sets instance attributes (e.g. a state dict's _metadata), never items: ignore them
        pop();
        break;
      case 0x51: { // BINPERSID
        if (!options.persistentLoad) throw new PickleError(`persistent id without a loader at offset ${at}`);
        stack.push(options.persistentLoad(pop()));
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at offset ${at}`);
    }
  }
}
