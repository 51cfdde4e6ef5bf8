import { AugmentInputError, ParamError } from '@sinet/augment';
import { S2Module, sinetLayers } from '@sinet/layers';
import { ConfusionMatrix, LabelShapeError, sinetLoss } from '@sinet/losses';
import { InputError, ModelError } from '@sinet/model';
import { TorchCheckpointError } from '@sinet/model/convert';
import { ModelFileError } from '@sinet/model/files';
import { BackendError, ImageFileError } from '@sinet/model/node';
import { ConfigError, DatasetError, TrainError, TrainingError } from '@sinet/train';
import { WasmKernelsError } from '@sinet/wasm-kernels';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_SOFTWARE, isExpectedError, UsageError } from './errors.js';

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

  it('bad arguments to every package, thrown by the real calls, are its error class with a code', () => {
    const thrown = (f: () => unknown): Error & { code?: string } => {
      try {
        f();
      } catch (e) {
        return e as Error & { code?: string };
      }
      throw new Error('did not throw');
    };
    const cases: [() => unknown, string, string, RegExp][] = [
      [() => new S2Module({ filters: 0, blocks: [[3, 1]] }), 'LayersError', 'ARGUMENT', /S2Module: 'filters' must be a positive integer, got 0/],
      [() => sinetLayers.convBNPReLU({ filters: 8, kernelSize: 4 }), 'LayersError', 'ARGUMENT', /'kernelSize' must be odd/],
      [() => sinetLoss({ kernel: 4 }), 'LossesError', 'CONFIG', /sinetLoss: 'kernel' must be a positive odd integer, got 4/],
      [() => new ConfusionMatrix(2).update(new Uint8Array(4), new Uint8Array(3)), 'LossesError', 'INPUT', /truth has 4 pixels, prediction 3/],
    ];
    for (const [call, name, code, says] of cases) {
      const e = thrown(call);
      expect([e.name, e.code, isExpectedError(e)]).toEqual([name, code, true]);
      expect(e.message).toMatch(says);
    }
    expect(isExpectedError(new WasmKernelsError('w', 'INPUT'))).toBe(true);
  });

  it('bugs are not expected: they keep their stack trace', () => {
    expect(isExpectedError(new CliError('internal: a table that contradicts itself', EXIT_SOFTWARE))).toBe(false);
    expect(isExpectedError(new TypeError('x is undefined'))).toBe(false);
    // A look-alike name no longer passes for a library error.
    expect(isExpectedError(Object.assign(new Error('x'), { name: 'DatasetError' }))).toBe(false);
  });
});
