/**
 * Where the model comes from: the one bundled with the site, or a model folder the visitor picks
 * (model.json + weight files), read locally with tf.io.browserFiles: nothing is uploaded. The
 * artifacts are kept in memory so a backend switch can rebuild the model on the new backend.
 */
import * as tf from '../tfjs';
import { getSINetMetadata, rebuildWithInputSize, Segmenter, setSINetMetadata, sinetTaps } from '@sinet/model';

export class ModelSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelSourceError';
  }
}

export interface ModelSource {
  name: string;
  artifacts: tf.io.ModelArtifacts;
}

export async function fetchBundledModel(url: string): Promise<ModelSource> {
  try {
    const artifacts = await tf.io.browserHTTPRequest(url).load!();
    return { name: 'bundled SINet (trained on EG1800 by SINet.js)', artifacts };
  } catch (e) {
    throw new ModelSourceError(`the bundled model (${url}) did not load: ${(e as Error).message}`);
  }
}

/** A model from files: exactly one model.json and the weight files it names. */
export async function readModelFiles(files: File[]): Promise<ModelSource> {
  const json = files.filter((f) => f.name.endsWith('.json'));
  if (json.length !== 1) throw new ModelSourceError(`pick one model.json and its .bin weight files (got ${json.length} .json files among ${files.map((f) => f.name).join(', ') || 'none'})`);
  const weights = files.filter((f) => f !== json[0]);
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await tf.io.browserFiles([json[0], ...weights]).load!();
  } catch (e) {
    throw new ModelSourceError(`${json[0].name}: not a tfjs layers model with its weights (${(e as Error).message})`);
  }
  const model = await instantiate({ name: json[0].name, artifacts });
  model.dispose();
  return { name: json[0].name, artifacts };
}

/** The model on the current backend; checks that it is a SINet model. */
export async function instantiate(source: ModelSource): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(source.artifacts));
  } catch (e) {
    throw new ModelSourceError(`${source.name}: not a loadable tfjs layers model (${(e as Error).message})`);
  }
  try {
    getSINetMetadata(model, source.name);
  } catch (e) {
    model.dispose();
    throw new ModelSourceError((e as Error).message);
  }
  return model;
}

/** What one input size needs: a segmenter and, sharing its layers, a model with the inner taps. */
export interface SizedModel {
  segmenter: Segmenter;
  /** Outputs: encoder logits (1/8), the information-blocking gate, the final logits. */
  taps: tf.LayersModel;
  size: number;
}

/** The network at size x size with `base`'s weights (`base` is left as it is). */
export function sizeModel(base: tf.LayersModel, size: number): SizedModel {
  const metadata = getSINetMetadata(base);
  const model = rebuildWithInputSize(base, metadata.config, [size, size]);
  setSINetMetadata(model, { ...metadata, config: { ...metadata.config, inputSize: [size, size] } });
  const segmenter = new Segmenter(model);
  const taps = sinetTaps(segmenter.model, ['encoder_logits', 'blocking_gate', 'logits']);
  return { segmenter, taps, size };
}

export function disposeSized(sized: SizedModel | null): void {
  // The taps model shares every layer with the segmenter's: disposing the segmenter frees them.
  sized?.segmenter.dispose();
}
