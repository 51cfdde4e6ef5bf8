/**
 * The augmenter base and imgaug's composition: sequential, sometimes, oneOf, someOf.
 * Randomness flows from the top-level augmenter's generator down to its children, per image;
 * an augmenter given its own `seed` draws from its own generator instead.
 */
import { AugmentInputError, checkSample, type Batch, type Sample } from './image.js';
import { checkProbability, ParamError, type Param } from './params.js';
import { Rng } from './random.js';

/**
 * One affine map planned by a geometric augmenter, so that consecutive ones can be composed into
 * a single resampling. `forward` maps input pixel coordinates to output ones:
 * (x', y') = (a x + b y + c, d x + e y + f).
 */
export interface PlannedWarp {
  forward: [number, number, number, number, number, number];
  interpolation: 'nearest' | 'bilinear';
  mode: 'constant' | 'edge' | 'reflect' | 'symmetric' | 'wrap';
  cval: number;
  maskFill: number;
  /** A pure pixel permutation (a flip): never reads outside the image, so its border settings do not matter. */
  exact?: boolean;
}

export interface AugmenterOptions {
  /** Seed of this augmenter's own generator; without one it draws from its parent's. */
  seed?: number;
  name?: string;
}

export abstract class Augmenter {
  readonly name: string;
  /** Set when the augmenter was given a seed (or is the root of a pipeline). */
  protected ownRng: Rng | null;

  constructor(options: AugmenterOptions = {}) {
    this.name = options.name ?? this.constructor.name;
    this.ownRng = options.seed === undefined ? null : new Rng(options.seed);
  }

  /** Augments one sample with the given generator; implemented by every augmenter. */
  protected abstract apply(sample: Sample, rng: Rng): Sample;

  /** Child augmenters, for walking a pipeline. */
  children(): Augmenter[] {
    return [];
  }

  /** Whether this augmenter is a single size-preserving affine map (see planWarp). */
  canPlanWarp(): boolean {
    return false;
  }

  /** Samples this augmenter's affine map for an image of this size; null means identity. */
  planWarp(_width: number, _height: number, _rng: Rng): PlannedWarp | null {
    throw new ParamError(`${this.name} is not a single affine map`);
  }

  /** The generator this augmenter draws from when its parent passes `rng`. */
  protected generator(rng: Rng): Rng {
    return this.ownRng ?? rng;
  }

  /** Runs this augmenter inside a pipeline (parents call this on their children). */
  run(sample: Sample, rng: Rng): Sample {
    return this.apply(sample, this.ownRng ?? rng);
  }

  /** The generator a top-level call uses: the own one, created on first use when unseeded. */
  protected rootRng(): Rng {
    this.ownRng ??= new Rng();
    return this.ownRng;
  }

  /** Augments one image with its optional mask and extra maps. */
  augmentSample(sample: Sample): Sample {
    checkSample(sample);
    return this.apply(sample, this.rootRng());
  }

  /** Augments a batch; every image gets its own random parameters. */
  augment(batch: Batch): Batch {
    const n = batch.images?.length ?? 0;
    if (n === 0) throw new AugmentInputError('augment: the batch has no images');
    if (batch.masks && batch.masks.length !== n) throw new AugmentInputError(`augment: ${n} images but ${batch.masks.length} masks`);
    for (const [name, maps] of Object.entries(batch.maps ?? {})) if (maps.length !== n) throw new AugmentInputError(`augment: ${n} images but ${maps.length} '${name}' maps`);
    const samples = batch.images.map((image, i): Sample => ({
      image,
      mask: batch.masks?.[i],
      maps: batch.maps && Object.fromEntries(Object.entries(batch.maps).map(([k, v]) => [k, v[i]!])),
    }));
    samples.forEach((s, i) => checkSample(s, `batch[${i}]`));
    const rng = this.rootRng();
    const out = samples.map((s) => this.apply(s, rng));
    return {
      images: out.map((s) => s.image),
      masks: batch.masks ? out.map((s) => s.mask!) : undefined,
      maps: batch.maps && Object.fromEntries(Object.keys(batch.maps).map((k) => [k, out.map((s) => s.maps![k]!)])),
    };
  }

  /** Every generator in this pipeline, in a fixed order. */
  private generators(): Rng[] {
    const own = this.ownRng ? [this.ownRng] : [];
    return [...own, ...this.children().flatMap((c) => c.generators())];
  }

  /**
   * A view of this pipeline that replays the same random parameters on every call: image i of
   * each batch is augmented like image i of the first. (imgaug's to_deterministic.)
   */
  toDeterministic(): Augmenter {
    this.rootRng();
    const generators = this.generators();
    const states = generators.map((g) => g.getState());
    // The class below has its own `this`; the pipeline it replays is captured here.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const inner = this;
    return new (class Deterministic extends Augmenter {
      protected apply(sample: Sample, rng: Rng): Sample {
        return inner.run(sample, rng);
      }
      override children(): Augmenter[] {
        return [inner];
      }
      override augmentSample(sample: Sample): Sample {
        generators.forEach((g, i) => g.setState(states[i]!));
        return inner.augmentSample(sample);
      }
      override augment(batch: Batch): Batch {
        generators.forEach((g, i) => g.setState(states[i]!));
        return inner.augment(batch);
      }
    })({ name: `${this.name} (deterministic)` });
  }
}

/** An augmenter from a function, for one-off steps in a pipeline. */
export class Lambda extends Augmenter {
  constructor(
    private readonly fn: (sample: Sample, rng: Rng) => Sample,
    options: AugmenterOptions = {},
  ) {
    super(options);
  }

  protected apply(sample: Sample, rng: Rng): Sample {
    return this.fn(sample, rng);
  }
}

export interface SequentialOptions extends AugmenterOptions {
  /** Apply the children in a new random order for each image. */
  randomOrder?: boolean;
}

export class Sequential extends Augmenter {
  constructor(
    private readonly steps: Augmenter[],
    private readonly options: SequentialOptions = {},
  ) {
    super(options);
    if (!Array.isArray(steps) || steps.some((s) => !(s instanceof Augmenter))) throw new ParamError('sequential: children must be augmenters');
  }

  override children(): Augmenter[] {
    return this.steps;
  }

  protected apply(sample: Sample, rng: Rng): Sample {
    const order = this.options.randomOrder ? rng.shuffle([...this.steps]) : this.steps;
    return order.reduce((s, step) => step.run(s, rng), sample);
  }
}

export class Sometimes extends Augmenter {
  constructor(
    private readonly p: number,
    private readonly then: Augmenter,
    private readonly otherwise: Augmenter | null = null,
    options: AugmenterOptions = {},
  ) {
    super(options);
    checkProbability('sometimes', 'p', p);
  }

  override children(): Augmenter[] {
    return this.otherwise ? [this.then, this.otherwise] : [this.then];
  }

  protected apply(sample: Sample, rng: Rng): Sample {
    if (rng.random() < this.p) return this.then.run(sample, rng);
    return this.otherwise ? this.otherwise.run(sample, rng) : sample;
  }

  override canPlanWarp(): boolean {
    return this.then.canPlanWarp() && (this.otherwise?.canPlanWarp() ?? true);
  }

  override planWarp(width: number, height: number, rng: Rng): PlannedWarp | null {
    const g = this.generator(rng);
    if (g.random() < this.p) return this.then.planWarp(width, height, g);
    return this.otherwise ? this.otherwise.planWarp(width, height, g) : null;
  }
}

export class SomeOf extends Augmenter {
  constructor(
    private readonly n: Param,
    private readonly steps: Augmenter[],
    private readonly options: SequentialOptions = {},
  ) {
    super(options);
    if (steps.length === 0) throw new ParamError('someOf: needs at least one child');
    const range = typeof n === 'number' ? [n, n] : (n as number[]);
    if (typeof n !== 'function' && (range.some((v) => !Number.isInteger(v) || v < 0 || v > steps.length) || range[0]! > range[range.length - 1]!)) {
      throw new ParamError(`someOf: 'n' must be an integer or [min, max] within 0..${steps.length}, got ${JSON.stringify(n)}`);
    }
  }

  override children(): Augmenter[] {
    return this.steps;
  }

  protected apply(sample: Sample, rng: Rng): Sample {
    const n = typeof this.n === 'number' ? this.n : typeof this.n === 'function' ? this.n(rng) : rng.integer(this.n[0], this.n[this.n.length - 1]!);
    const picked = rng.shuffle(this.steps.map((_, i) => i)).slice(0, n);
    const ordered = this.options.randomOrder ? picked : picked.sort((a, b) => a - b);
    return ordered.reduce((s, i) => this.steps[i]!.run(s, rng), sample);
  }
}

export const sequential = (children: Augmenter[], options: SequentialOptions = {}): Sequential => new Sequential(children, options);
export const sometimes = (p: number, then: Augmenter, otherwise?: Augmenter, options: AugmenterOptions = {}): Sometimes => new Sometimes(p, then, otherwise ?? null, options);
export const oneOf = (children: Augmenter[], options: AugmenterOptions = {}): SomeOf => new SomeOf(1, children, options);
export const someOf = (n: number | [number, number], children: Augmenter[], options: SequentialOptions = {}): SomeOf => new SomeOf(n, children, options);
