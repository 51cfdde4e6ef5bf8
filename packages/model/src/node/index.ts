/** Node-only helpers of @sinet/model: backend selection, image files and model folders. */
import * as tf from '@sinet/layers/tfjs';
import { type ImageInput } from '../pixels.js';
import { Segmenter, segmenterOn, type LoadSegmenterOptions, type Segmentation, type SegmentOptions } from '../segmenter.js';
import { initBackend, type BackendChoice } from './backend.js';
import { readImage } from './image-io.js';
import { loadModel } from './model-io.js';
import { isModelLocation, loadModelFromUrl, type ModelLocation } from '../model-files.js';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PRETRAINED, type PretrainedName } from '@sinet/pretrained';

export { BACKEND_CHOICES, BackendError, initBackend, type BackendChoice, type BackendInfo, type InitBackendOptions } from './backend.js';
export { ImageFileError, MAX_IMAGE_FILE_BYTES, readImage, readImageFile, readMask, readPersonMask, writeImage, type DecodedImage, type MaskConvention, type PersonMask } from './image-io.js';
export { fileModelHandler, loadModel, ModelFileError, readModelFolder, resolveModelJson, saveModel, type LoadModelOptions, type SaveModelOptions } from './model-io.js';
export { makeFolder, syncFolder, writeFileAtomic } from './atomic.js';
export { compiledWorkerUrl } from './worker-url.js';

/** A path from a file: URL (a shipped model's module gives proper ones; a user may write file://models/x). */
function localPath(where: string): string {
  if (!/^file:/i.test(where)) return where;
  try {
    return fileURLToPath(where);
  } catch {
    return where.replace(/^file:\/\//i, '');
  }
}

/** In Node an image may also be a file path or the bytes of an encoded file (JPEG, PNG, WebP...). */
export type NodeImageInput = ImageInput | string | Uint8Array;

const decodeIfFile = async (input: NodeImageInput): Promise<ImageInput> =>
  typeof input === 'string' || input instanceof Uint8Array ? readImage(input) : input;

/** A Segmenter that also takes image files and encoded buffers. */
export class NodeSegmenter extends Segmenter {
  override async segment(input: NodeImageInput, options: SegmentOptions = {}): Promise<Segmentation> {
    return super.segment(await decodeIfFile(input), options);
  }

  override async segmentBatch(inputs: tf.Tensor4D | NodeImageInput[], options: SegmentOptions = {}): Promise<Segmentation[]> {
    if (inputs instanceof tf.Tensor) return super.segmentBatch(inputs, options);
    const results: Segmentation[] = [];
    for (const input of inputs) results.push(await this.segment(input, options));
    return results;
  }
}

export interface NodeSegmenterOptions extends LoadSegmenterOptions {
  /** Backend to select first (see initBackend); default: keep the current one, or auto if none was chosen. */
  backend?: BackendChoice;
}

/**
 * Like the browser `loadSegmenter` (a ModelLocation such as a shipped model's module, a
 * LayersModel, a URL or a handler), plus shipped models by name (none: DEFAULT_PRETRAINED),
 * local model folders and model.json paths, and a backend choice. A name wins over a folder of
 * the same name: write './eg1800' for the folder.
 */
export async function loadSegmenter(source: PretrainedName | string | ModelLocation | tf.LayersModel | tf.io.IOHandler = DEFAULT_PRETRAINED, options: NodeSegmenterOptions = {}): Promise<NodeSegmenter> {
  const { backend, ...rest } = options;
  if (backend) await initBackend(backend);
  // A caller's model stays the caller's; a model loaded here belongs to the segmenter.
  let model: tf.LayersModel;
  // A shipped model's module points into the installed package: read there as a folder (its checks), not fetched.
  const where = isModelLocation(source) ? String(source.modelUrl) : source;
  if (where instanceof tf.LayersModel) model = where;
  else if (typeof where !== 'string') model = await tf.loadLayersModel(where);
  else if (/^https?:\/\//i.test(where)) model = await loadModelFromUrl(where, isModelLocation(source) ? { weightsUrls: source.weightsUrls } : {});
  else model = await loadModel(localPath(where), { requireSINet: true });
  return segmenterOn(model, !(source instanceof tf.LayersModel), rest, 'onnxruntime-node', (m, o) => new NodeSegmenter(m, o));
}
