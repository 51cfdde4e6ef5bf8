import * as tf from '@tensorflow/tfjs-core';
import { randomArray, useBackend } from '@sinet/test-utils';
import { ADAMW, loadSimdKernels, registerWasmTrainingKernels, setSimdEnabled, simdActiveOn } from '@sinet/wasm-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';

/** Three parameters with seeded values; a loss whose gradients differ per element. */
function problem(seed: number) {
  const shapes = [[3, 5], [7], [2, 2, 3]];
  const values = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), seed + i));
  const targets = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), seed + 10 + i));
  const make = (prefix: string) => values.map((v, i) => tf.variable(tf.tensor(v, shapes[i]), true, `${prefix}${i}/${i === 1 ? 'bias' : 'kernel'}`));
  const loss = (vars: tf.Variable[]) => () => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, tf.tensor(targets[i]!, shapes[i]))), i + 1)))) as tf.Scalar;
  return { make, loss };
}

const free = (t: tf.Tensor | null) => t?.dispose();
const values = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));
const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i]![j]!))));
let unique = 0;
const prefix = () => `adamw${unique++}_`;

describe('AdamW', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('without weight decay is tf.train.adam (same steps, same weights)', () => {
    const { make, loss } = problem(1);
    const [ours, theirs] = [make(prefix()), make(prefix())];
    const [a, b] = [new AdamW({ learningRate: 0.05 }), tf.train.adam(0.05, 0.9, 0.999, 1e-7)];
    for (let i = 0; i < 25; i++) {
      free(a.minimize(loss(ours), true, ours));
      free(b.minimize(loss(theirs), true, theirs));
    }
    // Float32 rounding apart (tfjs keeps beta^t as a running float32 product; AdamW computes it from t).
    expect(maxDiff(values(ours), values(theirs))).toBeLessThan(2e-5);
    tf.dispose([...ours, ...theirs]);
    a.dispose();
    b.dispose();
  });

  it('with weight decay is Adam then w *= 1 - lr * wd on the decayed parameters only (the trainer before it)', () => {
    const { make, loss } = problem(2);
    const [ours, theirs] = [make(prefix()), make(prefix())];
    const lr = 0.03;
    const wd = 0.5;
    const a = new AdamW({ learningRate: lr, weightDecay: wd, decays: (name) => /kernel$/.test(name) });
    const b = tf.train.adam(lr, 0.9, 0.999, 1e-7);
    for (let i = 0; i < 20; i++) {
      free(a.minimize(loss(ours), true, ours));
      free(b.minimize(loss(theirs), true, theirs));
      tf.tidy(() => theirs.filter((v) => /kernel$/.test(v.name)).forEach((v) => v.assign(tf.mul(v, 1 - lr * wd))));
    }
    expect(maxDiff(values(ours), values(theirs))).toBeLessThan(2e-5);
    // The bias was not decayed: it differs from a run that decays everything.
    const c = make(prefix());
    const all = new AdamW({ learningRate: lr, weightDecay: wd });
    for (let i = 0; i < 20; i++) free(all.minimize(loss(c), true, c));
    expect(maxDiff([values(c)[1]!], [values(ours)[1]!])).toBeGreaterThan(1e-3);
    tf.dispose([...ours, ...theirs, ...c]);
    [a, b, all].forEach((o) => o.dispose());
  });

  it('resumes bit for bit from its weights, and from a tf.train.adam checkpoint (same layout)', async () => {
    const { make, loss } = problem(3);
    const [straight, resumed, fromAdam] = [make(prefix()), make(prefix()), make(prefix())];
    const a = new AdamW({ learningRate: 0.02, weightDecay: 0.1 });
    const adam = tf.train.adam(0.02, 0.9, 0.999, 1e-7);
    const first = new AdamW({ learningRate: 0.02, weightDecay: 0.1 });
    for (let i = 0; i < 10; i++) {
      free(a.minimize(loss(straight), true, straight));
      free(first.minimize(loss(resumed), true, resumed));
      free(adam.minimize(loss(fromAdam), true, fromAdam));
    }
    const saved = (await first.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    first.dispose();
    const second = new AdamW({ learningRate: 0.02, weightDecay: 0.1 });
    await second.setWeights(saved);
    expect(second.stepCount).toBe(10);
    const adamState = (await adam.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    // tfjs Adam's layout, which checkpoints hold: 'iter', every first moment, every second moment.
    const layout = (ws: { name: string }[]) => ws.map((w) => w.name.replace(/^adamw\d+_/, ''));
    expect(layout(adamState)).toEqual(layout(saved));
    expect(layout(saved)).toEqual(['iter', '0/kernel/m', '1/bias/m', '2/kernel/m', '0/kernel/v', '1/bias/v', '2/kernel/v']);
    // AdamW from tf.train.adam's state goes on as Adam itself does (float32 rounding apart).
    const third = new AdamW({ learningRate: 0.02 });
    await third.setWeights(adamState);
    const copy = fromAdam.map((v, i) => tf.variable(v.clone(), true, `${prefix()}copy${i}`));
    for (let i = 0; i < 10; i++) {
      free(a.minimize(loss(straight), true, straight));
      free(second.minimize(loss(resumed), true, resumed));
      free(adam.minimize(loss(fromAdam), true, fromAdam));
      free(third.minimize(loss(copy), true, copy));
    }
    expect(maxDiff(values(copy), values(fromAdam))).toBeLessThan(2e-5);
    tf.dispose(copy);
    expect(values(resumed)).toEqual(values(straight));
    tf.dispose([...straight, ...resumed, ...fromAdam, ...saved.map((w) => w.tensor), ...adamState.map((w) => w.tensor)]);
    [a, second, third, adam].forEach((o) => o.dispose());
  });

  it('leaves no tensors behind: only its moments, freed by dispose', () => {
    const { make, loss } = problem(4);
    const vars = make(prefix());
    const before = tf.memory().numTensors;
    const a = new AdamW({ learningRate: 0.01, weightDecay: 0.1 });
    for (let i = 0; i < 3; i++) free(a.minimize(loss(vars), true, vars));
    expect(tf.memory().numTensors).toBe(before + 2 * vars.length);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(vars);
  });
});

// The fused kernel on both of its paths against the composed ops on cpu.
describe.each([
  ['SIMD', true],
  ['TypeScript loops', false],
])('the SinetAdamW kernel on wasm (%s)', (_, simd) => {
  beforeAll(async () => {
    await useBackend('wasm');
    registerWasmTrainingKernels();
    expect(await loadSimdKernels()).toBe(true);
    setSimdEnabled(simd);
    expect(simdActiveOn(tf.backend())).toBe(simd);
  });
  afterAll(async () => {
    setSimdEnabled(true);
    await useBackend('cpu');
  });

  it('gives the composed ops\' weights (cpu) over 15 steps, one kernel call per parameter', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const { make, loss } = problem(5);
      const vars = make(prefix());
      const a = new AdamW({ learningRate: 0.05, weightDecay: 0.2, decays: (name) => /kernel$/.test(name) });
      for (let i = 0; i < 14; i++) free(a.minimize(loss(vars), true, vars));
      const { kernels } = await tf.profile(() => free(a.minimize(loss(vars), true, vars)));
      const out = values(vars);
      tf.dispose(vars);
      a.dispose();
      return { out, fused: kernels.filter((k) => k.name === ADAMW.kernelName).length };
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(cpu.fused).toBe(0);
    expect(wasm.fused).toBe(3);
    // Float32 rounding apart (the SIMD path takes the hyperparameters as float32).
    expect(maxDiff(wasm.out, cpu.out)).toBeLessThan(1e-5);
  });
});
