/** Training configuration: a JSON value checked field by field; every problem names its field path. */
import { AUGMENT_PRESET_NAMES, type AugmentPresetName } from '../data/augment-pool.js';
import { DatasetError } from '../data/folder-dataset.js';
import { LOSS_NAMES, type LossName } from './batch.js';
import { TrainError } from '../errors.js';

export interface StageConfig {
  /** 'encoder': the encoder alone against the mask at 1/8 (paper stage 1); 'full': the whole network. */
  kind: 'encoder' | 'full';
  epochs: number;
  batchSize: number;
  lr: number;
  loss: LossName;
  augment: AugmentPresetName;
  /** Full stage only: keep the encoder's weights fixed (the seed's recipe). Default false. */
  freezeEncoder: boolean;
}

/** One data set of a mixed training set. */
export interface MixedSourceConfig {
  /** Names the source in logs, per-source scores and held-out lists. */
  name: string;
  dir: string;
  trainList?: string;
  /** Validation ids; without one, `holdOut` of the train ids are held out (stratified by person size). */
  valList?: string;
  /** Share of each epoch's samples drawn from this source (relative to the other sources' weights). */
  weight: number;
  /** 'photos': images/ with masks/; 'backgrounds': person-free images/ (no masks), canvases for copy-paste. */
  kind: 'photos' | 'backgrounds';
  /** Fraction of the train ids held out for validation when there is no valList; default: the data's `holdOut`. */
  holdOut?: number;
  /** photos: its people are pasted onto backgrounds. Default true. */
  donor: boolean;
  /** backgrounds: the probability that a drawn background gets pasted people (otherwise it trains as a photo of no one). Default 0.8. */
  paste: number;
}

export const MIXED_SOURCE_KINDS = ['photos', 'backgrounds'] as const;

export type DataConfig =
  | { source: 'synthetic'; train: number; val: number; seed: number }
  | { source: 'folder'; dir: string; trainList?: string; valList?: string; skipBad: boolean }
  | {
      source: 'mixed';
      sources: MixedSourceConfig[];
      /** Samples drawn per epoch, by the sources' weights. */
      epochSize: number;
      /** Default fraction of a source's ids held out for validation when it has no valList. */
      holdOut: number;
      skipBad: boolean;
    };

export interface OptimizerConfig {
  /** Decoupled (AdamW-style) decay of convolution and dense kernels, per step: w -= lr * weightDecay * w. */
  weightDecay: number;
  schedule: 'poly' | 'multistep' | 'cosine';
  /** poly: lr * (1 - t) ^ power. Default 1. */
  power: number;
  /** multistep: epochs (within the stage) where lr is multiplied by gamma. */
  milestones: number[];
  gamma: number;
  /** Linear warm-up epochs at the start of each stage (cosine and poly). Default 0. */
  warmupEpochs: number;
  /**
   * Decay of an exponential moving average of the weights (see WeightAverage), e.g. 0.999; the
   * averaged weights are the ones validated, kept as best and exported. Default 0: off.
   */
  ema: number;
}

export interface TrainConfig {
  name: string;
  /** [height, width], multiples of 32. */
  inputSize: [number, number];
  seed: number;
  /** Start from this model folder's weights (fine-tuning, e.g. the converted official weights) instead of random ones. */
  init?: string;
  data: DataConfig;
  stages: StageConfig[];
  optimizer: OptimizerConfig;
}

export class ConfigError extends TrainError {
  constructor(message: string) {
    super(message, 'CONFIG');
  }
}

type Json = Record<string, unknown>;

/** Collects problems as `path: message` while reading a value; defaults fill absent optional fields. */
class Checker {
  readonly problems: string[] = [];

  private fail(path: string, message: string): undefined {
    this.problems.push(`  ${path || '(root)'}: ${message}`);
    return undefined;
  }

  object(value: unknown, path: string, keys: string[]): Json | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, `Expected object, received ${kindOf(value)}`);
    const extra = Object.keys(value).filter((k) => !keys.includes(k));
    if (extra.length) this.fail(path, `Unrecognized key(s) in object: ${extra.map((k) => `'${k}'`).join(', ')}`);
    return value as Json;
  }

  number(o: Json, key: string, path: string, rules: { int?: boolean; min?: number; positive?: boolean; multipleOf?: number; default?: number } = {}): number {
    const at = join(path, key);
    const value = o[key] ?? rules.default;
    if (value === undefined) return this.fail(at, 'Required') ?? NaN;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(at, `Expected number, received ${kindOf(value)}`) ?? NaN;
    if (rules.int && !Number.isInteger(value)) this.fail(at, 'Expected integer, received float');
    if (rules.min !== undefined && value < rules.min) this.fail(at, `Number must be greater than or equal to ${rules.min}`);
    if (rules.positive && value <= 0) this.fail(at, 'Number must be greater than 0');
    if (rules.multipleOf !== undefined && value % rules.multipleOf !== 0) this.fail(at, `Number must be a multiple of ${rules.multipleOf}`);
    return value;
  }

  string(o: Json, key: string, path: string, rules: { optional?: boolean; pattern?: [RegExp, string] } = {}): string | undefined {
    const at = join(path, key);
    const value = o[key];
    if (value === undefined) return rules.optional ? undefined : this.fail(at, 'Required');
    if (typeof value !== 'string') return this.fail(at, `Expected string, received ${kindOf(value)}`);
    if (value.length === 0) return this.fail(at, 'String must contain at least 1 character(s)');
    if (rules.pattern && !rules.pattern[0].test(value)) return this.fail(at, rules.pattern[1]);
    return value;
  }

  oneOf<T extends string>(o: Json, key: string, path: string, options: readonly T[]): T {
    const value = o[key];
    if (value === undefined) return this.fail(join(path, key), 'Required') as never;
    if (!options.includes(value as T)) this.fail(join(path, key), `Invalid enum value. Expected ${options.map((v) => `'${v}'`).join(' | ')}, received ${JSON.stringify(value)}`);
    return value as T;
  }

  boolean(o: Json, key: string, path: string, fallback: boolean): boolean {
    const value = o[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(join(path, key), `Expected boolean, received ${kindOf(value)}`);
    return value as boolean;
  }

  array(o: Json, key: string, path: string): unknown[] | undefined {
    const value = o[key];
    if (value === undefined) return this.fail(join(path, key), 'Required');
    if (!Array.isArray(value)) return this.fail(join(path, key), `Expected array, received ${kindOf(value)}`);
    return value;
  }

  problem(path: string, message: string): void {
    this.fail(path, message);
  }
}

const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function readStage(c: Checker, value: unknown, path: string): StageConfig {
  const o = c.object(value, path, ['kind', 'epochs', 'batchSize', 'lr', 'loss', 'augment', 'freezeEncoder']) ?? {};
  return {
    kind: c.oneOf(o, 'kind', path, ['encoder', 'full'] as const),
    epochs: c.number(o, 'epochs', path, { int: true, min: 0 }),
    batchSize: c.number(o, 'batchSize', path, { int: true, min: 1 }),
    lr: c.number(o, 'lr', path, { positive: true }),
    loss: c.oneOf(o, 'loss', path, LOSS_NAMES),
    augment: c.oneOf(o, 'augment', path, AUGMENT_PRESET_NAMES),
    freezeEncoder: c.boolean(o, 'freezeEncoder', path, false),
  };
}

function readData(c: Checker, value: unknown, path: string): DataConfig {
  const source = typeof value === 'object' && value !== null ? (value as Json).source : undefined;
  if (source === 'synthetic') {
    const o = c.object(value, path, ['source', 'train', 'val', 'seed'])!;
    return { source, train: c.number(o, 'train', path, { int: true, min: 1 }), val: c.number(o, 'val', path, { int: true, min: 1 }), seed: c.number(o, 'seed', path, { int: true, default: 1 }) };
  }
  if (source === 'folder') {
    const o = c.object(value, path, ['source', 'dir', 'trainList', 'valList', 'skipBad'])!;
    return {
      source, dir: c.string(o, 'dir', path) ?? '', trainList: c.string(o, 'trainList', path, { optional: true }), valList: c.string(o, 'valList', path, { optional: true }),
      skipBad: c.boolean(o, 'skipBad', path, false),
    };
  }
  if (source === 'mixed') {
    const o = c.object(value, path, ['source', 'sources', 'epochSize', 'holdOut', 'skipBad'])!;
    const holdOut = c.number(o, 'holdOut', path, { min: 0, default: 0.2 });
    if (holdOut >= 1) c.problem(join(path, 'holdOut'), 'Number must be less than 1');
    const list = c.array(o, 'sources', path) ?? [];
    if (o.sources !== undefined && list.length === 0) c.problem(join(path, 'sources'), 'Array must contain at least 1 element(s)');
    const sources = list.map((v, i) => readMixedSource(c, v, join(join(path, 'sources'), i)));
    const names = sources.map((s) => s.name);
    names.forEach((n, i) => {
      if (n && names.indexOf(n) !== i) c.problem(join(join(join(path, 'sources'), i), 'name'), `duplicate source name '${n}'`);
    });
    if (sources.length && !sources.some((s) => s.kind === 'photos' && s.weight > 0)) c.problem(join(path, 'sources'), "needs a 'photos' source with a weight above 0");
    if (sources.some((s) => s.kind === 'backgrounds' && s.weight > 0 && s.paste > 0) && !sources.some((s) => s.kind === 'photos' && s.donor)) c.problem(join(path, 'sources'), "backgrounds paste people, but no 'photos' source is a donor");
    return { source, sources, epochSize: c.number(o, 'epochSize', path, { int: true, min: 1 }), holdOut, skipBad: c.boolean(o, 'skipBad', path, false) };
  }
  c.problem(join(path, 'source'), `Invalid discriminator value. Expected 'synthetic' | 'folder' | 'mixed'`);
  return { source: 'synthetic', train: 0, val: 0, seed: 0 };
}

function readMixedSource(c: Checker, value: unknown, path: string): MixedSourceConfig {
  const o = c.object(value, path, ['name', 'dir', 'trainList', 'valList', 'weight', 'kind', 'holdOut', 'donor', 'paste']) ?? {};
  const kind = o.kind === undefined ? 'photos' : c.oneOf(o, 'kind', path, MIXED_SOURCE_KINDS);
  const holdOut = o.holdOut === undefined ? undefined : c.number(o, 'holdOut', path, { min: 0 });
  if (holdOut !== undefined && holdOut >= 1) c.problem(join(path, 'holdOut'), 'Number must be less than 1');
  const paste = c.number(o, 'paste', path, { min: 0, default: 0.8 });
  if (paste > 1) c.problem(join(path, 'paste'), 'Expected a probability in [0, 1]');
  if (kind === 'backgrounds' && o.valList !== undefined) c.problem(join(path, 'valList'), 'backgrounds are not validated on (they have no masks)');
  return {
    name: c.string(o, 'name', path, { pattern: [/^[\w.-]+$/, 'letters, digits, _ . - only'] }) ?? '',
    dir: c.string(o, 'dir', path) ?? '',
    trainList: c.string(o, 'trainList', path, { optional: true }),
    valList: c.string(o, 'valList', path, { optional: true }),
    weight: c.number(o, 'weight', path, { min: 0 }),
    kind,
    ...(holdOut === undefined ? {} : { holdOut }),
    donor: c.boolean(o, 'donor', path, true),
    paste,
  };
}

function readOptimizer(c: Checker, value: unknown, path: string): OptimizerConfig {
  const o = c.object(value, path, ['weightDecay', 'schedule', 'power', 'milestones', 'gamma', 'warmupEpochs', 'ema']) ?? {};
  const ema = c.number(o, 'ema', path, { min: 0, default: 0 });
  if (ema >= 1) c.problem(join(path, 'ema'), 'Number must be less than 1');
  const milestones = o.milestones === undefined ? [] : (c.array(o, 'milestones', path) ?? []);
  milestones.forEach((m, i) => {
    if (!Number.isInteger(m) || (m as number) < 1) c.problem(join(join(path, 'milestones'), i), 'Expected an integer >= 1');
  });
  return {
    weightDecay: c.number(o, 'weightDecay', path, { min: 0 }),
    schedule: c.oneOf(o, 'schedule', path, ['poly', 'multistep', 'cosine'] as const),
    power: c.number(o, 'power', path, { positive: true, default: 1 }),
    milestones: milestones as number[],
    gamma: c.number(o, 'gamma', path, { positive: true, default: 0.1 }),
    warmupEpochs: c.number(o, 'warmupEpochs', path, { int: true, min: 0, default: 0 }),
    ema,
  };
}

/** Validates a parsed config and fills its defaults; one line per problem, each naming its field path. */
export function parseTrainConfig(value: unknown, where = 'config'): TrainConfig {
  const c = new Checker();
  const o = c.object(value, '', ['name', 'inputSize', 'seed', 'init', 'data', 'stages', 'optimizer']) ?? {};
  // The name becomes a folder (runs/<name>): '.', '..' or a hidden name would write elsewhere.
  const name = c.string(o, 'name', '', { pattern: [/^(?!\.)[\w.-]+$/, "letters, digits, _ . - only, not starting with '.'"] }) ?? '';
  const size = c.array(o, 'inputSize', '');
  if (size && size.length !== 2) c.problem('inputSize', 'Expected [height, width]');
  const inputSize = (size ?? []).slice(0, 2).map((_, i) => c.number(size as unknown as Json, String(i), 'inputSize', { int: true, min: 32, multipleOf: 32 })) as [number, number];
  const seed = c.number(o, 'seed', '', { int: true });
  const init = c.string(o, 'init', '', { optional: true });
  const data = readData(c, o.data, 'data');
  const stageValues = c.array(o, 'stages', '') ?? [];
  if (o.stages !== undefined && stageValues.length === 0) c.problem('stages', 'Array must contain at least 1 element(s)');
  const stages = stageValues.map((st, i) => readStage(c, st, join('stages', i)));
  if (stageValues.length > 0 && stages.every((st) => st.epochs === 0)) c.problem('stages', 'every stage has 0 epochs: nothing would be trained');
  const optimizer = readOptimizer(c, o.optimizer, 'optimizer');
  if (c.problems.length) throw new ConfigError(`${where} is not a valid training config:\n${c.problems.join('\n')}`);
  return { name, inputSize, seed, ...(init === undefined ? {} : { init }), data, stages, optimizer };
}

const base = (name: string, inputSize: [number, number]) => ({ name, inputSize, seed: 1 });

/** Presets: `quick` is the embedded default (synthetic data, minutes); `paper` and `blog` are the published recipes. */
export const TRAIN_PRESETS: Record<'quick' | 'paper' | 'blog', TrainConfig> = {
  quick: parseTrainConfig({
    ...base('quick', [96, 96]),
    data: { source: 'synthetic', train: 96, val: 24, seed: 1 },
    stages: [
      { kind: 'encoder', epochs: 4, batchSize: 8, lr: 5e-3, loss: 'official-encoder', augment: 'sinetOfficial' },
      { kind: 'full', epochs: 4, batchSize: 8, lr: 5e-3, loss: 'official-decoder', augment: 'sinetOfficial' },
    ],
    optimizer: { weightDecay: 2e-4, schedule: 'poly', power: 1 },
  }),
  paper: parseTrainConfig({
    ...base('paper', [224, 224]),
    data: { source: 'folder', dir: '../shared/datasets/eg1800', trainList: 'train.txt', valList: 'val.txt' },
    stages: [
      { kind: 'encoder', epochs: 300, batchSize: 36, lr: 5e-4, loss: 'official-encoder', augment: 'sinetOfficial' },
      { kind: 'full', epochs: 300, batchSize: 24, lr: 5e-4, loss: 'official-decoder', augment: 'sinetOfficial' },
    ],
    optimizer: { weightDecay: 2e-4, schedule: 'multistep', milestones: [100, 200], gamma: 0.1 },
  }),
  blog: parseTrainConfig({
    ...base('blog', [224, 224]),
    data: { source: 'folder', dir: '../shared/datasets/eg1800', trainList: 'train.txt', valList: 'val.txt' },
    stages: [
      { kind: 'encoder', epochs: 300, batchSize: 36, lr: 7.5e-3, loss: 'seed', augment: 'sinetBlog' },
      { kind: 'full', epochs: 300, batchSize: 24, lr: 7.5e-3, loss: 'seed', augment: 'sinetBlog', freezeEncoder: true },
    ],
    optimizer: { weightDecay: 2e-4, schedule: 'poly', power: 1 },
  }),
};

export { DatasetError };
