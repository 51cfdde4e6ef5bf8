/** The network's insides for one image: what the information-blocking decoder sees and does. */
import * as tf from '@tensorflow/tfjs-core';
import { preprocess } from '@sinet/model';
import type { SizedModel } from './model-source';

export interface Map2D {
  values: Float32Array;
  width: number;
  height: number;
}

export interface InsideView {
  /** Person probability from the encoder alone, at 1/8 of the input. */
  encoder: Map2D;
  /** The information-blocking gate, 1 - confidence of the coarse prediction: where detail may pass. */
  gate: Map2D;
  /** Final person probability. */
  final: Map2D;
}

export async function lookInside(sized: SizedModel, image: HTMLVideoElement | HTMLCanvasElement | HTMLImageElement | ImageBitmap): Promise<InsideView> {
  const { segmenter, taps } = sized;
  const person = segmenter.metadata.personClass;
  const maps = tf.tidy(() => {
    const rgb = tf.expandDims(tf.browser.fromPixels(image), 0) as tf.Tensor4D;
    const [encoderLogits, gate, logits] = taps.predict(preprocess(rgb, segmenter.metadata.preprocessing, segmenter.inputSize)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const personOf = (l: tf.Tensor4D) => tf.squeeze(tf.slice(tf.softmax(l, -1), [0, 0, 0, person], [1, -1, -1, 1]));
    return [personOf(encoderLogits), tf.squeeze(tf.slice(gate, [0, 0, 0, 0], [1, -1, -1, 1])), personOf(logits)];
  });
  try {
    const read = async (t: tf.Tensor): Promise<Map2D> => ({ values: (await t.data()) as Float32Array, height: t.shape[0]!, width: t.shape[1]! });
    const [encoder, gate, final] = await Promise.all(maps.map(read)) as [Map2D, Map2D, Map2D];
    return { encoder, gate, final };
  } finally {
    tf.dispose(maps);
  }
}
