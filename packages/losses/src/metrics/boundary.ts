/**
 * Boundary-quality metrics on label maps (row-major typed arrays, class indices):
 * - boundary F-score (Csurka et al., BMVC 2013): per class, precision and recall of boundary
 *   pixels matched within a distance tolerance, F = 2PR / (P + R), averaged over classes;
 * - boundary IoU (Cheng et al., CVPR 2021): per class, IoU of the mask pixels within d of the
 *   mask's contour, averaged over classes.
 * Classes absent from both maps are skipped; ignored pixels count as no class.
 */
import { DEFAULT_IGNORE_LABEL } from '../labels.js';
import { LossesError } from '../errors.js';

import type { Labels } from './confusion.js';

export interface BoundaryMetricOptions {
  width: number;
  height: number;
  /** Classes to score; default every class present in either map. */
  classes?: number[];
  ignoreLabel?: number | null;
}

function check(truth: Labels, prediction: Labels, o: BoundaryMetricOptions): void {
  if (!(Number.isInteger(o.width) && Number.isInteger(o.height) && o.width > 0 && o.height > 0)) throw new LossesError(`width and height must be positive integers, got ${o.width} x ${o.height}`, 'INPUT');
  const n = o.width * o.height;
  if (truth.length !== n || prediction.length !== n) throw new LossesError(`expected ${o.width} x ${o.height} = ${n} labels, got ${truth.length} (truth) and ${prediction.length} (prediction)`, 'INPUT');
}

function classesOf(truth: Labels, prediction: Labels, o: BoundaryMetricOptions): number[] {
  if (o.classes) return o.classes;
  const ignore = o.ignoreLabel === undefined ? DEFAULT_IGNORE_LABEL : o.ignoreLabel;
  const seen = new Set<number>();
  for (const map of [truth, prediction]) for (let i = 0; i < map.length; i++) if (map[i] !== ignore) seen.add(map[i]!);
  return [...seen].sort((a, b) => a - b);
}

/** Pixels of class `k` with a 4-neighbour of another label inside the image (the image edge is not a boundary). */
export function classBoundary(labels: Labels, width: number, height: number, k: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (labels[i] !== k) continue;
      if ((x > 0 && labels[i - 1] !== k) || (x < width - 1 && labels[i + 1] !== k) || (y > 0 && labels[i - width] !== k) || (y < height - 1 && labels[i + width] !== k)) out[i] = 1;
    }
  return out;
}

/** Fraction of the set pixels of `from` that have a set pixel of `to` within Euclidean distance `tolerance`. */
function matchedFraction(from: Uint8Array, to: Uint8Array, width: number, height: number, tolerance: number): { matched: number; total: number } {
  const r = Math.floor(tolerance);
  const offsets: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= tolerance * tolerance) offsets.push([dx, dy]);
  let matched = 0;
  let total = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!from[y * width + x]) continue;
      total++;
      for (const [dx, dy] of offsets) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx >= 0 && xx < width && yy >= 0 && yy < height && to[yy * width + xx]) {
          matched++;
          break;
        }
      }
    }
  return { matched, total };
}

export interface BoundaryFScoreOptions extends BoundaryMetricOptions {
  /** Matching distance in pixels; default 0.75% of the image diagonal (Csurka et al.). */
  tolerance?: number;
}

export interface BoundaryFScore {
  /** Mean F over the scored classes (1 when there is nothing to score). */
  fScore: number;
  perClass: { class: number; precision: number; recall: number; fScore: number }[];
}

export function boundaryFScore(truth: Labels, prediction: Labels, options: BoundaryFScoreOptions): BoundaryFScore {
  check(truth, prediction, options);
  const { width, height } = options;
  const tolerance = options.tolerance ?? 0.0075 * Math.hypot(width, height);
  if (!(tolerance >= 0)) throw new LossesError(`tolerance must be >= 0, got ${tolerance}`, 'CONFIG');
  const perClass = classesOf(truth, prediction, options).map((k) => {
    const t = classBoundary(truth, width, height, k);
    const p = classBoundary(prediction, width, height, k);
    const precisionCounts = matchedFraction(p, t, width, height, tolerance);
    const recallCounts = matchedFraction(t, p, width, height, tolerance);
    // No boundary on one side: perfect if the other has none either, else nothing matched.
    const precision = precisionCounts.total === 0 ? (recallCounts.total === 0 ? 1 : 0) : precisionCounts.matched / precisionCounts.total;
    const recall = recallCounts.total === 0 ? (precisionCounts.total === 0 ? 1 : 0) : recallCounts.matched / recallCounts.total;
    const fScore = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { class: k, precision, recall, fScore };
  });
  const fScore = perClass.length === 0 ? 1 : perClass.reduce((s, c) => s + c.fScore, 0) / perClass.length;
  return { fScore, perClass };
}

/**
 * Mask pixels within `d` of the contour: the mask minus its erosion by a (2d + 1) square, the
 * outside of the image counting as background (Cheng et al. pad with zeros before eroding).
 */
export function innerBoundary(mask: Uint8Array, width: number, height: number, d: number): Uint8Array {
  // Summed-area table of the mask: a pixel survives erosion when its whole window is inside and set.
  const sat = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) sat[(y + 1) * (width + 1) + x + 1] = mask[y * width + x]! + sat[y * (width + 1) + x + 1]! + sat[(y + 1) * (width + 1) + x]! - sat[y * (width + 1) + x]!;
  const out = new Uint8Array(width * height);
  const full = (2 * d + 1) ** 2;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      const x0 = x - d;
      const y0 = y - d;
      const x1 = x + d + 1;
      const y1 = y + d + 1;
      const inside = x0 >= 0 && y0 >= 0 && x1 <= width && y1 <= height;
      const sum = inside ? sat[y1 * (width + 1) + x1]! - sat[y0 * (width + 1) + x1]! - sat[y1 * (width + 1) + x0]! + sat[y0 * (width + 1) + x0]! : 0;
      if (sum !== full) out[i] = 1;
    }
  return out;
}

export interface BoundaryIouOptions extends BoundaryMetricOptions {
  /** Band width d in pixels; default 2% of the image diagonal, at least 1 (Cheng et al.). */
  distance?: number;
}

export interface BoundaryIou {
  /** Mean boundary IoU over the scored classes (1 when there is nothing to score). */
  iou: number;
  /** Per class, with the counts so a dataset can be accumulated. */
  perClass: { class: number; iou: number; intersection: number; union: number }[];
}

export function boundaryIou(truth: Labels, prediction: Labels, options: BoundaryIouOptions): BoundaryIou {
  check(truth, prediction, options);
  const { width, height } = options;
  const d = options.distance ?? Math.max(1, Math.round(0.02 * Math.hypot(width, height)));
  if (!(Number.isInteger(d) && d >= 1)) throw new LossesError(`distance must be a positive integer, got ${d}`, 'CONFIG');
  const perClass = classesOf(truth, prediction, options).map((k) => {
    const band = (labels: Labels) => innerBoundary(Uint8Array.from({ length: labels.length }, (_, i) => (labels[i] === k ? 1 : 0)), width, height, d);
    const t = band(truth);
    const p = band(prediction);
    let intersection = 0;
    let union = 0;
    for (let i = 0; i < t.length; i++) {
      intersection += t[i]! & p[i]!;
      union += t[i]! | p[i]!;
    }
    return { class: k, iou: union === 0 ? 1 : intersection / union, intersection, union };
  });
  const iou = perClass.length === 0 ? 1 : perClass.reduce((s, c) => s + c.iou, 0) / perClass.length;
  return { iou, perClass };
}

/** Reads a [H, W] or [H, W, 1] tensor of class indices asynchronously. */
async function labelsOfTensor(t: { shape: number[]; data(): Promise<ArrayLike<number>> }, what: string): Promise<{ data: ArrayLike<number>; width: number; height: number }> {
  if ((t.shape.length !== 2 && t.shape.length !== 3) || (t.shape[2] ?? 1) !== 1) throw new LossesError(`${what} must be a [height, width] label tensor, got shape [${t.shape}]`, 'LABEL_SHAPE');
  const [height, width] = t.shape as [number, number];
  return { data: await t.data(), width, height };
}

/** A label map as a tensor-like value: its shape and an async read (a tf.Tensor fits). */
export type LabelTensor = { shape: number[]; data(): Promise<ArrayLike<number>> };

/** boundaryFScore on [H, W] label tensors (read asynchronously). */
export async function boundaryFScoreOfTensors(truth: LabelTensor, prediction: LabelTensor, options: Omit<BoundaryFScoreOptions, 'width' | 'height'> = {}): Promise<BoundaryFScore> {
  const [t, p] = await Promise.all([labelsOfTensor(truth, 'truth'), labelsOfTensor(prediction, 'prediction')]);
  return boundaryFScore(t.data, p.data, { ...options, width: t.width, height: t.height });
}

/** boundaryIou on [H, W] label tensors (read asynchronously). */
export async function boundaryIouOfTensors(truth: LabelTensor, prediction: LabelTensor, options: Omit<BoundaryIouOptions, 'width' | 'height'> = {}): Promise<BoundaryIou> {
  const [t, p] = await Promise.all([labelsOfTensor(truth, 'truth'), labelsOfTensor(prediction, 'prediction')]);
  return boundaryIou(t.data, p.data, { ...options, width: t.width, height: t.height });
}
