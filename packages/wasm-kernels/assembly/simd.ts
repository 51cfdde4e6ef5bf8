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

// Rows of P processed together by gemmTN: its A and B blocks (64 x K and 64 x N floats) stay in
// L1/L2 while every 4 x 8 tile of C runs over them.
const GEMM_ROWS = 64;

/** C[K, N] = A[P, K]^T B[P, N]: a pointwise convolution's filter gradient (A = x, B = dy). */
export function gemmTN(a: usize, b: usize, c: usize, P: i32, K: i32, N: i32): void {
  memory.fill(c, 0, <usize>(K * N) << 2);
  const K4 = K & ~3;
  const N8 = N & ~7;
  for (let p0 = 0; p0 < P; p0 += GEMM_ROWS) {
    const p1 = min(P, p0 + GEMM_ROWS);
    for (let k = 0; k < K4; k += 4) {
      const c0 = c + (<usize>(k * N) << 2);
      const c1 = c0 + (<usize>N << 2);
      const c2 = c1 + (<usize>N << 2);
      const c3 = c2 + (<usize>N << 2);
      // 4 x 8 tiles of C held in registers over the block's rows.
      for (let n = 0; n < N8; n += 8) {
        const o = <usize>n << 2;
        let x00 = v128.load(c0 + o), x01 = v128.load(c0 + o + 16);
        let x10 = v128.load(c1 + o), x11 = v128.load(c1 + o + 16);
        let x20 = v128.load(c2 + o), x21 = v128.load(c2 + o + 16);
        let x30 = v128.load(c3 + o), x31 = v128.load(c3 + o + 16);
        for (let p = p0; p < p1; p++) {
          const bRow = b + (<usize>(p * N) << 2) + o;
          const b0 = v128.load(bRow);
          const b1 = v128.load(bRow + 16);
          const aAt = a + (<usize>(p * K + k) << 2);
          const a0 = f32x4.splat(load<f32>(aAt));
          const a1 = f32x4.splat(load<f32>(aAt + 4));
          const a2 = f32x4.splat(load<f32>(aAt + 8));
          const a3 = f32x4.splat(load<f32>(aAt + 12));
          x00 = f32x4.add(x00, f32x4.mul(a0, b0)); x01 = f32x4.add(x01, f32x4.mul(a0, b1));
          x10 = f32x4.add(x10, f32x4.mul(a1, b0)); x11 = f32x4.add(x11, f32x4.mul(a1, b1));
          x20 = f32x4.add(x20, f32x4.mul(a2, b0)); x21 = f32x4.add(x21, f32x4.mul(a2, b1));
          x30 = f32x4.add(x30, f32x4.mul(a3, b0)); x31 = f32x4.add(x31, f32x4.mul(a3, b1));
        }
        v128.store(c0 + o, x00); v128.store(c0 + o + 16, x01);
        v128.store(c1 + o, x10); v128.store(c1 + o + 16, x11);
        v128.store(c2 + o, x20); v128.store(c2 + o + 16, x21);
        v128.store(c3 + o, x30); v128.store(c3 + o + 16, x31);
      }
      // The last N % 8 columns of these 4 rows.
      if (N8 < N) {
        for (let p = p0; p < p1; p++) {
          const bRow = b + (<usize>(p * N) << 2);
          const aAt = a + (<usize>(p * K + k) << 2);
          const a0 = load<f32>(aAt), a1 = load<f32>(aAt + 4), a2 = load<f32>(aAt + 8), a3 = load<f32>(aAt + 12);
          for (let n = N8; n < N; n++) {
            const o = <usize>n << 2;
            const bv = load<f32>(bRow + o);
            store<f32>(c0 + o, load<f32>(c0 + o) + a0 * bv);
            store<f32>(c1 + o, load<f32>(c1 + o) + a1 * bv);
            store<f32>(c2 + o, load<f32>(c2 + o) + a2 * bv);
            store<f32>(c3 + o, load<f32>(c3 + o) + a3 * bv);
          }
        }
      }
    }
    // The last K % 4 rows of C.
    for (let k = K4; k < K; k++) {
      const cRow = c + (<usize>(k * N) << 2);
      for (let p = p0; p < p1; p++) axpy(cRow, b + (<usize>(p * N) << 2), load<f32>(a + (<usize>(p * K + k) << 2)), N);
    }
  }
}

/** D[P, K] = B[P, N] Wt[N, K]: a pointwise convolution's input gradient (B = dy, Wt = W transposed). */
export function gemmNN(b: usize, wt: usize, d: usize, P: i32, N: i32, K: i32): void {
  const P4 = P & ~3;
  const K8 = K & ~7;
  const rowB = <usize>N << 2;
  const rowD = <usize>K << 2;
  // 4 rows x 8 columns of D in registers; Wt (N x K) stays in L1.
  for (let p = 0; p < P4; p += 4) {
    const b0 = b + <usize>p * rowB;
    const d0 = d + <usize>p * rowD;
    for (let k = 0; k < K8; k += 8) {
      const o = <usize>k << 2;
      let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
      let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
      for (let n = 0; n < N; n++) {
        const wRow = wt + <usize>n * rowD + o;
        const w0 = v128.load(wRow);
        const w1 = v128.load(wRow + 16);
        const bAt = b0 + (<usize>n << 2);
        const s0 = f32x4.splat(load<f32>(bAt));
        const s1 = f32x4.splat(load<f32>(bAt + rowB));
        const s2 = f32x4.splat(load<f32>(bAt + 2 * rowB));
        const s3 = f32x4.splat(load<f32>(bAt + 3 * rowB));
        x00 = f32x4.add(x00, f32x4.mul(s0, w0)); x01 = f32x4.add(x01, f32x4.mul(s0, w1));
        x10 = f32x4.add(x10, f32x4.mul(s1, w0)); x11 = f32x4.add(x11, f32x4.mul(s1, w1));
        x20 = f32x4.add(x20, f32x4.mul(s2, w0)); x21 = f32x4.add(x21, f32x4.mul(s2, w1));
        x30 = f32x4.add(x30, f32x4.mul(s3, w0)); x31 = f32x4.add(x31, f32x4.mul(s3, w1));
      }
      v128.store(d0 + o, x00); v128.store(d0 + o + 16, x01);
      v128.store(d0 + rowD + o, x10); v128.store(d0 + rowD + o + 16, x11);
      v128.store(d0 + 2 * rowD + o, x20); v128.store(d0 + 2 * rowD + o + 16, x21);
      v128.store(d0 + 3 * rowD + o, x30); v128.store(d0 + 3 * rowD + o + 16, x31);
    }
    for (let r = 0; r < 4; r++) gemmRowTail(b0 + <usize>r * rowB, wt, d0 + <usize>r * rowD, N, K, K8);
  }
  for (let p = P4; p < P; p++) gemmRowTail(b + <usize>p * rowB, wt, d + <usize>p * rowD, N, K, 0);
}

/** Columns [from, K) of one row of D = B Wt. */
@inline function gemmRowTail(bRow: usize, wt: usize, dRow: usize, N: i32, K: i32, from: i32): void {
  if (from >= K) return;
  memory.fill(dRow + (<usize>from << 2), 0, <usize>(K - from) << 2);
  for (let n = 0; n < N; n++) {
    const s = load<f32>(bRow + (<usize>n << 2));
    axpy(dRow + (<usize>from << 2), wt + (<usize>(n * K + from) << 2), s, K - from);
  }
}

/** The first input column >= 0 that tap kx reads for some output column (stride SW, padding left). */
@inline function firstInputColumn(kx: i32, left: i32, SW: i32): i32 {
  let ix = kx - left;
  if (ix < 0) ix += ((SW - 1 - ix) / SW) * SW;
  return ix;
}

/**
 * dW[fh, fw, Ci, Co] of a convolution: sum over pixels of x[.., ci] * dy[.., co]. Rows of the
 * output run per tap over the columns where that tap is inside the input, so no pixel is
 * bounds-checked in the inner loops.
 */
export function convFilterGrad(x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, Ci: i32, OH: i32, OW: i32, Co: i32, FH: i32, FW: i32, SH: i32, SW: i32, top: i32, left: i32): void {
  if (Ci == 2 && Co == 2 && SW == 1) {
    convFilterGrad2to2(x, dy, dw, N, H, W, OH, OW, FH, FW, SH, top, left);
    return;
  }
  if (Ci == 3 && Co == 12) {
    convFilterGrad3to12(x, dy, dw, N, H, W, OH, OW, FH, FW, SH, SW, top, left);
    return;
  }
  memory.fill(dw, 0, <usize>(FH * FW * Ci * Co) << 2);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++) {
      const dyRow = dy + (<usize>((n * OH + oy) * OW * Co) << 2);
      for (let ky = 0; ky < FH; ky++) {
        const iy = oy * SH - top + ky;
        if (iy < 0 || iy >= H) continue;
        const xRow = x + (<usize>((n * H + iy) * W * Ci) << 2);
        for (let kx = 0; kx < FW; kx++) {
          const wAt = dw + (<usize>((ky * FW + kx) * Ci * Co) << 2);
          // Output columns whose input column ox * SW - left + kx lies in [0, W).
          const first = max(0, (left - kx + SW - 1) / SW);
          const last = min(OW, (W - 1 + left - kx) / SW + 1);
          for (let ox = first; ox < last; ox++) {
            const xAt = xRow + (<usize>((ox * SW - left + kx) * Ci) << 2);
            const dyAt = dyRow + (<usize>(ox * Co) << 2);
            for (let ci = 0; ci < Ci; ci++) {
              const s = load<f32>(xAt + (<usize>ci << 2));
              if (s == 0) continue;
              axpy(wAt + (<usize>(ci * Co) << 2), dyAt, s, Co);
            }
          }
        }
      }
    }
}

/**
 * convFilterGrad for 3 input and 12 output channels (SINet's first convolution, on the RGB
 * image): one tap at a time, its 3 x 12 block of dW held in nine vector registers over every
 * output pixel, instead of loading and storing dW rows for each pixel, tap and input channel.
 */
function convFilterGrad3to12(x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, OH: i32, OW: i32, FH: i32, FW: i32, SH: i32, SW: i32, top: i32, left: i32): void {
  for (let ky = 0; ky < FH; ky++)
    for (let kx = 0; kx < FW; kx++) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
      const first = max(0, (left - kx + SW - 1) / SW);
      const last = min(OW, (W - 1 + left - kx) / SW + 1);
      for (let n = 0; n < N; n++)
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * SH - top + ky;
          if (iy < 0 || iy >= H) continue;
          const xRow = x + (<usize>((n * H + iy) * W * 3) << 2);
          const dyRow = dy + (<usize>((n * OH + oy) * OW * 12) << 2);
          for (let ox = first; ox < last; ox++) {
            const xAt = xRow + (<usize>((ox * SW - left + kx) * 3) << 2);
            const g = dyRow + (<usize>(ox * 12) << 2);
            const g0 = v128.load(g), g1 = v128.load(g, 16), g2 = v128.load(g, 32);
            const s0 = f32x4.splat(load<f32>(xAt)), s1 = f32x4.splat(load<f32>(xAt, 4)), s2 = f32x4.splat(load<f32>(xAt, 8));
            a0 = f32x4.add(a0, f32x4.mul(s0, g0)); a1 = f32x4.add(a1, f32x4.mul(s0, g1)); a2 = f32x4.add(a2, f32x4.mul(s0, g2));
            b0 = f32x4.add(b0, f32x4.mul(s1, g0)); b1 = f32x4.add(b1, f32x4.mul(s1, g1)); b2 = f32x4.add(b2, f32x4.mul(s1, g2));
            c0 = f32x4.add(c0, f32x4.mul(s2, g0)); c1 = f32x4.add(c1, f32x4.mul(s2, g1)); c2 = f32x4.add(c2, f32x4.mul(s2, g2));
          }
        }
      const at = dw + (<usize>((ky * FW + kx) * 36) << 2);
      v128.store(at, a0); v128.store(at, a1, 16); v128.store(at, a2, 32);
      v128.store(at, b0, 48); v128.store(at, b1, 64); v128.store(at, b2, 80);
      v128.store(at, c0, 96); v128.store(at, c1, 112); v128.store(at, c2, 128);
    }
}

/**
 * convFilterGrad for 2 input and 2 output channels at column stride 1 (SINet's full-resolution
 * head with two classes): two pixels per vector. With x = [a0 a1 b0 b1] and dy = [p0 p1 q0 q1]
 * (pixels a, b; channels 0, 1), [a0 a0 b0 b0] * dy sums into dW[0][0..1] (lanes 0+2, 1+3) and
 * [a1 a1 b1 b1] * dy into dW[1][0..1].
 */
function convFilterGrad2to2(x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, OH: i32, OW: i32, FH: i32, FW: i32, SH: i32, top: i32, left: i32): void {
  for (let ky = 0; ky < FH; ky++)
    for (let kx = 0; kx < FW; kx++) {
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let tail0: f32 = 0, tail1: f32 = 0, tail2: f32 = 0, tail3: f32 = 0;
      const first = max(0, left - kx);
      const last = min(OW, W + left - kx);
      for (let n = 0; n < N; n++)
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * SH - top + ky;
          if (iy < 0 || iy >= H) continue;
          const xRow = x + (<usize>(((n * H + iy) * W - left + kx) * 2) << 2);
          const dyRow = dy + (<usize>((n * OH + oy) * OW * 2) << 2);
          let ox = first;
          for (; ox + 2 <= last; ox += 2) {
            const xv = v128.load(xRow + (<usize>(ox * 2) << 2));
            const g = v128.load(dyRow + (<usize>(ox * 2) << 2));
            acc0 = f32x4.add(acc0, f32x4.mul(v128.shuffle<f32>(xv, xv, 0, 0, 2, 2), g));
            acc1 = f32x4.add(acc1, f32x4.mul(v128.shuffle<f32>(xv, xv, 1, 1, 3, 3), g));
          }
          if (ox < last) {
            const xa = xRow + (<usize>(ox * 2) << 2);
            const ga = dyRow + (<usize>(ox * 2) << 2);
            const x0 = load<f32>(xa), x1 = load<f32>(xa + 4), g0 = load<f32>(ga), g1 = load<f32>(ga + 4);
            tail0 += x0 * g0;
            tail1 += x0 * g1;
            tail2 += x1 * g0;
            tail3 += x1 * g1;
          }
        }
      const at = dw + (<usize>((ky * FW + kx) * 4) << 2);
      store<f32>(at, f32x4.extract_lane(acc0, 0) + f32x4.extract_lane(acc0, 2) + tail0);
      store<f32>(at + 4, f32x4.extract_lane(acc0, 1) + f32x4.extract_lane(acc0, 3) + tail1);
      store<f32>(at + 8, f32x4.extract_lane(acc1, 0) + f32x4.extract_lane(acc1, 2) + tail2);
      store<f32>(at + 12, f32x4.extract_lane(acc1, 1) + f32x4.extract_lane(acc1, 3) + tail3);
    }
}

/** sum over i < n of a[i] * b[i], 4 lanes at a time. */
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
  let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) sum += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return sum;
}

/**
 * dX[N, H, W, Ci] of a convolution (any kernel, stride and padding): each input pixel gathers
 * W[ky, kx, ci, :] . dy[oy, ox, :] over the taps that reach it, a tap's columns at a time.
 */
export function convInputGrad(dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, Ci: i32, OH: i32, OW: i32, Co: i32, FH: i32, FW: i32, SH: i32, SW: i32, top: i32, left: i32): void {
  memory.fill(dx, 0, <usize>(N * H * W * Ci) << 2);
  for (let n = 0; n < N; n++)
    for (let iy = 0; iy < H; iy++) {
      const dxRow = dx + (<usize>((n * H + iy) * W * Ci) << 2);
      for (let ky = 0; ky < FH; ky++) {
        const ty = iy + top - ky;
        if (ty < 0 || ty % SH != 0 || ty / SH >= OH) continue;
        const dyRow = dy + (<usize>((n * OH + ty / SH) * OW * Co) << 2);
        for (let kx = 0; kx < FW; kx++) {
          const wTap = w + (<usize>((ky * FW + kx) * Ci * Co) << 2);
          for (let ix = firstInputColumn(kx, left, SW); ix < W; ix += SW) {
            const ox = (ix + left - kx) / SW;
            if (ox >= OW) break;
            const dyAt = dyRow + (<usize>(ox * Co) << 2);
            const dxAt = dxRow + (<usize>(ix * Ci) << 2);
            for (let ci = 0; ci < Ci; ci++) {
              const o = <usize>ci << 2;
              store<f32>(dxAt + o, load<f32>(dxAt + o) + dot(wTap + (<usize>(ci * Co) << 2), dyAt, Co));
            }
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

/**
 * One AdamW step over n values, in place: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * w = (w - lr (m / c1) / (sqrt(v / c2) + eps)) * keep, where c1, c2 are the bias corrections
 * (1 - beta^t) and keep = 1 - lr * weightDecay (1 for parameters that are not decayed).
 */
export function adamW(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32, c1: f32, c2: f32, keep: f32): void {
  const vb1 = f32x4.splat(b1), vb1c = f32x4.splat(1 - b1), vb2 = f32x4.splat(b2), vb2c = f32x4.splat(1 - b2);
  const vlr = f32x4.splat(lr), veps = f32x4.splat(eps), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), vkeep = f32x4.splat(keep);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>(i << 2);
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gv, vb1c));
    const vv = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gv, gv), vb2c));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.div(mv, vc1), f32x4.add(f32x4.sqrt(f32x4.div(vv, vc2)), veps));
    v128.store(w + o, f32x4.mul(f32x4.sub(v128.load(w + o), f32x4.mul(vlr, step)), vkeep));
  }
  for (; i < n; i++) {
    const o = <usize>(i << 2);
    const gs = load<f32>(g + o);
    const ms = load<f32>(m + o) * b1 + gs * (1 - b1);
    const vs = load<f32>(v + o) * b2 + gs * gs * (1 - b2);
    store<f32>(m + o, ms);
    store<f32>(v + o, vs);
    store<f32>(w + o, (load<f32>(w + o) - lr * ((ms / c1) / (Mathf.sqrt(vs / c2) + eps))) * keep);
  }
}

/**
 * Softmax cross-entropy with a coefficient per pixel, value and gradient in one pass over the
 * logits x[P, C]: returns sum_p k_p * nll_p with nll_p = -sum_c t_pc log softmax_pc, and writes
 * grad = k_p (softmax_p * sum_c t_pc - t_p). Two classes take one exp and one log a pixel.
 */
export function weightedNll(x: usize, t: usize, k: usize, grad: usize, P: i32, C: i32): f64 {
  let total: f64 = 0;
  for (let p = 0; p < P; p++) {
    const row = <usize>(p * C) << 2;
    const coeff = load<f32>(k + (<usize>p << 2));
    if (C == 2) {
      const l0 = load<f32>(x + row), l1 = load<f32>(x + row + 4);
      const t0 = load<f32>(t + row), t1 = load<f32>(t + row + 4);
      const big = max(l0, l1);
      const e = Mathf.exp(-Mathf.abs(l0 - l1));
      const one: f32 = 1;
      const logZ = big + Mathf.log(one + e);
      const sBig = one / (one + e);
      const s0: f32 = l0 >= l1 ? sBig : one - sBig;
      const st = t0 + t1;
      total += <f64>(coeff * (st * logZ - t0 * l0 - t1 * l1));
      store<f32>(grad + row, coeff * (s0 * st - t0));
      store<f32>(grad + row + 4, coeff * ((one - s0) * st - t1));
      continue;
    }
    let big = load<f32>(x + row);
    for (let c = 1; c < C; c++) big = max(big, load<f32>(x + row + (<usize>c << 2)));
    let sum: f32 = 0, st: f32 = 0, dot: f32 = 0;
    for (let c = 0; c < C; c++) {
      const o = row + (<usize>c << 2);
      const l = load<f32>(x + o), tc = load<f32>(t + o);
      sum += Mathf.exp(l - big);
      st += tc;
      dot += tc * l;
    }
    const logZ = big + Mathf.log(sum);
    total += <f64>(coeff * (st * logZ - dot));
    for (let c = 0; c < C; c++) {
      const o = row + (<usize>c << 2);
      store<f32>(grad + o, coeff * (Mathf.exp(load<f32>(x + o) - logZ) * st - load<f32>(t + o)));
    }
  }
  return total;
}
