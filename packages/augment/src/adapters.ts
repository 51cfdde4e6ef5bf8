/** Browser ImageData in and out; no DOM needed to call fromImageData. */
import { AugmentInputError, type ImageU8 } from './image.js';

export interface ImageDataLike {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Wraps ImageData (RGBA) without copying. */
export function fromImageData(imageData: ImageDataLike): ImageU8 {
  return { data: imageData.data, width: imageData.width, height: imageData.height, channels: 4 };
}

/** An ImageData (where the global exists) or an ImageData-like object; 1 and 3 channels are expanded to RGBA. */
export function toImageData(image: ImageU8): ImageDataLike {
  const { width, height, channels } = image;
  let rgba: Uint8ClampedArray;
  if (channels === 4) rgba = new Uint8ClampedArray(image.data);
  else {
    rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0, j = 0; i < width * height; i++, j += channels) {
      rgba[4 * i] = image.data[j]!;
      rgba[4 * i + 1] = image.data[channels === 3 ? j + 1 : j]!;
      rgba[4 * i + 2] = image.data[channels === 3 ? j + 2 : j]!;
      rgba[4 * i + 3] = 255;
    }
  }
  const Ctor = (globalThis as { ImageData?: new (d: Uint8ClampedArray, w: number, h: number) => ImageDataLike }).ImageData;
  if (rgba.length !== width * height * 4) throw new AugmentInputError('toImageData: image data does not match its size');
  return Ctor ? new Ctor(rgba, width, height) : { data: rgba, width, height };
}
