/** The headline figures of `sinet bench --json`, from the suites' detailed rows (null where a suite did not run). */
import os from 'node:os';
import type { AugmentBenchRow } from './augment.js';
import type { BenchRow } from './inference.js';
import type { LossBenchRow } from './losses.js';
import type { TorchRatios } from './torch.js';
import type { TrainingBenchRow } from './training.js';

export interface BenchSummary {
  /** CPU model, cores, memory and Node version of the machine measured. */
  machine: string | null;
  /** Median forward pass at batch 1, 224 x 224, on the fastest backend measured. */
  inferenceMs: number | null;
  inferenceBackend: string | null;
  /** Threads that one inference uses (tfjs-node: its intra-op pool; onnxruntime: its session's; wasm and cpu here: 1). */
  inferenceThreads: number | null;
  /** Best full training step throughput (boundary loss, Adam, 224 x 224). */
  trainImagesPerSecond: number | null;
  /** Model replicas training in parallel (1: one thread). */
  trainWorkers: number | null;
  trainBackend: string | null;
  trainBatch: number | null;
  /** Augmentation of the seed's recipe (sinetBlog), one core, 224 x 224. */
  augmentPairsPerSecond: number | null;
  /** Official decoder loss (15 x 15 band) + gradient as a share of a training step. */
  lossFractionOfStep: number | null;
  /** With --compare-torch: our figures over PyTorch's from the same run (> 1: faster than PyTorch). */
  torchRatios: TorchRatios | null;
}

export function benchSummary(results: { machine?: string; inference?: BenchRow[]; training?: TrainingBenchRow[]; losses?: { rows: LossBenchRow[] }; augment?: AugmentBenchRow[]; torch?: { ratios: TorchRatios } }): BenchSummary {
  // Batch 1 only (batch 8 rows time eight images); onnxruntime rows name their threads ('onnx 2t').
  const forward = (results.inference ?? []).filter((r) => r.case === 'forward 1x224x224').sort((a, b) => a.medianMs - b.medianMs)[0];
  const onnxThreads = forward ? /^onnx (\d+)t$/.exec(forward.backend) : null;
  const training = [...(results.training ?? [])].sort((a, b) => b.imagesPerSecond - a.imagesPerSecond)[0];
  const blog = results.augment?.find((r) => r.preset === 'sinetBlog');
  const loss = results.losses?.rows.find((r) => r.loss.startsWith('sinetLoss official-decoder'));
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return {
    machine: results.machine ?? null,
    inferenceMs: forward?.medianMs ?? null,
    inferenceBackend: forward?.backend ?? null,
    inferenceThreads: forward ? (onnxThreads ? Number(onnxThreads[1]) : forward.backend === 'tensorflow' ? cores : 1) : null,
    trainImagesPerSecond: training?.imagesPerSecond ?? null,
    trainWorkers: training ? training.workers + 1 : null,
    trainBackend: training?.backend ?? null,
    trainBatch: training?.batch ?? null,
    augmentPairsPerSecond: blog?.pairsPerSecond ?? null,
    lossFractionOfStep: loss?.fractionOfStep ?? null,
    torchRatios: results.torch?.ratios ?? null,
  };
}
