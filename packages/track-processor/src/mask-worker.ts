/**
 * The processor's Worker: loads the model on tfjs-backend-wasm and turns frames into smoothed
 * person masks, off the page's main thread. Bundlers pick it up from the processor's
 * `new Worker(new URL('./mask-worker.js', import.meta.url), { type: 'module' })`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadSegmenter, VideoSegmenter } from '@sinet/model';
import { buildModel } from '@sinet/model/files';
import { TrackProcessorError } from './errors.js';
import type { MaskWorkerReply, MaskWorkerRequest } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<MaskWorkerRequest>) => void) | null;
  postMessage(message: MaskWorkerReply, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

let video: VideoSegmenter | null = null;
let reader: OffscreenCanvasRenderingContext2D | null = null;
let size: [number, number] = [0, 0];

async function init(message: Extract<MaskWorkerRequest, { type: 'init' }>): Promise<MaskWorkerReply> {
  setWasmPaths(message.wasmPaths);
  if (!(await tf.setBackend('wasm'))) throw new TrackProcessorError('tfjs-backend-wasm did not initialise (are wasmPaths right?)', 'UNSUPPORTED');
  await tf.ready();
  const options = message.inputSize ? { inputSize: message.inputSize } : {};
  // Files from the page (a picked or fine-tuned model) pass the same checks as fetched ones.
  const segmenter = 'files' in message.model ? await loadSegmenter(await buildModel(message.model.files, { requireSINet: true }), options) : await loadSegmenter(message.model, options);
  video = new VideoSegmenter(segmenter, { smoothing: message.smoothing, motionLevels: message.motionLevels });
  size = segmenter.inputSize;
  const canvas = new OffscreenCanvas(size[1], size[0]);
  reader = canvas.getContext('2d', { willReadFrequently: true });
  if (!reader) throw new TrackProcessorError('this browser gives workers no 2D OffscreenCanvas', 'UNSUPPORTED');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT').catch(() => false));
  return { type: 'ready', backend: `wasm (${simd ? 'SIMD' : 'no SIMD'}, 1 thread)`, inputSize: size };
}

async function segment(message: Extract<MaskWorkerRequest, { type: 'frame' }>): Promise<MaskWorkerReply> {
  const started = performance.now();
  const [height, width] = size;
  try {
    reader!.drawImage(message.frame, 0, 0, width, height);
  } finally {
    message.frame.close();
  }
  const pixels = reader!.getImageData(0, 0, width, height);
  const result = await video!.segmentFrame({ data: pixels.data, width, height, channels: 4 });
  const alpha = new Uint8Array(result.probabilities.length);
  for (let i = 0; i < alpha.length; i++) alpha[i] = Math.round(result.probabilities[i]! * 255);
  return { type: 'mask', id: message.id, alpha, width: result.width, height: result.height, inferenceMs: performance.now() - started };
}

// One message at a time, in order, from every endpoint: a frame never overtakes init.
let queue: Promise<void> = Promise.resolve();
function serve(endpoint: Pick<WorkerScope, 'onmessage' | 'postMessage'>): void {
  endpoint.onmessage = (event) => {
    const message = event.data;
    if (message.type === 'connect') {
      message.port.start();
      serve(message.port as unknown as WorkerScope);
      return;
    }
    queue = queue.then(async () => {
      try {
        if (message.type === 'init') endpoint.postMessage(await init(message));
        else if (message.type === 'reset') video?.reset();
        else if (!video) {
          message.frame.close();
          endpoint.postMessage({ type: 'error', id: message.id, message: 'a frame before the model was loaded' });
        } else {
          const reply = await segment(message);
          endpoint.postMessage(reply, reply.type === 'mask' ? [reply.alpha.buffer] : []);
        }
      } catch (e) {
        endpoint.postMessage({ type: 'error', id: message.type === 'frame' ? message.id : null, message: (e as Error)?.message ?? String(e) });
      }
    });
  };
}
serve(scope);
