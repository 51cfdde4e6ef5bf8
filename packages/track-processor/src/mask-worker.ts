/**
 * The processor's Worker: loads the model on tfjs-backend-wasm (and onnxruntime-web where it is
 * asked for or wins 'auto''s trial, see engine-choice.ts) and turns frames into smoothed person
 * masks, off the page's main thread. Bundlers pick it up from the processor's
 * `new Worker(new URL('./mask-worker.js', import.meta.url), { type: 'module' })`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadSegmenter, Segmenter, VideoSegmenter, type VideoSegmenterOptions } from '@sinet/model';
import { buildModel } from '@sinet/model/files';
import type { OnnxRuntimeModule } from '@sinet/model/onnx';
import { fasterEngine, onnxWorthTrying, TrialWindow, type EngineName, type EngineTrialResult, type OnnxRuntimeUrls } from './engine-choice.js';
import { TrackProcessorError } from './errors.js';
import type { MaskWorkerInit, MaskWorkerReply, MaskWorkerRequest } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<MaskWorkerRequest>) => void) | null;
  postMessage(message: MaskWorkerReply, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

const ONNX_BACKEND = 'onnxruntime-web (wasm SIMD, 1 thread)';

/** The network on each loaded engine (sharing one model's weights), and the one that runs now. */
const engines: Partial<Record<EngineName, { video: VideoSegmenter; backend: string }>> = {};
let active: EngineName = 'tfjs-wasm';
/** 'auto''s trial while it runs: the window timing the active engine (null while onnxruntime-web loads). */
let trial: { window: TrialWindow | null; result: EngineTrialResult; onnxRuntime: OnnxRuntimeUrls; videoOptions: VideoSegmenterOptions; announce: (m: MaskWorkerReply) => void } | null = null;
let reader: OffscreenCanvasRenderingContext2D | null = null;
let size: [number, number] = [0, 0];

async function init(message: MaskWorkerInit, announce: (m: MaskWorkerReply) => void): Promise<MaskWorkerReply> {
  setWasmPaths(message.wasmPaths);
  if (!(await tf.setBackend('wasm'))) throw new TrackProcessorError('tfjs-backend-wasm did not initialise (are wasmPaths right?)', 'UNSUPPORTED');
  await tf.ready();
  const options = message.inputSize ? { inputSize: message.inputSize } : {};
  // Files from the page (a picked or fine-tuned model) pass the same checks as fetched ones.
  const segmenter = 'files' in message.model ? await loadSegmenter(await buildModel(message.model.files, { requireSINet: true }), options) : await loadSegmenter(message.model, options);
  const videoOptions: VideoSegmenterOptions = { smoothing: message.smoothing, motionLevels: message.motionLevels };
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT').catch(() => false));
  engines['tfjs-wasm'] = { video: new VideoSegmenter(segmenter, videoOptions), backend: `wasm (${simd ? 'SIMD' : 'no SIMD'}, 1 thread)` };
  active = 'tfjs-wasm';
  if (message.engine === 'onnxruntime-web') {
    engines['onnxruntime-web'] = { video: await onnxEngine(segmenter, message.onnxRuntime!, videoOptions), backend: ONNX_BACKEND };
    active = 'onnxruntime-web';
  } else if (message.engine === 'auto' && message.onnxRuntime) {
    trial = { window: new TrialWindow('tfjs-wasm'), result: { medianMs: {}, decided: false, reason: null }, onnxRuntime: message.onnxRuntime, videoOptions, announce };
  }
  size = segmenter.inputSize;
  const canvas = new OffscreenCanvas(size[1], size[0]);
  reader = canvas.getContext('2d', { willReadFrequently: true });
  if (!reader) throw new TrackProcessorError('this browser gives workers no 2D OffscreenCanvas', 'UNSUPPORTED');
  return { type: 'ready', backend: engines[active]!.backend, engine: active, inputSize: size };
}

/** onnxruntime-web running `base`'s network (exported to ONNX in memory); pre- and post-processing stay on tfjs. */
async function onnxEngine(base: Segmenter, urls: OnnxRuntimeUrls, options: VideoSegmenterOptions): Promise<VideoSegmenter> {
  let ort: OnnxRuntimeModule & { env: { wasm: { wasmPaths?: unknown; numThreads?: number } } };
  try {
    const loaded = (await import(/* @vite-ignore */ urls.module)) as typeof ort & { default?: typeof ort };
    ort = loaded.InferenceSession ? loaded : loaded.default!;
    ort.env.wasm.wasmPaths = { wasm: urls.wasm };
    // One thread, as tfjs here: the camera's pipeline and the page need the other cores.
    ort.env.wasm.numThreads = 1;
  } catch (e) {
    throw new TrackProcessorError(`onnxruntime-web did not load from ${urls.module}: ${(e as Error)?.message ?? e}`, 'UNSUPPORTED');
  }
  // The exporter (and protobufjs) load only with onnxruntime-web.
  const { createOnnxRunner } = await import('@sinet/model/onnx');
  return new VideoSegmenter(new Segmenter(base.model, { runner: await createOnnxRunner(base.model, ort) }), options);
}

/** One mask's time on `engine` for the trial; at each window's end, the trial's next step. */
function advanceTrial(engine: EngineName, ms: number): void {
  const t = trial;
  if (!t || t.window?.engine !== engine) return;
  const median = t.window.record(ms);
  if (median === null) return;
  t.result.medianMs[engine] = median;
  const finish = (winner: EngineName, reason: string) => {
    if (winner !== 'onnxruntime-web' && engines['onnxruntime-web']) {
      // Its session (a second copy of the network) is released; the model stays tfjs's.
      engines['onnxruntime-web'].video.segmenter.dispose();
      delete engines['onnxruntime-web'];
    }
    active = winner;
    trial = null;
    t.result.decided = true;
    t.result.reason = reason;
    t.announce({ type: 'engine', engine: winner, backend: engines[winner]!.backend, trial: t.result });
  };
  const ms1 = (v: number) => `${v.toFixed(1)} ms`;
  if (engine === 'tfjs-wasm') {
    if (!onnxWorthTrying(median)) return finish('tfjs-wasm', `tfjs-wasm is fast enough here (${ms1(median)} a mask): onnxruntime-web was not loaded`);
    t.window = null;
    t.announce({ type: 'engine', engine: 'tfjs-wasm', backend: engines['tfjs-wasm']!.backend, trial: t.result });
    onnxEngine(engines['tfjs-wasm']!.video.segmenter, t.onnxRuntime, t.videoOptions).then(
      (video) => {
        if (trial !== t) return video.segmenter.dispose();
        engines['onnxruntime-web'] = { video, backend: ONNX_BACKEND };
        active = 'onnxruntime-web';
        t.window = new TrialWindow('onnxruntime-web');
      },
      (e: unknown) => finish('tfjs-wasm', (e as Error)?.message ?? String(e)),
    );
    return;
  }
  const times = t.result.medianMs as Record<EngineName, number>;
  const winner = fasterEngine(times);
  finish(winner, `${winner} is faster here: onnxruntime-web ${ms1(times['onnxruntime-web'])} a mask, tfjs-wasm ${ms1(times['tfjs-wasm'])}`);
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
  const engine = active;
  const networkStarted = performance.now();
  const result = await engines[engine]!.video.segmentFrame({ data: pixels.data, width, height, channels: 4 });
  advanceTrial(engine, performance.now() - networkStarted);
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
        if (message.type === 'init') endpoint.postMessage(await init(message, (m) => endpoint.postMessage(m)));
        else if (message.type === 'reset') for (const e of Object.values(engines)) e.video.reset();
        else if (!engines[active]) {
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
