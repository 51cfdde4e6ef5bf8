/** Training configuration: a JSON file validated with zod; errors name the field. */
import { z } from 'zod';
import { DatasetError } from '../data/folder-dataset.js';

const size = z.tuple([z.number().int().min(32).multipleOf(32), z.number().int().min(32).multipleOf(32)]);

const stage = z
  .object({
    /** 'encoder': the encoder alone against the mask at 1/8 (paper stage 1); 'full': the whole network. */
    kind: z.enum(['encoder', 'full']),
    epochs: z.number().int().min(0),
    batchSize: z.number().int().min(1),
    lr: z.number().positive(),
    loss: z.enum(['official-encoder', 'official-decoder', 'seed']),
    augment: z.enum(['sinetBlog', 'sinetOfficial', 'portraitNet', 'none']),
    /** Full stage only: keep the encoder's weights fixed (the seed's recipe). */
    freezeEncoder: z.boolean().default(false),
  })
  .strict();

const data = z.discriminatedUnion('source', [
  z.object({ source: z.literal('synthetic'), train: z.number().int().min(1), val: z.number().int().min(1), seed: z.number().int().default(1) }).strict(),
  z
    .object({ source: z.literal('folder'), dir: z.string().min(1), trainList: z.string().optional(), valList: z.string().optional(), skipBad: z.boolean().default(false) })
    .strict(),
]);

export const trainConfigSchema = z
  .object({
    name: z.string().regex(/^[\w.-]+$/, 'letters, digits, _ . - only'),
    inputSize: size,
    seed: z.number().int(),
    /** Start from this model folder's weights (fine-tuning, e.g. the converted official weights) instead of random ones. */
    init: z.string().min(1).optional(),
    data,
    stages: z.array(stage).min(1).refine((stages) => stages.some((st) => st.epochs > 0), 'every stage has 0 epochs: nothing would be trained'),
    optimizer: z
      .object({
        /** Decoupled (AdamW-style) decay of convolution and dense kernels, per step: w -= lr * weightDecay * w. */
        weightDecay: z.number().min(0),
        schedule: z.enum(['poly', 'multistep', 'cosine']),
        /** poly: lr * (1 - t) ^ power. */
        power: z.number().positive().default(1),
        /** multistep: epochs (within the stage) where lr is multiplied by gamma. */
        milestones: z.array(z.number().int().min(1)).default([]),
        gamma: z.number().positive().default(0.1),
        /** Linear warm-up epochs at the start of each stage (cosine and poly). */
        warmupEpochs: z.number().int().min(0).default(0),
      })
      .strict(),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type StageConfig = TrainConfig['stages'][number];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config; one line per problem, each naming its field path. */
export function parseTrainConfig(value: unknown, where = 'config'): TrainConfig {
  const result = trainConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new ConfigError(`${where} is not a valid training config:\n${lines.join('\n')}`);
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
