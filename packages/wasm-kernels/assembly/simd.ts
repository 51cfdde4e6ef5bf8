// SIMD kernels for tfjs's wasm backend, in AssemblyScript (compiled by `asc` with --enable simd
// --importMemory): the module works in the backend's own memory, so arguments are byte offsets
// of float32 NHWC tensors on the tfjs heap; outputs are overwritten. It has no data segments and
// never grows memory (emscripten owns that heap). Channels are the innermost index, so each inner loop
// runs over 4 contiguous channels per f32x4 with a scalar tail.

// dst[0:n] += s * src[0:n]
@inline function axpy(dst: usize, src: usize, s: f32, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>(i << 2);
    v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(sv, v128.load(src + o))));
  }
  for (; i < n; i++) {
    const o = <usize>(i << 2);
    store<f32>(dst + o, load<f32>(dst + o) + s * load<f32>(src + o));
  }
}

// dst[0:n] += a[0:n] * b[0:n]
@inline function fma(dst: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>(i << 2);
    v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(a + o), v128.load(b + o))));
  }
  for (; i < n; i++) {
    const o = <usize>(i << 2);
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(a + o) * load<f32>(b + o));
  }
}

/** C[K, N] = A[P, K]^T B[P, N]: a pointwise convolution's filter gradient (A = x, B = dy). */
export function gemmTN(a: usize, b: usize, c: usize, P: i32, K: i32, N: i32): void {
  memory.fill(c, 0, <usize>(K * N) << 2);
  for (let p = 0; p < P; p++) {
    const aRow = a + (<usize>(p * K) << 2);
    const bRow = b + (<usize>(p * N) << 2);
    for (let k = 0; k < K; k++) {
      const s = load<f32>(aRow + (<usize>k << 2));
      if (s == 0) continue;
      axpy(c + (<usize>(k * N) << 2), bRow, s, N);
    }
  }
}

/** D[P, K] = B[P, N] Wt[N, K]: a pointwise convolution's input gradient (B = dy, Wt = W transposed). */
export function gemmNN(b: usize, wt: usize, d: usize, P: i32, N: i32, K: i32): void {
  memory.fill(d, 0, <usize>(P * K) << 2);
  for (let p = 0; p < P; p++) {
    const bRow = b + (<usize>(p * N) << 2);
    const dRow = d + (<usize>(p * K) << 2);
    for (let n = 0; n < N; n++) {
      const s = load<f32>(bRow + (<usize>n << 2));
      if (s == 0) continue;
      axpy(dRow, wt + (<usize>(n * K) << 2), s, K);
    }
  }
}

/** dW[fh, fw, Ci, Co] of a convolution: sum over pixels of x[.., ci] * dy[.., co]. */
export function convFilterGrad(x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, Ci: i32, OH: i32, OW: i32, Co: i32, FH: i32, FW: i32, SH: i32, SW: i32, top: i32, left: i32): void {
  memory.fill(dw, 0, <usize>(FH * FW * Ci * Co) << 2);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const dyAt = dy + (<usize>(((n * OH + oy) * OW + ox) * Co) << 2);
        for (let ky = 0; ky < FH; ky++) {
          const iy = oy * SH - top + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < FW; kx++) {
            const ix = ox * SW - left + kx;
            if (ix < 0 || ix >= W) continue;
            const xAt = x + (<usize>(((n * H + iy) * W + ix) * Ci) << 2);
            const wAt = dw + (<usize>((ky * FW + kx) * Ci * Co) << 2);
            for (let ci = 0; ci < Ci; ci++) {
              const s = load<f32>(xAt + (<usize>ci << 2));
              if (s == 0) continue;
              axpy(wAt + (<usize>(ci * Co) << 2), dyAt, s, Co);
            }
          }
        }
      }
}

/**
 * Walks every (output pixel, tap) pair of a depthwise convolution (multiplier 1) and accumulates
 * one gradient: the input's, dx[.., c] += dy[.., c] * w[ky, kx, c] (`a` = w), or the filter's,
 * dW[ky, kx, c] += x[.., c] * dy[.., c] (`a` = x). One loop nest for both; the flag is constant
 * per call.
 */
function depthwiseGrad(forFilter: bool, dy: usize, a: usize, out: usize, N: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, FH: i32, FW: i32, SH: i32, SW: i32, DH: i32, DW: i32, top: i32, left: i32): void {
  memory.fill(out, 0, <usize>((forFilter ? FH * FW : N * H * W) * C) << 2);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const dyAt = dy + (<usize>(((n * OH + oy) * OW + ox) * C) << 2);
        for (let ky = 0; ky < FH; ky++) {
          const iy = oy * SH - top + ky * DH;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < FW; kx++) {
            const ix = ox * SW - left + kx * DW;
            if (ix < 0 || ix >= W) continue;
            const pixel = <usize>(((n * H + iy) * W + ix) * C) << 2;
            const tap = <usize>((ky * FW + kx) * C) << 2;
            if (forFilter) fma(out + tap, a + pixel, dyAt, C);
            else fma(out + pixel, dyAt, a + tap, C);
          }
        }
      }
}

/** Depthwise (multiplier 1) input gradient: dx[.., c] += dy[.., c] * w[ky, kx, c]. */
export function depthwiseInputGrad(dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, FH: i32, FW: i32, SH: i32, SW: i32, DH: i32, DW: i32, top: i32, left: i32): void {
  depthwiseGrad(false, dy, w, dx, N, H, W, C, OH, OW, FH, FW, SH, SW, DH, DW, top, left);
}

/** Depthwise (multiplier 1) filter gradient: dW[ky, kx, c] += x[.., c] * dy[.., c]. */
export function depthwiseFilterGrad(x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, FH: i32, FW: i32, SH: i32, SW: i32, DH: i32, DW: i32, top: i32, left: i32): void {
  depthwiseGrad(true, dy, x, dw, N, H, W, C, OH, OW, FH, FW, SH, SW, DH, DW, top, left);
}

/**
 * out[C] = sum over P rows of x[P, C]: a reduction over every axis but the channels. Rows are
 * summed in blocks of 256 into `scratch` (C floats) first, so rounding grows with 256 + P / 256
 * rather than with P.
 */
export function channelSum(x: usize, out: usize, scratch: usize, P: i32, C: i32): void {
  memory.fill(out, 0, <usize>C << 2);
  for (let start = 0; start < P; start += 256) {
    memory.fill(scratch, 0, <usize>C << 2);
    const end = min(P, start + 256);
    for (let p = start; p < end; p++) axpy(scratch, x + (<usize>(p * C) << 2), 1, C);
    axpy(out, scratch, 1, C);
  }
}

/** out[p, c] = x[p, c] * a[c] + b[c]: BatchNorm at inference (a, b folded from its statistics). */
export function channelAffine(x: usize, a: usize, b: usize, out: usize, P: i32, C: i32): void {
  for (let p = 0; p < P; p++) {
    const row = <usize>(p * C) << 2;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>(c << 2);
      v128.store(out + row + o, f32x4.add(f32x4.mul(v128.load(x + row + o), v128.load(a + o)), v128.load(b + o)));
    }
    for (; c < C; c++) {
      const o = <usize>(c << 2);
      store<f32>(out + row + o, load<f32>(x + row + o) * load<f32>(a + o) + load<f32>(b + o));
    }
  }
}

/** PReLU's input gradient: dx = dy where x > 0, else dy * alpha[c]. */
export function preluGradInput(x: usize, dy: usize, alpha: usize, dx: usize, P: i32, C: i32): void {
  const zero = f32x4.splat(0);
  for (let p = 0; p < P; p++) {
    const row = <usize>(p * C) << 2;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>(c << 2);
      const g = v128.load(dy + row + o);
      v128.store(dx + row + o, v128.bitselect(g, f32x4.mul(g, v128.load(alpha + o)), f32x4.gt(v128.load(x + row + o), zero)));
    }
    for (; c < C; c++) {
      const o = <usize>(c << 2);
      const g = load<f32>(dy + row + o);
      store<f32>(dx + row + o, load<f32>(x + row + o) > 0 ? g : g * load<f32>(alpha + o));
    }
  }
}

/**
 * PReLU's alpha gradient: dAlpha[c] = sum of dy * x where x <= 0. `scratch` (C floats)
 * accumulates blocks of 256 rows as in channelSum.
 */
export function preluGradAlpha(x: usize, dy: usize, dAlpha: usize, scratch: usize, P: i32, C: i32): void {
  const zero = f32x4.splat(0);
  memory.fill(dAlpha, 0, <usize>C << 2);
  for (let start = 0; start < P; start += 256) {
    memory.fill(scratch, 0, <usize>C << 2);
    const end = min(P, start + 256);
    for (let p = start; p < end; p++) {
      const row = <usize>(p * C) << 2;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>(c << 2);
        const xv = v128.load(x + row + o);
        v128.store(scratch + o, f32x4.add(v128.load(scratch + o), v128.andnot(f32x4.mul(v128.load(dy + row + o), xv), f32x4.gt(xv, zero))));
      }
      for (; c < C; c++) {
        const o = <usize>(c << 2);
        const xs = load<f32>(x + row + o);
        if (!(xs > 0)) store<f32>(scratch + o, load<f32>(scratch + o) + load<f32>(dy + row + o) * xs);
      }
    }
    axpy(dAlpha, scratch, 1, C);
  }
}

/**
 * Copies `rows` rows of `width` floats from src (rows `srcStride` floats apart) to dst (rows
 * `dstStride` apart): Concat and SplitV along any axis are one such copy per input or output.
 */
export function stridedCopy(src: usize, dst: usize, rows: i32, width: i32, srcStride: i32, dstStride: i32): void {
  for (let r = 0; r < rows; r++) {
    const from = src + (<usize>(r * srcStride) << 2);
    const to = dst + (<usize>(r * dstStride) << 2);
    let c = 0;
    for (; c + 4 <= width; c += 4) v128.store(to + (<usize>c << 2), v128.load(from + (<usize>c << 2)));
    for (; c < width; c++) store<f32>(to + (<usize>c << 2), load<f32>(from + (<usize>c << 2)));
  }
}

// x[0:n] *= s
@inline function scaleInPlace(x: usize, s: f32, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(x + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * s);
}

/**
 * Training BatchNorm's statistics: mean[C] and biased variance[C] of x[P, C], the variance taken
 * around the mean in a second pass (not E[x^2] - mean^2, which cancels). `scratch`: C floats.
 */
export function channelMoments(x: usize, mean: usize, variance: usize, scratch: usize, P: i32, C: i32): void {
  channelSum(x, mean, scratch, P, C);
  const inv = <f32>(1.0 / <f64>P);
  scaleInPlace(mean, inv, C);
  memory.fill(variance, 0, <usize>C << 2);
  for (let start = 0; start < P; start += 256) {
    memory.fill(scratch, 0, <usize>C << 2);
    const end = min(P, start + 256);
    for (let p = start; p < end; p++) {
      const row = x + (<usize>(p * C) << 2);
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>(c << 2);
        const d = f32x4.sub(v128.load(row + o), v128.load(mean + o));
        v128.store(scratch + o, f32x4.add(v128.load(scratch + o), f32x4.mul(d, d)));
      }
      for (; c < C; c++) {
        const o = <usize>(c << 2);
        const d = load<f32>(row + o) - load<f32>(mean + o);
        store<f32>(scratch + o, load<f32>(scratch + o) + d * d);
      }
    }
    axpy(variance, scratch, 1, C);
  }
  scaleInPlace(variance, inv, C);
}

/**
 * Training BatchNorm's backward sums in one pass: sumDy[c] = sum of dy, sumDyXc[c] = sum of
 * dy (x - mean). `scratch`: 2C floats (blocks of 256 rows, as channelSum).
 */
export function batchNormGradSums(x: usize, dy: usize, mean: usize, sumDy: usize, sumDyXc: usize, scratch: usize, P: i32, C: i32): void {
  const s2 = scratch + (<usize>C << 2);
  memory.fill(sumDy, 0, <usize>C << 2);
  memory.fill(sumDyXc, 0, <usize>C << 2);
  for (let start = 0; start < P; start += 256) {
    memory.fill(scratch, 0, <usize>C << 3);
    const end = min(P, start + 256);
    for (let p = start; p < end; p++) {
      const row = <usize>(p * C) << 2;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>(c << 2);
        const g = v128.load(dy + row + o);
        v128.store(scratch + o, f32x4.add(v128.load(scratch + o), g));
        v128.store(s2 + o, f32x4.add(v128.load(s2 + o), f32x4.mul(g, f32x4.sub(v128.load(x + row + o), v128.load(mean + o)))));
      }
      for (; c < C; c++) {
        const o = <usize>(c << 2);
        const g = load<f32>(dy + row + o);
        store<f32>(scratch + o, load<f32>(scratch + o) + g);
        store<f32>(s2 + o, load<f32>(s2 + o) + g * (load<f32>(x + row + o) - load<f32>(mean + o)));
      }
    }
    axpy(sumDy, scratch, 1, C);
    axpy(sumDyXc, s2, 1, C);
  }
}

/** Training BatchNorm's input gradient: dx = a[c] dy + b[c] (x - mean[c]) + d[c]. */
export function batchNormGradInput(x: usize, dy: usize, mean: usize, a: usize, b: usize, d: usize, dx: usize, P: i32, C: i32): void {
  for (let p = 0; p < P; p++) {
    const row = <usize>(p * C) << 2;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>(c << 2);
      const centred = f32x4.sub(v128.load(x + row + o), v128.load(mean + o));
      v128.store(dx + row + o, f32x4.add(f32x4.add(f32x4.mul(v128.load(dy + row + o), v128.load(a + o)), f32x4.mul(centred, v128.load(b + o))), v128.load(d + o)));
    }
    for (; c < C; c++) {
      const o = <usize>(c << 2);
      store<f32>(dx + row + o, load<f32>(dy + row + o) * load<f32>(a + o) + (load<f32>(x + row + o) - load<f32>(mean + o)) * load<f32>(b + o) + load<f32>(d + o));
    }
  }
}
