/** The one base class of @sinet/train's errors: bad input or state the caller can fix, never a bug. `code` tells them apart without string-matching names. */
export type TrainErrorCode = 'CONFIG' | 'DATASET' | 'TRAINING';

export class TrainError extends Error {
  constructor(
    message: string,
    readonly code: TrainErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A training run that cannot start or continue: a damaged checkpoint, a diverging loss, a bad `out`. */
export class TrainingError extends TrainError {
  constructor(message: string) {
    super(message, 'TRAINING');
  }
}
