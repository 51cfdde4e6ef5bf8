/** @sinet/train: the two-stage SINet trainer, datasets and evaluation (Node). In the browser: `@sinet/train/fine-tune`. */
export { TrainError, type TrainErrorCode } from './errors.js';
export { train, TrainingError, type EpochRecord, type TrainOptions, type TrainResult } from './training/trainer.js';
export { defaultCallbacks, earlyStoppingCallback, type EarlyStoppingOptions, type EpochEnd, type SavePoint, type TrainerControl, type TrainingCallback } from './training/callbacks.js';
export { ConfigError, parseTrainConfig, TRAIN_PRESETS, type StageConfig, type TrainConfig } from './training/config.js';
export { learningRate } from './training/schedule.js';
export { AdamW, type AdamWOptions } from './training/adamw.js';
export { DataParallel, type DataParallelOptions } from './training/data-parallel.js';
export { batchTensors, LOSS_NAMES, makeLoss, type LossName } from './training/batch.js';
export { formatDuration, formatProgress, ProgressReporter, ThroughputMeter, type ProgressSink, type ProgressState } from './training/progress.js';
export { DatasetError, listFolderDataset, readIdList, resolveIdList, type DatasetEntry } from './data/folder-dataset.js';
export { loadSamples, type LoadedSample, type LoadOptions, type LoadResult } from './data/loader.js';
export { syntheticPortrait, type SyntheticPortraitOptions } from './data/synthetic.js';
export { validationSets } from './data/run-data.js';
export { AUGMENT_PRESET_NAMES, spareCores, type AugmentPresetName } from './data/augment-pool.js';
export { machineLine } from './machine.js';
export { evaluate, type EvalOptions, type EvalReport } from './eval/evaluate.js';
export { SegmentationScores } from './eval/scores.js';
