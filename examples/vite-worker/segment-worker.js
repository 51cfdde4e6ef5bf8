// The worker: @sinet/model on tfjs' wasm backend, off the page's main thread.
import { cutout, loadSegmenter } from '@sinet/model';
import model from '@sinet/pretrained/default';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({ 'tfjs-backend-wasm.wasm': plain, 'tfjs-backend-wasm-simd.wasm': simd, 'tfjs-backend-wasm-threaded-simd.wasm': threaded });
const ready = (async () => {
  await tf.setBackend('wasm');
  return loadSegmenter(model);
})();
ready.then(
  () => postMessage({ type: 'ready', backend: tf.getBackend() }),
  (e) => postMessage({ type: 'error', message: `The model did not load: ${e.message}` }),
);

self.addEventListener('message', async ({ data: request }) => {
  if (request.type !== 'segment') return;
  const { name, photo } = request;
  try {
    const segmenter = await ready;
    // A worker has no <img> or <canvas>: read the bitmap's pixels through an OffscreenCanvas.
    const reader = new OffscreenCanvas(photo.width, photo.height).getContext('2d');
    reader.drawImage(photo, 0, 0);
    const pixels = reader.getImageData(0, 0, photo.width, photo.height);
    photo.close();
    const s = await segmenter.segment(pixels);
    const cut = await cutout(pixels, s);
    const personShare = s.mask.reduce((n, v) => n + v, 0) / s.mask.length;
    postMessage({ type: 'cutout', name, width: cut.width, height: cut.height, data: cut.data, personShare }, [cut.data.buffer]);
  } catch (e) {
    photo.close();
    postMessage({ type: 'error', message: `Could not segment ${name}: ${e.message}` });
  }
});
