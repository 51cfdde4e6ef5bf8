/**
 * Spatial filters on 8-bit images, per channel, borders replicated (cv2's default for blurs).
 * The blurs run as WebAssembly SIMD kernels (simd.ts) where available; their TypeScript loops here
 * give the same bytes (integer arithmetic) and stay simple.
 */
import { clampByte, newImage, type ImageU8 } from './image.js';
import { simdBoxFilters, simdConvolve3x3, simdMedianFilter, simdSeparableFilter } from './simd.js';

/**
 * Integer taps of a normalised 1-D kernel, summing exactly to 2^FILTER_BITS (as OpenCV's bit-exact
 * 8-bit blurs): the TypeScript and WebAssembly paths then give the same bytes.
 */
export const FILTER_BITS = 10;

export function fixedPointKernel(kernel: Float32Array): Int32Array {
  const one = 1 << FILTER_BITS;
  const taps = Int32Array.from(kernel, (v) => Math.round(v * one));
  taps[(taps.length - 1) / 2]! += one - taps.reduce((a, b) => a + b, 0);
  return taps;
}

/** Separable convolution with a symmetric 1-D kernel along x then y, in fixed point, borders replicated. */
export function separableFilter(src: ImageU8, kernel: Float32Array): ImageU8 {
  const taps = fixedPointKernel(kernel);
  const { width: w, height: h, channels: c } = src;
  const fast = simdSeparableFilter(src, taps, 2 * FILTER_BITS);
  if (fast) return { width: w, height: h, channels: c, data: fast };
  const r = (taps.length - 1) / 2;
  const row = w * c;
  const rows = new Int32Array(w * h * c);
  const data = src.data;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let t = -r; t <= r; t++) acc += taps[t + r]! * data[y * row + clampIndex(x + t, w) * c + ch]!;
        rows[y * row + x * c + ch] = acc;
      }
  const out = newImage(w, h, c);
  const half = 1 << (2 * FILTER_BITS - 1);
  for (let y = 0; y < h; y++)
    for (let j = 0; j < row; j++) {
      let acc = half;
      for (let t = -r; t <= r; t++) acc += taps[t + r]! * rows[clampIndex(y + t, h) * row + j]!;
      out.data[y * row + j] = acc >> (2 * FILTER_BITS);
    }
  return out;
}

const clampIndex = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);

export function gaussianKernel(sigma: number, radius = Math.max(1, Math.ceil(3 * sigma))): Float32Array {
  const k = Float32Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

/** Box sums of width 2r + 1 along each row (running sums), replicated borders; exact on integers. */
function boxRows(src: Float64Array, dst: Float64Array, w: number, h: number, c: number, r: number): void {
  for (let y = 0; y < h; y++)
    for (let ch = 0; ch < c; ch++) {
      const base = y * w * c + ch;
      let acc = 0;
      for (let t = -r; t <= r; t++) acc += src[base + clampIndex(t, w) * c]!;
      for (let x = 0; x < w; x++) {
        dst[base + x * c] = acc;
        acc += src[base + clampIndex(x + r + 1, w) * c]! - src[base + clampIndex(x - r, w) * c]!;
      }
    }
}

/** Box sums of height 2r + 1 down the columns, row by row (contiguous reads). */
function boxColumns(src: Float64Array, dst: Float64Array, rowLength: number, h: number, r: number): void {
  const acc = new Float64Array(rowLength);
  for (let t = -r; t <= r; t++) {
    const from = clampIndex(t, h) * rowLength;
    for (let i = 0; i < rowLength; i++) acc[i]! += src[from + i]!;
  }
  for (let y = 0; y < h; y++) {
    dst.set(acc, y * rowLength);
    const add = clampIndex(y + r + 1, h) * rowLength;
    const remove = clampIndex(y - r, h) * rowLength;
    for (let i = 0; i < rowLength; i++) acc[i]! += src[add + i]! - src[remove + i]!;
  }
}

/**
 * Box filters of odd sizes one after another (one: a mean filter; three: a Gaussian stand-in),
 * summed exactly and divided once at the end (rounded).
 */
export function boxFilters(src: ImageU8, sizes: number[]): ImageU8 {
  const { width: w, height: h, channels: c } = src;
  const fast = simdBoxFilters(src, sizes);
  if (fast) return { width: w, height: h, channels: c, data: fast };
  const a = new Float64Array(w * h * c);
  const b = Float64Array.from(src.data);
  let scale = 1;
  for (const k of sizes) {
    const r = (k - 1) / 2;
    boxRows(b, a, w, h, c, r);
    boxColumns(a, b, w * c, h, r);
    scale *= k * k;
  }
  const out = newImage(w, h, c);
  const inv = 1 / scale;
  for (let i = 0; i < b.length; i++) out.data[i] = b[i]! * inv + 0.5;
  return out;
}

/** Median filter of odd size k: a sliding histogram per row (Huang), exact for 8-bit data. */
export function medianFilter(src: ImageU8, k: number): ImageU8 {
  const fast = simdMedianFilter(src, k);
  if (fast) return { ...src, data: fast };
  const { width: w, height: h, channels: c, data } = src;
  const r = (k - 1) / 2;
  const half = Math.floor((k * k) / 2);
  const out = newImage(w, h, c);
  const hist = new Int32Array(256);
  // Offsets of the window's rows (clamped once per output row) and of a clamped column.
  const rows = new Int32Array(k);
  const column = (x: number) => (x < 0 ? 0 : x >= w ? w - 1 : x) * c;
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++) {
      for (let j = 0; j < k; j++) {
        const yy = y - r + j;
        rows[j] = (yy < 0 ? 0 : yy >= h ? h - 1 : yy) * w * c + ch;
      }
      hist.fill(0);
      for (let j = 0; j < k; j++) for (let dx = -r; dx <= r; dx++) hist[data[rows[j]! + column(dx)]!]!++;
      // m: current median; below: how many window values are < m.
      let m = 0;
      let below = 0;
      while (below + hist[m]! <= half) below += hist[m++]!;
      for (let x = 0; x < w; x++) {
        out.data[(y * w + x) * c + ch] = m;
        if (x === w - 1) break;
        const goneAt = column(x - r);
        const comeAt = column(x + r + 1);
        for (let j = 0; j < k; j++) {
          const gone = data[rows[j]! + goneAt]!;
          const come = data[rows[j]! + comeAt]!;
          hist[gone]!--;
          if (gone < m) below--;
          hist[come]!++;
          if (come < m) below++;
        }
        while (below > half) below -= hist[--m]!;
        while (below + hist[m]! <= half) below += hist[m++]!;
      }
    }
  return out;
}

/** 3 x 3 convolution with a full kernel (row-major) on the first `channels` channels, borders replicated. */
export function convolve3x3(src: ImageU8, kernel: number[], channels: number): ImageU8 {
  const fast = simdConvolve3x3(src, kernel, channels);
  if (fast) return { ...src, data: fast };
  const { width: w, height: h, channels: c, data } = src;
  const out = { ...src, data: new Uint8Array(data) };
  const row = w * c;
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = kernel as [number, number, number, number, number, number, number, number, number];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const interior = x > 0 && y > 0 && x < w - 1 && y < h - 1;
      for (let ch = 0; ch < channels; ch++) {
        const i = (y * w + x) * c + ch;
        let acc: number;
        if (interior) {
          acc =
            k0 * data[i - row - c]! + k1 * data[i - row]! + k2 * data[i - row + c]! +
            k3 * data[i - c]! + k4 * data[i]! + k5 * data[i + c]! +
            k6 * data[i + row - c]! + k7 * data[i + row]! + k8 * data[i + row + c]!;
        } else {
          acc = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
              const xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
              acc += kernel[(dy + 1) * 3 + dx + 1]! * data[(yy * w + xx) * c + ch]!;
            }
        }
        out.data[i] = clampByte(acc);
      }
    }
  return out;
}
