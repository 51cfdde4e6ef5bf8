/**
 * One optimisation step and one epoch of them. The step is the same on one thread and
 * data-parallel (the replicas' averaged gradients go through the same optimizer); the epoch
 * walks its batches in a fixed order with fixed augmentation seeds, so that a run stopped after
 * any step continues bit for bit.
 */
import * as tf from '@sinet/layers/tfjs';
import type { ImageU8, LabelMap } from '@sinet/augment';
import type { Preprocessing } from '@sinet/model';
import type { AugmentPool, BatchRequest } from '../data/augment-pool.js';
import { TrainingError } from '../errors.js';
import type { AdamW } from './adamw.js';
import { batchTensors } from './batch.js';
import type { DataParallel } from './data-parallel.js';

export interface StepContext {
  /** The model this stage trains (the encoder alone in stage 'encoder'). */
  trainModel: tf.LayersModel;
  /** Its trained variables (all, or the decoder's with a frozen encoder). */
  variables: tf.Variable[];
  optimizer: AdamW;
  /** The stage's loss (see makeLoss), made once. */
  loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar;
  size: [number, number];
  preprocessing: Preprocessing;
  /** Replicas in worker threads, when the step is data-parallel. */
  parallel: DataParallel | null;
  /** BatchNorm in training mode (batch statistics). Default true; fine-tuning on a few photos keeps it off. */
  batchNormTraining?: boolean;
}

/** A step loss above this (or not finite) means training diverged: stop rather than save a ruined model. */
export const DIVERGED_LOSS = 1e4;

/** Throws when a step's loss shows divergence, naming where (and the usual remedy). */
export function checkLoss(value: number, where: string): void {
  if (!Number.isFinite(value) || value > DIVERGED_LOSS) throw new TrainingError(`loss became ${value} at ${where}; lower the learning rate`);
}

/** One step on a batch; resolves with its loss. */
export async function trainStep(ctx: StepContext, images: ImageU8[], masks: LabelMap[]): Promise<number> {
  if (ctx.parallel) {
    if (ctx.batchNormTraining === false) throw new TrainingError('data-parallel steps train BatchNorm; batchNormTraining: false needs a single-thread step');
    return ctx.parallel.step(images, masks, ctx.optimizer);
  }
  const { x, y } = batchTensors(images, masks, ctx.size, ctx.preprocessing);
  const cost = ctx.optimizer.minimize(() => ctx.loss(y, ctx.trainModel.apply(x, { training: ctx.batchNormTraining ?? true }) as tf.Tensor), true, ctx.variables)!;
  const value = (await cost.data())[0]!;
  tf.dispose([cost, x, y]);
  return value;
}

/** Where an epoch is: enough to continue it after a stop (see TrainerState.partial). */
export interface EpochPosition {
  step: number;
  lossSum: number;
  /** Seconds spent in the epoch so far. */
  seconds: number;
  /** Of those, seconds the step waited for its batch (augmentation behind the trainer). */
  dataWaitSeconds?: number;
}

export interface EpochPlan {
  /** Batches of the epoch from `start.step` on, in order. */
  requests: BatchRequest[];
  /** Steps in the whole epoch. */
  steps: number;
  start: EpochPosition;
  /** Learning rate for a step (the schedule at that point of the epoch). */
  learningRate: (step: number) => number;
  /** Called after every step with the position and the images it took. */
  onStep: (position: EpochPosition, images: number) => void | Promise<void>;
  /** Stop after the current step (a signal arrived). */
  stopRequested: () => boolean;
  /** For the message of a diverging loss. */
  where: (step: number) => string;
}

/** Runs the steps of one epoch; stops early (with the position reached) when asked. */
export async function runEpoch(ctx: StepContext, pool: AugmentPool, plan: EpochPlan): Promise<EpochPosition & { lr: number; complete: boolean }> {
  let { step, lossSum } = plan.start;
  const started = performance.now() - plan.start.seconds * 1000;
  let waitedMs = (plan.start.dataWaitSeconds ?? 0) * 1000;
  const position = () => ({ step, lossSum, seconds: (performance.now() - started) / 1000, dataWaitSeconds: waitedMs / 1000 });
  let lr = plan.learningRate(step);
  const batches = pool.batches(plan.requests)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const asked = performance.now();
      const next = await batches.next();
      waitedMs += performance.now() - asked;
      if (next.done) break;
      const batch = next.value;
      lr = plan.learningRate(step);
      ctx.optimizer.learningRate = lr;
      const value = await trainStep(ctx, batch.images, batch.masks);
      checkLoss(value, plan.where(step));
      lossSum += value;
      step++;
      await plan.onStep(position(), batch.images.length);
      // Give the event loop a turn: signals and worker messages are only handled there.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (plan.stopRequested() && step < plan.steps) break;
    }
  } finally {
    await batches.return?.(undefined);
  }
  return { ...position(), lr, complete: step >= plan.steps };
}
