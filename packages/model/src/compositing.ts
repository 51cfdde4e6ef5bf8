/** Turning a segmentation into pictures: binary masks, cut-outs, background blur and replacement. */
import * as tf from '@tensorflow/tfjs-core';
import { InputError, imageToRgbTensor, type ImageInput, type RgbaImage } from './pixels.js';
import type { Segmentation } from './segmenter.js';

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** An RGBA picture of the mask, body-segmentation style: `foreground` where the person is, `background` elsewhere. */
export function toBinaryMask(
  segmentation: Segmentation,
  foreground: Rgba = { r: 0, g: 0, b: 0, a: 0 },
  background: Rgba = { r: 0, g: 0, b: 0, a: 255 },
): RgbaImage {
  const { width, height, mask } = segmentation;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i] ? foreground : background;
    data[4 * i] = c.r;
    data[4 * i + 1] = c.g;
    data[4 * i + 2] = c.b;
    data[4 * i + 3] = c.a;
  }
  return { data, width, height };
}

export interface CompositeOptions {
  /** Use the probability as alpha (smooth edges) instead of the binary mask. Default true. */
  soft?: boolean;
}

function alphaTensor(segmentation: Segmentation, soft: boolean): tf.Tensor3D {
  const { width, height } = segmentation;
  const values = soft ? segmentation.probabilities : Float32Array.from(segmentation.mask);
  return tf.tensor3d(values, [height, width, 1]);
}

function checkSameSize(image: tf.Tensor3D, segmentation: Segmentation): void {
  const [h, w] = image.shape;
  if (h !== segmentation.height || w !== segmentation.width) {
    throw new InputError(`image is ${w} x ${h} but the segmentation is ${segmentation.width} x ${segmentation.height}`);
  }
}

async function toRgba(rgb: tf.Tensor3D, alpha: tf.Tensor3D | null): Promise<RgbaImage> {
  const [height, width] = rgb.shape;
  const rgba = tf.tidy(() => {
    const a = alpha ? tf.mul(alpha, 255) : tf.fill([height, width, 1], 255);
    return tf.cast(tf.clipByValue(tf.round(tf.concat([rgb, a], 2)), 0, 255), 'int32');
  });
  try {
    return { data: Uint8ClampedArray.from((await rgba.data()) as Int32Array), width, height };
  } finally {
    rgba.dispose();
  }
}

/** The person on a transparent background (RGBA, alpha from the segmentation). */
export async function cutout(image: ImageInput, segmentation: Segmentation, options: CompositeOptions = {}): Promise<RgbaImage> {
  const rgb = imageToRgbTensor(image);
  const alpha = alphaTensor(segmentation, options.soft ?? true);
  try {
    checkSameSize(rgb, segmentation);
    return await toRgba(rgb, alpha);
  } finally {
    rgb.dispose();
    alpha.dispose();
  }
}

/** Separable Gaussian blur with edge renormalisation (no dark border). */
export function gaussianBlur(rgb: tf.Tensor3D, sigma: number): tf.Tensor3D {
  if (!(sigma > 0)) return rgb.clone();
  return tf.tidy(() => {
    const radius = Math.max(1, Math.ceil(3 * sigma));
    const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
    const sum = taps.reduce((a, b) => a + b, 0);
    const kernel = taps.map((t) => t / sum);
    const blur = (x: tf.Tensor4D) => {
      const c = x.shape[3];
      const horizontal = tf.tile(tf.tensor4d(kernel, [1, kernel.length, 1, 1]), [1, 1, c, 1]);
      const vertical = tf.tile(tf.tensor4d(kernel, [kernel.length, 1, 1, 1]), [1, 1, c, 1]);
      return tf.depthwiseConv2d(tf.depthwiseConv2d(x, horizontal as tf.Tensor4D, 1, 'same'), vertical as tf.Tensor4D, 1, 'same');
    };
    const x = tf.expandDims(rgb, 0) as tf.Tensor4D;
    const weight = blur(tf.onesLike(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1])));
    return tf.squeeze(tf.div(blur(x), weight), [0]) as tf.Tensor3D;
  });
}

/** The photo over `background(rgb)` where the segmentation says background; alpha = probability (soft) or mask. */
async function overBackground(image: ImageInput, segmentation: Segmentation, soft: boolean, background: (rgb: tf.Tensor3D) => tf.Tensor3D): Promise<RgbaImage> {
  const rgb = imageToRgbTensor(image);
  try {
    checkSameSize(rgb, segmentation);
    const blended = tf.tidy(() => {
      const alpha = alphaTensor(segmentation, soft);
      return tf.add(tf.mul(rgb, alpha), tf.mul(background(rgb), tf.sub(1, alpha))) as tf.Tensor3D;
    });
    try {
      return await toRgba(blended, null);
    } finally {
      blended.dispose();
    }
  } finally {
    rgb.dispose();
  }
}

export interface BlurOptions extends CompositeOptions {
  /** Gaussian sigma of the background blur in pixels. Default 1% of the image diagonal, at least 2. */
  sigma?: number;
}

/** Bokeh: the background blurred, the person sharp. */
export function blurBackground(image: ImageInput, segmentation: Segmentation, options: BlurOptions = {}): Promise<RgbaImage> {
  const sigma = options.sigma ?? Math.max(2, 0.01 * Math.hypot(segmentation.width, segmentation.height));
  return overBackground(image, segmentation, options.soft ?? true, (rgb) => gaussianBlur(rgb, sigma));
}

/** A colour as [r, g, b] (0..255) or '#rrggbb'. */
export type Colour = [number, number, number] | string;

export function parseColour(colour: Colour): [number, number, number] {
  if (Array.isArray(colour)) {
    if (colour.length !== 3 || colour.some((c) => !(c >= 0 && c <= 255))) throw new InputError(`colour must be three values in 0..255, got ${JSON.stringify(colour)}`);
    return colour;
  }
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour.trim());
  if (!m) throw new InputError(`colour must look like #rrggbb, got '${colour}'`);
  return [Number.parseInt(m[1], 16), Number.parseInt(m[2], 16), Number.parseInt(m[3], 16)];
}

/** The person over a new background: a colour, or an image (stretched to the photo's size). */
export async function replaceBackground(image: ImageInput, segmentation: Segmentation, background: Colour | ImageInput, options: CompositeOptions = {}): Promise<RgbaImage> {
  const colour = Array.isArray(background) || typeof background === 'string' ? parseColour(background as Colour) : null;
  return overBackground(image, segmentation, options.soft ?? true, (rgb) => {
    const [h, w] = rgb.shape;
    if (colour) return tf.broadcastTo(tf.tensor1d(colour), [h, w, 3]) as tf.Tensor3D;
    const b = imageToRgbTensor(background as ImageInput, 'background');
    return b.shape[0] === h && b.shape[1] === w ? b : tf.image.resizeBilinear(b, [h, w], false, true);
  });
}
