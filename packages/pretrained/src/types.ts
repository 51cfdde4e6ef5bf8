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
  /** EG1800 validation figures of `sinet eval` at the model's input size, from the model card. */
  val: { personIou: number; miou: number; boundaryF: number; boundaryIou: number };
  /**
   * Cross-domain validation (`sinet eval --config configs/realworld.json`): person IoU at each
   * photo's own size per source (EG1800 val and the held-out parts of CCP, Penn-Fudan, COCO128)
   * and their mean, which picks the default model.
   */
  crossDomain: { mean: number; sources: Record<string, number> };
  licence: string;
  summary: string;
}
