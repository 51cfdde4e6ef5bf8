import * as tf from '@tensorflow/tfjs';
import { expectNoLeak } from '@sinet/test-utils';
import { describe, expect, it } from 'vitest';
import { Fliplr } from './augmenters.js';
import { AugmentInputError } from './image.js';
import { augmentTensors, tensorToImages, tensorToMasks } from './tf.js';

describe('tf.js adapters', () => {
  it('augment [N, H, W, C] images and [N, H, W, 1] masks as tensors, without leaking', async () => {
    await tf.setBackend('cpu');
    const images = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 1, 2, 3], 'int32');
    const masks = tf.tensor4d([1, 0, 0, 1], [2, 1, 2, 1], 'int32');
    const out = await expectNoLeak(async () => {
      const r = await augmentTensors(new Fliplr(), images, masks);
      const values = [await r.images.array(), await r.masks!.array()];
      tf.dispose([r.images, r.masks!]);
      return values;
    });
    expect(out[0]).toEqual([[[[4, 5, 6], [1, 2, 3]]], [[[10, 11, 12], [7, 8, 9]]]]);
    expect(out[1]).toEqual([[[0, 1]], [[1, 0]]]);
    const floats = await tensorToImages(tf.tensor3d([-5, 300.2, 127.6], [1, 1, 3]));
    expect(Array.from(floats[0]!.data)).toEqual([0, 255, 128]);
    await expect(tensorToMasks(tf.zeros([2, 2]))).rejects.toThrow(/masks must be \[N, H, W\]/);
    const empty = tf.zeros([0, 2, 2, 3], 'int32') as tf.Tensor4D;
    await expect(augmentTensors(new Fliplr(), empty)).rejects.toThrow(AugmentInputError);
    await expect(augmentTensors(new Fliplr(), empty)).rejects.toThrow(/the batch has no images/);
    tf.dispose([images, masks, empty]);
  });
});
