import * as tf from '@tensorflow/tfjs';
import { checkGradient, expectNoLeak, randomArray, seededRandom, useBackend } from '@sinet/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_BAND, loadSimdKernels, PREPARE_LABELS, registerWasmTrainingKernels, setSimdEnabled, simdActiveOn, WEIGHTED_NLL } from '@sinet/wasm-kernels';
import {
  boundaryBand,
  boundaryLoss,
  LabelShapeError,
  prepareLabels,
  lovaszHinge,
  lovaszSoftmax,
  resizeLabels,
  sinetLoss,
  softDiceLoss,
  softIouLoss,
  softmaxCrossEntropy,
} from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Plain-loop band: the clipped k x k window around the pixel holds more than one label. */
function referenceBand(labels: number[], h: number, w: number, k: number): number[] {
  const r = (k - 1) / 2;
  return labels.map((_, i) => {
    const y = Math.floor(i / w);
    const x = i % w;
    const seen = new Set<number>();
    for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) seen.add(labels[yy * w + xx]!);
    return seen.size > 1 ? 1 : 0;
  });
}

/** Plain-loop log-softmax of one pixel's logits. */
const logSoftmax = (z: number[]) => {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
};

function randomLabels(n: number, classes: number, seed: number, blob = true): number[] {
  const r = seededRandom(seed);
  if (!blob) return Array.from({ length: n }, () => Math.floor(r() * classes));
  // Blobs rather than noise, so bands are thin like real masks.
  const side = Math.sqrt(n);
  const cx = side * (0.3 + 0.4 * r());
  const cy = side * (0.3 + 0.4 * r());
  const rad = side * (0.2 + 0.2 * r());
  return Array.from({ length: n }, (_, i) => {
    const d = Math.hypot((i % side) - cx, Math.floor(i / side) - cy);
    return d < rad * 0.5 && classes > 2 ? 2 : d < rad ? 1 : 0;
  });
}

describe('boundary band', () => {
  it('of a 2 x 2 square in a 6 x 6 mask with a 3 x 3 window is the 4 x 4 ring around it (hand-computed)', () => {
    const mask = new Array(36).fill(0);
    for (const [y, x] of [[2, 2], [2, 3], [3, 2], [3, 3]] as const) mask[y * 6 + x] = 1;
    const band = tf.tidy(() => boundaryBand(tf.tensor3d(mask, [1, 6, 6], 'int32'), tf.zeros([1, 6, 6, 2]), { kernel: 3 }).dataSync());
    const expected = new Array(36).fill(0);
    for (let y = 1; y <= 4; y++) for (let x = 1; x <= 4; x++) expected[y * 6 + x] = 1;
    expect(Array.from(band)).toEqual(expected);
  });

  it('stops at the image edge: a person filling the right half gives a two-column band', () => {
    const mask = Array.from({ length: 36 }, (_, i) => (i % 6 >= 3 ? 1 : 0));
    const band = tf.tidy(() => boundaryBand(tf.tensor3d(mask, [1, 6, 6], 'int32'), tf.zeros([1, 6, 6, 2]), { kernel: 3 }).dataSync());
    expect(Array.from(band)).toEqual(Array.from({ length: 36 }, (_, i) => (i % 6 === 2 || i % 6 === 3 ? 1 : 0)));
  });

  it.each([
    ['cpu', 1],
    ['cpu', 5],
    ['cpu', 15],
    ['wasm', 3],
    ['wasm', 15],
  ] as const)('equals the plain-loop band on %s, kernel %d, for label maps and one-hot labels', async (backend, k) => {
    await useBackend(backend);
    for (const seed of [1, 2, 3]) {
      const labels = randomLabels(32 * 32, 3, seed, seed !== 3);
      const expected = referenceBand(labels, 32, 32, k);
      const logits = tf.zeros([1, 32, 32, 3]);
      const map = tf.tensor3d(labels, [1, 32, 32], 'int32');
      const oneHot = tf.oneHot(map, 3);
      expect(Array.from(tf.tidy(() => boundaryBand(map, logits, { kernel: k }).dataSync()))).toEqual(expected);
      expect(Array.from(tf.tidy(() => boundaryBand(oneHot, logits, { kernel: k }).dataSync()))).toEqual(expected);
      tf.dispose([logits, map, oneHot]);
    }
    await useBackend('cpu');
  });
});

describe('cross-entropy (hand-computed)', () => {
  // softmax([0, ln 3]) = [1/4, 3/4].
  const logits = () => tf.tensor4d([0, Math.log(3), 0, Math.log(3), 0, Math.log(3)], [1, 1, 3, 2]);

  it('is the mean negative log-probability of the true class; 255 is skipped', () => {
    const l = logits();
    expect(softmaxCrossEntropy(tf.tensor3d([1, 0, 1], [1, 1, 3], 'int32'), l).dataSync()[0]).toBeCloseTo((2 * -Math.log(0.75) - Math.log(0.25)) / 3, 6);
    expect(softmaxCrossEntropy(tf.tensor3d([1, 255, 255], [1, 1, 3], 'int32'), l).dataSync()[0]).toBeCloseTo(-Math.log(0.75), 6);
    expect(softmaxCrossEntropy(tf.tensor3d([1, 255, 0], [1, 1, 3], 'int32'), l, { ignoreLabel: null, classWeights: [1, 1] }).dataSync()[0]).toBeCloseTo((-Math.log(0.75) - Math.log(0.25)) / 2, 6);
  });

  it('weights classes like PyTorch: sum(w_y nll) / sum(w_y)', () => {
    const value = softmaxCrossEntropy(tf.tensor3d([1, 0, 1], [1, 1, 3], 'int32'), logits(), { classWeights: [1, 3] }).dataSync()[0];
    expect(value).toBeCloseTo((3 * -Math.log(0.75) * 2 + 1 * -Math.log(0.25)) / 7, 6);
  });

  it('is stable for huge logits', () => {
    const value = softmaxCrossEntropy(tf.tensor3d([0], [1, 1, 1], 'int32'), tf.tensor4d([1000, -1000], [1, 1, 1, 2])).dataSync()[0];
    expect(value).toBe(0);
    expect(softmaxCrossEntropy(tf.tensor3d([1], [1, 1, 1], 'int32'), tf.tensor4d([1000, -1000], [1, 1, 1, 2])).dataSync()[0]).toBeCloseTo(2000, 3);
  });

  it('takes labels at a lower resolution than the logits and resizes them nearest (the encoder stage trains at 1/8)', () => {
    const labels = tf.tensor3d(randomLabels(32 * 32, 2, 4), [1, 32, 32], 'int32');
    const l = tf.tensor4d(randomArray(4 * 4 * 2, 5, -2, 2), [1, 4, 4, 2]);
    const direct = softmaxCrossEntropy(labels, l).dataSync()[0];
    const resized = softmaxCrossEntropy(resizeLabels(labels, [4, 4]), l).dataSync()[0];
    expect(direct).toBe(resized);
  });
});

/** Plain-loop SINet loss for a binary label map: CE + lambda x band term, both recipes. */
function referenceSinetLoss(labels: number[], logits: number[], h: number, w: number, k: number, lambda: number, recipe: 'official' | 'seed'): number {
  const band = referenceBand(labels, h, w, k);
  const logp = labels.map((_, i) => logSoftmax([logits[2 * i]!, logits[2 * i + 1]!]));
  const ce = labels.reduce((s, y, i) => s - logp[i]![y]!, 0) / labels.length;
  if (recipe === 'official') {
    const inBand = labels.map((_, i) => i).filter((i) => band[i]);
    const term = inBand.length === 0 ? 0 : inBand.reduce((s, i) => s - logp[i]![labels[i]!]!, 0) / inBand.length;
    return ce + lambda * term;
  }
  // Seed: both class channels change inside a binary band, so both log-probabilities count.
  const term = labels.reduce((s, _, i) => s + (band[i] ? -logp[i]![0]! - logp[i]![1]! : 0), 0) / labels.length;
  return ce + lambda * term;
}

describe('sinetLoss', () => {
  const h = 12;
  const w = 12;
  const labels = randomLabels(h * w, 2, 6);
  const logitValues = randomArray(h * w * 2, 7, -3, 3);

  it.each([
    ['official-decoder', 15, 0.5, 'official'],
    ['official-encoder', 5, 0.5, 'official'],
    ['seed', 15, 0.9, 'seed'],
  ] as const)('preset %s equals the plain-loop recipe', (preset, k, lambda, recipe) => {
    const value = tf.tidy(() => sinetLoss({ preset })(tf.tensor3d(labels, [1, h, w], 'int32'), tf.tensor4d(logitValues, [1, h, w, 2])).dataSync()[0]);
    expect(value).toBeCloseTo(referenceSinetLoss(labels, Array.from(logitValues), h, w, k, lambda, recipe), 5);
  });

  it('overrides apply on top of a preset, and the config is visible', () => {
    const loss = sinetLoss({ preset: 'seed', kernel: 3, lambda: 2 });
    expect(loss.config).toMatchObject({ kernel: 3, lambda: 2, bandAverage: 'all', bandTarget: 'per-class' });
    const value = tf.tidy(() => loss(tf.tensor3d(labels, [1, h, w], 'int32'), tf.tensor4d(logitValues, [1, h, w, 2])).dataSync()[0]);
    expect(value).toBeCloseTo(referenceSinetLoss(labels, Array.from(logitValues), h, w, 3, 2, 'seed'), 5);
  });

  it.each([0, 1])('an all-%s mask has an empty band: finite loss equal to plain CE, finite gradients', (cls) => {
    const uniform = tf.fill([1, 8, 8], cls, 'int32') as tf.Tensor3D;
    const logits = tf.variable(tf.tensor4d(randomArray(8 * 8 * 2, 8), [1, 8, 8, 2]));
    for (const preset of ['official-decoder', 'seed'] as const) {
      const { value, grads } = tf.variableGrads(() => sinetLoss({ preset })(uniform, logits));
      expect(value.dataSync()[0]).toBeCloseTo(softmaxCrossEntropy(uniform, logits).dataSync()[0]!, 6);
      expect(Array.from(grads[logits.name]!.dataSync()).every(Number.isFinite)).toBe(true);
    }
    expect(boundaryLoss(uniform, logits, { kernel: 15 }).dataSync()[0]).toBe(0);
  });

  it('rejects bad configs and label shapes', () => {
    expect(() => sinetLoss({ kernel: 4 })).toThrow(/'kernel' must be a positive odd integer/);
    expect(() => sinetLoss({ preset: 'nope' as never })).toThrow(/unknown preset 'nope'/);
    expect(() => sinetLoss({ lambda: -1 })).toThrow(/'lambda'/);
    expect(() => softmaxCrossEntropy(tf.zeros([1, 4, 4, 3]), tf.zeros([1, 4, 4, 2]))).toThrow(LabelShapeError);
    expect(() => softmaxCrossEntropy(tf.zeros([2, 4, 4]), tf.zeros([1, 4, 4, 2]))).toThrow(/labels hold 2 images but the logits 1/);
  });
});

/** Plain Lovasz (Berman et al. Algorithm 1) on errors and binary ground truth. */
function referenceLovasz(errors: number[], fg: number[]): number {
  const order = errors.map((_, i) => i).sort((a, b) => errors[b]! - errors[a]!);
  const gts = fg.reduce((a, b) => a + b, 0);
  let cumFg = 0;
  let cumBg = 0;
  let previous = 0;
  let loss = 0;
  for (const i of order) {
    cumFg += fg[i]!;
    cumBg += 1 - fg[i]!;
    const jaccard = 1 - (gts - cumFg) / (gts + cumBg);
    loss += errors[i]! * (jaccard - previous);
    previous = jaccard;
  }
  return loss;
}

describe('Lovasz losses', () => {
  it('binary hinge of two pixels (hand-computed: 0.85)', () => {
    // margins 0.5 (person) and 0.2 (background): errors 0.5 and 1.2; Jaccard increments 0.5, 0.5.
    const value = lovaszHinge(tf.tensor3d([1, 0], [1, 1, 2], 'int32'), tf.tensor4d([0.5, 0.2], [1, 1, 2, 1])).dataSync()[0];
    expect(value).toBeCloseTo(0.85, 6);
  });

  it('hinge and softmax equal the reference algorithm on random data; ignored pixels change nothing', () => {
    const n = 100;
    const labels = randomLabels(n, 2, 9, false);
    const margins = Array.from(randomArray(n, 10, -2, 2));
    const hinge = lovaszHinge(tf.tensor3d(labels, [1, 10, 10], 'int32'), tf.tensor4d(margins, [1, 10, 10, 1])).dataSync()[0]!;
    const errors = margins.map((m, i) => Math.max(0, 1 - m * (2 * labels[i]! - 1)));
    expect(hinge).toBeCloseTo(referenceLovasz(errors, labels), 5);
    const withIgnored = lovaszHinge(tf.tensor3d([...labels, 255, 255], [1, 1, n + 2], 'int32'), tf.tensor4d([...margins, 5, -5], [1, 1, n + 2, 1])).dataSync()[0];
    expect(withIgnored).toBeCloseTo(hinge, 5);

    const logits = Array.from(randomArray(n * 3, 11, -2, 2));
    const labels3 = randomLabels(n, 3, 12, false);
    const soft = lovaszSoftmax(tf.tensor3d(labels3, [1, 10, 10], 'int32'), tf.tensor4d(logits, [1, 10, 10, 3])).dataSync()[0];
    const probs = labels3.map((_, i) => logSoftmax(logits.slice(3 * i, 3 * i + 3)).map(Math.exp));
    const perClass = [0, 1, 2].map((c) => referenceLovasz(probs.map((p, i) => Math.abs((labels3[i] === c ? 1 : 0) - p[c]!)), labels3.map((l) => (l === c ? 1 : 0))));
    expect(soft).toBeCloseTo(perClass.reduce((a, b) => a + b, 0) / 3, 5);
  });

  it('two-channel logits use the person - background margin', () => {
    const labels = tf.tensor3d(randomLabels(64, 2, 13), [1, 8, 8], 'int32');
    const two = tf.tensor4d(randomArray(128, 14), [1, 8, 8, 2]);
    const margin = tf.sub(tf.slice(two, [0, 0, 0, 1], [-1, -1, -1, 1]), tf.slice(two, [0, 0, 0, 0], [-1, -1, -1, 1]));
    expect(lovaszHinge(labels, two).dataSync()[0]).toBeCloseTo(lovaszHinge(labels, margin).dataSync()[0]!, 6);
  });
});

describe('soft overlap losses (hand-computed)', () => {
  it('Dice and IoU of a perfect, confident prediction are ~0; of a uniform one, as computed', () => {
    const labels = tf.tensor3d([1, 0], [1, 1, 2], 'int32');
    const confident = tf.tensor4d([-50, 50, 50, -50], [1, 1, 2, 2]);
    expect(softDiceLoss(labels, confident, { smooth: 0 }).dataSync()[0]).toBeCloseTo(0, 6);
    expect(softIouLoss(labels, confident, { smooth: 0 }).dataSync()[0]).toBeCloseTo(0, 6);
    // Uniform p = 0.5 everywhere: per class inter 0.5, |P| 1, |Y| 1 -> Dice 1 - 1/2, IoU 1 - 0.5/1.5.
    const uniform = tf.zeros([1, 1, 2, 2]);
    expect(softDiceLoss(labels, uniform, { smooth: 0 }).dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(softIouLoss(labels, uniform, { smooth: 0 }).dataSync()[0]).toBeCloseTo(2 / 3, 6);
    expect(softIouLoss(labels, uniform, { smooth: 0, classes: [1] }).dataSync()[0]).toBeCloseTo(2 / 3, 6);
  });
});

describe('gradients match central differences', () => {
  const labels = () => tf.tensor3d(randomLabels(10 * 10, 2, 15).map((v, i) => (i % 17 === 0 ? 255 : v)), [2, 10, 5], 'int32');
  const cases: [string, (y: tf.Tensor, l: tf.Tensor) => tf.Scalar, number][] = [
    ['cross-entropy (weighted, ignore)', (y, l) => softmaxCrossEntropy(y, l, { classWeights: [0.7, 1.6] }), 2],
    ['sinetLoss official-decoder', sinetLoss(), 2],
    ['sinetLoss official-encoder at 1/2 label resolution', (y, l) => sinetLoss({ preset: 'official-encoder', kernel: 3 })(y, tf.slice(l, [0, 0, 0, 0], [-1, 5, 3, -1])), 2],
    ['sinetLoss seed', sinetLoss({ preset: 'seed', kernel: 5 }), 2],
    ['Lovasz-softmax', (y, l) => lovaszSoftmax(y, l), 2],
    ['Lovasz hinge (1 channel)', (y, l) => lovaszHinge(y, l, { perImage: true }), 1],
    ['soft Dice', (y, l) => softDiceLoss(y, l), 2],
    ['soft IoU', (y, l) => softIouLoss(y, l), 2],
  ];

  it.each(cases)('%s', async (_name, loss, channels) => {
    const y = labels();
    const logits = tf.variable(tf.tensor4d(randomArray(2 * 10 * 5 * channels, 16, -2, 2), [2, 10, 5, channels]));
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => loss(y, logits), [logits]);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      tf.dispose([value, grads[logits.name]]);
    });
    checkGradient(() => loss(y, logits), logits, { samples: 8 });
    tf.dispose([y, logits]);
  });
});

describe('in training', () => {
  it('works in model.compile({ loss }) with one-hot targets and lowers the loss', async () => {
    const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, padding: 'same' })] });
    model.compile({ optimizer: tf.train.adam(0.05), loss: sinetLoss({ kernel: 3 }) });
    const x = tf.tensor4d(randomArray(4 * 8 * 8 * 3, 17), [4, 8, 8, 3]);
    // A learnable target: person where the first channel is positive.
    const y = tf.oneHot(tf.cast(tf.greater(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]).squeeze([3]), 0), 'int32'), 2);
    const history = await model.fit(x, y, { epochs: 15, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]!);
    model.dispose();
  });

  it('works with optimizer.minimize in a custom loop without leaking', async () => {
    const w = tf.variable(tf.tensor4d(randomArray(3 * 2, 18), [1, 1, 3, 2]));
    const x = tf.tensor4d(randomArray(2 * 6 * 6 * 3, 19), [2, 6, 6, 3]);
    const y = tf.cast(tf.greater(tf.slice(x, [0, 0, 0, 1], [-1, -1, -1, 1]).squeeze([3]), 0), 'int32');
    const optimizer = tf.train.adam(0.1);
    const step = () => {
      const cost = optimizer.minimize(() => lovaszSoftmax(y, tf.conv2d(x, w, 1, 'same')), true)!;
      const value = cost.dataSync()[0]!;
      cost.dispose();
      return value;
    };
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 20; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
  });
});

describe('on the wasm backend', () => {
  it('Lovasz-softmax and sinetLoss give the cpu values and gradients', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const y = tf.tensor3d(randomLabels(16 * 16, 2, 20), [1, 16, 16], 'int32');
      const logits = tf.variable(tf.tensor4d(randomArray(16 * 16 * 2, 21), [1, 16, 16, 2]));
      const out = [lovaszSoftmax, sinetLoss({ kernel: 5 })].map((loss) => {
        const { value, grads } = tf.variableGrads(() => loss(y, logits), [logits]);
        const result = [value.dataSync()[0]!, Array.from(grads[logits.name]!.dataSync())] as const;
        tf.dispose([value, grads[logits.name]]);
        return result;
      });
      tf.dispose([y, logits]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    await useBackend('cpu');
    cpu.forEach(([value, grad], i) => {
      expect(wasm[i]![0]).toBeCloseTo(value, 5);
      expect(Math.max(...grad.map((g, j) => Math.abs(g - wasm[i]![1][j]!)))).toBeLessThan(1e-6);
    });
  });
});

// The fused 'SinetWeightedNll' kernel of @sinet/wasm-kernels, on both of its paths, against the composed ops on cpu.
describe.each([
  ['SIMD', true],
  ['TypeScript loops', false],
])('the fused weighted NLL on wasm (%s)', (_, simd) => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    expect(await loadSimdKernels()).toBe(true);
    setSimdEnabled(simd);
    await useBackend('wasm');
    expect(simdActiveOn(tf.backend())).toBe(simd);
  });
  afterAll(async () => {
    setSimdEnabled(true);
    await useBackend('cpu');
  });

  it.each([
    { classes: 2, loss: () => sinetLoss({ kernel: 5 }) },
    { classes: 3, loss: () => sinetLoss({ kernel: 3, classWeights: [1, 2, 0.5] }) },
    { classes: 2, loss: () => (labels: tf.Tensor, logits: tf.Tensor) => softmaxCrossEntropy(labels, logits) },
  ])('gives the composed ops\' value and gradient, $classes classes, and runs where registered', async ({ classes, loss }) => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      // Some pixels ignored (255), logits far apart (stable log-softmax).
      const labels = randomLabels(2 * 12 * 10, classes, 30).map((l, i) => (i % 17 === 0 ? 255 : l));
      const y = tf.tensor3d(labels, [2, 12, 10], 'int32');
      const logits = tf.variable(tf.mul(tf.tensor4d(randomArray(2 * 12 * 10 * classes, 31), [2, 12, 10, classes]), 8));
      const f = loss();
      const { kernels } = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => f(y, logits), [logits]);
        tf.dispose([value, grads[logits.name]]);
      });
      const { value, grads } = tf.variableGrads(() => f(y, logits), [logits]);
      const out = { value: value.dataSync()[0]!, grad: Array.from(grads[logits.name]!.dataSync()), fused: kernels.some((k) => k.name === WEIGHTED_NLL.kernelName) };
      tf.dispose([value, grads[logits.name], y, logits]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(cpu.fused).toBe(false);
    expect(wasm.fused).toBe(true);
    expect(Math.abs(wasm.value - cpu.value) / Math.max(1, Math.abs(cpu.value))).toBeLessThan(2e-6);
    expect(Math.max(...cpu.grad.map((g, j) => Math.abs(g - wasm.grad[j]!)))).toBeLessThan(2e-6);
  });

  it('matches central differences and leaves no tensors behind', async () => {
    const y = tf.tensor3d(randomLabels(6 * 5, 2, 40), [1, 6, 5], 'int32');
    const logits = tf.variable(tf.tensor4d(randomArray(6 * 5 * 2, 41), [1, 6, 5, 2]));
    const f = sinetLoss({ kernel: 3 });
    checkGradient(() => f(y, logits), logits, { samples: 6 });
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => f(y, logits), [logits]);
      tf.dispose([value, grads[logits.name]]);
    });
    tf.dispose([y, logits]);
  });
});

// 'SinetPrepareLabels' and 'SinetLabelBand' of @sinet/wasm-kernels against the composed ops on cpu
// and the plain-loop band.
describe('the fused label kernels on wasm', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await useBackend('wasm');
  });
  afterAll(async () => {
    await useBackend('cpu');
  });

  const cases = [
    { name: 'int32, 2 classes, ignored pixels', shape: [2, 13, 11] as const, classes: 2, dtype: 'int32' as const, labels: (i: number, l: number) => (i % 19 === 0 ? 255 : l) },
    { name: 'float32 with halves and out-of-range values, 3 classes', shape: [1, 9, 16] as const, classes: 3, dtype: 'float32' as const, labels: (i: number, l: number) => (i % 7 === 0 ? l + 0.5 : i % 11 === 0 ? -1 : i % 13 === 0 ? 7 : l) },
    { name: 'tiny image, no ignore label', shape: [3, 2, 3] as const, classes: 2, dtype: 'int32' as const, labels: (i: number, l: number) => (i % 5 === 0 ? 255 : l), ignore: null },
  ];

  it.each(cases)('prepareLabels gives the composed ops\' one-hot, validity and map: $name', async ({ shape, classes, dtype, labels, ignore }) => {
    const [n, h, w] = shape;
    const values = randomLabels(n * h * w, classes, 50, false).map((l, i) => labels(i, l));
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const y = tf.tensor4d(values, [n, h, w, 1], dtype);
      const logits = tf.zeros([n, h, w, classes]);
      const { kernels } = await tf.profile(() => tf.dispose(Object.values(prepareLabels(y, logits, ignore === undefined ? 255 : ignore))));
      const prepared = prepareLabels(y, logits, ignore === undefined ? 255 : ignore);
      const out = { oneHot: Array.from(prepared.oneHot.dataSync()), valid: Array.from(prepared.valid.dataSync()), map: Array.from(prepared.labelMap!.dataSync()), dtype: prepared.labelMap!.dtype, fused: kernels.some((k) => k.name === PREPARE_LABELS.kernelName) };
      tf.dispose([y, logits, prepared.oneHot, prepared.valid, prepared.labelMap!]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(cpu.fused).toBe(false);
    expect(wasm.fused).toBe(true);
    expect(wasm).toEqual({ ...cpu, fused: true });
    // Round half to even, as tf.round: 0.5 -> class 0, 1.5 -> class 2.
    if (dtype === 'float32') expect(values.some((v) => v % 1 !== 0)).toBe(true);
  });

  it.each([1, 3, 5, 15])('the band equals the plain-loop band and the max-pool band, kernel %d', async (kernel) => {
    for (const [h, w, classes, blob] of [[23, 17, 3, true], [6, 4, 2, false], [40, 40, 2, true]] as const) {
      const values = randomLabels(h * w, classes, 60 + kernel, blob);
      const run = async (backend: 'cpu' | 'wasm') => {
        await useBackend(backend);
        const y = tf.tensor3d(values, [1, h, w], 'int32');
        const logits = tf.zeros([1, h, w, classes]);
        const { kernels } = await tf.profile(() => tf.dispose(boundaryBand(y, logits, { kernel })));
        const band = boundaryBand(y, logits, { kernel });
        const out = { band: Array.from(band.dataSync()), fused: kernels.some((k) => k.name === LABEL_BAND.kernelName) };
        tf.dispose([y, logits, band]);
        return out;
      };
      const cpu = await run('cpu');
      const wasm = await run('wasm');
      expect([cpu.fused, wasm.fused]).toEqual([false, true]);
      expect(wasm.band).toEqual(cpu.band);
      expect(wasm.band).toEqual(referenceBand(values, h, w, kernel));
    }
  });

  it('leaves no tensors behind', async () => {
    const y = tf.tensor3d(randomLabels(8 * 8, 2, 70), [1, 8, 8], 'int32');
    const logits = tf.zeros([1, 8, 8, 2]);
    await expectNoLeak(() => tf.dispose(boundaryBand(y, logits, { kernel: 5 })));
    tf.dispose([y, logits]);
  });
});
