/** A streaming binary confusion matrix and the IoU figures of the official evaluation. */

export interface BinaryConfusion {
  /** counts[truth][prediction], 0 = background, 1 = person. */
  counts: [[number, number], [number, number]];
}

export function emptyConfusion(): BinaryConfusion {
  return { counts: [[0, 0], [0, 0]] };
}

export function addConfusion(into: BinaryConfusion, truePositive: number, falsePositive: number, falseNegative: number, trueNegative: number): void {
  into.counts[1][1] += truePositive;
  into.counts[0][1] += falsePositive;
  into.counts[1][0] += falseNegative;
  into.counts[0][0] += trueNegative;
}

export interface IoUFigures {
  miou: number;
  personIou: number;
  backgroundIou: number;
}

/** IoU per class = TP / (TP + FP + FN) summed over the whole dataset (not averaged per image). */
export function iouFigures(c: BinaryConfusion): IoUFigures {
  const [[tn, fp], [fn, tp]] = c.counts;
  const iou = (hit: number, wrong: number) => (hit + wrong === 0 ? 1 : hit / (hit + wrong));
  const personIou = iou(tp, fp + fn);
  const backgroundIou = iou(tn, fp + fn);
  return { miou: (personIou + backgroundIou) / 2, personIou, backgroundIou };
}
