// The per-pixel loops of @sinet/augment in AssemblyScript (asc --enable simd): blurs, the affine
// warp, hue/saturation, noise, lookup tables and brightness. Arguments are byte offsets into this
// module's own memory, which the TypeScript side grows and fills; images are interleaved 8-bit.
// Each kernel gives the same bytes as its TypeScript twin in src/: integer blurs are exact,
// everything else is the same float64 arithmetic in the same order (tests compare both paths).

import { median25, median9 } from './median';

export function heapBase(): usize {
  return __heap_base;
}

@inline function clampIndex(i: i32, n: i32): i32 {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

// v <= 0 ? 0 : v >= 255 ? 255 : trunc(v + 0.5), without branches (the same bytes).
@inline function roundToByte(v: f64): u8 {
  const t = <i32>(v + 0.5);
  return <u8>select<i32>(0, select<i32>(255, t, t > 255), t < 0);
}


// ---- Blurs -------------------------------------------------------------------------------------

// Horizontal pass of a fixed-point separable filter: dst (int32) = sum_t w[t] src(x + t - r) along
// each row of the interleaved u8 image, borders replicated. Weights are int32 (at most 1024).
export function filterRows(src: usize, dst: usize, w: i32, h: i32, c: i32, weights: usize, r: i32): void {
  const row = w * c;
  const k = 2 * r + 1;
  const j0 = r * c;
  const j1 = row - r * c;
  for (let y = 0; y < h; y++) {
    const s = src + <usize>(y * row);
    const d = dst + (<usize>(y * row) << 2);
    let j = 0;
    if (j1 > j0) {
      for (; j < j0; j++) store<i32>(d + (<usize>j << 2), filterRowAt(s, j, w, c, weights, r));
      for (; j + 8 <= j1; j += 8) {
        let lo = i32x4.splat(0);
        let hi = i32x4.splat(0);
        let p = s + <usize>(j - j0);
        for (let t = 0; t < k; t++, p += <usize>c) {
          const v = v128.load8x8_u(p);
          const wt = i16x8.splat(<i16>load<i32>(weights + (<usize>t << 2)));
          lo = i32x4.add(lo, i32x4.extmul_low_i16x8_u(v, wt));
          hi = i32x4.add(hi, i32x4.extmul_high_i16x8_u(v, wt));
        }
        v128.store(d + (<usize>j << 2), lo);
        v128.store(d + (<usize>j << 2), hi, 16);
      }
    }
    for (; j < row; j++) store<i32>(d + (<usize>j << 2), filterRowAt(s, j, w, c, weights, r));
  }
}

@inline function filterRowAt(s: usize, j: i32, w: i32, c: i32, weights: usize, r: i32): i32 {
  const x = j / c;
  const ch = j - x * c;
  let acc = 0;
  for (let t = -r; t <= r; t++) acc += load<i32>(weights + (<usize>(t + r) << 2)) * <i32>load<u8>(s + <usize>(clampIndex(x + t, w) * c + ch));
  return acc;
}

// Vertical pass: dst (u8) = (sum_t w[t] src(y + t - r) + 2^(shift-1)) >> shift, whole rows at a time.
export function filterColumns(src: usize, dst: usize, rowLength: i32, h: i32, weights: usize, r: i32, shift: i32): void {
  const half = 1 << (shift - 1);
  const halfV = i32x4.splat(half);
  for (let y = 0; y < h; y++) {
    const d = dst + <usize>(y * rowLength);
    let j = 0;
    for (; j + 16 <= rowLength; j += 16) {
      let a0 = halfV, a1 = halfV, a2 = halfV, a3 = halfV;
      for (let t = -r; t <= r; t++) {
        const p = src + (<usize>(clampIndex(y + t, h) * rowLength + j) << 2);
        const wt = i32x4.splat(load<i32>(weights + (<usize>(t + r) << 2)));
        a0 = i32x4.add(a0, i32x4.mul(wt, v128.load(p)));
        a1 = i32x4.add(a1, i32x4.mul(wt, v128.load(p, 16)));
        a2 = i32x4.add(a2, i32x4.mul(wt, v128.load(p, 32)));
        a3 = i32x4.add(a3, i32x4.mul(wt, v128.load(p, 48)));
      }
      const lo = i16x8.narrow_i32x4_s(i32x4.shr_s(a0, shift), i32x4.shr_s(a1, shift));
      const hi = i16x8.narrow_i32x4_s(i32x4.shr_s(a2, shift), i32x4.shr_s(a3, shift));
      v128.store(d + <usize>j, i8x16.narrow_i16x8_u(lo, hi));
    }
    for (; j < rowLength; j++) {
      let acc = half;
      for (let t = -r; t <= r; t++) acc += load<i32>(weights + (<usize>(t + r) << 2)) * load<i32>(src + (<usize>(clampIndex(y + t, h) * rowLength + j) << 2));
      store<u8>(d + <usize>j, <u8>(acc >> shift));
    }
  }
}

// u8 -> int32.
export function widen(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load8x8_u(src + <usize>i);
    v128.store(dst + (<usize>i << 2), i32x4.extend_low_i16x8_u(v));
    v128.store(dst + (<usize>i << 2), i32x4.extend_high_i16x8_u(v), 16);
  }
  for (; i < n; i++) store<i32>(dst + (<usize>i << 2), <i32>load<u8>(src + <usize>i));
}

// Box sums (not means) of width 2r + 1 along each row of an int32 image, borders replicated.
export function boxRows(src: usize, dst: usize, w: i32, h: i32, c: i32, r: i32): void {
  const row = w * c;
  const j0 = r * c;
  const j1 = row - r * c;
  for (let y = 0; y < h; y++) {
    const s = src + (<usize>(y * row) << 2);
    const d = dst + (<usize>(y * row) << 2);
    let j = 0;
    if (j1 > j0) {
      for (; j < j0; j++) store<i32>(d + (<usize>j << 2), boxRowAt(s, j, w, c, r));
      for (; j + 4 <= j1; j += 4) {
        let acc = i32x4.splat(0);
        let p = s + (<usize>(j - j0) << 2);
        const step = <usize>c << 2;
        for (let t = -r; t <= r; t++, p += step) acc = i32x4.add(acc, v128.load(p));
        v128.store(d + (<usize>j << 2), acc);
      }
    }
    for (; j < row; j++) store<i32>(d + (<usize>j << 2), boxRowAt(s, j, w, c, r));
  }
}

@inline function boxRowAt(s: usize, j: i32, w: i32, c: i32, r: i32): i32 {
  const x = j / c;
  const ch = j - x * c;
  let acc = 0;
  for (let t = -r; t <= r; t++) acc += load<i32>(s + (<usize>(clampIndex(x + t, w) * c + ch) << 2));
  return acc;
}

// Box sums of height 2r + 1 down the columns (running sums over whole rows), borders replicated.
export function boxColumns(src: usize, dst: usize, rowLength: i32, h: i32, r: i32): void {
  const bytes = <usize>rowLength << 2;
  memory.fill(dst, 0, bytes);
  for (let t = -r; t <= r; t++) addRows(dst, dst, src + <usize>clampIndex(t, h) * bytes, 0, rowLength);
  for (let y = 1; y < h; y++) {
    const d = dst + <usize>y * bytes;
    addRows(d, d - bytes, src + <usize>clampIndex(y + r, h) * bytes, src + <usize>clampIndex(y - r - 1, h) * bytes, rowLength);
  }
}

// d = a + plus - minus (minus may be 0 for none), int32 rows.
@inline function addRows(d: usize, a: usize, plus: usize, minus: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let v = i32x4.add(v128.load(a + o), v128.load(plus + o));
    if (minus) v = i32x4.sub(v, v128.load(minus + o));
    v128.store(d + o, v);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let v = load<i32>(a + o) + load<i32>(plus + o);
    if (minus) v -= load<i32>(minus + o);
    store<i32>(d + o, v);
  }
}

// dst (u8) = trunc(src * inv + 0.5): box sums to means.
export function scaleToBytes(src: usize, dst: usize, n: i32, inv: f64): void {
  for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, <u8>(<i32>(<f64>load<i32>(src + (<usize>i << 2)) * inv + 0.5)));
}

// ---- Per-pixel colour ops (in place) -----------------------------------------------------------

const SIXTH: f64 = 1.0 / 6.0;

@inline function loadPair(at: usize, c: usize, k: usize): v128 {
  return f64x2.replace_lane(f64x2.splat(<f64>load<u8>(at + k)), 1, <f64>load<u8>(at + c + k));
}

@inline function storePair(at: usize, c: usize, k: usize, v: v128): void {
  const b = i32x4.trunc_sat_f64x2_s_zero(v);
  store<u8>(at + k, <u8>i32x4.extract_lane(b, 0));
  store<u8>(at + c + k, <u8>i32x4.extract_lane(b, 1));
}

// Multiplies hue (wrapped) and saturation (clipped) in HSV; greys are unchanged. Two pixels per
// float64x2 step without branches (the sextant picks are selects), then a scalar tail: the same
// float64 operations as the TypeScript loop, so the same bytes.
// Two pixels at `at` (float64x2 lanes).
@inline function hueSaturationPair(at: usize, cs: usize, hueV: v128, satV: v128): void {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const two = f64x2.splat(2);
  const half = f64x2.splat(0.5);
  const r = loadPair(at, cs, 0);
  const g = loadPair(at, cs, 1);
  const b = loadPair(at, cs, 2);
  const max = f64x2.pmax(r, f64x2.pmax(g, b));
  const min = f64x2.pmin(r, f64x2.pmin(g, b));
  const d = f64x2.sub(max, min);
  const keep = v128.or(f64x2.eq(d, zero), f64x2.eq(max, zero));
  const isR = f64x2.eq(max, r);
  const isG = f64x2.eq(max, g);
  const num = v128.bitselect(f64x2.sub(g, b), v128.bitselect(f64x2.sub(b, r), f64x2.sub(r, g), isG), isR);
  const offset = v128.bitselect(zero, v128.bitselect(two, f64x2.splat(4), isG), isR);
  let h = f64x2.add(f64x2.div(num, d), offset);
  h = f64x2.mul(h, hueV);
  h = f64x2.sub(h, f64x2.mul(f64x2.splat(6), f64x2.floor(f64x2.mul(h, f64x2.splat(SIXTH)))));
  let sat = f64x2.mul(f64x2.div(d, max), satV);
  sat = v128.bitselect(one, sat, f64x2.gt(sat, one));
  const chroma = f64x2.mul(max, sat);
  // h % 2 (fmod: h - 2 trunc(h / 2), exact).
  const mod2 = f64x2.sub(h, f64x2.mul(two, f64x2.trunc(f64x2.mul(h, half))));
  const x = f64x2.mul(chroma, f64x2.sub(one, f64x2.abs(f64x2.sub(mod2, one))));
  const m = f64x2.sub(max, chroma);
  const s1 = f64x2.lt(h, one);
  const s2 = f64x2.lt(h, two);
  const s3 = f64x2.lt(h, f64x2.splat(3));
  const s4 = f64x2.lt(h, f64x2.splat(4));
  const s5 = f64x2.lt(h, f64x2.splat(5));
  const R = v128.bitselect(chroma, v128.bitselect(x, v128.bitselect(zero, v128.bitselect(x, chroma, s5), s4), s2), s1);
  const G = v128.bitselect(x, v128.bitselect(chroma, v128.bitselect(x, zero, s4), s3), s1);
  const B = v128.bitselect(zero, v128.bitselect(x, v128.bitselect(chroma, x, s5), s3), s2);
  // (R + m) + 0.5, in the TypeScript loop's order.
  storePair(at, cs, 0, v128.bitselect(r, f64x2.add(f64x2.add(R, m), half), keep));
  storePair(at, cs, 1, v128.bitselect(g, f64x2.add(f64x2.add(G, m), half), keep));
  storePair(at, cs, 2, v128.bitselect(b, f64x2.add(f64x2.add(B, m), half), keep));
}

export function scaleHueSaturation(data: usize, pixels: i32, c: i32, mulHue: f64, mulSaturation: f64): void {
  const cs = <usize>c;
  const hueV = f64x2.splat(mulHue);
  const satV = f64x2.splat(mulSaturation);
  let p = 0;
  // Two independent pairs per step: the dependency chain of one pair is long (two divisions).
  for (; p + 4 <= pixels; p += 4) {
    const at = data + <usize>(p * c);
    hueSaturationPair(at, cs, hueV, satV);
    hueSaturationPair(at + 2 * cs, cs, hueV, satV);
  }
  for (; p + 2 <= pixels; p += 2) hueSaturationPair(data + <usize>(p * c), cs, hueV, satV);
  for (; p < pixels; p++) {
    const at = data + <usize>(p * c);
    const r = <f64>load<u8>(at);
    const g = <f64>load<u8>(at, 1);
    const b = <f64>load<u8>(at, 2);
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    const d = max - min;
    if (d == 0 || max == 0) continue;
    let h = max == r ? (g - b) / d : max == g ? (b - r) / d + 2 : (r - g) / d + 4;
    h *= mulHue;
    h -= 6 * Math.floor(h * SIXTH);
    let sat = (d / max) * mulSaturation;
    if (sat > 1) sat = 1;
    const chroma = max * sat;
    const x = chroma * (1 - Math.abs((h % 2) - 1));
    const m = max - chroma;
    let R: f64, G: f64, B: f64;
    if (h < 1) { R = chroma; G = x; B = 0; }
    else if (h < 2) { R = x; G = chroma; B = 0; }
    else if (h < 3) { R = 0; G = chroma; B = x; }
    else if (h < 4) { R = 0; G = x; B = chroma; }
    else if (h < 5) { R = x; G = 0; B = chroma; }
    else { R = chroma; G = 0; B = x; }
    store<u8>(at, <u8>(<i32>(R + m + 0.5)));
    store<u8>(at, <u8>(<i32>(G + m + 0.5)), 1);
    store<u8>(at, <u8>(<i32>(B + m + 0.5)), 2);
  }
}

// v + loc + scale * table[at] on the first n of c channels; `at` steps by `step` after each value
// and by `stride` after each pixel (table length a power of two, mask = length - 1).
export function addNoise(data: usize, length: i32, c: i32, n: i32, table: usize, mask: i32, at: i32, step: i32, stride: i32, loc: f64, scale: f64): void {
  for (let i = 0; i < length; i += c) {
    for (let k = 0; k < n; k++) {
      const v = <f64>load<u8>(data + <usize>(i + k)) + loc + scale * <f64>load<f32>(table + (<usize>at << 2));
      store<u8>(data + <usize>(i + k), roundToByte(v));
      at = (at + step) & mask;
    }
    at = (at + stride) & mask;
  }
}

// Per-channel 256-entry tables on the first n (1 or 3) of c channels.
export function applyLuts(data: usize, length: i32, c: i32, n: i32, luts: usize): void {
  if (n == 3) {
    for (let i = 0; i < length; i += c) {
      const at = data + <usize>i;
      store<u8>(at, load<u8>(luts + <usize>load<u8>(at)));
      store<u8>(at, load<u8>(luts + 256 + <usize>load<u8>(at, 1)), 1);
      store<u8>(at, load<u8>(luts + 512 + <usize>load<u8>(at, 2)), 2);
    }
  } else {
    for (let i = 0; i < length; i += c) store<u8>(data + <usize>i, load<u8>(luts + <usize>load<u8>(data + <usize>i)));
  }
}

// Every colour channel moves by the change of luma, lr[r] + lg[g] + lb[b] (float32 tables).
export function shiftByLuma(data: usize, length: i32, c: i32, tables: usize): void {
  for (let i = 0; i < length; i += c) {
    const at = data + <usize>i;
    const r = load<u8>(at);
    const g = load<u8>(at, 1);
    const b = load<u8>(at, 2);
    const delta = <f64>load<f32>(tables + (<usize>r << 2)) + <f64>load<f32>(tables + 1024 + (<usize>g << 2)) + <f64>load<f32>(tables + 2048 + (<usize>b << 2));
    const vr = <f64>r + delta;
    const vg = <f64>g + delta;
    const vb = <f64>b + delta;
    store<u8>(at, roundToByte(vr));
    store<u8>(at, roundToByte(vg), 1);
    store<u8>(at, roundToByte(vb), 2);
  }
}

// ---- Affine warp ---------------------------------------------------------------------------------

// Border modes as their index in geometric.ts MODES: constant, edge, reflect, symmetric, wrap.
// Returns the index mapped into [0, n), or -1 for 'constant' outside (float64, as JavaScript's numbers).
function borderIndex(i: f64, n: f64, mode: i32): f64 {
  if (i >= 0 && i < n) return i;
  if (mode == 0) return -1;
  if (mode == 1) return i < 0 ? 0 : n - 1;
  if (mode == 2) {
    if (n == 1) return 0;
    const period = 2 * (n - 1);
    const m = ((i % period) + period) % period;
    return m < n ? m : period - m;
  }
  if (mode == 3) {
    const period = 2 * n;
    const m = ((i % period) + period) % period;
    return m < n ? m : period - 1 - m;
  }
  return ((i % n) + n) % n;
}

// Output pixel (x, y) reads source (a x + b y + cc, d x + e y + f): nearest takes floor(s + 0.5),
// bilinear rounds its weights to 1/32 pixel (integer sums); fill: one byte per channel for
// 'constant'. Labels are the nearest case with one channel.
export function warp(src: usize, sw: i32, sh: i32, c: i32, dst: usize, dw: i32, dh: i32, a: f64, b: f64, cc: f64, d: f64, e: f64, f: f64, bilinear: bool, mode: i32, fill: usize): void {
  // Copies of the loop with the common channel counts as constants (inlined, then unrolled).
  if (!bilinear && c == 1) warpLoop(src, sw, sh, 1, dst, dw, dh, a, b, cc, d, e, f, false, mode, fill);
  else if (!bilinear) warpLoop(src, sw, sh, c, dst, dw, dh, a, b, cc, d, e, f, false, mode, fill);
  else if (c == 3) warpLoop(src, sw, sh, 3, dst, dw, dh, a, b, cc, d, e, f, true, mode, fill);
  else warpLoop(src, sw, sh, c, dst, dw, dh, a, b, cc, d, e, f, true, mode, fill);
}

@inline function warpLoop(src: usize, sw: i32, sh: i32, c: i32, dst: usize, dw: i32, dh: i32, a: f64, b: f64, cc: f64, d: f64, e: f64, f: f64, bilinear: bool, mode: i32, fill: usize): void {
  let at = dst;
  const fw = <f64>sw;
  const fh = <f64>sh;
  const shift = bilinear ? 0.0 : 0.5;
  for (let y = 0; y < dh; y++) {
    let sx = b * <f64>y + cc + shift;
    let sy = e * <f64>y + f + shift;
    for (let x = 0; x < dw; x++, sx += a, sy += d, at += <usize>c) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (!bilinear) {
        let ix = x0;
        let iy = y0;
        if (ix < 0 || iy < 0 || ix >= fw || iy >= fh) {
          if (mode == 0) {
            for (let k = 0; k < c; k++) store<u8>(at + <usize>k, load<u8>(fill + <usize>k));
            continue;
          }
          ix = borderIndex(ix, fw, mode);
          iy = borderIndex(iy, fh, mode);
          if (ix < 0 || iy < 0) {
            for (let k = 0; k < c; k++) store<u8>(at + <usize>k, load<u8>(fill + <usize>k));
            continue;
          }
        }
        const from = src + <usize>((<i32>iy * sw + <i32>ix) * c);
        for (let k = 0; k < c; k++) store<u8>(at + <usize>k, load<u8>(from + <usize>k));
        continue;
      }
      const fx = <i32>((sx - x0) * 32.0 + 0.5);
      const fy = <i32>((sy - y0) * 32.0 + 0.5);
      const w00 = (32 - fx) * (32 - fy);
      const w01 = fx * (32 - fy);
      const w10 = (32 - fx) * fy;
      const w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < fw && y0 + 1 < fh) {
        const p00 = src + <usize>((<i32>y0 * sw + <i32>x0) * c);
        const p10 = p00 + <usize>(sw * c);
        const cs = <usize>c;
        for (let k: usize = 0; k < cs; k++) {
          const v = <i32>load<u8>(p00 + k) * w00 + <i32>load<u8>(p00 + cs + k) * w01 + <i32>load<u8>(p10 + k) * w10 + <i32>load<u8>(p10 + cs + k) * w11;
          store<u8>(at + k, <u8>((v + 512) >> 10));
        }
        continue;
      }
      if (mode == 0 && (x0 + 1 < 0 || y0 + 1 < 0 || x0 >= fw || y0 >= fh)) {
        // All four neighbours outside: the fill (what the weighted sum below gives).
        for (let k = 0; k < c; k++) store<u8>(at + <usize>k, load<u8>(fill + <usize>k));
        continue;
      }
      const ix0 = borderIndex(x0, fw, mode);
      const ix1 = borderIndex(x0 + 1, fw, mode);
      const iy0 = borderIndex(y0, fh, mode);
      const iy1 = borderIndex(y0 + 1, fh, mode);
      for (let k = 0; k < c; k++) {
        const byte = <i32>load<u8>(fill + <usize>k);
        const v00 = ix0 < 0 || iy0 < 0 ? byte : <i32>load<u8>(src + <usize>((<i32>iy0 * sw + <i32>ix0) * c + k));
        const v01 = ix1 < 0 || iy0 < 0 ? byte : <i32>load<u8>(src + <usize>((<i32>iy0 * sw + <i32>ix1) * c + k));
        const v10 = ix0 < 0 || iy1 < 0 ? byte : <i32>load<u8>(src + <usize>((<i32>iy1 * sw + <i32>ix0) * c + k));
        const v11 = ix1 < 0 || iy1 < 0 ? byte : <i32>load<u8>(src + <usize>((<i32>iy1 * sw + <i32>ix1) * c + k));
        store<u8>(at + <usize>k, <u8>((v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + 512) >> 10));
      }
    }
  }
}

// ---- PIL-style enhancers and 3 x 3 filters (in place or into dst) ------------------------------

// JavaScript's Math.round (halves towards +infinity), without a branch.
@inline function jsRound(v: f64): f64 {
  const r = Math.ceil(v);
  return select<f64>(r - 1, r, r - 0.5 > v);
}

// v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v) (the same bytes, no branches).
@inline function roundClampByte(v: f64): u8 {
  return <u8>(<i32>Math.min(255.0, Math.max(0.0, jsRound(v))));
}

// Two bytes as float64x2, and back (after roundClampPair: integers in 0..255).
@inline function loadBytePair(at: usize): v128 {
  return f64x2.convert_low_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load16_splat(at))));
}

@inline function storeBytePair(at: usize, v: v128): void {
  const w = i32x4.trunc_sat_f64x2_u_zero(v);
  v128.store16_lane(at, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(w, w), w), 0);
}

// roundClampByte on two lanes: Math.round, then 0..255 (NaN to 0, as a Uint8Array store).
@inline function roundClampPair(v: v128): v128 {
  const ceil = f64x2.ceil(v);
  const rounded = v128.bitselect(f64x2.sub(ceil, f64x2.splat(1)), ceil, f64x2.gt(f64x2.sub(ceil, f64x2.splat(0.5)), v));
  return f64x2.pmin(f64x2.pmax(f64x2.splat(0), rounded), f64x2.splat(255));
}

// out = d + f (v - d) on the first n of c channels, d a constant (brightness, contrast). Where
// every channel is blended (n = c) the bytes are one flat run: two per float64x2 step.
export function blendConstant(data: usize, length: i32, c: i32, n: i32, f: f64, d: f64): void {
  if (n == c) {
    const fv = f64x2.splat(f);
    const dv = f64x2.splat(d);
    let i = 0;
    for (; i + 2 <= length; i += 2) {
      const at = data + <usize>i;
      storeBytePair(at, roundClampPair(f64x2.add(dv, f64x2.mul(fv, f64x2.sub(loadBytePair(at), dv)))));
    }
    for (; i < length; i++) store<u8>(data + <usize>i, roundClampByte(d + f * (<f64>load<u8>(data + <usize>i) - d)));
    return;
  }
  for (let i = 0; i < length; i += c)
    for (let k = 0; k < n; k++) {
      const at = data + <usize>(i + k);
      store<u8>(at, roundClampByte(d + f * (<f64>load<u8>(at) - d)));
    }
}

// out = d + f (v - d) with d read from a degenerate image of the same layout (colour, sharpness).
export function blendImage(data: usize, degenerate: usize, length: i32, c: i32, n: i32, f: f64): void {
  if (n == c) {
    const fv = f64x2.splat(f);
    let i = 0;
    for (; i + 2 <= length; i += 2) {
      const at = data + <usize>i;
      const base = loadBytePair(degenerate + <usize>i);
      storeBytePair(at, roundClampPair(f64x2.add(base, f64x2.mul(fv, f64x2.sub(loadBytePair(at), base)))));
    }
    for (; i < length; i++) {
      const base = <f64>load<u8>(degenerate + <usize>i);
      store<u8>(data + <usize>i, roundClampByte(base + f * (<f64>load<u8>(data + <usize>i) - base)));
    }
    return;
  }
  for (let i = 0; i < length; i += c)
    for (let k = 0; k < n; k++) {
      const at = data + <usize>(i + k);
      const base = <f64>load<u8>(degenerate + <usize>(i + k));
      store<u8>(at, roundClampByte(base + f * (<f64>load<u8>(at) - base)));
    }
}

// Every colour channel set to round(0.299 r + 0.587 g + 0.114 b) (PIL's "L").
export function grayscaleRound(data: usize, length: i32, c: i32): void {
  for (let i = 0; i < length; i += c) {
    const at = data + <usize>i;
    const y = <u8>(<i32>jsRound(0.299 * <f64>load<u8>(at) + 0.587 * <f64>load<u8>(at, 1) + 0.114 * <f64>load<u8>(at, 2)));
    store<u8>(at, y);
    store<u8>(at, y, 1);
    store<u8>(at, y, 2);
  }
}

// 3 x 3 convolution (kernel: 9 float64, row-major) of the first n channels into dst (which holds a
// copy of src, so other channels stay), borders replicated, sums in the TypeScript loop's order.
export function convolve3x3(src: usize, dst: usize, w: i32, h: i32, c: i32, n: i32, kernel: usize): void {
  const k0 = load<f64>(kernel), k1 = load<f64>(kernel, 8), k2 = load<f64>(kernel, 16);
  const k3 = load<f64>(kernel, 24), k4 = load<f64>(kernel, 32), k5 = load<f64>(kernel, 40);
  const k6 = load<f64>(kernel, 48), k7 = load<f64>(kernel, 56), k8 = load<f64>(kernel, 64);
  const row = <usize>(w * c);
  const cs = <usize>c;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const interior = x > 0 && y > 0 && x < w - 1 && y < h - 1;
      if (interior && n == c && x == 1) {
        // The row's interior pixels as one flat run of bytes, two per float64x2 step (same sums).
        const end = <usize>((y * w + w - 1) * c);
        let i = <usize>((y * w + 1) * c);
        for (; i + 2 <= end; i += 2) {
          const p = src + i;
          let acc = f64x2.mul(f64x2.splat(k0), loadBytePair(p - row - cs));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k1), loadBytePair(p - row)));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k2), loadBytePair(p - row + cs)));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k3), loadBytePair(p - cs)));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k4), loadBytePair(p)));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k5), loadBytePair(p + cs)));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k6), loadBytePair(p + row - cs)));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k7), loadBytePair(p + row)));
          acc = f64x2.add(acc, f64x2.mul(f64x2.splat(k8), loadBytePair(p + row + cs)));
          storeBytePair(dst + i, roundClampPair(acc));
        }
        for (; i < end; i++) {
          const p = src + i;
          const acc =
            k0 * <f64>load<u8>(p - row - cs) + k1 * <f64>load<u8>(p - row) + k2 * <f64>load<u8>(p - row + cs) +
            k3 * <f64>load<u8>(p - cs) + k4 * <f64>load<u8>(p) + k5 * <f64>load<u8>(p + cs) +
            k6 * <f64>load<u8>(p + row - cs) + k7 * <f64>load<u8>(p + row) + k8 * <f64>load<u8>(p + row + cs);
          store<u8>(dst + i, roundClampByte(acc));
        }
        x = w - 2; // continue with the row's last pixel
        continue;
      }
      for (let ch = 0; ch < n; ch++) {
        const i = <usize>((y * w + x) * c + ch);
        let acc: f64;
        if (interior) {
          const p = src + i;
          acc =
            k0 * <f64>load<u8>(p - row - cs) + k1 * <f64>load<u8>(p - row) + k2 * <f64>load<u8>(p - row + cs) +
            k3 * <f64>load<u8>(p - cs) + k4 * <f64>load<u8>(p) + k5 * <f64>load<u8>(p + cs) +
            k6 * <f64>load<u8>(p + row - cs) + k7 * <f64>load<u8>(p + row) + k8 * <f64>load<u8>(p + row + cs);
        } else {
          acc = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const yy = clampIndex(y + dy, h);
              const xx = clampIndex(x + dx, w);
              acc += load<f64>(kernel + (<usize>((dy + 1) * 3 + dx + 1) << 3)) * <f64>load<u8>(src + <usize>((yy * w + xx) * c + ch));
            }
        }
        store<u8>(dst + i, roundClampByte(acc));
      }
    }
}

// ---- Median ------------------------------------------------------------------------------------

// Median filter of odd size k, borders replicated. For k = 3 and 5 the interior runs 16 bytes at a
// time (assembly/median.ts); other bytes (borders, tails, other k) gather their window into
// `scratch` (k * k bytes) and sort it.
export function medianFilter(src: usize, dst: usize, w: i32, h: i32, c: i32, k: i32, scratch: usize): void {
  const r = (k - 1) / 2;
  const row = <usize>(w * c);
  const cs = <usize>c;
  const vector = (k == 3 || k == 5) && w > 2 * r;
  for (let y = 0; y < h; y++) {
    const base = y * w * c;
    const rowEnd = base + w * c;
    let i = base;
    if (vector && y >= r && y < h - r) {
      const start = base + r * c;
      const end = base + (w - r) * c;
      for (; i < start; i++) store<u8>(dst + <usize>i, medianAt(src, i - base, y, w, h, c, r, scratch));
      for (; i + 16 <= end; i += 16) v128.store(dst + <usize>i, k == 3 ? median9(src + <usize>i, row, cs) : median25(src + <usize>i, row, cs));
    }
    for (; i < rowEnd; i++) store<u8>(dst + <usize>i, medianAt(src, i - base, y, w, h, c, r, scratch));
  }
}

function medianAt(src: usize, j: i32, y: i32, w: i32, h: i32, c: i32, r: i32, scratch: usize): u8 {
  const x = j / c;
  const ch = j - x * c;
  let count = 0;
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) {
      const v = load<u8>(src + <usize>((clampIndex(y + dy, h) * w + clampIndex(x + dx, w)) * c + ch));
      // Insertion into the sorted prefix.
      let at = count++;
      while (at > 0 && load<u8>(scratch + <usize>(at - 1)) > v) {
        store<u8>(scratch + <usize>at, load<u8>(scratch + <usize>(at - 1)));
        at--;
      }
      store<u8>(scratch + <usize>at, v);
    }
  return load<u8>(scratch + <usize>(count >> 1));
}
