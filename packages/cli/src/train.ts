/** `sinet train`: the two-stage trainer from a preset or a JSON config, with CLI overrides. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseTrainConfig, train, TRAIN_PRESETS, type TrainConfig } from '@sinet/train';
import type { Io } from './commands.js';
import { decodeCacheDir } from './cache.js';
import { CliError, UsageError } from './errors.js';

/** A training config file, read and checked (errors name the file and field). */
export async function readTrainConfig(file: string): Promise<TrainConfig> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`${file}: ${e.code === 'ENOENT' ? 'no such config file' : e.message}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseTrainConfig(json, file);
}

export async function trainCommand(
  io: Io,
  options: { config?: string; preset?: string; data?: string; out?: string; resume: boolean; overwrite?: boolean; skipBad?: boolean; init?: string; workers?: number; maxEpochs?: number; backend?: string; cacheDir?: string },
): Promise<number> {
  let config: TrainConfig;
  if (options.config) {
    config = await readTrainConfig(options.config);
  } else {
    const name = (options.preset ?? 'quick') as keyof typeof TRAIN_PRESETS;
    if (!TRAIN_PRESETS[name]) throw new UsageError(`--preset must be one of ${Object.keys(TRAIN_PRESETS).join(', ')}, got '${options.preset}'`);
    config = TRAIN_PRESETS[name];
  }
  if (options.data) config = parseTrainConfig({ ...config, data: { source: 'folder', dir: options.data, trainList: 'train.txt', valList: 'val.txt' } }, '--data');
  if (options.skipBad) {
    if (config.data.source === 'synthetic') throw new UsageError('--skip-bad applies to folder datasets (--data <dir>) and mixed ones');
    config = { ...config, data: { ...config.data, skipBad: true } };
  }
  if (options.init) config = { ...config, init: options.init };
  const out = options.out ?? path.join('runs', config.name);
  const result = await train(config, { out, resume: options.resume, overwrite: options.overwrite, maxEpochs: options.maxEpochs, backend: options.backend, log: io.err, progress: io.progress, handleSignals: true, trainWorkers: options.workers, cacheDir: options.cacheDir ?? decodeCacheDir() });
  const full = result.history.filter((r) => r.kind === 'full');
  const first = full[0] ?? result.history[0];
  const last = full.at(-1) ?? result.history.at(-1);
  if (first && last) {
    io.out(`${result.finished ? 'finished' : 'stopped'}: ${result.history.length} epochs recorded in ${out}`);
    io.out(`validation mIoU ${(100 * first.valMiou).toFixed(2)} -> ${(100 * last.valMiou).toFixed(2)}, person IoU ${(100 * first.valPersonIou).toFixed(2)} -> ${(100 * last.valPersonIou).toFixed(2)}${first.valBoundaryF !== undefined && last.valBoundaryF !== undefined ? `, boundary F ${(100 * first.valBoundaryF).toFixed(2)} -> ${(100 * last.valBoundaryF).toFixed(2)}` : ''} (a constant prediction scores at most 50 mIoU)`);
    const mixed = config.data.source === 'mixed';
    if (result.bestMiou >= 0) io.out(`best model (${mixed ? 'mean person IoU over the validation sources' : 'mIoU'} ${(100 * result.bestMiou).toFixed(2)}): ${path.join(out, 'best')}; evaluate it with: pnpm sinet eval --model ${path.join(out, 'best')} ${mixed ? `--config ${options.config ?? '<config>'}` : '--data <dir>'}`);
  }
  // Stopped by a signal (the checkpoint is saved): exit as shells report it, 128 + the signal's number.
  return result.stopCause === 'SIGINT' ? 130 : result.stopCause === 'SIGTERM' ? 143 : result.stopCause === 'parent exited' ? 129 : 0;
}
