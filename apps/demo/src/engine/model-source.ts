/**
 * Where the model comes from: the default of @sinet/pretrained, bundled with the site, or a model folder the visitor picks
 * (model.json + weight files), read locally: nothing is uploaded. Both go through
 * @sinet/model's checks for untrusted model files (size limits, weights only from the model's
 * own folder, exact byte counts, validated SINet metadata). The checked files are kept in
 * memory so a backend switch can rebuild the model on the new backend.
 */
import * as tf from '@sinet/layers/tfjs';
import { Segmenter, sinetTaps, type ModelFiles } from '@sinet/model';
import { buildModel, fetchModelFiles, readPickedModelFiles } from '@sinet/model/files';
import realtimeModel from '@sinet/pretrained/realtime';
import { onnxRuntimeWeb } from './onnx';
import { DemoError } from '../errors';

export interface ModelSource {
  name: string;
  files: ModelFiles;
}

export { realtimeModel };

/** The live-video default of @sinet/pretrained (the best by cross-domain person IoU at 224 x 224: the demo is camera-first); the bundler copies its files, and only its. */
export async function fetchBundledModel(): Promise<ModelSource> {
  const entry = realtimeModel;
  try {
    return { name: `bundled SINet: ${entry.name}, ${entry.summary}`, files: await fetchModelFiles(entry.modelUrl, { weightsUrls: entry.weightsUrls }) };
  } catch (e) {
    throw new DemoError(`the bundled model (${entry.modelUrl.href}) did not load: ${(e as Error).message}`, 'MODEL_SOURCE');
  }
}

/** A model from files: exactly one model.json and the weight files it names. */
export async function readModelFiles(files: File[]): Promise<ModelSource> {
  let source: ModelSource;
  try {
    const checked = await readPickedModelFiles(files);
    source = { name: checked.where, files: checked };
  } catch (e) {
    throw new DemoError((e as Error).message, 'MODEL_SOURCE');
  }
  const model = await instantiate(source);
  model.dispose();
  return source;
}

/** The model on the current backend (a SINet rebuilt from its checked metadata). */
export async function instantiate(source: ModelSource): Promise<tf.LayersModel> {
  try {
    return await buildModel(source.files, { requireSINet: true });
  } catch (e) {
    throw new DemoError((e as Error).message, 'MODEL_SOURCE');
  }
}

/** What one input size needs: a segmenter and, sharing its layers, a model with the inner taps. */
export interface SizedModel {
  segmenter: Segmenter;
  /** Outputs: encoder logits (1/8), the information-blocking gate, the final logits. */
  taps: tf.LayersModel;
  /** [height, width] */
  size: [number, number];
}

/**
 * The network at size x size with `base`'s weights (`base` stays the caller's: the segmenter never
 * disposes it); with runtime 'onnx' the segmenter runs it in onnxruntime-web (its own session).
 */
export async function sizeModel(base: tf.LayersModel, size: [number, number], runtime: 'tfjs' | 'onnx' = 'tfjs'): Promise<SizedModel> {
  // The exporter (and protobufjs) load only when onnxruntime is chosen.
  const runner = runtime === 'onnx' ? await (await import('@sinet/model/onnx')).createOnnxRunner(base, await onnxRuntimeWeb()) : undefined;
  const segmenter = new Segmenter(base, { inputSize: size, runner });
  const taps = sinetTaps(segmenter.model, ['encoder_logits', 'blocking_gate', 'logits']);
  return { segmenter, taps, size };
}

export function disposeSized(sized: SizedModel | null): void {
  // The taps model shares every layer with the segmenter's model: disposing the segmenter frees a
  // resized copy; `base` is freed by its owner.
  sized?.segmenter.dispose();
}
