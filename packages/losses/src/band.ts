/**
 * The boundary band of SINet's loss: pixels where a k x k morphological dilation of the ground
 * truth differs from its erosion. Pooling uses 'same' windows clipped at the image border (as
 * cv2.dilate/erode and TF's SAME max-pool), and runs as a k x 1 then a 1 x k max-pool, which
 * equals the square window for max and costs 2k instead of k^2 per pixel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { prepareLabels, DEFAULT_IGNORE_LABEL, type PreparedLabels } from './labels.js';
import { LossesError } from './errors.js';
// The band of a label map in one kernel where a backend registers it (@sinet/wasm-kernels on wasm: summed-area tables, O(1) a pixel).
import { hasKernel, LABEL_BAND, runKernel } from '@sinet/wasm-kernels/contracts';


function checkKernel(kernel: number): void {
  if (!Number.isInteger(kernel) || kernel < 1 || kernel % 2 === 0) throw new LossesError(`band kernel must be a positive odd integer, got ${kernel}`, 'CONFIG');
}

/** k x k max filter of an NHWC tensor, window centred and clipped at the border. */
export function maxFilter(x: tf.Tensor4D, kernel: number): tf.Tensor4D {
  checkKernel(kernel);
  if (kernel === 1) return x.clone();
  return tf.tidy(() => tf.maxPool(tf.maxPool(x, [kernel, 1], 1, 'same'), [1, kernel], 1, 'same'));
}

/** k x k min filter (erosion), window clipped at the border. */
export function minFilter(x: tf.Tensor4D, kernel: number): tf.Tensor4D {
  return tf.tidy(() => tf.neg(maxFilter(tf.neg(x), kernel)));
}

/** Per class channel: dilation - erosion of the class indicator, [N, H, W, C] in {0, 1} for hard labels. */
export function classBands(oneHot: tf.Tensor4D, kernel: number): tf.Tensor4D {
  return tf.tidy(() => tf.sub(maxFilter(oneHot, kernel), minFilter(oneHot, kernel)));
}

export interface BandOptions {
  kernel: number;
  ignoreLabel?: number | null;
}

/**
 * [N, H, W, 1] band mask (1 inside the band) of labels given as a label map or one-hot, at the
 * logits' size. A pixel is in the band when its window holds more than one class. Ignored
 * pixels count as background for the morphology, as in the official code; an all-one-class
 * mask has an empty band.
 */
export function boundaryBand(labels: tf.Tensor, logits: tf.Tensor, options: BandOptions): tf.Tensor4D {
  const { kernel, ignoreLabel = DEFAULT_IGNORE_LABEL } = options;
  checkKernel(kernel);
  return tf.tidy(() => bandOf(prepareLabels(labels, logits, ignoreLabel), kernel));
}

/** The band of already prepared labels. */
export function bandOf(prepared: PreparedLabels, kernel: number): tf.Tensor4D {
  checkKernel(kernel);
  return tf.tidy(() => {
    if (prepared.labelMap && hasKernel(LABEL_BAND)) return runKernel(LABEL_BAND, { labelMap: prepared.labelMap }, { kernel }).band as tf.Tensor4D;
    if (prepared.labelMap) {
      // One channel: the window is mixed exactly when its max and min class differ.
      const map = tf.cast(prepared.labelMap, 'float32') as tf.Tensor4D;
      return tf.cast(tf.greater(tf.sub(maxFilter(map, kernel), minFilter(map, kernel)), 0), 'float32') as tf.Tensor4D;
    }
    return tf.max(classBands(prepared.oneHot, kernel), -1, true) as tf.Tensor4D;
  });
}
