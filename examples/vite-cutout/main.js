// A photo in, its cut-out out: @sinet/model in the browser on tfjs' wasm backend, bundled by Vite.
import { cutout, loadSegmenter } from '@sinet/model';
// One shipped model's module: Vite copies its files alone (the catalogue, PRETRAINED_MODELS, would copy all).
import model from '@sinet/pretrained/default';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// The backend's binaries as assets of this app: without setWasmPaths tfjs fetches them beside the bundle and fails (404).
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

const status = document.querySelector('#status');
const picker = document.querySelector('#photo');
const canvas = document.querySelector('#result');

setWasmPaths({ 'tfjs-backend-wasm.wasm': plain, 'tfjs-backend-wasm-simd.wasm': simd, 'tfjs-backend-wasm-threaded-simd.wasm': threaded });
await tf.setBackend('wasm');
const segmenter = await loadSegmenter(model);
status.textContent = 'Pick a photo.';
picker.disabled = false;

picker.addEventListener('change', async () => {
  const file = picker.files?.[0];
  if (!file) return;
  status.textContent = `Segmenting ${file.name}…`;
  try {
    const photo = await createImageBitmap(file); // its natural size, whatever it is shown at
    const s = await segmenter.segment(photo);
    const cut = await cutout(photo, s); // RGBA at the photo's size, transparent background
    Object.assign(canvas, { width: cut.width, height: cut.height });
    canvas.getContext('2d').putImageData(new ImageData(cut.data, cut.width, cut.height), 0, 0);
    const share = s.mask.reduce((n, v) => n + v, 0) / s.mask.length;
    status.textContent = `${file.name}: ${cut.width} x ${cut.height}, person ${(100 * share).toFixed(1)}% of the photo.`;
    photo.close();
  } catch (e) {
    status.textContent = `Could not segment ${file.name}: ${e.message}`;
  }
});
