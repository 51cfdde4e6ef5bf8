/**
 * The SIMD module compiled from assembly/simd.ts (AssemblyScript) into build/simd.wasm. It is
 * loaded once, asynchronously (browsers refuse to compile large modules synchronously on the main
 * thread); until it is ready, or where WebAssembly SIMD is missing, the kernels use their plain
 * TypeScript loops. Inputs are copied from the tfjs heap into this module's own memory.
 */

interface SimdExports {
  memory: WebAssembly.Memory;
  reserve(bytes: number): number;
  gemmTN(a: number, b: number, c: number, P: number, K: number, N: number): void;
  gemmNN(b: number, wt: number, d: number, P: number, N: number, K: number): void;
  convFilterGrad(x: number, dy: number, dw: number, N: number, H: number, W: number, Ci: number, OH: number, OW: number, Co: number, FH: number, FW: number, SH: number, SW: number, top: number, left: number): void;
  depthwiseInputGrad(dy: number, w: number, dx: number, N: number, H: number, W: number, C: number, OH: number, OW: number, FH: number, FW: number, SH: number, SW: number, DH: number, DW: number, top: number, left: number): void;
  depthwiseFilterGrad(x: number, dy: number, dw: number, N: number, H: number, W: number, C: number, OH: number, OW: number, FH: number, FW: number, SH: number, SW: number, DH: number, DW: number, top: number, left: number): void;
  channelSum(x: number, out: number, scratch: number, P: number, C: number): void;
  channelAffine(x: number, a: number, b: number, out: number, P: number, C: number): void;
}

let simd: SimdExports | null = null;
let loading: Promise<boolean> | null = null;
let disabled = false;

const WASM_URL = new URL('../build/simd.wasm', import.meta.url);

async function readBytes(): Promise<ArrayBuffer> {
  if (WASM_URL.protocol === 'file:') {
    // Node: read the file (hidden from bundlers, which would try to ship node:fs to browsers).
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const bytes = await fs.readFile(WASM_URL);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  const response = await fetch(WASM_URL);
  if (!response.ok) throw new Error(`${WASM_URL.href}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/**
 * Loads the SIMD kernels; resolves to whether they are in use. Safe to call repeatedly.
 * `registerWasmTrainingKernels` starts it; await it (or `simdReady()`) before timing anything.
 */
export function loadSimdKernels(): Promise<boolean> {
  loading ??= (async () => {
    try {
      const { instance } = await WebAssembly.instantiate(await readBytes(), {});
      simd = instance.exports as unknown as SimdExports;
      return true;
    } catch {
      // No WebAssembly SIMD here, or the file is missing: the TypeScript loops stay in use.
      return false;
    }
  })();
  return loading;
}

/** Turns the SIMD path off or on again (tests compare both paths). */
export function setSimdEnabled(enabled: boolean): void {
  disabled = !enabled;
}

export function simdKernels(): SimdExports | null {
  return disabled ? null : simd;
}

/** Places arrays in the module's memory (16-byte aligned) and returns their byte offsets. */
export function place(kernels: SimdExports, arrays: (Float32Array | number)[]): number[] {
  const offsets: number[] = [];
  let at = 16;
  for (const a of arrays) {
    offsets.push(at);
    const length = typeof a === 'number' ? a : a.length;
    at += Math.ceil((4 * length) / 16) * 16;
  }
  kernels.reserve(at);
  const heap = new Float32Array(kernels.memory.buffer);
  arrays.forEach((a, i) => typeof a !== 'number' && heap.set(a, offsets[i] / 4));
  return offsets;
}

/** A copy of `length` floats at `offset` of the module's memory. */
export function read(kernels: SimdExports, offset: number, length: number): Float32Array {
  return new Float32Array(kernels.memory.buffer, offset, length).slice();
}
