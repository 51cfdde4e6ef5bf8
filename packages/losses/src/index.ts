/**
 * @sinet/losses: segmentation losses (from logits, NHWC, any number of classes) and metrics.
 * Every loss takes (labels, logits) and returns a scalar, so it works in model.compile({ loss })
 * and in custom loops with optimizer.minimize.
 */
export { boundaryBand, classBands, maxFilter, minFilter, type BandOptions } from './band.js';
export { boundaryLoss, sinetLoss, SINET_LOSS_PRESET_NAMES, SINET_LOSS_PRESETS, type BoundaryLossOptions, type LossFunction, type SINetLossConfig, type SINetLossOptions, type SINetLossPreset } from './boundary-loss.js';
export { softmaxCrossEntropy, type CrossEntropyOptions } from './cross-entropy.js';
export { LossesError, type LossesErrorCode } from './errors.js';
export { DEFAULT_IGNORE_LABEL, LabelShapeError, prepareLabels, resizeLabels, type PreparedLabels } from './labels.js';
export { lovaszHinge, lovaszSoftmax, type LovaszOptions, type LovaszSoftmaxOptions } from './lovasz.js';
export { softDiceLoss, softIouLoss, type OverlapOptions } from './overlap.js';
export { boundaryFScore, boundaryFScoreOfTensors, boundaryIou, boundaryIouOfTensors, classBoundary, innerBoundary, type BoundaryFScore, type BoundaryFScoreOptions, type BoundaryIou, type BoundaryIouOptions, type BoundaryMetricOptions, type LabelTensor } from './metrics/boundary.js';
export { ConfusionMatrix, type Labels } from './metrics/confusion.js';
