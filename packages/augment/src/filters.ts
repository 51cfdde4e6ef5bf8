/**
 * Spatial filters on 8-bit images, per channel, borders replicated (cv2's default for blurs).
 * Each pass handles the interior without bounds checks and only the border pixels with clamping.
 */
import { clampByte, newImage, type ImageU8 } from './image.js';

/** One 1-D pass along x (step = channels) or y (step = row stride), replicated borders. */
function pass1d(src: ArrayLike<number>, dst: Float32Array | Uint8Array, lines: number, length: number, lineStride: number, step: number, channels: number, kernel: Float32Array): void {
  const r = (kernel.length - 1) / 2;
  const round = dst instanceof Uint8Array;
  for (let line = 0; line < lines; line++)
    for (let ch = 0; ch < channels; ch++) {
      const base = line * lineStride + ch;
      for (let i = 0; i < length; i++) {
        let acc = 0;
        if (i >= r && i < length - r) {
          let at = base + (i - r) * step;
          for (let t = 0; t < kernel.length; t++, at += step) acc += kernel[t] * src[at];
        } else {
          for (let t = -r; t <= r; t++) {
            const j = i + t < 0 ? 0 : i + t >= length ? length - 1 : i + t;
            acc += kernel[t + r] * src[base + j * step];
          }
        }
        dst[base + i * step] = round ? (acc <= 0 ? 0 : acc >= 255 ? 255 : acc + 0.5) : acc;
      }
    }
}

/**
 * Vertical 1-D convolution done row by row: each output row is a weighted sum of whole input
 * rows, so memory is read contiguously.
 */
function verticalPass(src: Float32Array, dst: Uint8Array | Float32Array, rowLength: number, h: number, kernel: Float32Array): void {
  const r = (kernel.length - 1) / 2;
  const acc = new Float32Array(rowLength);
  const round = dst instanceof Uint8Array;
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let t = -r; t <= r; t++) {
      const yy = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t;
      const wt = kernel[t + r];
      const from = yy * rowLength;
      for (let i = 0; i < rowLength; i++) acc[i] += wt * src[from + i];
    }
    const to = y * rowLength;
    if (round) for (let i = 0; i < rowLength; i++) dst[to + i] = acc[i] <= 0 ? 0 : acc[i] >= 255 ? 255 : acc[i] + 0.5;
    else dst.set(acc, to);
  }
}

/** Separable convolution with a symmetric 1-D kernel along x then y. */
export function separableFilter(src: ImageU8, kernel: Float32Array): ImageU8 {
  const { width: w, height: h, channels: c } = src;
  const tmp = new Float32Array(w * h * c);
  pass1d(src.data, tmp, h, w, w * c, c, c, kernel);
  const out = newImage(w, h, c);
  verticalPass(tmp, out.data as Uint8Array, w * c, h, kernel);
  return out;
}

export function gaussianKernel(sigma: number, radius = Math.max(1, Math.ceil(3 * sigma))): Float32Array {
  const k = Float32Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

/** Running-sum box filter along x (sums, not means), replicated borders; interior without branches. */
function boxPass(src: ArrayLike<number>, dst: Float32Array, lines: number, length: number, lineStride: number, step: number, channels: number, r: number): void {
  for (let line = 0; line < lines; line++)
    for (let ch = 0; ch < channels; ch++) {
      const base = line * lineStride + ch;
      const first = src[base];
      const last = src[base + (length - 1) * step];
      let acc = 0;
      for (let t = -r; t <= r; t++) acc += src[base + (t < 0 ? 0 : t >= length ? length - 1 : t) * step];
      let i = 0;
      // Left edge: the leaving value is the replicated first pixel.
      for (; i <= r && i < length; i++) {
        dst[base + i * step] = acc;
        const add = i + r + 1;
        acc += (add < length ? src[base + add * step] : last) - first;
      }
      // Interior: both ends inside the line.
      for (; i < length - r - 1; i++) {
        dst[base + i * step] = acc;
        acc += src[base + (i + r + 1) * step] - src[base + (i - r) * step];
      }
      // Right edge: the entering value is the replicated last pixel.
      for (; i < length; i++) {
        dst[base + i * step] = acc;
        const remove = i - r;
        acc += last - (remove > 0 ? src[base + remove * step] : first);
      }
    }
}

/** Vertical running-sum box pass, row by row (contiguous reads). */
function boxPassVertical(src: Float32Array, dst: Float32Array, rowLength: number, h: number, r: number): void {
  const acc = new Float32Array(rowLength);
  const row = (y: number) => (y < 0 ? 0 : y >= h ? h - 1 : y) * rowLength;
  for (let t = -r; t <= r; t++) {
    const from = row(t);
    for (let i = 0; i < rowLength; i++) acc[i] += src[from + i];
  }
  for (let y = 0; y < h; y++) {
    dst.set(acc, y * rowLength);
    const add = row(y + r + 1);
    const remove = row(y - r);
    for (let i = 0; i < rowLength; i++) acc[i] += src[add + i] - src[remove + i];
  }
}

/** Box filter of odd size k via running sums (cost independent of k). */
export function boxFilter(src: ImageU8, k: number): ImageU8 {
  const { width: w, height: h, channels: c } = src;
  const r = (k - 1) / 2;
  const tmp = new Float32Array(w * h * c);
  const sums = new Float32Array(w * h * c);
  boxPass(src.data, tmp, h, w, w * c, c, c, r);
  boxPassVertical(tmp, sums, w * c, h, r);
  const out = newImage(w, h, c);
  const inv = 1 / (k * k);
  for (let i = 0; i < sums.length; i++) out.data[i] = sums[i] * inv + 0.5;
  return out;
}

/** Three box blurs in a row (a Gaussian stand-in), all in float until the end. */
export function tripleBoxFilter(src: ImageU8, sizes: [number, number, number]): ImageU8 {
  const { width: w, height: h, channels: c } = src;
  const a = new Float32Array(w * h * c);
  const b = new Float32Array(w * h * c);
  let scale = 1;
  // Ping-pong between two buffers: src -> a -> b -> a -> b -> a -> b.
  sizes.forEach((k, i) => {
    const r = (k - 1) / 2;
    boxPass(i === 0 ? src.data : b, a, h, w, w * c, c, c, r);
    boxPassVertical(a, b, w * c, h, r);
    scale *= k * k;
  });
  const out = newImage(w, h, c);
  const inv = 1 / scale;
  for (let i = 0; i < b.length; i++) out.data[i] = b[i] * inv + 0.5;
  return out;
}

/** Median filter of odd size k: a sliding histogram per row (Huang), exact for 8-bit data. */
export function medianFilter(src: ImageU8, k: number): ImageU8 {
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
      for (let j = 0; j < k; j++) for (let dx = -r; dx <= r; dx++) hist[data[rows[j] + column(dx)]]++;
      // m: current median; below: how many window values are < m.
      let m = 0;
      let below = 0;
      while (below + hist[m] <= half) below += hist[m++];
      for (let x = 0; x < w; x++) {
        out.data[(y * w + x) * c + ch] = m;
        if (x === w - 1) break;
        const goneAt = column(x - r);
        const comeAt = column(x + r + 1);
        for (let j = 0; j < k; j++) {
          const gone = data[rows[j] + goneAt];
          const come = data[rows[j] + comeAt];
          hist[gone]--;
          if (gone < m) below--;
          hist[come]++;
          if (come < m) below++;
        }
        while (below > half) below -= hist[--m];
        while (below + hist[m] <= half) below += hist[m++];
      }
    }
  return out;
}

/** 3 x 3 convolution with a full kernel (row-major) on the first `channels` channels, borders replicated. */
export function convolve3x3(src: ImageU8, kernel: number[], channels: number): ImageU8 {
  const { width: w, height: h, channels: c, data } = src;
  const out = { ...src, data: new Uint8Array(data) };
  const row = w * c;
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = kernel;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const interior = x > 0 && y > 0 && x < w - 1 && y < h - 1;
      for (let ch = 0; ch < channels; ch++) {
        const i = (y * w + x) * c + ch;
        let acc: number;
        if (interior) {
          acc =
            k0 * data[i - row - c] + k1 * data[i - row] + k2 * data[i - row + c] +
            k3 * data[i - c] + k4 * data[i] + k5 * data[i + c] +
            k6 * data[i + row - c] + k7 * data[i + row] + k8 * data[i + row + c];
        } else {
          acc = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
              const xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
              acc += kernel[(dy + 1) * 3 + dx + 1] * data[(yy * w + xx) * c + ch];
            }
        }
        out.data[i] = clampByte(acc);
      }
    }
  return out;
}
