/**
 * What happens around the training loop, as callbacks in the spirit of Hugging Face's
 * TrainerCallback: the trainer owns the loop, the state (TrainerState) and when things happen;
 * callbacks do them (progress, log.jsonl, the report, the best model, checkpoints) and steer the
 * loop through a TrainerControl (stop, save now). `train()` runs `defaultCallbacks()` and the
 * caller's, or whatever list the caller builds from the defaults.
 */
import type * as tf from '@sinet/layers/tfjs';
import { saveModel } from '@sinet/model/node';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ValSample } from '../data/run-data.js';
import type { AdamW } from './adamw.js';
import { epochScore, writeCheckpoint, type EpochRecord, type TrainerState } from './checkpoint.js';
import type { ProgressReporter, ProgressState } from './progress.js';
import type { AveragedWeights } from './weight-average.js';
import { writeReport } from './report.js';
import { TrainError } from '../errors.js';

/** Flags callbacks set to steer the loop; the trainer reads and clears them. */
export interface TrainerControl {
  /** Stop after this step or epoch; a checkpoint is saved first, so `--resume` continues. */
  shouldStop: boolean;
  /** Save a checkpoint after this step (one inside an epoch continues bit for bit). */
  shouldSave: boolean;
}

export interface EpochEnd {
  record: EpochRecord;
  /** Epochs of this stage. */
  epochs: number;
  /** Every epoch so far, this one included. */
  history: EpochRecord[];
  /** The model this stage trains (the encoder in stage 'encoder'; it shares the full model's weights). */
  trainModel: tf.LayersModel;
  /** The full model. */
  model: tf.LayersModel;
  /** The run's state; callbacks that own a part of it (the best score) update it here. */
  state: TrainerState;
  /** The score this epoch is compared by (see selectionScore). */
  score: number;
}

/** A checkpoint to write: the state to resume from and the optimizer whose moments go with it (null at a stage's end). */
export interface SavePoint {
  model: tf.LayersModel;
  optimizer: AdamW | null;
  state: TrainerState;
  /** With optimizer.ema: the moving average of the weights (the model holds the trained ones). */
  average: AveragedWeights | null;
}

export interface TrainingCallback {
  /** After every training step. */
  onStep?(progress: ProgressState, control: TrainerControl): void;
  /** After every epoch's validation, before the epoch's checkpoint. */
  onEpochEnd?(epoch: EpochEnd, control: TrainerControl): void | Promise<void>;
  /** When a checkpoint is due: after every epoch, at a stop inside one, or when asked (control.shouldSave). */
  onSave?(save: SavePoint): Promise<void>;
}

/** The progress bar during an epoch and one line per epoch after it. */
export function progressCallback(progress: ProgressReporter, log: (line: string) => void): TrainingCallback {
  return {
    onStep: (p) => progress.update(p),
    onEpochEnd: ({ record: r, epochs }) => {
      progress.done();
      log(
        `stage ${r.stage} (${r.kind}) epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}, val mIoU ${(100 * r.valMiou).toFixed(2)}, person IoU ${(100 * r.valPersonIou).toFixed(2)}, ` +
          `boundary F ${(100 * (r.valBoundaryF ?? Number.NaN)).toFixed(2)}, ${r.imagesPerSecond.toFixed(2)} img/s` +
          `${r.dataWaitShare === undefined ? '' : ` (${(100 * r.dataWaitShare).toFixed(1)}% waiting for data)`}, lr ${r.lr.toExponential(2)}`,
      );
      if (r.valSources) log(`  person IoU by source: ${Object.entries(r.valSources).map(([k, v]) => `${k} ${(100 * v.personIou).toFixed(2)}`).join(', ')}; selection score ${(100 * (r.valScore ?? Number.NaN)).toFixed(2)}`);
    },
  };
}

/** One JSON line per epoch in `out/log.jsonl`. */
export function logFileCallback(out: string): TrainingCallback {
  return { onEpochEnd: ({ record }) => fs.appendFile(path.join(out, 'log.jsonl'), `${JSON.stringify(record)}\n`) };
}

/** `out/report.html` with the curves so far and `predictions.png` of the first validation images. */
export function reportCallback(out: string, name: string, val: ValSample[]): TrainingCallback {
  return { onEpochEnd: ({ history, trainModel }) => writeReport(out, name, history, trainModel, val) };
}

/** Keeps the full model of the best full-stage epoch (by its selection score) in `out/best`; the score is `state.bestMiou`. */
export function bestModelCallback(out: string): TrainingCallback {
  return {
    onEpochEnd: async ({ record, model, state, score }) => {
      if (record.kind !== 'full' || !(score > state.bestMiou)) return;
      state.bestMiou = score;
      await saveModel(model, path.join(out, 'best'));
    },
  };
}

/** Writes the resumable checkpoint (model, AdamW moments, RNG and position) atomically in `out/checkpoint`. */
export function checkpointCallback(out: string): TrainingCallback {
  return { onSave: ({ model, optimizer, state, average }) => writeCheckpoint(out, model, optimizer, state, average) };
}

export interface EarlyStoppingOptions {
  /** Full-stage epochs without a better score before stopping. */
  patience: number;
  /** How much better a score must be to count. Default 0. */
  minDelta?: number;
}

/**
 * Stops the run once `patience` full-stage epochs in a row were no better than the best before
 * them. It reads the run's history, so a resumed run counts the epochs before the stop.
 */
export function earlyStoppingCallback(options: EarlyStoppingOptions): TrainingCallback {
  const { patience, minDelta = 0 } = options;
  if (!(Number.isInteger(patience) && patience >= 1)) throw new TrainError(`earlyStopping: patience must be an integer >= 1, got ${patience}`, 'CONFIG');
  return {
    onEpochEnd: ({ history }, control) => {
      const full = history.filter((r) => r.kind === 'full');
      let best = -Infinity;
      let since = 0;
      for (const r of full) {
        if (epochScore(r) > best + minDelta) {
          best = epochScore(r);
          since = 0;
        } else since++;
      }
      if (since >= patience) control.shouldStop = true;
    },
  };
}

export interface DefaultCallbackContext {
  out: string;
  name: string;
  val: ValSample[];
  progress: ProgressReporter;
  log: (line: string) => void;
}

/** The callbacks every run has unless the caller replaces them: progress, log.jsonl, report, best model, checkpoint. */
export function defaultCallbacks(c: DefaultCallbackContext): TrainingCallback[] {
  return [progressCallback(c.progress, c.log), logFileCallback(c.out), reportCallback(c.out, c.name, c.val), bestModelCallback(c.out), checkpointCallback(c.out)];
}
