/**
 * The WebAssembly (SIMD) twins of the pixel loops, compiled from assembly/kernels.ts into
 * build/kernels.wasm (5 KB). Each wrapper copies the image into the module's memory, runs the
 * kernel and returns the new bytes, or returns null where the module is not available (yet), and
 * the caller runs its TypeScript loop, which gives the same bytes.
 *
 * Node compiles the module synchronously on first use. Browsers fetch it: call
 * `loadAugmentKernels()` (or just augment: the first use starts the fetch and the TypeScript
 * loops serve until it is ready).
 */
import type { ImageU8 } from './image.js';
import { AugmentError } from './errors.js';
import type { KernelExports } from './kernel-exports.js';


const WASM_URL = new URL('../build/kernels.wasm', import.meta.url);

/** undefined: not tried yet; null: not available here (or not yet loaded in a browser). */
let kernels: KernelExports | null | undefined;
let loading: Promise<boolean> | null = null;
let enabled = true;

function instantiate(module: WebAssembly.Module): void {
  kernels = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  persistentEnd = align(kernels.heapBase());
  persistent.clear();
}

interface NodeFs {
  readFileSync(path: URL): Uint8Array<ArrayBuffer>;
}

/** Node (20.16+): read and compile now, without a static node:fs import that bundlers would chase. */
function loadSync(): boolean {
  if (WASM_URL.protocol !== 'file:') return false;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (!fs) return false;
  try {
    instantiate(new WebAssembly.Module(fs.readFileSync(WASM_URL)));
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the WebAssembly kernels; resolves to whether they are in use. Safe to call repeatedly.
 * Optional: without it the TypeScript loops run until the module is ready.
 */
export function loadAugmentKernels(): Promise<boolean> {
  if (kernels) return Promise.resolve(true);
  loading ??= (async () => {
    if (loadSync()) return true;
    try {
      let bytes: ArrayBuffer;
      if (WASM_URL.protocol === 'file:') {
        // Node before 20.16 (no process.getBuiltinModule): the asynchronous import.
        const fsName = 'node:fs/promises';
        const fs = (await import(/* @vite-ignore */ fsName)) as { readFile(path: URL): Promise<Uint8Array> };
        const data = await fs.readFile(WASM_URL);
        bytes = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
      } else {
        const response = await fetch(WASM_URL);
        if (!response.ok) throw new AugmentError(`${WASM_URL.href}: HTTP ${response.status}`, 'LOAD');
        bytes = await response.arrayBuffer();
      }
      instantiate(await WebAssembly.compile(bytes));
      return true;
    } catch {
      // No WebAssembly SIMD here, or the file is missing: the TypeScript loops stay in use.
      kernels = null;
      return false;
    }
  })();
  return loading;
}

/** Turns the WebAssembly path off or on again (tests compare both paths). */
export function setAugmentKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether augmentation runs the WebAssembly kernels now. */
export function augmentKernelsActive(): boolean {
  return active() !== null;
}

function active(): KernelExports | null {
  if (!enabled) return null;
  if (kernels === undefined) {
    kernels = null;
    if (!loadSync()) void loadAugmentKernels();
  }
  return kernels;
}

// ---- Memory: tables that stay (by key) below a scratch area reused by every call. ----

const align = (n: number) => (n + 15) & ~15;
let persistentEnd = 0;
const persistent = new Map<string, number>();

/** Offsets of consecutive 16-byte aligned blocks of the given sizes, above the persistent tables. */
function scratch<Sizes extends number[]>(k: KernelExports, ...sizes: Sizes): { [K in keyof Sizes]: number } {
  let at = persistentEnd;
  const offsets = sizes.map((size) => {
    const o = at;
    at = align(at + size);
    return o;
  });
  grow(k, at);
  return offsets as { [K in keyof Sizes]: number };
}

function grow(k: KernelExports, end: number): void {
  const missing = end - k.memory.buffer.byteLength;
  if (missing > 0) k.memory.grow(Math.ceil(missing / 65536));
}

/** A table copied into memory once and kept (e.g. the noise deviates). */
function table(k: KernelExports, key: string, bytes: ArrayBufferView): number {
  let at = persistent.get(key);
  if (at === undefined) {
    at = persistentEnd;
    persistentEnd = align(at + bytes.byteLength);
    grow(k, persistentEnd);
    new Uint8Array(k.memory.buffer, at, bytes.byteLength).set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    persistent.set(key, at);
  }
  return at;
}

const put = (k: KernelExports, at: number, bytes: ArrayBufferView) => new Uint8Array(k.memory.buffer, at, bytes.byteLength).set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
const take = (k: KernelExports, at: number, n: number) => new Uint8Array(k.memory.buffer, at, n).slice();

// ---- The kernels ----

/** Separable filter with integer weights (sum 2^(shift / 2) each way): rows, then columns. */
export function simdSeparableFilter(src: ImageU8, weights: Int32Array, shift: number): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const { width: w, height: h, channels: c } = src;
  const n = w * h * c;
  const [from, rows, out, wts] = scratch(k, n, 4 * n, n, weights.byteLength);
  put(k, from, src.data);
  put(k, wts, weights);
  const r = (weights.length - 1) / 2;
  k.filterRows(from, rows, w, h, c, wts, r);
  k.filterColumns(rows, out, w * c, h, wts, r, shift);
  return take(k, out, n);
}

/**
 * Box filters of the given odd sizes one after another, as integer sums, then divided by their
 * product (rounded): null also where the sums could exceed int32 (the caller sums in float64).
 */
export function simdBoxFilters(src: ImageU8, sizes: number[]): Uint8Array | null {
  const scale = sizes.reduce((p, k) => p * k * k, 1);
  if (255 * scale > 0x7fffffff) return null;
  const k = active();
  if (!k) return null;
  const { width: w, height: h, channels: c } = src;
  const n = w * h * c;
  const [from, a, b] = scratch(k, n, 4 * n, 4 * n);
  put(k, from, src.data);
  k.widen(from, b, n);
  for (const size of sizes) {
    const r = (size - 1) / 2;
    k.boxRows(b, a, w, h, c, r);
    k.boxColumns(a, b, w * c, h, r);
  }
  k.scaleToBytes(b, from, n, 1 / scale);
  return take(k, from, n);
}

export function simdScaleHueSaturation(src: ImageU8, mulHue: number, mulSaturation: number): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const [at] = scratch(k, src.data.length);
  put(k, at, src.data);
  k.scaleHueSaturation(at, src.width * src.height, src.channels, mulHue, mulSaturation);
  return take(k, at, src.data.length);
}

/** See AdditiveGaussianNoise: `pixelStride` advances the table after each pixel, `step` after each value. */
export function simdAddNoise(src: ImageU8, colourChannels: number, normals: Float32Array, at: number, step: number, pixelStride: number, loc: number, scale: number): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const tableAt = table(k, 'normals', normals);
  const [data] = scratch(k, src.data.length);
  put(k, data, src.data);
  k.addNoise(data, src.data.length, src.channels, colourChannels, tableAt, normals.length - 1, at, step, pixelStride, loc, scale);
  return take(k, data, src.data.length);
}

/** One 256-entry table per colour channel (1 or 3 tables). */
export function simdApplyLuts(src: ImageU8, luts: Uint8Array[]): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const [data, lutsAt] = scratch(k, src.data.length, 256 * luts.length);
  put(k, data, src.data);
  luts.forEach((lut, i) => put(k, lutsAt + 256 * i, lut));
  k.applyLuts(data, src.data.length, src.channels, luts.length, lutsAt);
  return take(k, data, src.data.length);
}

/** Adds lr[r] + lg[g] + lb[b] to each colour channel (three float32 tables of 256). */
export function simdShiftByLuma(src: ImageU8, lr: Float32Array, lg: Float32Array, lb: Float32Array): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const [data, tables] = scratch(k, src.data.length, 3 * 1024);
  put(k, data, src.data);
  [lr, lg, lb].forEach((t, i) => put(k, tables + 1024 * i, t));
  k.shiftByLuma(data, src.data.length, src.channels, tables);
  return take(k, data, src.data.length);
}

/** PIL's enhancers: d + f (v - d) on the first n channels, d a constant or a degenerate image's bytes. */
export function simdBlend(src: ImageU8, colourChannels: number, f: number, degenerate: number | ImageU8): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const n = src.data.length;
  if (typeof degenerate === 'number') {
    const [data] = scratch(k, n);
    put(k, data, src.data);
    k.blendConstant(data, n, src.channels, colourChannels, f, degenerate);
    return take(k, data, n);
  }
  const [data, base] = scratch(k, n, n);
  put(k, data, src.data);
  put(k, base, degenerate.data);
  k.blendImage(data, base, n, src.channels, colourChannels, f);
  return take(k, data, n);
}

/** Colour channels set to the rounded ITU-R 601 luma (PIL's "L"), alpha kept. */
export function simdGrayscaleRound(src: ImageU8): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const [data] = scratch(k, src.data.length);
  put(k, data, src.data);
  k.grayscaleRound(data, src.data.length, src.channels);
  return take(k, data, src.data.length);
}

/** 3 x 3 convolution of the first `channels` channels (others copied), borders replicated. */
export function simdConvolve3x3(src: ImageU8, kernel: number[], channels: number): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const n = src.data.length;
  const [from, out, weights] = scratch(k, n, n, 72);
  put(k, from, src.data);
  put(k, out, src.data);
  put(k, weights, Float64Array.from(kernel));
  k.convolve3x3(from, out, src.width, src.height, src.channels, channels, weights);
  return take(k, out, n);
}

/** Median of odd size k, borders replicated (16 bytes at a time inside for k 3 and 5). */
export function simdMedianFilter(src: ImageU8, k: number): Uint8Array | null {
  const kernels = active();
  if (!kernels) return null;
  const n = src.data.length;
  const [from, out, window] = scratch(kernels, n, n, k * k);
  put(kernels, from, src.data);
  kernels.medianFilter(from, out, src.width, src.height, src.channels, k, window);
  return take(kernels, out, n);
}

/**
 * The affine warp of geometric.ts (`m`: the inverse map), for images and (one channel, nearest)
 * label maps. `mode`: the border mode's index in geometric.ts' MODES (the kernel's order).
 */
export function simdWarp(
  data: Uint8Array | Uint8ClampedArray,
  sw: number,
  sh: number,
  c: number,
  m: readonly [number, number, number, number, number, number],
  dw: number,
  dh: number,
  bilinear: boolean,
  mode: number,
  fill: readonly number[],
): Uint8Array | null {
  const k = active();
  if (!k) return null;
  const [from, out, fillAt] = scratch(k, data.length, dw * dh * c, c);
  put(k, from, data);
  put(k, fillAt, Uint8Array.from(fill));
  k.warp(from, sw, sh, c, out, dw, dh, m[0], m[1], m[2], m[3], m[4], m[5], bilinear, mode, fillAt);
  return take(k, out, dw * dh * c);
}
