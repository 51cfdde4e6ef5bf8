import { FITS, type Fit } from '@sinet/model';
import { UsageError } from './errors.js';

/** Parses '224', '224x224' or '256x320' (height x width). */
export function parseSize(value: string, option: string): [number, number] {
  const m = /^(\d+)(?:[x,](\d+))?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${option}: expected HEIGHTxWIDTH such as 224x224, got '${value}'`);
  const h = Number(m[1]);
  const w = Number(m[2] ?? m[1]);
  for (const v of [h, w]) if (v < 32 || v % 32 !== 0) throw new UsageError(`${option}: sizes must be multiples of 32, got ${value}`);
  return [h, w];
}

export function parsePositiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${option}: expected a positive integer, got '${value}'`);
  return n;
}

export function parseFraction(value: string, option: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`${option}: expected a number in [0, 1], got '${value}'`);
  return n;
}

export function parseNonNegativeInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option}: expected an integer >= 0, got '${value}'`);
  return n;
}

/** --fit: how photos of another aspect meet the model's input (default stretch). */
export function parseFit(value: string | undefined): Fit {
  if (value === undefined) return 'stretch';
  if (!(FITS as readonly string[]).includes(value)) throw new UsageError(`--fit must be ${FITS.join(', ')}, got '${value}'`);
  return value as Fit;
}

export type Runtime = 'tfjs' | 'onnx';
export const RUNTIMES: Runtime[] = ['tfjs', 'onnx'];

/** --runtime: tfjs (default) or onnx (onnxruntime-node). */
export function parseRuntime(value: string | undefined): Runtime {
  if (value === undefined) return 'tfjs';
  if (!(RUNTIMES as string[]).includes(value)) throw new UsageError(`--runtime must be ${RUNTIMES.join(' or ')}, got '${value}'`);
  return value as Runtime;
}
