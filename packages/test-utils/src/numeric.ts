/** Numerical checks: central-difference gradients, tolerant comparisons, tensor-leak guards. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Deterministic pseudo-random numbers (mulberry32), so tests never depend on Math.random. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  return tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what = 'values'): void {
  const d = maxAbsDiff(actual, expected);
  if (!(d <= tolerance)) throw new Error(`${what}: max |difference| ${d} exceeds ${tolerance}`);
}

/**
 * Compares the analytic gradient of `loss` w.r.t. `variable` with central differences at
 * `samples` random coordinates. The step is small enough to rarely straddle a PReLU kink and
 * large enough for float32.
 */
export function checkGradient(loss: () => tf.Scalar, variable: tf.Variable, options: { samples?: number; step?: number; tolerance?: number; seed?: number } = {}): void {
  const { samples = 6, step = 1e-3, tolerance = 2e-2, seed = 7 } = options;
  const analytic = tf.tidy(() => tf.variableGrads(loss, [variable]).grads[variable.name]!.dataSync().slice());
  const original = variable.dataSync().slice();
  const rand = seededRandom(seed);
  const scale = Math.max(1e-2, ...Array.from(analytic, Math.abs));
  // A central difference cannot resolve changes below the loss's float32 rounding (2^-23 relative);
  // that much, divided by the step, is added to the allowed error.
  const lossMagnitude = tf.tidy(() => Math.abs(loss().dataSync()[0]!));
  const resolution = (16 * Math.max(1, lossMagnitude) * 2 ** -23) / step;
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(rand() * original.length);
    const at = (delta: number) => {
      const values = original.slice();
      values[i]! += delta;
      variable.assign(tf.tensor(values, variable.shape));
      return tf.tidy(() => loss().dataSync()[0]!);
    };
    const numeric = (at(step) - at(-step)) / (2 * step);
    variable.assign(tf.tensor(original, variable.shape));
    const error = (Math.abs(numeric - analytic[i]!) - resolution) / scale;
    if (!(error <= tolerance)) {
      throw new Error(`gradient of ${variable.name}[${i}]: analytic ${analytic[i]}, numeric ${numeric} (relative error ${error.toFixed(4)} > ${tolerance})`);
    }
  }
}

/** Runs `fn` and asserts that it leaves no tensors behind. */
export async function expectNoLeak<T>(fn: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak: ${after - before} tensors left behind (${before} -> ${after})`);
  return result;
}
