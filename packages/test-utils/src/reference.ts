/**
 * Plain-loop NHWC reference implementations, written from the definitions (PyTorch semantics),
 * independent of any tf op: what the layer tests compare against.
 */

export interface Image {
  /** [n, h, w, c] */
  shape: [number, number, number, number];
  data: Float32Array;
}

const idx = (s: Image['shape'], n: number, y: number, x: number, c: number) => ((n * s[1] + y) * s[2] + x) * s[3] + c;

export function makeImage(shape: Image['shape'], data?: ArrayLike<number>): Image {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: data ? Float32Array.from(data) : new Float32Array(size) };
}

/** Convolution with symmetric zero padding `pad`, kernel [kh][kw][cin][cout] flattened (HWIO). */
export function conv2d(x: Image, kernel: ArrayLike<number>, k: number, cout: number, stride: number, pad: number, groups = 1): Image {
  const [n, h, w, cin] = x.shape;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out = makeImage([n, oh, ow, cout]);
  const cinG = cin / groups;
  const coutG = cout / groups;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let co = 0; co < cout; co++) {
          const g = Math.floor(co / coutG);
          let sum = 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride - pad + ky;
              const ix = ox * stride - pad + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cinG; ci++) sum += x.data[idx(x.shape, b, iy, ix, g * cinG + ci)]! * kernel[((ky * k + kx) * cinG + ci) * cout + co]!;
            }
          out.data[idx(out.shape, b, oy, ox, co)] = sum;
        }
  return out;
}

/** Depthwise convolution, kernel [kh][kw][c][1]. */
export function depthwiseConv2d(x: Image, kernel: ArrayLike<number>, k: number, stride: number, pad: number): Image {
  const [n, h, w, c] = x.shape;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out = makeImage([n, oh, ow, c]);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride - pad + ky;
              const ix = ox * stride - pad + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) sum += x.data[idx(x.shape, b, iy, ix, ch)]! * kernel[(ky * k + kx) * c + ch]!;
            }
          out.data[idx(out.shape, b, oy, ox, ch)] = sum;
        }
  return out;
}

export function avgPool(x: Image, k: number): Image {
  const [n, h, w, c] = x.shape;
  const oh = Math.floor(h / k);
  const ow = Math.floor(w / k);
  const out = makeImage([n, oh, ow, c]);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let y = 0; y < k; y++) for (let xx = 0; xx < k; xx++) sum += x.data[idx(x.shape, b, oy * k + y, ox * k + xx, ch)]!;
          out.data[idx(out.shape, b, oy, ox, ch)] = sum / (k * k);
        }
  return out;
}

/** Bilinear resize, align_corners=True: source = dest * (in - 1) / (out - 1). */
export function resizeAlignCorners(x: Image, oh: number, ow: number): Image {
  const [n, h, w, c] = x.shape;
  const out = makeImage([n, oh, ow, c]);
  const sy = oh > 1 ? (h - 1) / (oh - 1) : 0;
  const sx = ow > 1 ? (w - 1) / (ow - 1) : 0;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const fy = oy * sy;
        const fx = ox * sx;
        const y0 = Math.floor(fy);
        const x0 = Math.floor(fx);
        const y1 = Math.min(y0 + 1, h - 1);
        const x1 = Math.min(x0 + 1, w - 1);
        const dy = fy - y0;
        const dx = fx - x0;
        for (let ch = 0; ch < c; ch++) {
          const v = (yy: number, xx: number) => x.data[idx(x.shape, b, yy, xx, ch)]!;
          out.data[idx(out.shape, b, oy, ox, ch)] = (1 - dy) * ((1 - dx) * v(y0, x0) + dx * v(y0, x1)) + dy * ((1 - dx) * v(y1, x0) + dx * v(y1, x1));
        }
      }
  return out;
}

export interface BatchNormParams {
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
}

export function batchNorm(x: Image, p: BatchNormParams, epsilon: number): Image {
  const c = x.shape[3];
  const out = makeImage(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const ch = i % c;
    out.data[i] = ((x.data[i]! - p.mean[ch]!) / Math.sqrt(p.variance[ch]! + epsilon)) * p.gamma[ch]! + p.beta[ch]!;
  }
  return out;
}

export function prelu(x: Image, alpha: ArrayLike<number>): Image {
  const c = x.shape[3];
  const out = makeImage(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = x.data[i]! >= 0 ? x.data[i]! : alpha[i % c]! * x.data[i]!;
  return out;
}

export function add(a: Image, b: Image): Image {
  return makeImage(a.shape, a.data.map((v, i) => v + b.data[i]!));
}

/** Concatenation on the channel axis. */
export function concat(parts: Image[]): Image {
  const [n, h, w] = parts[0]!.shape;
  const c = parts.reduce((s, p) => s + p.shape[3], 0);
  const out = makeImage([n, h, w, c]);
  for (let p = 0, offset = 0; p < parts.length; offset += parts[p]!.shape[3], p++)
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let ch = 0; ch < parts[p]!.shape[3]; ch++) out.data[idx(out.shape, b, y, x, offset + ch)] = parts[p]!.data[idx(parts[p]!.shape, b, y, x, ch)]!;
  return out;
}

/** Channel shuffle as PyTorch does it on NCHW: view(g, c/g) -> transpose -> flatten. */
export function channelShuffle(x: Image, groups: number): Image {
  const [n, h, w, c] = x.shape;
  const perGroup = c / groups;
  const out = makeImage(x.shape);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let g = 0; g < groups; g++)
          for (let i = 0; i < perGroup; i++) out.data[idx(x.shape, b, y, xx, i * groups + g)] = x.data[idx(x.shape, b, y, xx, g * perGroup + i)]!;
  return out;
}

/** Dense layer on a [n, cin] matrix with kernel [cin][cout]. */
export function dense(x: ArrayLike<number>, n: number, cin: number, kernel: ArrayLike<number>, bias: ArrayLike<number>, cout: number): Float32Array {
  const out = new Float32Array(n * cout);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < cout; o++) {
      let s = bias[o]!;
      for (let i = 0; i < cin; i++) s += x[b * cin + i]! * kernel[i * cout + o]!;
      out[b * cout + o] = s;
    }
  return out;
}
