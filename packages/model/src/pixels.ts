/** Turning the inputs users have (tensors, raw pixels, browser images) into RGB float tensors. */
import * as tf from '@tensorflow/tfjs-core';
import type { Preprocessing } from './types.js';
import { ModelError } from './errors.js';

/** Raw interleaved pixels, row-major; `ImageData` is one (4 channels). */
export interface PixelData {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA); inferred from data.length when omitted. */
  channels?: number;
}

/** RGBA pixels as returned by the compositing helpers; can be put on a canvas with `new ImageData(data, width, height)`. */
export interface RgbaImage {
  /** Over a plain ArrayBuffer, as `ImageData` requires (TypeScript 5.7+ tells the two apart). */
  data: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

/** What tf.browser.fromPixels reads: ImageData, <img>, <canvas>, <video>, ImageBitmap and the like. */
export type BrowserPixels = Parameters<typeof tf.browser.fromPixels>[0];

export type ImageInput = tf.Tensor3D | PixelData | BrowserPixels;

export class InputError extends ModelError {
  constructor(message: string) {
    super(message, 'INPUT');
  }
}

export function isPixelData(x: unknown): x is PixelData {
  const p = x as PixelData;
  return !!p && typeof p === 'object' && !(p instanceof tf.Tensor) && ArrayBuffer.isView(p.data) && typeof p.width === 'number' && typeof p.height === 'number';
}

export function pixelChannels(p: PixelData, what = 'image'): number {
  if (!Number.isInteger(p.width) || !Number.isInteger(p.height) || p.width < 1 || p.height < 1) {
    throw new InputError(`${what}: width and height must be positive integers, got ${p.width} x ${p.height}`);
  }
  const channels = p.channels ?? p.data.length / (p.width * p.height);
  if (![1, 3, 4].includes(channels) || p.data.length !== channels * p.width * p.height) {
    throw new InputError(`${what}: ${p.data.length} values do not make a ${p.width} x ${p.height} image of 1, 3 or 4 channels`);
  }
  return channels;
}

/** [height, width, 1|3|4] tensor of any numeric dtype -> float32 [height, width, 3] RGB on 0..255. */
function toRgb3D(x: tf.Tensor3D, what: string): tf.Tensor3D {
  const channels = x.shape[2];
  if (x.shape[0] < 1 || x.shape[1] < 1) throw new InputError(`${what}: an empty image (shape [${x.shape}]); width and height must be at least 1`);
  if (![1, 3, 4].includes(channels)) throw new InputError(`${what}: expected 1, 3 or 4 channels, got shape [${x.shape}]`);
  return tf.tidy(() => {
    const f = tf.cast(x, 'float32');
    if (channels === 3) return f;
    if (channels === 4) return tf.slice(f, [0, 0, 0], [-1, -1, 3]);
    return tf.tile(f, [1, 1, 3]);
  });
}

/** One image -> float32 [height, width, 3] RGB, values 0..255. The caller disposes the result. */
/**
 * The largest image segmenting and compositing take at full resolution: 24 megapixels (e.g.
 * 6000 x 4000). Beyond it the wasm backend's heap runs out in the middle of a blur, and that
 * breaks every later image of the process; a larger image is refused before any tensor exists.
 */
export const MAX_IMAGE_PIXELS = 24_000_000;

/** Width and height of an image input, where they can be known without reading its pixels. */
function inputSize(input: ImageInput): [number, number] | null {
  if (input instanceof tf.Tensor) return input.rank === 3 ? [input.shape[1], input.shape[0]] : null;
  const sized = input as { width?: unknown; height?: unknown; videoWidth?: unknown; videoHeight?: unknown; naturalWidth?: unknown; naturalHeight?: unknown };
  const w = Number(sized.videoWidth || sized.naturalWidth || sized.width);
  const h = Number(sized.videoHeight || sized.naturalHeight || sized.height);
  return Number.isFinite(w) && Number.isFinite(h) ? [w, h] : null;
}

/**
 * An <img> at the size of its photo: tfjs reads an image element at its display size (`width`,
 * `height`), so `<img width=300>` of a 600 x 800 photo gave a 300 x 400 result.
 */
function atNaturalSize(input: BrowserPixels): BrowserPixels {
  if (typeof HTMLImageElement === 'undefined' || !(input instanceof HTMLImageElement)) return input;
  const { naturalWidth: w, naturalHeight: h } = input;
  if (!w || !h || (w === input.width && h === input.height)) return input;
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return input;
  ctx.drawImage(input, 0, 0);
  return canvas;
}

export function imageToRgbTensor(input: ImageInput, what = 'image'): tf.Tensor3D {
  if (input === null || input === undefined || typeof input !== 'object') throw new InputError(`${what}: expected a tf.Tensor3D, {data, width, height} pixels or a browser image, got ${input === null ? 'null' : typeof input}`);
  const size = inputSize(input);
  if (size && size[0] * size[1] > MAX_IMAGE_PIXELS) {
    throw new InputError(`${what} of ${size[0]} x ${size[1]} (${((size[0] * size[1]) / 1e6).toFixed(1)} MP) is larger than the ${MAX_IMAGE_PIXELS / 1e6} MP segmenting and compositing take (e.g. 6000 x 4000); downscale it first`);
  }
  if (input instanceof tf.Tensor) {
    if (input.rank !== 3) throw new InputError(`${what}: expected a [height, width, channels] tensor, got rank ${input.rank}; use segmentBatch for [batch, height, width, channels]`);
    return toRgb3D(input, what);
  }
  if (isPixelData(input)) {
    const channels = pixelChannels(input, what);
    return tf.tidy(() => toRgb3D(tf.tensor3d(Float32Array.from(input.data), [input.height, input.width, channels]), what));
  }
  if (typeof (tf.browser as { fromPixels?: unknown }).fromPixels === 'function') {
    return tf.tidy(() => toRgb3D(tf.browser.fromPixels(atNaturalSize(input as BrowserPixels), 3), what));
  }
  throw new InputError(`${what}: unsupported input; pass a tf.Tensor3D, {data, width, height} pixels or a browser image`);
}

/**
 * Resizes a batch of RGB images to the model's input size and applies its preprocessing.
 * Bilinear with half-pixel centres, as OpenCV's INTER_LINEAR in the official pipeline.
 */
export function preprocess(rgb: tf.Tensor4D, p: Preprocessing, size: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = rgb.shape;
    const x = h === size[0] && w === size[1] ? rgb : tf.image.resizeBilinear(rgb, size, false, true);
    // Channel order, mean and scale as one 1 x 1 convolution: out[c] = in[source(c)] * k[c] - mean[c] * k[c].
    // One pass on every backend (tf.reverse over channels alone cost more than a SINet layer on wasm).
    const k = p.std.map((s) => p.scale / s);
    const source = (c: number) => (p.channelOrder === 'BGR' ? 2 - c : c);
    const mix = new Float32Array(9);
    for (let c = 0; c < 3; c++) mix[source(c) * 3 + c] = k[c]!;
    return tf.fused.conv2d({ x, filter: tf.tensor4d(mix, [1, 1, 3, 3]), strides: 1, pad: 'valid', bias: tf.tensor1d(p.mean.map((m, c) => -m * k[c]!)) }) as tf.Tensor4D;
  });
}
