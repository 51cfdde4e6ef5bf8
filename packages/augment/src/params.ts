/**
 * Stochastic parameters as in imgaug: a number is fixed, [a, b] is uniform in the range, any
 * other array is a random choice among its values, and a function draws its own value.
 */
import type { Rng } from './random.js';
import { AugmentError } from './errors.js';

export type Param = number | readonly [number, number] | readonly number[] | ((rng: Rng) => number);

/** Per-channel sampling: true, false, or the probability of sampling per channel for an image. */
export type PerChannel = boolean | number;

export class ParamError extends AugmentError {
  constructor(message: string) {
    super(message, 'PARAM');
  }
}

export interface ParamBounds {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** Checks a parameter when an augmenter is built, naming the augmenter and field in errors. */
export function checkParam(where: string, field: string, p: Param | undefined, bounds: ParamBounds = {}): void {
  if (p === undefined) return;
  const fail = (m: string): never => {
    throw new ParamError(`${where}: '${field}' ${m}`);
  };
  const inBounds = (v: number) => {
    if (typeof v !== 'number' || Number.isNaN(v)) fail(`must be numbers, got ${JSON.stringify(p)}`);
    if (bounds.min !== undefined && v < bounds.min) fail(`must be >= ${bounds.min}, got ${v}`);
    if (bounds.max !== undefined && v > bounds.max) fail(`must be <= ${bounds.max}, got ${v}`);
    if (bounds.integer && !Number.isInteger(v)) fail(`must be integers, got ${v}`);
  };
  if (typeof p === 'function') return;
  if (typeof p === 'number') return inBounds(p);
  if (!Array.isArray(p)) return fail(`must be a number, [min, max] or a list of choices, got ${JSON.stringify(p)}`);
  if (p.length === 0) return fail('is an empty list of choices');
  p.forEach(inBounds);
  if (p.length === 2 && p[0] > p[1]) fail(`is an empty range [${p[0]}, ${p[1]}] (min > max)`);
}

export function sample(p: Param, rng: Rng, integer = false): number {
  if (typeof p === 'number') return p;
  if (typeof p === 'function') return p(rng);
  if (p.length === 2) return integer ? rng.integer(Math.ceil(p[0]), Math.floor(p[1])) : rng.uniform(p[0], p[1]);
  return rng.choice(p);
}

export function checkProbability(where: string, field: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ParamError(`${where}: '${field}' must be a probability in [0, 1], got ${JSON.stringify(p)}`);
}

export function checkPerChannel(where: string, perChannel: PerChannel | undefined): void {
  if (typeof perChannel === 'number') checkProbability(where, 'perChannel', perChannel);
  else if (perChannel !== undefined && typeof perChannel !== 'boolean') throw new ParamError(`${where}: 'perChannel' must be a boolean or a probability`);
}

/** Whether this image samples its parameter per channel. */
export function drawPerChannel(perChannel: PerChannel | undefined, rng: Rng): boolean {
  if (typeof perChannel === 'number') return rng.random() < perChannel;
  return perChannel === true;
}
