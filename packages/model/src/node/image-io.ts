/** Image files in Node through sharp (prebuilt binaries, installs offline). */
import path from 'node:path';
import { MAX_IMAGE_PIXELS, type PixelData, type RgbaImage } from '../pixels.js';
import { writeFileAtomic } from './atomic.js';
import { readRegularFile } from './regular-file.js';
import { ModelError } from '../errors.js';

export class ImageFileError extends ModelError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`, 'IMAGE_FILE');
  }
}

type Sharp = typeof import('sharp');
let sharpModule: Promise<Sharp> | null = null;

async function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then(
    (m) => ((m as unknown as { default?: Sharp }).default ?? (m as unknown as Sharp)),
    (e) => {
      sharpModule = null;
      throw new ModelError(`reading and writing image files in Node needs the 'sharp' package (npm install sharp): ${(e as Error).message}`, 'DEPENDENCY');
    },
  );
  return sharpModule;
}

/** Decoded 8-bit pixels, interleaved, row-major. */
export interface DecodedImage extends PixelData {
  data: Uint8Array;
  channels: number;
}

const describe = (source: string | Uint8Array, name?: string) => name ?? (typeof source === 'string' ? source : `<buffer of ${source.length} bytes>`);

/** The largest image file read (a 24-megapixel PNG is about 70 MB). */
export const MAX_IMAGE_FILE_BYTES = 256 * 2 ** 20;

/** An image file's bytes: a regular file of at most MAX_IMAGE_FILE_BYTES (a FIFO or /dev/zero is refused by name, never read). */
export function readImageFile(file: string): Promise<Uint8Array> {
  return readRegularFile(file, MAX_IMAGE_FILE_BYTES, (reason) => new ImageFileError(file, reason));
}

async function decode(source: string | Uint8Array, channels: 1 | 3 | 'all', displayName?: string): Promise<DecodedImage> {
  const sharp = await loadSharp();
  const name = describe(source, displayName);
  if (typeof source === 'string') source = await readImageFile(source);
  // The size from the header first: a 256-megapixel PNG is refused before 800 MB are decoded.
  if (source.length === 0) throw new ImageFileError(name, 'not a readable image (the file is empty)');
  let header: { width?: number; height?: number } | null = null;
  try {
    header = await sharp(source).metadata();
  } catch {
    // Unreadable headers are named by the decode below.
  }
  if (header?.width && header.height && header.width * header.height > MAX_IMAGE_PIXELS) {
    throw new ImageFileError(name, `${header.width} x ${header.height} (${((header.width * header.height) / 1e6).toFixed(1)} MP) is larger than the ${MAX_IMAGE_PIXELS / 1e6} MP images are read up to; downscale it first`);
  }
  try {
    // rotate(): honour EXIF orientation, as a photo viewer (and OpenCV's imread) does.
    let pipeline = sharp(source, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS }).rotate().removeAlpha();
    if (channels === 1) pipeline = pipeline.extractChannel(0);
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  } catch (e) {
    throw new ImageFileError(name, `not a readable image (${(e as Error).message})`);
  }
}

/** Decodes a JPEG/PNG/WebP/... file or buffer to RGB pixels; `name` names a buffer in errors. */
export function readImage(source: string | Uint8Array, name?: string): Promise<DecodedImage> {
  return decode(source, 3, name);
}

/** Decodes a mask (grayscale or palette PNG; the first channel of colour images) to one byte per pixel. */
export async function readMask(source: string | Uint8Array): Promise<DecodedImage> {
  return decode(source, 1);
}

/** How a mask file marks the person: 0/255 (most datasets, EG1800) or 0/1 (PP-HumanSeg, Supervisely exports, numpy pipelines). */
export type MaskConvention = '0/255' | '0/1';

/** A person mask: data 1 where the person is, 0 elsewhere, and the convention the file used. */
export interface PersonMask {
  data: Uint8Array;
  width: number;
  height: number;
  convention: MaskConvention;
}

/**
 * Reads a person mask in either convention: values all 0 or 1 read as 0/1; otherwise 0/255,
 * person above 127. Refused, naming the file: colour masks whose channels differ (a person
 * only in the green channel), and values that fit neither (largest value 2 to 127, e.g. class
 * indices of a multi-class map).
 */
export async function readPersonMask(source: string | Uint8Array, name?: string): Promise<PersonMask> {
  const decoded = await decode(source, 'all', name);
  const { width, height, channels, data } = decoded;
  const pixels = width * height;
  for (let i = 0; i < pixels && channels > 1; i++) {
    for (let c = 1; c < channels; c++) {
      if (data[i * channels + c] !== data[i * channels]) throw new ImageFileError(describe(source, name), `a colour mask whose channels differ (pixel ${i % width}, ${Math.floor(i / width)}); give one channel, 0/255 or 0/1`);
    }
  }
  let top = 0;
  for (let i = 0; i < pixels; i++) top = Math.max(top, data[i * channels]!);
  if (top > 1 && top < 128) throw new ImageFileError(describe(source, name), `values up to ${top}: neither a 0/255 nor a 0/1 person mask`);
  const convention: MaskConvention = top <= 1 ? '0/1' : '0/255';
  const person = Uint8Array.from({ length: pixels }, (_, i) => (convention === '0/1' ? data[i * channels]! : data[i * channels]! > 127 ? 1 : 0));
  return { data: person, width, height, convention };
}

/** Encodes pixels to a file whose format follows its extension (.png, .jpg/.jpeg, .webp); written atomically. */
export async function writeImage(file: string, image: RgbaImage | PixelData): Promise<void> {
  const sharp = await loadSharp();
  const channels = (image as PixelData).channels ?? image.data.length / (image.width * image.height);
  if (![1, 3, 4].includes(channels)) throw new ImageFileError(file, `cannot write ${image.data.length} values as a ${image.width} x ${image.height} image`);
  const raw = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: channels as 1 | 3 | 4 },
  });
  const ext = path.extname(file).toLowerCase();
  const encoded =
    ext === '.png' ? raw.png() : ext === '.jpg' || ext === '.jpeg' ? raw.flatten({ background: '#ffffff' }).jpeg({ quality: 92 }) : ext === '.webp' ? raw.webp() : null;
  if (!encoded) throw new ImageFileError(file, `unsupported output format '${ext}' (use .png, .jpg or .webp)`);
  await writeFileAtomic(file, await encoded.toBuffer());
}
