/**
 * SINet's boundary-aware loss: cross-entropy on every pixel plus lambda x cross-entropy on the
 * band between the k x k dilation and erosion of the ground truth. Two published recipes differ:
 *
 * - official (clovaai code): 5 x 5 band while training the encoder (labels at 1/8), 15 x 15 for
 *   the decoder, lambda 0.5; the band term is CE with the true class averaged over band pixels
 *   only (the band is an edge map with ignore_index elsewhere).
 * - seed (the Keras explainer): 15 x 15, lambda 0.9; its band term is -sum_c band_c log p_c with
 *   a band per class channel, averaged over all pixels. For two classes both channels are in
 *   the band at once, so the term adds -log p_background - log p_person at band pixels: it
 *   rewards hedged predictions there rather than correct ones. Kept as published, for fidelity.
 *   (The seed also multiplies the loss by the batch size; use `scale` for that.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { bandOf, classBands } from './band.js';
import { meanCoefficients, pixelWeights, weightedNll, type CrossEntropyOptions } from './cross-entropy.js';
import { DEFAULT_IGNORE_LABEL, prepareLabels, weightedMean, type PreparedLabels } from './labels.js';
import { LossesError } from './errors.js';

export interface BoundaryLossOptions extends CrossEntropyOptions {
  /** Side of the square dilation/erosion window, odd. */
  kernel: number;
  /** 'band': mean over band pixels (official); 'all': sum over band pixels / all pixels (seed). */
  bandAverage?: 'band' | 'all';
  /** 'label': CE with the true class (official); 'per-class': -sum_c band_c log p_c (seed). */
  bandTarget?: 'label' | 'per-class';
}

/** The band term alone. An empty band (all one class) gives 0, never NaN. */
export function boundaryLoss(labels: tf.Tensor, logits: tf.Tensor, options: BoundaryLossOptions): tf.Scalar {
  return tf.tidy(() => {
    const prepared = prepareLabels(labels, logits, resolveIgnore(options.ignoreLabel));
    return bandTerm(prepared, logits as tf.Tensor4D, options, pixelWeights(prepared.oneHot, prepared.valid, options.classWeights));
  });
}

const resolveIgnore = (ignoreLabel: number | null | undefined) => (ignoreLabel === undefined ? DEFAULT_IGNORE_LABEL : ignoreLabel);

function bandTerm(prepared: PreparedLabels, logits: tf.Tensor4D, options: BoundaryLossOptions, weights: tf.Tensor4D): tf.Scalar {
  const { kernel, bandAverage = 'band', bandTarget = 'label' } = options;
  return tf.tidy(() => {
    if (bandTarget === 'label') return weightedNll(prepared.oneHot, logits, bandCoefficients(prepared, kernel, bandAverage, weights));
    const bands = tf.mul(classBands(prepared.oneHot, kernel), prepared.valid) as tf.Tensor4D;
    const nll = tf.neg(tf.sum(tf.mul(bands, tf.logSoftmax(logits, -1)), -1, true)) as tf.Tensor4D;
    const band = tf.cast(tf.greater(tf.max(bands, -1, true), 0), 'float32') as tf.Tensor4D;
    if (bandAverage === 'band') return weightedMean(nll, tf.mul(weights, band));
    // Seed: per-pixel band loss (zero off the band) averaged over every counted pixel.
    return weightedMean(tf.mul(nll, band), weights);
  });
}

/**
 * The band term with the true class as target, as a per-pixel coefficient of the pixel's nll:
 * the weighted mean over band pixels ('band'), or band pixels' share of the mean over all ('all').
 */
function bandCoefficients(prepared: PreparedLabels, kernel: number, bandAverage: 'band' | 'all', weights: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const band = tf.mul(bandOf(prepared, kernel), prepared.valid) as tf.Tensor4D;
    return bandAverage === 'band' ? meanCoefficients(tf.mul(weights, band) as tf.Tensor4D) : (tf.mul(band, meanCoefficients(weights)) as tf.Tensor4D);
  });
}

/** The presets' names: the one list configs, the CLI and the demo offer. */
export const SINET_LOSS_PRESET_NAMES = ['official-encoder', 'official-decoder', 'seed'] as const;
export type SINetLossPreset = (typeof SINET_LOSS_PRESET_NAMES)[number];

export interface SINetLossConfig extends Required<Pick<BoundaryLossOptions, 'kernel' | 'bandAverage' | 'bandTarget'>> {
  /** Weight of the band term. */
  lambda: number;
  /** Factor on the total (the seed multiplies by its batch size). */
  scale: number;
}

export const SINET_LOSS_PRESETS: Record<SINetLossPreset, SINetLossConfig> = {
  'official-encoder': { kernel: 5, lambda: 0.5, bandAverage: 'band', bandTarget: 'label', scale: 1 },
  'official-decoder': { kernel: 15, lambda: 0.5, bandAverage: 'band', bandTarget: 'label', scale: 1 },
  seed: { kernel: 15, lambda: 0.9, bandAverage: 'all', bandTarget: 'per-class', scale: 1 },
};

export interface SINetLossOptions extends Partial<SINetLossConfig>, CrossEntropyOptions {
  /** Start from a published recipe; explicit fields override it. Default 'official-decoder'. */
  preset?: SINetLossPreset;
}

/** A loss function (labels, logits) => scalar, usable in model.compile({ loss }) and optimizer.minimize. */
export type LossFunction = ((labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar) & { readonly config: SINetLossConfig & CrossEntropyOptions };

/** CE over all pixels + lambda x band CE, configured by a preset and overrides. */
export function sinetLoss(options: SINetLossOptions = {}): LossFunction {
  const { preset = 'official-decoder', classWeights, ignoreLabel, ...overrides } = options;
  const base = SINET_LOSS_PRESETS[preset];
  if (!base) throw new LossesError(`sinetLoss: unknown preset '${preset}' (use ${SINET_LOSS_PRESET_NAMES.join(', ')})`, 'CONFIG');
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = { ...base, ...defined, classWeights, ignoreLabel };
  if (!Number.isInteger(config.kernel) || config.kernel < 1 || config.kernel % 2 === 0) throw new LossesError(`sinetLoss: 'kernel' must be a positive odd integer, got ${config.kernel}`, 'CONFIG');
  if (!(config.lambda >= 0)) throw new LossesError(`sinetLoss: 'lambda' must be >= 0, got ${config.lambda}`, 'CONFIG');
  if (!(config.scale > 0)) throw new LossesError(`sinetLoss: 'scale' must be > 0, got ${config.scale}`, 'CONFIG');
  if (!['band', 'all'].includes(config.bandAverage)) throw new LossesError(`sinetLoss: 'bandAverage' must be 'band' or 'all'`, 'CONFIG');
  if (!['label', 'per-class'].includes(config.bandTarget)) throw new LossesError(`sinetLoss: 'bandTarget' must be 'label' or 'per-class'`, 'CONFIG');
  const fn = (labels: tf.Tensor, logits: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      const l = logits as tf.Tensor4D;
      const prepared = prepareLabels(labels, l, resolveIgnore(ignoreLabel));
      const weights = pixelWeights(prepared.oneHot, prepared.valid, classWeights);
      let coefficients = meanCoefficients(weights);
      let total: tf.Scalar;
      if (config.lambda > 0 && config.bandTarget === 'label') {
        // CE and band term share the target: one weighted nll with the closed-form gradient.
        coefficients = tf.add(coefficients, tf.mul(bandCoefficients(prepared, config.kernel, config.bandAverage, weights), config.lambda)) as tf.Tensor4D;
        total = weightedNll(prepared.oneHot, l, coefficients);
      } else {
        const ce = weightedNll(prepared.oneHot, l, coefficients);
        total = config.lambda > 0 ? (tf.add(ce, tf.mul(bandTerm(prepared, l, config, weights), config.lambda)) as tf.Scalar) : ce;
      }
      return (config.scale === 1 ? total : tf.mul(total, config.scale)) as tf.Scalar;
    });
  return Object.assign(fn, { config });
}
