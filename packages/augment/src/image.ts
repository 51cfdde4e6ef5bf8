/** Plain pixel containers: no DOM, no tf. */
import { AugmentError } from './errors.js';

/** An 8-bit image, interleaved channels, row-major (ImageData is one with 4 channels). */
export interface ImageU8 {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/** A segmentation mask or any label map: one byte per pixel. */
export interface LabelMap {
  data: Uint8Array;
  width: number;
  height: number;
}

/** One image with its mask and any extra label maps, all of the same size. */
export interface Sample {
  image: ImageU8;
  mask?: LabelMap;
  maps?: Record<string, LabelMap>;
  /**
   * The size of the photo these pixels were resized from, when it differs (a stretched photo).
   * Augmenters that must keep natural proportions (CopyPaste) read it; others drop it.
   */
  frame?: { width: number; height: number };
}

/** A batch: images of any sizes, optional masks and named extra maps (one per image). */
export interface Batch {
  images: ImageU8[];
  masks?: LabelMap[];
  maps?: Record<string, LabelMap[]>;
}

export class AugmentInputError extends AugmentError {
  constructor(message: string) {
    super(message, 'INPUT');
  }
}

export function checkImage(image: ImageU8, where: string): void {
  if (!image || !ArrayBuffer.isView(image.data)) throw new AugmentInputError(`${where}: expected { data, width, height, channels }`);
  const { width, height, channels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new AugmentInputError(`${where}: width and height must be positive integers, got ${width} x ${height}`);
  if (![1, 3, 4].includes(channels)) throw new AugmentInputError(`${where}: channels must be 1, 3 or 4, got ${channels}`);
  if (image.data.length !== width * height * channels) throw new AugmentInputError(`${where}: ${image.data.length} bytes do not make a ${width} x ${height} x ${channels} image`);
}

export function checkLabelMap(map: LabelMap, image: ImageU8, where: string): void {
  if (!map || !ArrayBuffer.isView(map.data)) throw new AugmentInputError(`${where}: expected { data, width, height }`);
  if (map.width !== image.width || map.height !== image.height) throw new AugmentInputError(`${where} is ${map.width} x ${map.height} but its image is ${image.width} x ${image.height}`);
  if (map.data.length !== map.width * map.height) throw new AugmentInputError(`${where}: ${map.data.length} bytes do not make a ${map.width} x ${map.height} map`);
}

export function checkSample(sample: Sample, where = 'sample'): void {
  checkImage(sample.image, `${where} image`);
  if (sample.mask) checkLabelMap(sample.mask, sample.image, `${where} mask`);
  for (const [name, map] of Object.entries(sample.maps ?? {})) checkLabelMap(map, sample.image, `${where} map '${name}'`);
}

export const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

export function newImage(width: number, height: number, channels: 1 | 3 | 4): ImageU8 {
  return { data: new Uint8Array(width * height * channels), width, height, channels };
}

/** Applies `fn` to the sample's mask and every extra map. */
export function mapLabels(sample: Sample, fn: (map: LabelMap) => LabelMap): Pick<Sample, 'mask' | 'maps'> {
  return {
    mask: sample.mask && fn(sample.mask),
    maps: sample.maps && Object.fromEntries(Object.entries(sample.maps).map(([k, v]) => [k, fn(v)])),
  };
}
