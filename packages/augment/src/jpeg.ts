/**
 * JPEG compression artefacts (imgaug's JpegCompression): the image goes through a baseline JPEG
 * round trip as libjpeg does it (JFIF YCbCr, 4:2:0 chroma, 8 x 8 DCT, the standard tables scaled
 * by the IJG quality, triangle-filter chroma upsampling) without entropy coding, which is
 * lossless. Masks are untouched. Webcam frames and shared photos arrive like this.
 */
import { Augmenter, type AugmenterOptions } from './augmenter.js';
import { clampByte, type ImageU8, type Sample } from './image.js';
import { checkParam, sample, type Param } from './params.js';
import type { Rng } from './random.js';

/** ITU-T T.81 Annex K, tables K.1 and K.2, in row-major order. */
const LUMINANCE_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMINANCE_TABLE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** libjpeg's jpeg_quality_scaling and jpeg_add_quant_table (baseline: entries clamped to 1..255). */
export function quantizationTable(base: readonly number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return Float64Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

/** cos((2x + 1) u pi / 16) * c(u) / 2: the orthonormal 8-point DCT-II basis. */
const BASIS = (() => {
  const b = new Float64Array(64);
  for (let u = 0; u < 8; u++) for (let x = 0; x < 8; x++) b[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return b;
})();

/** Quantises one 8 x 8 block in place: DCT, round(F / Q) * Q, inverse DCT. */
function roundTripBlock(block: Float64Array, table: Float64Array, scratch: Float64Array): void {
  // Forward: rows, then columns (separable).
  for (let y = 0; y < 8; y++)
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += BASIS[u * 8 + x]! * block[y * 8 + x]!;
      scratch[y * 8 + u] = s;
    }
  for (let u = 0; u < 8; u++)
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += BASIS[v * 8 + y]! * scratch[y * 8 + u]!;
      // libjpeg: the coefficient times 8, rounded; then halves round away from zero.
      const q = table[v * 8 + u]!;
      const c8 = Math.round(8 * s);
      block[v * 8 + u] = Math.sign(c8) * Math.floor((Math.abs(c8) + 4 * q) / (8 * q)) * q;
    }
  // Inverse: columns, then rows.
  for (let u = 0; u < 8; u++)
    for (let y = 0; y < 8; y++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += BASIS[v * 8 + y]! * block[v * 8 + u]!;
      scratch[y * 8 + u] = s;
    }
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let u = 0; u < 8; u++) s += BASIS[u * 8 + x]! * scratch[y * 8 + u]!;
      block[y * 8 + x] = s;
    }
}

/** Round trip of one plane (level-shifted by 128), padded to whole blocks by edge replication. */
function roundTripPlane(plane: Float64Array, width: number, height: number, table: Float64Array): Float64Array {
  const out = new Float64Array(width * height);
  const block = new Float64Array(64);
  const scratch = new Float64Array(64);
  for (let by = 0; by < height; by += 8)
    for (let bx = 0; bx < width; bx += 8) {
      for (let y = 0; y < 8; y++) {
        const row = Math.min(by + y, height - 1) * width;
        for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[row + Math.min(bx + x, width - 1)]! - 128;
      }
      roundTripBlock(block, table, scratch);
      // The decoder clamps samples to 0..255 before upsampling and colour conversion.
      for (let y = 0; y < 8 && by + y < height; y++)
        for (let x = 0; x < 8 && bx + x < width; x++) out[(by + y) * width + bx + x] = Math.min(255, Math.max(0, Math.round(block[y * 8 + x]! + 128)));
    }
  return out;
}

/** The 4:2:0 chroma of a plane: the mean of each 2 x 2 cell, rounded with libjpeg's alternating bias (edges replicated). */
function downsample(plane: Float64Array, width: number, height: number): { data: Float64Array; width: number; height: number } {
  const w = Math.ceil(width / 2);
  const h = Math.ceil(height / 2);
  const data = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * width;
    const r1 = Math.min(2 * y + 1, height - 1) * width;
    for (let x = 0; x < w; x++) {
      const c0 = 2 * x;
      const c1 = Math.min(2 * x + 1, width - 1);
      data[y * w + x] = (plane[r0 + c0]! + plane[r0 + c1]! + plane[r1 + c0]! + plane[r1 + c1]! + 1 + (x & 1)) >> 2;
    }
  }
  return { data, width: w, height: h };
}

/**
 * libjpeg's "fancy" 4:2:0 upsampling (a triangle filter: 3/4 of the nearer chroma sample, 1/4 of
 * the next, in each direction), in its integer arithmetic, to full size.
 */
function upsample(chroma: Float64Array, w: number, h: number, width: number, height: number): Int32Array {
  const out = new Int32Array(width * height);
  const sums = new Int32Array(w);
  for (let y = 0; y < height; y++) {
    const row = y >> 1;
    // Upper output rows lean on the chroma row above, lower ones on the row below.
    const other = Math.min(h - 1, Math.max(0, y & 1 ? row + 1 : row - 1));
    for (let x = 0; x < w; x++) sums[x] = 3 * chroma[row * w + x]! + chroma[other * w + x]!;
    for (let x = 0; x < width; x++) {
      const c = x >> 1;
      const neighbour = x & 1 ? sums[Math.min(w - 1, c + 1)]! : sums[Math.max(0, c - 1)]!;
      out[y * width + x] = (3 * sums[c]! + neighbour + (x & 1 ? 7 : 8)) >> 4;
    }
  }
  return out;
}

/** A baseline JPEG round trip of an 8-bit image (1 channel: grey; 3 or 4: colour, alpha kept). */
export function jpegRoundTrip(image: ImageU8, quality: number): ImageU8 {
  const { width, height, channels } = image;
  const src = image.data;
  const n = width * height;
  const luminance = quantizationTable(LUMINANCE_TABLE, quality);
  const out = new Uint8Array(src.length);
  if (channels === 1) {
    out.set(roundTripPlane(Float64Array.from(src), width, height, luminance));
    return { ...image, data: out };
  }
  const Y = new Float64Array(n);
  const Cb = new Float64Array(n);
  const Cr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = src[i * channels]!;
    const g = src[i * channels + 1]!;
    const b = src[i * channels + 2]!;
    // libjpeg's fixed-point conversion rounds Y to nearest and Cb, Cr just below the half.
    Y[i] = Math.floor(0.299 * r + 0.587 * g + 0.114 * b + 0.5);
    Cb[i] = Math.floor(128 - 0.168736 * r - 0.331264 * g + 0.5 * b + 0.49999);
    Cr[i] = Math.floor(128 + 0.5 * r - 0.418688 * g - 0.081312 * b + 0.49999);
  }
  const chrominance = quantizationTable(CHROMINANCE_TABLE, quality);
  const y = roundTripPlane(Y, width, height, luminance);
  const cbSmall = downsample(Cb, width, height);
  const crSmall = downsample(Cr, width, height);
  const cb = roundTripPlane(cbSmall.data, cbSmall.width, cbSmall.height, chrominance);
  const cr = roundTripPlane(crSmall.data, crSmall.width, crSmall.height, chrominance);
  const cbFull = upsample(cb, cbSmall.width, cbSmall.height, width, height);
  const crFull = upsample(cr, crSmall.width, crSmall.height, width, height);
  for (let i = 0; i < n; i++) {
    const l = y[i]!;
    const u = cbFull[i]! - 128;
    const v = crFull[i]! - 128;
    const o = i * channels;
    out[o] = clampByte(l + Math.round(1.402 * v));
    out[o + 1] = clampByte(l + Math.floor(-0.344136 * u - 0.714136 * v + 0.5));
    out[o + 2] = clampByte(l + Math.round(1.772 * u));
    for (let k = 3; k < channels; k++) out[o + k] = src[o + k]!;
  }
  return { ...image, data: out };
}

export interface JpegCompressionOptions extends AugmenterOptions {
  /** Strength 0..100 as in imgaug: the JPEG quality is 100 - compression (at least 1). Default [70, 99]. */
  compression?: Param;
}

/** Re-encodes the image as a JPEG of a sampled quality, as imgaug's JpegCompression. */
export class JpegCompression extends Augmenter {
  constructor(private readonly o: JpegCompressionOptions = {}) {
    super(o);
    checkParam('JpegCompression', 'compression', o.compression, { min: 0, max: 100 });
  }
  protected apply(s: Sample, rng: Rng): Sample {
    const compression = sample(this.o.compression ?? [70, 99], rng);
    return { ...s, image: jpegRoundTrip(s.image, Math.max(1, 100 - Math.round(compression))) };
  }
}
