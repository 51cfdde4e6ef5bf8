/** Errors that mean bad input, not a bug: the CLI prints one line for them, never a stack trace. */
import { AugmentError } from '@sinet/augment';
import { LayersError } from '@sinet/layers';
import { LossesError } from '@sinet/losses';
import { ModelError } from '@sinet/model';
import { TrainError } from '@sinet/train';
import { WasmKernelsError } from '@sinet/wasm-kernels';

/** The exit code of a bug (sysexits' EX_SOFTWARE): reported with its stack, not as the user's error. */
export const EXIT_SOFTWARE = 70;

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
const LIBRARY_ERRORS = [ModelError, TrainError, AugmentError, LossesError, LayersError, WasmKernelsError];

/** File-system failures the user fixes (a path, a permission, a full or read-only disk), with what to do. */
const FILE_SYSTEM_HINTS: Record<string, string> = {
  ENOENT: '',
  EACCES: '',
  EPERM: '',
  EISDIR: '',
  ENOTDIR: '',
  EEXIST: '',
  ENAMETOOLONG: '',
  ELOOP: '',
  EMFILE: 'too many open files: raise the limit (ulimit -n)',
  ENOSPC: 'the disk is full: free some space and run again (an interrupted training run continues with --resume; its last checkpoint is intact)',
  EDQUOT: 'the disk quota is used up: free some space and run again (a training run continues with --resume)',
  EROFS: 'the file system is read-only: choose another --out',
};

export function isExpectedError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  if (e instanceof CliError) return e.exitCode !== EXIT_SOFTWARE;
  if (LIBRARY_ERRORS.some((base) => e instanceof base)) return true;
  return (e as NodeJS.ErrnoException).code! in FILE_SYSTEM_HINTS;
}

/** The one line an expected error prints: its message, and for a file-system failure what to do. */
export function describeError(e: Error): string {
  const hint = FILE_SYSTEM_HINTS[(e as NodeJS.ErrnoException).code ?? ''];
  return hint ? `${e.message} (${hint})` : e.message;
}
