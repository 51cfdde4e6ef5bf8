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
  private readonly band = [
    [0, 0],
    [0, 0],
  ];

  /** One image's maps of 0 (background) / 1 (person). */
  add(truth: ArrayLike<number>, prediction: ArrayLike<number>, width: number, height: number): void {
    this.confusion.update(truth, prediction);
    this.fSum += boundaryFScore(truth, prediction, { width, height, classes: [0, 1] }).fScore;
    for (const c of boundaryIou(truth, prediction, { width, height, classes: [0, 1] }).perClass) {
      this.band[c.class][0] += c.intersection;
      this.band[c.class][1] += c.union;
    }
    this.images++;
  }

  report(): { miou: number; personIou: number; backgroundIou: number; boundaryF: number; boundaryIou: number } {
    const [backgroundIou, personIou] = this.confusion.perClassIou().map((v) => (Number.isNaN(v) ? 1 : v));
    const bandIou = this.band.map(([i, u]) => (u === 0 ? 1 : i / u));
    return { miou: (backgroundIou + personIou) / 2, personIou, backgroundIou, boundaryF: this.fSum / this.images, boundaryIou: (bandIou[0] + bandIou[1]) / 2 };
  }
}
