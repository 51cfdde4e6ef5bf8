/** Errors that mean bad input, not a bug: the CLI prints one line for them, never a stack trace. */
import { AugmentError } from '@sinet/augment';
import { LossesError } from '@sinet/losses';
import { ModelError } from '@sinet/model';
import { TrainError } from '@sinet/train';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Usage mistakes exit with 2, like other Unix tools. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Each library's error base class: bad input or state the user can fix. */
const LIBRARY_ERRORS = [ModelError, TrainError, AugmentError, LossesError];

export function isExpectedError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  if (e instanceof CliError || LIBRARY_ERRORS.some((base) => e instanceof base)) return true;
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EACCES';
}
