import { AugmentInputError, ParamError } from '@sinet/augment';
import { LabelShapeError } from '@sinet/losses';
import { InputError, ModelError } from '@sinet/model';
import { TorchCheckpointError } from '@sinet/model/convert';
import { ModelFileError } from '@sinet/model/files';
import { BackendError, ImageFileError } from '@sinet/model/node';
import { ConfigError, DatasetError, TrainError, TrainingError } from '@sinet/train';
import { describe, expect, it } from 'vitest';
import { CliError, isExpectedError, UsageError } from './errors.js';

describe('which errors the CLI reports as one line', () => {
  it('every library error, by its package\'s base class and code, not by name', () => {
    const expected: [Error, string][] = [
      [new ParamError('p'), 'PARAM'],
      [new AugmentInputError('a'), 'INPUT'],
      [new LabelShapeError('l'), 'LABEL_SHAPE'],
      [new InputError('i'), 'INPUT'],
      [new ModelFileError('m'), 'MODEL_FILE'],
      [new TorchCheckpointError('t'), 'TORCH_CHECKPOINT'],
      [new ImageFileError('f.png', 'corrupt'), 'IMAGE_FILE'],
      [new BackendError('b'), 'BACKEND'],
      [new ConfigError('c'), 'CONFIG'],
      [new DatasetError('d'), 'DATASET'],
      [new TrainingError('t'), 'TRAINING'],
    ];
    for (const [error, code] of expected) {
      expect([error.name, isExpectedError(error), (error as Error & { code: string }).code]).toEqual([error.constructor.name, true, code]);
    }
    expect(new InputError('x')).toBeInstanceOf(ModelError);
    expect(new DatasetError('x')).toBeInstanceOf(TrainError);
    expect(isExpectedError(new UsageError('u'))).toBe(true);
    expect(isExpectedError(new CliError('c'))).toBe(true);
    expect(isExpectedError(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(true);
  });

  it('bugs are not expected: they keep their stack trace', () => {
    expect(isExpectedError(new TypeError('x is undefined'))).toBe(false);
    // A look-alike name no longer passes for a library error.
    expect(isExpectedError(Object.assign(new Error('x'), { name: 'DatasetError' }))).toBe(false);
  });
});
