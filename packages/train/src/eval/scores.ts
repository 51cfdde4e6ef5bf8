/**
 * The one evaluation path (browser-safe): `sinet eval`, the trainer's validation and the
 * fine-tuner's personIou all predict and score through `scoreBatch` into `SegmentationScores`.
 */
import * as tf from '@sinet/layers/tfjs';
import type { LabelMap } from '@sinet/augment';
import { boundaryFScore, boundaryIou, ConfusionMatrix } from '@sinet/losses';

/**
 * The figures of `sinet eval` at one resolution, accumulated image by image: the confusion
 * summed over images (mIoU, person and background IoU), the mean boundary F-score and the
 * boundary IoU summed over images. Used by `sinet eval` and by the trainer's validation.
 */
export class SegmentationScores {
  readonly confusion = new ConfusionMatrix(2);
  private fSum = 0;
  private images = 0;
  /** Per class (background, person): the boundary band's intersection and union. */
  private readonly band: [number, number][] = [
    [0, 0],
    [0, 0],
  ];

  /** One image's maps of 0 (background) / 1 (person). */
  add(truth: ArrayLike<number>, prediction: ArrayLike<number>, width: number, height: number): void {
    this.confusion.update(truth, prediction);
    this.fSum += boundaryFScore(truth, prediction, { width, height, classes: [0, 1] }).fScore;
    for (const c of boundaryIou(truth, prediction, { width, height, classes: [0, 1] }).perClass) {
      this.band[c.class]![0] += c.intersection;
      this.band[c.class]![1] += c.union;
    }
    this.images++;
  }

  /** Adds another set's images to this one (scores of parts into the scores of the whole). */
  merge(other: SegmentationScores): this {
    other.confusion.counts.forEach((v, i) => (this.confusion.counts[i]! += v));
    this.fSum += other.fSum;
    this.images += other.images;
    for (const c of [0, 1]) for (const k of [0, 1] as const) this.band[c]![k] += other.band[c]![k];
    return this;
  }

  report(): { miou: number; personIou: number; backgroundIou: number; boundaryF: number; boundaryIou: number } {
    const [backgroundIou, personIou] = this.confusion.perClassIou().map((v) => (Number.isNaN(v) ? 1 : v)) as [number, number];
    const bandIou = this.band.map(([i, u]) => (u === 0 ? 1 : i / u)) as [number, number];
    return { miou: (backgroundIou + personIou) / 2, personIou, backgroundIou, boundaryF: this.fSum / this.images, boundaryIou: (bandIou[0] + bandIou[1]) / 2 };
  }
}

/**
 * Person size classes by the share of the frame the person covers in the truth: the photos
 * SINet finds hardest are the small ones (a full-body person far away, a street scene).
 */
export const PERSON_SIZES = [
  { name: 'small', below: 0.1 },
  { name: 'medium', below: 0.3 },
  { name: 'large', below: Infinity },
] as const;
export type PersonSize = (typeof PERSON_SIZES)[number]['name'];

/** The size class of a 0/1 truth map, or null when it holds no person. */
export function personSizeOf(truth: ArrayLike<number>): PersonSize | null {
  let person = 0;
  for (let i = 0; i < truth.length; i++) person += truth[i] === 1 ? 1 : 0;
  if (person === 0) return null;
  const share = person / truth.length;
  return PERSON_SIZES.find((s) => share < s.below)!.name;
}

/** Nearest-neighbour resize that samples floor(i * in / out), as PyTorch's 'nearest' and the official evaluation do. */
export function resizeNearestFloor(map: LabelMap, width: number, height: number): LabelMap {
  const data = new Uint8Array(width * height);
  const sx = map.width / width;
  const sy = map.height / height;
  for (let y = 0; y < height; y++) {
    const row = Math.min(map.height - 1, Math.floor(y * sy)) * map.width;
    for (let x = 0; x < width; x++) data[y * width + x] = map.data[row + Math.min(map.width - 1, Math.floor(x * sx))]!;
  }
  return { data, width, height };
}

export interface ScoreTargets {
  /** Scored at the logits' resolution, against the truth resized nearest (floor) to it. */
  atOutput: SegmentationScores;
  /** Also scored at each truth's own resolution, with the logits resized bilinearly (align corners). */
  atTruth?: SegmentationScores;
  /**
   * At the truth's resolution, the person map from this instead of the argmax: given the image
   * (RGB 0..255, [h, w, 3]) and its person probability there, 1 for person, 0 elsewhere.
   */
  refineAtTruth?: (rgb: tf.Tensor3D, probabilities: Float32Array, width: number, height: number) => Promise<ArrayLike<number>>;
}

/**
 * Predicts a batch of RGB images of one size and scores it: the person map (argmax == person)
 * against 0/1 truth maps of any resolution. `predictLogits` preprocesses as the model's metadata
 * says (Segmenter.predictLogits does). Resolves with the milliseconds from the input to the
 * maps on the CPU (scoring excluded).
 */
export async function scoreBatch(predictLogits: (rgb: tf.Tensor4D) => tf.Tensor4D | Promise<tf.Tensor4D>, personClass: number, rgb: tf.Tensor4D, truths: LabelMap[], targets: ScoreTargets): Promise<number> {
  const started = performance.now();
  const logits = await predictLogits(rgb);
  const maps = tf.tidy(() => {
    const isPerson = (l: tf.Tensor4D) => tf.cast(tf.equal(tf.argMax(l, -1), personClass), 'int32');
    // Full resolution only for single images: a batch's truths may differ in size.
    const full = targets.atTruth
      ? truths.map((t, i) => {
          const resized = tf.image.resizeBilinear(tf.slice(logits, [i, 0, 0, 0], [1, -1, -1, -1]), [t.height, t.width], false, true);
          // For refinement, the person probability; else the argmax map.
          return targets.refineAtTruth ? tf.slice(tf.softmax(resized, -1), [0, 0, 0, personClass], [1, -1, -1, 1]) : isPerson(resized);
        })
      : [];
    return [isPerson(logits), ...full];
  });
  logits.dispose();
  const [small, ...full] = (await Promise.all(maps.map((t) => t.data()))) as [Int32Array | Float32Array, ...(Int32Array | Float32Array)[]];
  const [, oh, ow] = maps[0]!.shape as [number, number, number];
  tf.dispose(maps);
  const ms = performance.now() - started;
  for (const [i, truth] of truths.entries()) {
    targets.atOutput.add(resizeNearestFloor(truth, ow, oh).data, small.subarray(i * oh * ow, (i + 1) * oh * ow), ow, oh);
    if (!targets.atTruth) continue;
    let prediction: ArrayLike<number> = full[i]!;
    if (targets.refineAtTruth) {
      const image = tf.tidy(() => tf.squeeze(tf.slice(rgb, [i, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D);
      prediction = await targets.refineAtTruth(image, full[i] as Float32Array, truth.width, truth.height);
      image.dispose();
    }
    targets.atTruth.add(truth.data, prediction, truth.width, truth.height);
  }
  return ms;
}
