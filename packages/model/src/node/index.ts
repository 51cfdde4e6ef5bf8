/** Node-only helpers of @sinet/model: backend selection, image files and model folders. */
import type * as tf from '@tensorflow/tfjs';
import { loadSegmenter as loadSegmenterCore, type Segmenter, type SegmenterOptions } from '../segmenter.js';
import { fileModelHandler } from './model-io.js';

export { BACKEND_CHOICES, BackendError, initBackend, type BackendChoice, type BackendInfo, type InitBackendOptions } from './backend.js';
export { ImageFileError, readImage, readMask, writeImage, type DecodedImage } from './image-io.js';
export { fileModelHandler, loadModel, ModelFileError, resolveModelJson, saveModel } from './model-io.js';
export { writeFileAtomic } from './atomic.js';

/** Like the browser `loadSegmenter`, plus local model folders and model.json paths. */
export async function loadSegmenter(source: string | tf.LayersModel | tf.io.IOHandler, options: SegmenterOptions = {}): Promise<Segmenter> {
  if (typeof source === 'string' && !/^(https?|file|indexeddb|localstorage):\/\//i.test(source)) {
    return loadSegmenterCore(fileModelHandler(source), options);
  }
  return loadSegmenterCore(source, options);
}
