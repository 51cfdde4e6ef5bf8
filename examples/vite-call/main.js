// A camera with its background hidden, as a video-call app sends it: the camera track in, a processed track out.
import { BackgroundBlur, BackgroundColour, BackgroundProcessor, NoEffect } from '@sinet/track-processor';
// tfjs-backend-wasm's binaries, served by this app: the processor's worker loads them.
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

const EFFECTS = { blur: () => BackgroundBlur(10), colour: () => BackgroundColour('#00b140'), none: () => NoEffect() };
const start = document.querySelector('#start');
const effect = document.querySelector('#effect');
const status = document.querySelector('#status');
const video = document.querySelector('#call');

const processor = new BackgroundProcessor({
  wasmPaths: { 'tfjs-backend-wasm.wasm': plain, 'tfjs-backend-wasm-simd.wasm': simd, 'tfjs-backend-wasm-threaded-simd.wasm': threaded },
  effect: EFFECTS[effect.value](),
  onError: (e) => (status.textContent = `The background processor stopped: ${e.message}`),
});

start.addEventListener('click', async () => {
  start.disabled = true;
  status.textContent = 'Starting the camera…';
  try {
    const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    // The processed track exists at once (frames flow while the model loads); in a call, publish it instead of the camera's.
    const loaded = processor.init({ track: camera.getVideoTracks()[0] });
    video.srcObject = new MediaStream([processor.processedTrack]);
    await loaded;
    effect.disabled = false;
    status.textContent = `Background hidden (${processor.stats.backend}).`;
  } catch (e) {
    status.textContent = `Could not start: ${e.message}`;
    start.disabled = false;
  }
});

// Switched on the running track: the call never sees a new track.
effect.addEventListener('change', () => processor.setEffect(EFFECTS[effect.value]()));
