import type * as tf from '@sinet/layers/tfjs';
import type { S2BlockSpec } from '@sinet/layers';

/** Architecture options of `createSINet`; every field has the official default. */
export interface SINetConfig {
  /** Output classes; 2 = background, person. */
  classes: number;
  /** S2 modules at 1/4 resolution (official p = 2). */
  p: number;
  /** S2 modules at 1/8 resolution (official q = 8). */
  q: number;
  /** Width multiplier of the official code: dim2 = 48 + 4 (chnn - 1), dim3 = 96 + 4 (chnn - 1). */
  chnn: number;
  /** One entry per S2 module (p + q entries), each a list of [kernelSize, poolSize] branches. */
  blocks: S2BlockSpec[][];
  /** Input [height, width]; both multiples of 32. */
  inputSize: [number, number];
}

/** How raw pixels become network input: x = (pixel[channelOrder] - mean) / std * scale. */
export interface Preprocessing {
  channelOrder: 'RGB' | 'BGR';
  /** Per channel, in `channelOrder`, on the 0..255 scale. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Extra factor after normalising (the official SINet pipeline divides by 255 once more). */
  scale: number;
  /** Interpolation used to resize the photo to the input size. */
  resize: 'bilinear';
}

/** What a saved SINet model carries in its model.json `userDefinedMetadata.sinet`. */
export interface SINetMetadata {
  format: 1;
  config: SINetConfig;
  classNames: string[];
  /** Index of the foreground class used for binary masks. */
  personClass: number;
  preprocessing: Preprocessing;
  source?: string;
  license?: { name: string; holder: string; url?: string; text?: string };
  createdAt?: string;
}

export interface ModelSummary {
  /** Trainable parameters (what the paper counts). */
  parameters: number;
  /** Moving BatchNorm statistics. */
  nonTrainableParameters: number;
  /** Multiply-accumulates of one forward pass at the model's input size (the paper's "FLOPs"). */
  macs: number;
  inputSize: [number, number];
  classes: number;
}

export type LayersModel = tf.LayersModel;
