/** `sinet bench`: the suites, their table or JSON, and the PyTorch comparison in the same run. */
import { existsSync } from 'node:fs';
import { spareCores } from '@sinet/train';
import { parseNonNegativeInt, parsePositiveInt } from '../args.js';
import type { Io } from '../commands.js';
import { CliError, UsageError } from '../errors.js';
import { benchAugment } from './augment.js';
import { benchInference, type BenchRow } from './inference.js';
import { benchLosses } from './losses.js';
import { benchOnnxInference } from './onnx.js';
import { benchSummary } from './summary.js';
import { machineLine } from '@sinet/train';
import { benchTorch, findTorchPython, officialTorchNetwork, torchRatios } from './torch.js';
import { benchTraining, type TrainingBenchRow } from './training.js';

export interface BenchOptions {
  suite?: string;
  runs?: string;
  backends?: string;
  backend?: string;
  batch?: string;
  'step-batch'?: string;
  workers?: string;
  json: boolean;
  'compare-torch': boolean;
  /** 'official' (default where ../shared has it) or 'port': which PyTorch SINet --compare-torch times. */
  'torch-network'?: string;
  /** 'onnx': onnxruntime-node's inference next to tfjs's, batch 1 and 8. */
  runtime?: 'tfjs' | 'onnx';
}

/** The official SINet.py where it is (or where --torch-network official insists), else the port, said aloud. */
function chooseTorchNetwork(choice: string | undefined, io: Io): string | null {
  if (choice !== undefined && choice !== 'official' && choice !== 'port') throw new UsageError(`--torch-network must be official or port, got '${choice}'`);
  if (choice === 'port') return null;
  const file = officialTorchNetwork();
  if (existsSync(file)) return file;
  if (choice === 'official') throw new CliError(`--torch-network official: no official SINet.py at ${file} (set SINET_SHARED to the folder that holds reference/sinet-official)`);
  io.err(`sinet bench: no official SINet.py at ${file}: PyTorch times torch_sinet.py's port instead`);
  return null;
}

export async function benchCommand(io: Io, v: BenchOptions): Promise<number> {
  const suite = v.suite ?? 'all';
  if (!['inference', 'training', 'losses', 'augment', 'all'].includes(suite)) throw new UsageError(`--suite must be inference, training, losses, augment or all, got '${suite}'`);
  const runs = v.runs ? parsePositiveInt(v.runs, '--runs') : 20;
  const results: Record<string, unknown> = { machine: machineLine() };
  io.err(`sinet bench on ${results.machine}`);
  // Found before anything is timed: asking for a comparison that cannot run is an error, not a footnote.
  const torchPython = v['compare-torch'] ? await findTorchPython() : null;
  if (v['compare-torch'] && !torchPython) throw new CliError('--compare-torch needs python3 with torch (Debian: apt-get install python3-torch, or set SINET_PYTHON)');
  const torchNetwork = torchPython ? chooseTorchNetwork(v['torch-network'], io) : null;
  if (v.runtime === 'onnx' && suite !== 'inference' && suite !== 'all') throw new UsageError('--runtime onnx compares inference: use it with --suite inference (or all)');
  if (suite === 'inference' || suite === 'all') {
    const backends = (v.backends ?? 'wasm,cpu').split(',').map((b) => b.trim()).filter(Boolean);
    io.err('sinet bench: inference medians (random weights)');
    const batches = v.runtime === 'onnx' ? [1, 8] : [1];
    const rows = await benchInference(backends, runs, io.err, batches);
    if (v.runtime === 'onnx') {
      io.err('sinet bench: the same network exported to ONNX, in onnxruntime-node');
      rows.push(...(await benchOnnxInference(runs, batches, io.err)));
    }
    const withRatio = rows.map((r) => ({ ...r, ratioToFirst: r.medianMs / rows.find((b) => b.case === r.case)!.medianMs }));
    results.inference = withRatio;
    if (!v.json) for (const r of withRatio) io.out(`${r.backend.padEnd(10)} ${r.case.padEnd(29)} median ${r.medianMs.toFixed(1).padStart(8)} ms  p10 ${r.p10Ms.toFixed(1)}  p90 ${r.p90Ms.toFixed(1)}  x${r.ratioToFirst.toFixed(2)} vs ${rows[0]!.backend}`);
  }
  if (suite === 'training' || suite === 'all') {
    // wasm by default: the pure-JS cpu backend takes ~25 s a step (--backends wasm,cpu to see it).
    const backends = (v.backends ?? 'wasm').split(',').map((b) => b.trim()).filter(Boolean);
    const batch = v.batch ? parsePositiveInt(v.batch, '--batch') : 16;
    const workers = v.workers !== undefined ? parseNonNegativeInt(v.workers, '--workers') : spareCores();
    io.err(`sinet bench: training throughput, full SINet step (boundary loss, Adam) at 224x224, batch ${batch} (cpu: 2), one thread and data-parallel with ${workers} worker replica(s)`);
    const rows = await benchTraining(backends, Math.min(runs, 5), batch, io.err, [...new Set([0, workers])]);
    results.training = rows;
    if (!v.json) for (const r of rows) io.out(`train      ${r.backend.padEnd(10)} batch ${String(r.batch).padStart(2)}  workers ${r.workers}  median step ${r.medianStepMs.toFixed(0).padStart(7)} ms  ${r.imagesPerSecond.toFixed(2).padStart(6)} img/s  x${(r.imagesPerSecond / rows[0]!.imagesPerSecond).toFixed(2)}`);
  }
  if (suite === 'losses' || suite === 'all') {
    // Training backend: wasm (with @sinet/wasm-kernels) by default; the pure-JS cpu backend takes
    // minutes per step at batch 24, so there the step is timed at batch 4 and scaled.
    const backend = v.backend ?? 'wasm';
    const batch = v.batch ? parsePositiveInt(v.batch, '--batch') : 24;
    // wasm32 memory: a full step at batch 24 exhausts the wasm heap (batch 8 fits), so scale from 8.
    const stepBatch = v['step-batch'] ? parsePositiveInt(v['step-batch'], '--step-batch') : backend === 'cpu' ? 4 : backend === 'wasm' ? Math.min(batch, 8) : batch;
    io.err(`sinet bench: loss + gradient at batch ${batch}, 224x224, 2 classes vs one SINet training step`);
    const losses = await benchLosses({ backend, batch, stepBatch, runs: Math.min(runs, 5) }, io.err);
    results.losses = losses;
    if (!v.json) for (const r of losses.rows) io.out(`${r.backend.padEnd(10)} ${r.loss.padEnd(36)} median ${r.medianMs.toFixed(0).padStart(6)} ms  ${(100 * r.fractionOfStep).toFixed(2)}% of a training step (target < 10%)`);
  }
  if (suite === 'augment' || suite === 'all') {
    io.err('sinet bench: augmentation pairs per second at 224x224, one core (target >= 300 for sinetBlog)');
    const rows = benchAugment(Math.min(runs, 7), io.err);
    results.augment = rows;
    // Next to training throughput: images per second of a SINet training step on this machine.
    const training = results.training as { imagesPerSecond: number }[] | undefined;
    const losses = results.losses as { stepMs: number } | undefined;
    const trainingRate = training?.length ? Math.max(...training.map((t) => t.imagesPerSecond)) : losses ? (1000 * 24) / losses.stepMs : null;
    if (!v.json)
      for (const r of rows)
        io.out(`augment    ${r.preset.padEnd(22)} ${r.pairsPerSecond.toFixed(0).padStart(6)} pairs/s${trainingRate ? `  (${(r.pairsPerSecond / trainingRate).toFixed(0)}x the ${trainingRate.toFixed(2)} img/s of training)` : ''}`);
  }
  if (torchPython) {
    const batch = v.batch ? parsePositiveInt(v.batch, '--batch') : 16;
    io.err(`sinet bench: ${torchNetwork ? `the official SINet (${torchNetwork})` : "torch_sinet.py's port of SINet"} in PyTorch (${torchPython}), same loss and optimiser, training at batch ${batch} and inference at batch 1, 1 thread and all cores`);
    const torch = await benchTorch(torchPython, { batch, runs: Math.min(runs, 5), network: torchNetwork });
    const ratios = torchRatios(torch, results.training as TrainingBenchRow[] | undefined, results.inference as BenchRow[] | undefined);
    results.torch = { ...torch, ratios };
    if (!v.json) {
      io.out(`torch      network    ${torch.network === 'official' ? 'official Dnc_SINet (clovaai models/SINet.py)' : "torch_sinet.py's port"}, ${torch.parameters.toLocaleString('en-US')} parameters`);
      for (const t of torch.training) io.out(`torch      training   batch ${String(t.batch).padStart(2)}  threads ${t.threads}  median step ${t.medianStepMs.toFixed(0).padStart(7)} ms  ${t.imagesPerSecond.toFixed(2).padStart(6)} img/s`);
      for (const t of torch.inference) io.out(`torch      forward 1x224x224  threads ${t.threads}  median ${t.medianMs.toFixed(1).padStart(8)} ms`);
      const show = (name: string, r: number | null) => io.out(`ratio      ${name.padEnd(40)} ${r === null ? 'not measured (run its suite too)' : `${r.toFixed(2)}x PyTorch`}`);
      show('training, one thread (img/s)', ratios.trainingOneThread);
      show('training, all cores (img/s)', ratios.trainingAllCores);
      show('inference, batch 1, one thread (1 / ms)', ratios.inferenceOneThread);
      if (v.runtime === 'onnx') show('onnxruntime-node, batch 1, one thread (1 / ms)', ratios.onnxInferenceOneThread);
    }
  }
  if (v.json) io.out(JSON.stringify({ ...benchSummary(results), details: results }));
  return 0;
}
