/**
 * `sinet eval`: the protocol of the official code. The image is resized to the model's input
 * size (bilinear), predicted by argmax, and compared with the mask resized to the same size
 * (nearest); the 2 x 2 confusion is summed over all images. The *Full figures compare at the
 * mask's own resolution, with the logits resized bilinearly. Boundary F-score (Csurka et al.,
 * tolerance 0.75% of the diagonal) is the mean over images; boundary IoU (Cheng et al.,
 * d = 2% of the diagonal) sums each class's band intersection and union over the data set.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_SEGMENT_OPTIONS, InputError, refineSegmentation, type Fit, type RefineOptions, type Segmenter } from '@sinet/model';
import { ImageFileError, readImage, readPersonMask, type MaskConvention } from '@sinet/model/node';
import { DatasetError, type DatasetEntry } from '../data/folder-dataset.js';
import { PERSON_SIZES, personSizeOf, scoreBatch, SegmentationScores, type PersonSize } from './scores.js';

export interface EvalReport {
  miou: number;
  personIou: number;
  backgroundIou: number;
  /** Mean boundary F-score over images, at the model's input size. */
  boundaryF: number;
  /** Boundary IoU over the data set, at the model's input size. */
  boundaryIou: number;
  miouFull: number;
  personIouFull: number;
  backgroundIouFull: number;
  boundaryFFull: number;
  boundaryIouFull: number;
  images: number;
  /** Mean time per image of preprocessing, network and reading the prediction (decoding and scoring excluded). */
  msPerImage: number;
  backend: string;
  /** How many masks used each convention (0/255 or 0/1). */
  maskConventions: Record<MaskConvention, number>;
  /**
   * At each mask's size, by the person's share of the frame in the truth (PERSON_SIZES: small
   * < 10%, medium 10-30%, large >= 30%); photos without a person are in none of them.
   */
  bySize: Record<PersonSize, { images: number; personIou: number; boundaryF: number; /** e.g. '< 10%' */ shareOfFrame: string }>;
}

export interface EvalOptions {
  /** Called after each image, e.g. for a progress line. */
  onImage?: (done: number, total: number, entry: DatasetEntry) => void;
  /** Average each image's logits with its mirror's (Segmenter's flipTest). Default as `segment`: DEFAULT_SEGMENT_OPTIONS.flipTest. */
  flipTest?: boolean;
  /** How images of another aspect meet the model's input (Segmenter's fit). Default 'stretch'. */
  fit?: Fit;
  /**
   * Refine the person probability against the photo's edges before the figures at mask size
   * (refineSegmentation; true for its defaults). Default as `segment`: DEFAULT_SEGMENT_OPTIONS.refine.
   */
  refine?: boolean | RefineOptions;
}

export async function evaluate(segmenter: Segmenter, entries: DatasetEntry[], options: EvalOptions = {}): Promise<EvalReport> {
  if (entries.length === 0) throw new DatasetError('nothing to evaluate: the image list is empty');
  if (segmenter.metadata.config.classes !== 2) throw new InputError(`sinet eval scores person vs background; this model has ${segmenter.metadata.config.classes} classes`);
  const person = segmenter.metadata.personClass;
  // What `segment` gives a photo unless told otherwise is what is scored unless told otherwise.
  const flipTest = options.flipTest ?? DEFAULT_SEGMENT_OPTIONS.flipTest;
  const refine = options.refine ?? DEFAULT_SEGMENT_OPTIONS.refine;
  const atModel = new SegmentationScores();
  const atFull = new SegmentationScores();
  const bySize = Object.fromEntries(PERSON_SIZES.map((s) => [s.name, { scores: new SegmentationScores(), images: 0 }])) as Record<PersonSize, { scores: SegmentationScores; images: number }>;
  let busyMs = 0;
  const conventions = { '0/255': 0, '0/1': 0 };
  // Images whose truth has some person / some background: a set without either scores nothing.
  let persons = 0;
  let backgrounds = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const [image, mask] = await Promise.all([readImage(entry.image), readPersonMask(entry.mask)]);
    if (image.width !== mask.width || image.height !== mask.height) {
      throw new ImageFileError(entry.mask, `mask is ${mask.width} x ${mask.height} but its image ${entry.image} is ${image.width} x ${image.height}`);
    }
    const truth = { data: mask.data, width: mask.width, height: mask.height };
    const rgb = tf.tidy(() => tf.expandDims(tf.tensor3d(image.data, [image.height, image.width, 3], 'float32'), 0) as tf.Tensor4D);
    // At the model's size (the truth resized as the trainer's validation resizes it) and at the mask's.
    const refineAtTruth = refine
      ? async (image: tf.Tensor3D, probabilities: Float32Array, width: number, height: number) =>
          (await refineSegmentation(image, { width, height, probabilities, mask: new Uint8Array(0), labels: new Uint8Array(0), classNames: segmenter.metadata.classNames }, refine === true ? {} : refine)).mask
      : undefined;
    const atTruth = new SegmentationScores();
    busyMs += await scoreBatch((x) => segmenter.predictLogits(x, { flipTest, fit: options.fit }), person, rgb, [truth], { atOutput: atModel, atTruth, refineAtTruth });
    atFull.merge(atTruth);
    const size = personSizeOf(truth.data);
    if (size) {
      bySize[size].scores.merge(atTruth);
      bySize[size].images++;
    }
    rgb.dispose();
    conventions[mask.convention]++;
    persons += truth.data.some((v) => v === 1) ? 1 : 0;
    backgrounds += truth.data.some((v) => v === 0) ? 1 : 0;
    options.onImage?.(i + 1, entries.length, entry);
  }
  if (persons === 0 || backgrounds === 0) throw new DatasetError(`every mask of the ${entries.length} images is all ${persons === 0 ? 'background' : 'person'}: nothing to score (are the masks in another convention than 0/255 or 0/1?)`);
  const small = atModel.report();
  const full = atFull.report();
  return {
    maskConventions: conventions,
    ...small,
    miouFull: full.miou,
    personIouFull: full.personIou,
    backgroundIouFull: full.backgroundIou,
    boundaryFFull: full.boundaryF,
    boundaryIouFull: full.boundaryIou,
    images: entries.length,
    msPerImage: busyMs / entries.length,
    backend: tf.getBackend(),
    bySize: Object.fromEntries(
      PERSON_SIZES.map(({ name, below }, i) => {
        const { scores, images } = bySize[name];
        const r = images ? scores.report() : null;
        const from = i > 0 ? 100 * PERSON_SIZES[i - 1]!.below : 0;
        const shareOfFrame = below === Infinity ? `>= ${from}%` : from ? `${from}-${100 * below}%` : `< ${100 * below}%`;
        return [name, { images, personIou: r ? r.personIou : Number.NaN, boundaryF: r ? r.boundaryF : Number.NaN, shareOfFrame }];
      }),
    ) as EvalReport['bySize'],
  };
}
