/**
 * `sinet bench --compare-torch`: the same SINet work timed in PyTorch on this machine, in the
 * same run (bench/torch_sinet.py; Debian's python3-torch), and our figures as ratios to it.
 * The PyTorch network is the official one (clovaai's models/SINet.py in ../shared) where that
 * file is, else the script's own port. CPUs differ by 2-3x between machines; only ratios from
 * one run compare.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedDir } from '../shared-dir.js';
import { promisify } from 'node:util';
import type { BenchRow } from './inference.js';
import type { TrainingBenchRow } from './training.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../bench/torch_sinet.py', import.meta.url));

/** clovaai's models/SINet.py, the reference network of every comparison with PyTorch. */
export const officialTorchNetwork = (): string => path.join(sharedDir(), 'reference', 'sinet-official', 'pytorch', 'SINet.py');

export interface TorchBench {
  python: string;
  torch: string;
  /** 'official': Dnc_SINet of clovaai's models/SINet.py; 'port': torch_sinet.py's own SINet. */
  network: 'official' | 'port';
  parameters: number;
  training: { threads: number; batch: number; medianStepMs: number; imagesPerSecond: number }[];
  inference: { threads: number; medianMs: number }[];
}

export interface TorchRatios {
  /** Our img/s over PyTorch's, one thread each (> 1: we are faster). */
  trainingOneThread: number | null;
  /** Our best data-parallel img/s over PyTorch's on all cores. */
  trainingAllCores: number | null;
  /** PyTorch's batch-1 latency on one thread over tfjs's (> 1: we are faster). */
  inferenceOneThread: number | null;
  /** The same for onnxruntime-node on one thread (`--runtime onnx`); null when not measured. */
  onnxInferenceOneThread: number | null;
}

/** The first of $SINET_PYTHON, python3 and /usr/bin/python3 that imports torch. */
export async function findTorchPython(): Promise<string | null> {
  const candidates = [process.env.SINET_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of [...new Set(candidates)]) {
    try {
      await run(python, ['-c', 'import torch'], { timeout: 60_000 });
      return python;
    } catch {
      // Not there, or no torch: try the next.
    }
  }
  return null;
}

/** `network`: the official SINet.py to time, or null for the script's port. */
export async function benchTorch(python: string, options: { batch: number; runs: number; size?: number; network: string | null }): Promise<TorchBench> {
  const args = [SCRIPT, `batch=${options.batch}`, `runs=${options.runs}`, `size=${options.size ?? 224}`, ...(options.network ? [`network=${options.network}`] : [])];
  const { stdout } = await run(python, args, { timeout: 30 * 60_000, maxBuffer: 1 << 20 });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return { python, ...(JSON.parse(line) as Omit<TorchBench, 'python'>) };
}

export function torchRatios(torch: TorchBench, training: TrainingBenchRow[] | undefined, inference: BenchRow[] | undefined): TorchRatios {
  const cores = Math.max(...torch.training.map((t) => t.threads));
  const torchTrain = (threads: number) => torch.training.find((t) => t.threads === threads)?.imagesPerSecond;
  const oneThread = training?.filter((r) => r.workers === 0).sort((a, b) => b.imagesPerSecond - a.imagesPerSecond)[0];
  const allCores = [...(training ?? [])].sort((a, b) => b.imagesPerSecond - a.imagesPerSecond)[0];
  // One thread, batch 1: tfjs-wasm and cpu (tfjs-node uses every core), and onnxruntime's 1-thread session apart.
  const forward = inference?.filter((r) => r.case === 'forward 1x224x224' && r.backend !== 'tensorflow' && !r.backend.startsWith('onnx')).sort((a, b) => a.medianMs - b.medianMs)[0];
  const onnxForward = inference?.find((r) => r.case === 'forward 1x224x224' && r.backend === 'onnx 1t');
  const torchForward = torch.inference.find((t) => t.threads === 1)?.medianMs;
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : null);
  return {
    trainingOneThread: ratio(oneThread?.imagesPerSecond, torchTrain(1)),
    trainingAllCores: ratio(allCores?.imagesPerSecond, torchTrain(cores)),
    inferenceOneThread: ratio(torchForward, forward?.medianMs),
    onnxInferenceOneThread: ratio(torchForward, onnxForward?.medianMs),
  };
}
