#!/usr/bin/env node
/** The `sinet` command line: the command table below is the one description of every command. */
import { FITS } from '@sinet/model';
import { initBackend } from '@sinet/model/node';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseFraction, parseNonNegativeInt, parseFit, parsePositiveInt, parseRuntime, parseSize, RUNTIMES } from './args.js';
import { augmentPreviewCommand } from './augment-preview.js';
import { benchCommand } from './bench/run.js';
import { checkCommand, parseArgsOptions, usage, type CommandSpec } from './command-table.js';
import { convertCommand, evalCommand, infoCommand, type Io } from './commands.js';
import { CliError, describeError, EXIT_SOFTWARE, isExpectedError, UsageError } from './errors.js';
import { checkExportOptions, exportCommand } from './export.js';
import { quickstartCommand } from './quickstart.js';
import { segmentCommand, SEGMENT_MODES, type SegmentMode } from './segment.js';
import { synthCommand } from './synth.js';
import { trainCommand } from './train.js';

/** What a command's `run` gets: the parsed options (strings and booleans), positionals, and the backend when it needs one. */
interface Invocation {
  io: Io;
  v: Record<string, string | boolean | undefined> & Record<'json' | 'overwrite' | 'resume' | 'skip-bad' | 'compare-torch', boolean>;
  rest: string[];
  inputSize?: [number, number];
  /** The backend's description ('wasm (SIMD, 1 thread)'); commands that choose backends themselves (bench, train) get none. */
  backend: string;
}

type Run = (call: Invocation) => Promise<number>;

const str = (v: Invocation['v'], key: string) => v[key] as string | undefined;
const req = (v: Invocation['v'], key: string) => v[key] as string;
const inputSize = { type: 'string', value: 'HxW' } as const;
const json = { type: 'boolean' } as const;
const overwrite = { type: 'boolean' } as const;
// Photos get the best mask by default (DEFAULT_SEGMENT_OPTIONS: flip test and refinement); these turn each off.
const noFlipTest = { type: 'boolean' } as const;
const noRefine = { type: 'boolean' } as const;
const runtime = { type: 'string', value: RUNTIMES.join('|') } as const;
const checkRuntime = (values: Record<string, unknown>) => void parseRuntime(values.runtime as string | undefined);
const fit = { type: 'string', value: FITS.join('|') } as const;

/** Every command: usage, options and validation derive from this table. */
const COMMANDS: Record<string, CommandSpec<Run> & { needsBackend?: boolean }> = {
  convert: {
    args: '<SINet.pth|model-dir>',
    positionals: { min: 1, max: 1, message: 'convert takes exactly one checkpoint or model: sinet convert <SINet.pth|model-dir> --out <dir>' },
    options: { out: { type: 'string', value: '<dir>', required: true }, 'input-size': inputSize, float16: { type: 'boolean' }, overwrite },
    needsBackend: true,
    run: async ({ io, v, rest, inputSize }) => (await convertCommand(io, rest[0]!, req(v, 'out'), { inputSize, overwrite: v.overwrite, float16: v.float16 === true }), 0),
  },
  info: {
    options: { model: { type: 'string', value: '<dir>' }, 'input-size': inputSize, json },
    needsBackend: true,
    run: async ({ io, v, inputSize, backend }) => (await infoCommand(io, str(v, 'model'), inputSize, v.json, backend), 0),
  },
  segment: {
    args: '<images...>',
    positionals: { min: 1, max: Infinity, message: 'segment: give at least one image' },
    options: {
      model: { type: 'string', value: '<dir|name>' },
      out: { type: 'string', value: '<dir>' },
      mode: { type: 'string', value: SEGMENT_MODES.join('|') },
      overwrite,
      background: { type: 'string', value: '<image|#rrggbb>' },
      threshold: { type: 'string', value: '0.5' },
      'input-size': inputSize,
      workers: { type: 'string', value: 'N' },
      'no-flip-test': noFlipTest,
      'no-refine': noRefine,
      fit,
      runtime,
    },
    needsBackend: true,
    check: (v) => {
      checkRuntime(v);
      parseFit(v.fit as string | undefined);
    },
    run: async ({ io, v, rest, inputSize }) => {
      const mode = (str(v, 'mode') ?? 'mask') as SegmentMode;
      if (!SEGMENT_MODES.includes(mode)) throw new UsageError(`--mode must be one of ${SEGMENT_MODES.join(', ')}, got '${str(v, 'mode')}'`);
      const threshold = str(v, 'threshold');
      const workers = str(v, 'workers');
      await segmentCommand(io, rest, {
        model: str(v, 'model'),
        out: str(v, 'out') ?? '.',
        mode,
        background: str(v, 'background'),
        threshold: threshold ? parseFraction(threshold, '--threshold') : undefined,
        inputSize,
        workers: workers !== undefined ? parsePositiveInt(workers, '--workers') : undefined,
        overwrite: v.overwrite,
        flipTest: !v['no-flip-test'],
        refine: !v['no-refine'],
        fit: parseFit(str(v, 'fit')),
        runtime: parseRuntime(str(v, 'runtime')),
      });
      return 0;
    },
  },
  eval: {
    options: { model: { type: 'string', value: '<dir|name>' }, data: { type: 'string', value: '<dir>' }, list: { type: 'string', value: '<ids.txt>' }, config: { type: 'string', value: '<train config>' }, json, limit: { type: 'string', value: 'N' }, 'input-size': inputSize, 'no-flip-test': noFlipTest, 'no-refine': noRefine, fit, runtime },
    needsBackend: true,
    check: (v) => {
      checkRuntime(v);
      parseFit(v.fit as string | undefined);
      // Usage mistakes are named before any backend starts.
      if ((v.config === undefined) === (v.data === undefined)) throw new UsageError('eval needs --data <dir> (with --list) or --config <train config> (its validation sources), not both');
      if (v.config !== undefined && v.list !== undefined) throw new UsageError('--list applies to --data; --config brings its own lists');
    },
    run: async ({ io, v, inputSize }) => {
      const limit = str(v, 'limit');
      const config = str(v, 'config');
      await evalCommand(io, { model: str(v, 'model'), data: str(v, 'data'), config, list: str(v, 'list'), json: v.json, inputSize, limit: limit ? parsePositiveInt(limit, '--limit') : undefined, flipTest: !v['no-flip-test'], refine: !v['no-refine'], fit: parseFit(str(v, 'fit')), runtime: parseRuntime(str(v, 'runtime')) });
      return 0;
    },
  },
  bench: {
    options: {
      suite: { type: 'string', value: 'inference|training|losses|augment|all' },
      runs: { type: 'string', value: 'N' },
      backends: { type: 'string', value: 'wasm,cpu' },
      batch: { type: 'string', value: '16' },
      'step-batch': { type: 'string', value: 'N' },
      workers: { type: 'string', value: 'N' },
      'compare-torch': { type: 'boolean' },
      'torch-network': { type: 'string', value: 'official|port' },
      runtime,
      json,
    },
    check: checkRuntime,
    run: ({ io, v }) => benchCommand(io, { suite: str(v, 'suite'), runs: str(v, 'runs'), backends: str(v, 'backends'), backend: str(v, 'backend'), batch: str(v, 'batch'), 'step-batch': str(v, 'step-batch'), workers: str(v, 'workers'), json: v.json, 'compare-torch': v['compare-torch'], 'torch-network': str(v, 'torch-network'), runtime: parseRuntime(str(v, 'runtime')) }),
  },
  export: {
    options: {
      model: { type: 'string', value: '<dir|name>' },
      format: { type: 'string', value: 'onnx' },
      out: { type: 'string', value: '<file.onnx>' },
      triton: { type: 'string', value: '<dir>' },
      'triton-name': { type: 'string', value: 'sinet' },
      softmax: { type: 'boolean' },
      'fixed-size': { type: 'boolean' },
      'input-size': inputSize,
      overwrite,
    },
    note: '(--out, --triton or both)',
    needsBackend: true,
    check: checkExportOptions,
    run: async ({ io, v, inputSize }) => {
      await exportCommand(io, { model: str(v, 'model'), format: str(v, 'format'), out: str(v, 'out'), triton: str(v, 'triton'), tritonName: str(v, 'triton-name'), softmax: v.softmax === true, fixedSize: v['fixed-size'] === true, inputSize, overwrite: v.overwrite });
      return 0;
    },
  },
  quickstart: {
    options: { weights: { type: 'string', value: '<SINet.pth>' }, data: { type: 'string', value: '<dir>' }, out: { type: 'string', value: 'runs/quickstart' } },
    needsBackend: true,
    run: async ({ io, v }) => (await quickstartCommand(io, { weights: str(v, 'weights'), data: str(v, 'data'), out: str(v, 'out') ?? path.join('runs', 'quickstart') }), 0),
  },
  train: {
    options: {
      preset: { type: 'string', value: 'quick|paper|blog' },
      config: { type: 'string', value: '<file.json>' },
      data: { type: 'string', value: '<dir>' },
      out: { type: 'string', value: 'runs/<name>' },
      init: { type: 'string', value: '<model-dir>' },
      resume: { type: 'boolean' },
      overwrite,
      'max-epochs': { type: 'string', value: 'N' },
      'skip-bad': { type: 'boolean' },
      workers: { type: 'string', value: 'N' },
    },
    note: '(--preset or --config; --resume or --overwrite)',
    needsBackend: true,
    run: ({ io, v }) => {
      if (v.config && v.preset) throw new UsageError('give --preset or --config, not both');
      if (v.resume && v.overwrite) throw new UsageError('give --resume or --overwrite, not both');
      const workers = str(v, 'workers');
      const maxEpochs = str(v, 'max-epochs');
      return trainCommand(io, {
        config: str(v, 'config'), preset: str(v, 'preset'), data: str(v, 'data'), out: str(v, 'out'), resume: v.resume, overwrite: v.overwrite, skipBad: v['skip-bad'], init: str(v, 'init'),
        workers: workers !== undefined ? parseNonNegativeInt(workers, '--workers') : undefined, maxEpochs: maxEpochs ? parsePositiveInt(maxEpochs, '--max-epochs') : undefined, backend: str(v, 'backend'),
      });
    },
  },
  synth: {
    options: { out: { type: 'string', value: '<dir>', required: true }, count: { type: 'string', value: '200' }, 'input-size': { type: 'string', value: '224x224' }, seed: { type: 'string', value: '1' }, val: { type: 'string', value: '0.1' }, overwrite },
    needsBackend: true,
    run: async ({ io, v, inputSize }) => {
      const [count, seed, val] = [str(v, 'count'), str(v, 'seed'), str(v, 'val')];
      await synthCommand(io, { out: req(v, 'out'), count: count ? parsePositiveInt(count, '--count') : 200, size: inputSize ?? [224, 224], seed: seed ? parsePositiveInt(seed, '--seed') : 1, valFraction: val ? parseFraction(val, '--val') : 0.1, overwrite: v.overwrite });
      return 0;
    },
  },
  'augment-preview': {
    args: '<image>',
    positionals: { min: 1, max: 1, message: 'augment-preview takes one image: sinet augment-preview <image> --preset <name> --out grid.png' },
    options: { mask: { type: 'string', value: '<mask>' }, preset: { type: 'string', value: '<name>', required: true }, n: { type: 'string', value: '16' }, size: { type: 'string', value: '224' }, seed: { type: 'string', value: '1' }, out: { type: 'string', value: 'grid.png', required: true }, overwrite },
    needsBackend: true,
    run: async ({ io, v, rest }) => {
      const [n, size, seed] = [str(v, 'n'), str(v, 'size'), str(v, 'seed')];
      await augmentPreviewCommand(io, {
        image: rest[0]!, mask: str(v, 'mask'), preset: req(v, 'preset'), out: req(v, 'out'), overwrite: v.overwrite,
        n: n ? parsePositiveInt(n, '--n') : 16, size: size ? parsePositiveInt(size, '--size') : 224, seed: seed ? parsePositiveInt(seed, '--seed') : 1,
      });
      return 0;
    },
  },
};

const USAGE = usage(COMMANDS);

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseArgsOptions(COMMANDS), allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Invocation['v'];
  if (v.version) {
    io.out(createRequire(import.meta.url)('../package.json').version);
    return 0;
  }
  const [command, ...rest] = parsed.positionals;
  if (!command || v.help || command === 'help') {
    io.out(USAGE);
    return command || v.help ? 0 : 2;
  }
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec) throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
  checkCommand(command, spec, v, rest);
  const size = str(v, 'input-size');
  const sized = size && spec.options['input-size'] ? parseSize(size, '--input-size') : undefined;
  const backend = spec.needsBackend ? (await initBackend(str(v, 'backend'), { log: v.json ? null : io.err })).description : '';
  return spec.run({ io, v, rest, inputSize: sized, backend });
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
        io.err(`sinet: error: ${describeError(e)}`);
        process.exitCode = e instanceof CliError ? e.exitCode : 1;
      } else {
        io.err(`sinet: internal error (please report): ${(e as Error)?.stack ?? String(e)}`);
        process.exitCode = EXIT_SOFTWARE;
      }
    },
  );
}
