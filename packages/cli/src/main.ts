#!/usr/bin/env node
/** The `sinet` command line. */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { initBackend, BACKEND_CHOICES } from '@sinet/model/node';
import { benchInference } from './bench/inference.js';
import { benchLosses } from './bench/losses.js';
import { benchAugment } from './bench/augment.js';
import { benchSummary } from './bench/summary.js';
import { benchTraining, type TrainingBenchRow } from './bench/training.js';
import { benchTorch, findTorchPython, machineLine, torchRatios } from './bench/torch.js';
import type { BenchRow } from './bench/inference.js';
import { spareCores } from '@sinet/train';
import { augmentPreviewCommand } from './augment-preview.js';
import { synthCommand } from './synth.js';
import { trainCommand } from './train.js';
import { parseFraction, parseNonNegativeInt, parsePositiveInt, parseSize } from './args.js';
import { convertCommand, evalCommand, infoCommand, type Io } from './commands.js';
import { segmentCommand, SEGMENT_MODES, type SegmentMode } from './segment.js';
import { CliError, isExpectedError, UsageError } from './errors.js';
import { quickstartCommand } from './quickstart.js';
import path from 'node:path';

const USAGE = `sinet: SINet portrait segmentation for TensorFlow.js

usage:
  sinet convert <SINet.pth> --out <dir> [--input-size HxW] [--overwrite]
  sinet info [--model <dir>] [--input-size HxW] [--json]
  sinet segment <images...> --model <dir> --out <dir> [--mode mask|cutout|blur|replace] [--overwrite]
                [--background <image|#rrggbb>] [--threshold 0.5] [--input-size HxW] [--workers N]
  sinet eval --model <dir> --data <dir> [--list <ids.txt>] [--json] [--limit N] [--input-size HxW]
  sinet bench [--suite inference|training|losses|augment|all] [--runs N] [--backends wasm,cpu] [--batch 16] [--step-batch N] [--workers N]
              [--compare-torch] [--json]
  sinet quickstart [--weights <SINet.pth>] [--data <dir>] [--out runs/quickstart]
  sinet train [--preset quick|paper|blog | --config <file.json>] [--data <dir>] [--out runs/<name>] [--init <model-dir>] [--resume | --overwrite] [--max-epochs N] [--skip-bad] [--workers N]
  sinet synth --out <dir> [--count 200] [--input-size 224x224] [--seed 1] [--val 0.1]
  sinet augment-preview <image> [--mask <mask>] --preset <name> [--n 16] [--size 224] [--seed 1] --out grid.png

every command takes --backend ${BACKEND_CHOICES.join('|')} (default: $SINET_BACKEND or auto:
tfjs-node where it loads, else wasm, else cpu)`;

const OPTIONS = {
  out: { type: 'string' },
  weights: { type: 'string' },
  mask: { type: 'string' },
  preset: { type: 'string' },
  n: { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  config: { type: 'string' },
  resume: { type: 'boolean', default: false },
  'skip-bad': { type: 'boolean', default: false },
  'max-epochs': { type: 'string' },
  workers: { type: 'string' },
  init: { type: 'string' },
  val: { type: 'string' },
  model: { type: 'string' },
  data: { type: 'string' },
  list: { type: 'string' },
  mode: { type: 'string' },
  background: { type: 'string' },
  threshold: { type: 'string' },
  'input-size': { type: 'string' },
  limit: { type: 'string' },
  runs: { type: 'string' },
  backends: { type: 'string' },
  suite: { type: 'string' },
  batch: { type: 'string' },
  'step-batch': { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean', default: false },
  'compare-torch': { type: 'boolean', default: false },
  overwrite: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} as const;

const ALLOWED: Record<string, (keyof typeof OPTIONS)[]> = {
  convert: ['out', 'input-size', 'overwrite'],
  info: ['model', 'input-size', 'json'],
  segment: ['model', 'out', 'mode', 'background', 'threshold', 'input-size', 'workers', 'overwrite'],
  eval: ['model', 'data', 'list', 'json', 'limit', 'input-size'],
  bench: ['runs', 'backends', 'json', 'suite', 'batch', 'step-batch', 'workers', 'compare-torch'],
  quickstart: ['weights', 'data', 'out'],
  'augment-preview': ['mask', 'preset', 'n', 'size', 'seed', 'out'],
  synth: ['out', 'count', 'input-size', 'seed', 'val'],
  train: ['preset', 'config', 'data', 'out', 'resume', 'max-epochs', 'skip-bad', 'init', 'workers', 'overwrite'],
};

function require<T>(value: T | undefined, option: string, command: string): T {
  if (value === undefined || value === '') throw new UsageError(`${command} needs --${option}`);
  return value;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.version) {
    io.out(createRequire(import.meta.url)('../package.json').version);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (!command || v.help || command === 'help') {
    io.out(USAGE);
    return command || v.help ? 0 : 2;
  }
  const allowed = ALLOWED[command];
  if (!allowed) throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
  for (const key of Object.keys(v) as (keyof typeof OPTIONS)[]) {
    const isDefault = OPTIONS[key].type === 'boolean' && v[key] === false;
    if (!isDefault && key !== 'backend' && !allowed.includes(key)) throw new UsageError(`${command} does not take --${key}`);
  }
  const inputSize = v['input-size'] ? parseSize(v['input-size'], '--input-size') : undefined;
  if (command === 'bench') {
    const suite = v.suite ?? 'all';
    if (!['inference', 'training', 'losses', 'augment', 'all'].includes(suite)) throw new UsageError(`--suite must be inference, training, losses, augment or all, got '${suite}'`);
    const runs = v.runs ? parsePositiveInt(v.runs, '--runs') : 20;
    const results: Record<string, unknown> = { machine: machineLine() };
    io.err(`sinet bench on ${results.machine}`);
    // Found before anything is timed: asking for a comparison that cannot run is an error, not a footnote.
    const torchPython = v['compare-torch'] ? await findTorchPython() : null;
    if (v['compare-torch'] && !torchPython) throw new CliError('--compare-torch needs python3 with torch (Debian: apt-get install python3-torch, or set SINET_PYTHON)');
    if (suite === 'inference' || suite === 'all') {
      const backends = (v.backends ?? 'wasm,cpu').split(',').map((b) => b.trim()).filter(Boolean);
      io.err('sinet bench: inference medians (random weights)');
      const rows = await benchInference(backends, runs, io.err);
      const withRatio = rows.map((r) => ({ ...r, ratioToFirst: r.medianMs / rows.find((b) => b.case === r.case)!.medianMs }));
      results.inference = withRatio;
      if (!v.json) for (const r of withRatio) io.out(`${r.backend.padEnd(10)} ${r.case.padEnd(29)} median ${r.medianMs.toFixed(1).padStart(8)} ms  p10 ${r.p10Ms.toFixed(1)}  p90 ${r.p90Ms.toFixed(1)}  x${r.ratioToFirst.toFixed(2)} vs ${rows[0].backend}`);
    }
    if (suite === 'training' || suite === 'all') {
      // wasm by default: the pure-JS cpu backend takes ~25 s a step (--backends wasm,cpu to see it).
      const backends = (v.backends ?? 'wasm').split(',').map((b) => b.trim()).filter(Boolean);
      const batch = v.batch ? parsePositiveInt(v.batch, '--batch') : 16;
      const workers = v.workers !== undefined ? parseNonNegativeInt(v.workers, '--workers') : spareCores();
      io.err(`sinet bench: training throughput, full SINet step (boundary loss, Adam) at 224x224, batch ${batch} (cpu: 2), one thread and data-parallel with ${workers} worker replica(s)`);
      const rows = await benchTraining(backends, Math.min(runs, 5), batch, io.err, [...new Set([0, workers])]);
      results.training = rows;
      if (!v.json) for (const r of rows) io.out(`train      ${r.backend.padEnd(10)} batch ${String(r.batch).padStart(2)}  workers ${r.workers}  median step ${r.medianStepMs.toFixed(0).padStart(7)} ms  ${r.imagesPerSecond.toFixed(2).padStart(6)} img/s  x${(r.imagesPerSecond / rows[0].imagesPerSecond).toFixed(2)}`);
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
      io.err(`sinet bench: the same SINet in PyTorch (${torchPython}), training at batch ${batch} and inference at batch 1, 1 thread and all cores`);
      const torch = await benchTorch(torchPython, { batch, runs: Math.min(runs, 5) });
      const ratios = torchRatios(torch, results.training as TrainingBenchRow[] | undefined, results.inference as BenchRow[] | undefined);
      results.torch = { ...torch, ratios };
      if (!v.json) {
        for (const t of torch.training) io.out(`torch      training   batch ${String(t.batch).padStart(2)}  threads ${t.threads}  median step ${t.medianStepMs.toFixed(0).padStart(7)} ms  ${t.imagesPerSecond.toFixed(2).padStart(6)} img/s`);
        for (const t of torch.inference) io.out(`torch      forward 1x224x224  threads ${t.threads}  median ${t.medianMs.toFixed(1).padStart(8)} ms`);
        const show = (name: string, r: number | null) => io.out(`ratio      ${name.padEnd(40)} ${r === null ? 'not measured (run its suite too)' : `${r.toFixed(2)}x PyTorch`}`);
        show('training, one thread (img/s)', ratios.trainingOneThread);
        show('training, all cores (img/s)', ratios.trainingAllCores);
        show('inference, batch 1, one thread (1 / ms)', ratios.inferenceOneThread);
      }
    }
    if (v.json) io.out(JSON.stringify({ ...benchSummary(results), details: results }));
    return 0;
  }
  const backend = await initBackend(v.backend, { log: v.json ? null : io.err });
  switch (command) {
    case 'convert':
      if (rest.length !== 1) throw new UsageError('convert takes exactly one checkpoint: sinet convert <SINet.pth> --out <dir>');
      await convertCommand(io, rest[0], require(v.out, 'out', 'convert'), inputSize, v.overwrite);
      return 0;
    case 'info':
      if (rest.length) throw new UsageError(`info takes no positional arguments, got ${rest.join(' ')}`);
      await infoCommand(io, v.model, inputSize, v.json, backend.description);
      return 0;
    case 'segment': {
      const mode = (v.mode ?? 'mask') as SegmentMode;
      if (!SEGMENT_MODES.includes(mode)) throw new UsageError(`--mode must be one of ${SEGMENT_MODES.join(', ')}, got '${v.mode}'`);
      await segmentCommand(io, rest, {
        model: require(v.model, 'model', 'segment'),
        out: require(v.out, 'out', 'segment'),
        mode,
        background: v.background,
        threshold: v.threshold ? parseFraction(v.threshold, '--threshold') : undefined,
        inputSize,
        workers: v.workers !== undefined ? parsePositiveInt(v.workers, '--workers') : undefined,
        overwrite: v.overwrite,
      });
      return 0;
    }
    case 'eval':
      if (rest.length) throw new UsageError(`eval takes no positional arguments, got ${rest.join(' ')}`);
      await evalCommand(io, {
        model: require(v.model, 'model', 'eval'),
        data: require(v.data, 'data', 'eval'),
        list: v.list,
        json: v.json,
        inputSize,
        limit: v.limit ? parsePositiveInt(v.limit, '--limit') : undefined,
      });
      return 0;
    case 'train':
      if (rest.length) throw new UsageError(`train takes no positional arguments, got ${rest.join(' ')}`);
      if (v.config && v.preset) throw new UsageError('give --preset or --config, not both');
      if (v.resume && v.overwrite) throw new UsageError('give --resume or --overwrite, not both');
      return trainCommand(io, { config: v.config, preset: v.preset, data: v.data, out: v.out, resume: v.resume, overwrite: v.overwrite, skipBad: v['skip-bad'], init: v.init, workers: v.workers !== undefined ? parseNonNegativeInt(v.workers, '--workers') : undefined, maxEpochs: v['max-epochs'] ? parsePositiveInt(v['max-epochs'], '--max-epochs') : undefined, backend: v.backend });
    case 'synth':
      if (rest.length) throw new UsageError(`synth takes no positional arguments, got ${rest.join(' ')}`);
      await synthCommand(io, {
        out: require(v.out, 'out', 'synth'),
        count: v.count ? parsePositiveInt(v.count, '--count') : 200,
        size: inputSize ?? [224, 224],
        seed: v.seed ? parsePositiveInt(v.seed, '--seed') : 1,
        valFraction: v.val ? parseFraction(v.val, '--val') : 0.1,
      });
      return 0;
    case 'augment-preview':
      if (rest.length !== 1) throw new UsageError('augment-preview takes one image: sinet augment-preview <image> --preset <name> --out grid.png');
      await augmentPreviewCommand(io, {
        image: rest[0],
        mask: v.mask,
        preset: require(v.preset, 'preset', 'augment-preview'),
        n: v.n ? parsePositiveInt(v.n, '--n') : 16,
        size: v.size ? parsePositiveInt(v.size, '--size') : 224,
        seed: v.seed ? parsePositiveInt(v.seed, '--seed') : 1,
        out: require(v.out, 'out', 'augment-preview'),
      });
      return 0;
    case 'quickstart':
      if (rest.length) throw new UsageError(`quickstart takes no positional arguments, got ${rest.join(' ')}`);
      await quickstartCommand(io, { weights: v.weights, data: v.data, out: v.out ?? path.join('runs', 'quickstart') });
      return 0;
  }
  throw new CliError(`unhandled command ${command}`);
}

const isEntryPoint = process.argv[1] && import.meta.url === new URL(`file://${(await import('node:fs')).realpathSync(process.argv[1])}`).href;
if (isEntryPoint) {
  const io: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), progress: process.stderr };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (isExpectedError(e)) {
        io.err(`sinet: error: ${e.message}`);
        process.exitCode = e instanceof CliError ? e.exitCode : 1;
      } else {
        io.err(`sinet: internal error (please report): ${(e as Error)?.stack ?? String(e)}`);
        process.exitCode = 70;
      }
    },
  );
}
