/** Errors that mean bad input, not a bug: the CLI prints one line for them, never a stack trace. */
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

const EXPECTED = new Set([
  'CliError',
  'UsageError',
  'DatasetError',
  'ImageFileError',
  'ModelFileError',
  'ModelMetadataError',
  'TorchCheckpointError',
  'PickleError',
  'WeightMappingError',
  'InputError',
  'BackendError',
  'ConfigError',
  'TrainingError',
  'LabelShapeError',
]);

export function isExpectedError(e: unknown): e is Error {
  return e instanceof Error && (EXPECTED.has(e.name) || (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EACCES');
}
