import type { Preprocessing, SINetConfig } from './types.js';

/** The ten (kernel, pool) branch configs of the official Dnc_SINet, one list per S2 module. */
export const OFFICIAL_S2_BLOCKS: [number, number][][] = [
  [[3, 1], [5, 1]], [[3, 1], [3, 1]],
  [[3, 1], [5, 1]], [[3, 1], [3, 1]], [[5, 1], [3, 2]], [[5, 2], [3, 4]],
  [[3, 1], [3, 1]], [[5, 1], [5, 1]], [[3, 2], [3, 4]], [[3, 1], [5, 2]],
];

export const DEFAULT_SINET_CONFIG: SINetConfig = {
  classes: 2,
  p: 2,
  q: 8,
  chnn: 1,
  blocks: OFFICIAL_S2_BLOCKS,
  inputSize: [224, 224],
};

export const DEFAULT_CLASS_NAMES = ['background', 'person'];

/** Trainable parameters of the official model (paper and SINet.pth). */
export const OFFICIAL_PARAMETER_COUNT = 86_910;

/** The official pipeline (data/CVTransforms.py): BGR, (pixel - mean) / std, then / 255 again. */
export const OFFICIAL_PREPROCESSING: Preprocessing = {
  channelOrder: 'BGR',
  mean: [107.304565, 115.69884, 132.35703],
  std: [63.97182, 65.1337, 68.29726],
  scale: 1 / 255,
  resize: 'bilinear',
};

export const OFFICIAL_LICENSE = {
  name: 'MIT',
  holder: 'NAVER Corp. (clovaai/ext_portrait_segmentation, SINet by Park et al., WACV 2020)',
  url: 'https://github.com/clovaai/ext_portrait_segmentation/blob/master/LICENSE',
};

/** Network taps, in order, named like the official parity fixtures, with the layer that produces each. */
export const TAP_LAYERS = {
  level1: 'encoder.level1',
  level2_0: 'encoder.level2_0',
  level2: 'encoder.level2',
  level3_0: 'encoder.level3_0',
  level3: 'encoder.level3',
  encoder_logits: 'encoder.classifier',
  decoder_stage1: 'bn_3',
  blocking_gate: 'blocking_gate',
  decoder_stage2: 'bn_2',
  logits: 'classifier.1',
} as const;

export type TapName = keyof typeof TAP_LAYERS;

/** The newest frame's weight in VideoSegmenter's moving average (the demo's default). */
export const DEFAULT_FRAME_SMOOTHING = 0.6;

/**
 * VideoSegmenter's motion threshold: a pixel whose brightness changed by this many levels
 * (0..255) since the previous frame takes the new frame's probability alone; a quarter of it is
 * the sensor-noise floor, below which the pixel counts as still.
 */
export const DEFAULT_MOTION_LEVELS = 16;
