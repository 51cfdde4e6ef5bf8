/**
 * tf.js adapters (`@sinet/augment/tf`): augment [N, H, W, C] uint8/int32/float (0..255) image
 * tensors with [N, H, W] or [N, H, W, 1] masks. Data is read asynchronously.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Augmenter } from './augmenter.js';
import { AugmentInputError, type ImageU8, type LabelMap } from './image.js';

export async function tensorToImages(images: tf.Tensor4D | tf.Tensor3D): Promise<ImageU8[]> {
  const batch = images.rank === 3 ? [images as tf.Tensor3D] : tf.unstack(images as tf.Tensor4D);
  try {
    return await Promise.all(
      (batch as tf.Tensor3D[]).map(async (t) => {
        const [height, width, channels] = t.shape;
        if (![1, 3, 4].includes(channels)) throw new AugmentInputError(`image tensors need 1, 3 or 4 channels, got shape [${t.shape}]`);
        const values = await t.data();
        return { data: Uint8Array.from(values, (v) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))), width, height, channels: channels as 1 | 3 | 4 };
      }),
    );
  } finally {
    if (images.rank === 4) tf.dispose(batch);
  }
}

export async function tensorToMasks(masks: tf.Tensor): Promise<LabelMap[]> {
  const m = masks.rank === 4 ? tf.squeeze(masks, [3]) : masks;
  if (m.rank !== 3) throw new AugmentInputError(`masks must be [N, H, W] or [N, H, W, 1], got shape [${masks.shape}]`);
  const [n, height, width] = m.shape as [number, number, number];
  const values = await m.data();
  if (m !== masks) m.dispose();
  return Array.from({ length: n }, (_, i) => ({ data: Uint8Array.from(values.subarray(i * width * height, (i + 1) * width * height)), width, height }));
}

/** Augments a batch of image tensors (and masks); returns int32 tensors of the results. Images must share one size to be stacked. */
export async function augmentTensors(augmenter: Augmenter, images: tf.Tensor4D, masks?: tf.Tensor): Promise<{ images: tf.Tensor4D; masks?: tf.Tensor3D }> {
  const result = augmenter.augment({ images: await tensorToImages(images), masks: masks ? await tensorToMasks(masks) : undefined });
  // augment() refuses an empty batch, so there is a first image.
  const { width, height, channels } = result.images[0]!;
  if (result.images.some((im) => im.width !== width || im.height !== height)) throw new AugmentInputError('augmentTensors: results differ in size; resize in the pipeline to stack them');
  const flat = new Int32Array(result.images.length * width * height * channels);
  result.images.forEach((im, i) => flat.set(im.data, i * width * height * channels));
  const out: { images: tf.Tensor4D; masks?: tf.Tensor3D } = { images: tf.tensor4d(flat, [result.images.length, height, width, channels], 'int32') };
  if (result.masks) {
    const mflat = new Int32Array(result.masks.length * width * height);
    result.masks.forEach((m, i) => mflat.set(m.data, i * width * height));
    out.masks = tf.tensor3d(mflat, [result.masks.length, height, width], 'int32');
  }
  return out;
}
