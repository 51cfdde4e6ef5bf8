/**
 * The SIMD module compiled from assembly/simd.ts (AssemblyScript) into build/simd.wasm. It is
 * loaded once, asynchronously (browsers refuse to compile large modules synchronously on the main
 * thread); until it is ready, or where WebAssembly SIMD is missing, the kernels use their plain
 * TypeScript loops. The module imports the tfjs wasm backend's memory, so it reads inputs and
 * writes outputs in place on the tfjs heap (it has no data of its own and never grows memory).
 */

import type { TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelsError } from './errors.js';
import type { SimdExports } from './simd-exports.js';
import { heapOf } from './heap.js';


let compiled: WebAssembly.Module | null = null;
let loading: Promise<boolean> | null = null;
let disabled = false;
/** One instance per tfjs wasm heap: the module imports that heap's memory and works in place. */
const instances = new WeakMap<WebAssembly.Memory, SimdExports | null>();

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
  if (!response.ok) throw new WasmKernelsError(`${WASM_URL.href}: HTTP ${response.status}`, 'LOAD');
  return response.arrayBuffer();
}

/**
 * Compiles the SIMD kernels; resolves to whether they can be used. Safe to call repeatedly.
 * `registerWasmTrainingKernels` starts it; await it before timing anything.
 */
export function loadSimdKernels(): Promise<boolean> {
  loading ??= (async () => {
    try {
      compiled = await WebAssembly.compile(await readBytes());
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

/** SIMD kernels working directly on a tfjs wasm heap: pointers are tensors' byte offsets. */
export interface HeapSimd {
  k: SimdExports;
  ptr(t: TensorInfo): number;
  /** A new float32 tensor on the heap (filled with `values` if given). */
  output(shape: number[], values?: Float32Array): TensorInfo;
  free(t: TensorInfo): void;
}

export function simdOn(backend: unknown): HeapSimd | null {
  if (disabled || !compiled) return null;
  const b = heapOf(backend);
  const memory = b.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let k = instances.get(memory);
  if (k === undefined) {
    try {
      k = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as SimdExports;
    } catch {
      // A heap this module cannot import (e.g. the threaded build's shared memory): stay on the fallbacks.
      k = null;
    }
    instances.set(memory, k);
  }
  if (!k) return null;
  return {
    k,
    ptr: (t) => b.dataIdMap.get(t.dataId)!.memoryOffset,
    output: (shape, values) => b.makeOutput(shape, 'float32', undefined, values),
    free: (t) => void b.disposeData(t.dataId, true),
  };
}

/** Whether the SIMD kernels run on this tfjs backend (loaded, enabled, and a wasm heap to work on). */
export function simdActiveOn(backend: unknown): boolean {
  return simdOn(backend) !== null;
}
