/** Reads NumPy .npy files (version 1.x/2.x, little-endian float32/float64/int, C order). */
import { readFileSync } from 'node:fs';

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

export function readNpy(file: string): NpyArray {
  const b = readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const headerLength = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (fortran) throw new Error(`${file}: Fortran-order arrays are not supported`);
  const body = b.subarray(start + headerLength);
  const count = shape.reduce((a, n) => a * n, 1);
  const copy = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  let data: Float32Array;
  if (descr === '<f4') data = new Float32Array(copy, 0, count);
  else if (descr === '<f8') data = Float32Array.from(new Float64Array(copy, 0, count));
  else throw new Error(`${file}: dtype ${descr} not supported`);
  return { shape, data };
}
