/** What every shipped model's module (`@sinet/pretrained/<name>`) exports. */
export interface PretrainedModel {
  name: string;
  /** model.json; `new URL(..., import.meta.url)`, so bundlers copy it and Node reads it from disk. */
  modelUrl: URL;
  /** Every weights file by its path in model.json's manifest (a bundler may rename and move them). */
  weightsUrls: Record<string, URL>;
  /** The model card (MODEL_CARD.md) beside model.json. */
  cardUrl: URL;
  precision: 'float32' | 'float16';
  /** Bytes of weights to download. */
  bytes: number;
  /** The network's input, [height, width]; inference costs grow with its area. */
  inputSize: [number, number];
  /** EG1800 validation figures of `sinet eval` at the model's input size (with the flip test, as `segment` runs), from the model card. */
  val: { personIou: number; miou: number; boundaryF: number; boundaryIou: number };
  /**
   * Cross-domain validation (`sinet eval --config configs/realworld.json`): person IoU at each
   * photo's own size per source (EG1800 val and the held-out parts of CCP, Penn-Fudan, COCO128)
   * and their mean, as `segment` gives photos by default (flip test, refinement): the mean picks
   * the default model. `onePass`: the same for one pass of the network, as live video runs; its
   * mean picks the live-video default.
   */
  crossDomain: CrossDomainFigures & { onePass: CrossDomainFigures };
  licence: string;
  summary: string;
}

/** Person IoU at each photo's own size per validation source, and their mean. */
export interface CrossDomainFigures {
  mean: number;
  sources: Record<string, number>;
}
