/** @sinet/train: datasets, the two-stage trainer, evaluation and the `sinet` command line. */
export { DatasetError, listFolderDataset, readIdList, resolveIdList, type DatasetEntry } from './data/folder-dataset.js';
export { loadSamples, resizeNearestFloor, type LoadedSample, type LoadOptions, type LoadResult } from './data/loader.js';
export { syntheticPortrait, type SyntheticPortraitOptions } from './data/synthetic.js';
export { evaluate, type EvalOptions, type EvalReport } from './eval/evaluate.js';
export { SegmentationScores } from './eval/scores.js';
export { benchInference, quantile, type BenchRow } from './bench/inference.js';
export { benchLosses, type LossBenchRow } from './bench/losses.js';
export { benchTraining, type TrainingBenchRow } from './bench/training.js';
export { benchAugment, type AugmentBenchRow } from './bench/augment.js';
export { benchSummary, type BenchSummary } from './bench/summary.js';
export { DataParallel, shareSizes, type DataParallelOptions } from './training/data-parallel.js';
export { batchTensors, makeLoss, type LossName } from './training/batch.js';
export { ConfigError, parseTrainConfig, TRAIN_PRESETS, trainConfigSchema, type StageConfig, type TrainConfig } from './training/config.js';
export { learningRate } from './training/schedule.js';
export { formatDuration, formatProgress, ProgressReporter, ThroughputMeter, type ProgressSink, type ProgressState } from './training/progress.js';
export { augmentBatch, AugmentPool, packSamples, type AugmentedBatch, type AugmentPoolOptions, type BatchRequest, type PackedSamples } from './data/augment-pool.js';
export { train, TrainingError, type EpochRecord, type TrainOptions, type TrainResult } from './training/trainer.js';
export { main as runCli } from './cli/main.js';
