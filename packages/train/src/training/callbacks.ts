/**
 * What happens around the training loop, as callbacks in the spirit of Keras': the progress bar
 * and per-epoch line, `log.jsonl`, the HTML report. `train()` runs its own and any the caller
 * passes in `TrainOptions.callbacks`, in order.
 */
import type * as tf from '@sinet/layers/tfjs';
import type { Preprocessing } from '@sinet/model';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LoadedSample } from '../data/loader.js';
import type { EpochRecord } from './checkpoint.js';
import type { ProgressReporter, ProgressState } from './progress.js';
import { writeReport } from './report.js';

export interface EpochEnd {
  record: EpochRecord;
  /** Epochs of this stage. */
  epochs: number;
  /** Every epoch so far, this one included. */
  history: EpochRecord[];
  /** The model this stage trains (the encoder in stage 'encoder'; it shares the full model's weights). */
  trainModel: tf.LayersModel;
}

export interface TrainingCallback {
  /** After every training step. */
  onStep?(progress: ProgressState): void;
  /** After every epoch's validation, before the checkpoint is written. */
  onEpochEnd?(epoch: EpochEnd): void | Promise<void>;
}

/** The progress bar during an epoch and one line per epoch after it. */
export function progressCallback(progress: ProgressReporter, log: (line: string) => void): TrainingCallback {
  return {
    onStep: (p) => progress.update(p),
    onEpochEnd: ({ record: r, epochs }) => {
      log(
        `stage ${r.stage} (${r.kind}) epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}, val mIoU ${(100 * r.valMiou).toFixed(2)}, person IoU ${(100 * r.valPersonIou).toFixed(2)}, ` +
          `boundary F ${(100 * (r.valBoundaryF ?? Number.NaN)).toFixed(2)}, ${r.imagesPerSecond.toFixed(2)} img/s, lr ${r.lr.toExponential(2)}`,
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
export function reportCallback(out: string, name: string, val: LoadedSample[], preprocessing: Preprocessing): TrainingCallback {
  return { onEpochEnd: ({ history, trainModel }) => writeReport(out, name, history, trainModel, val, preprocessing) };
}
