/**
 * The SINet.js demo: live camera segmentation, photo cut-outs, the network's insides, the
 * augmentation playground and fine-tuning, all on the visitor's device.
 */
import * as tf from '@sinet/layers/tfjs';
import { PRESET_NAMES } from '@sinet/augment';
import { AUTO_SQUARE_SIZE, BAND_KERNELS, DEFAULT_INPUT_SIZE, ENGINE_LABELS, ENGINES, INPUT_SIZES, LANDSCAPE_INPUT, type EngineName, type InputSizeChoice } from './constants';
import { backendAvailable, describeBackend, probeWebgpu, useBackend, useBestBackend } from './engine/backends';
import { disposeSized, fetchBundledModel, instantiate, readModelFiles, realtimeModel, sizeModel } from './engine/model-source';
import { drawHeatmap } from './engine/heatmap';
import { onnxRuntimeThreads, onnxRuntimeWeb } from './engine/onnx';
import { byId, onFiles, setStatus, setUpTabs, showError } from './ui/dom';
import { LiveView } from './ui/live';
import { PhotoView } from './ui/photo';
import { PlaygroundView } from './ui/playground';
import { FineTuneView } from './ui/finetune';
import type { AppState } from './state';
import { loadSegmenter } from '@sinet/model';
import { modelFilesOf } from '@sinet/model/files';
import './styles.css';

const state: AppState = { source: null, base: null, sized: null, liveSized: null, liveFiles: null, inputSize: DEFAULT_INPUT_SIZE, backend: null, runtime: 'tfjs' };
const listeners: (() => void)[] = [];
const onModelChange = (fn: () => void) => listeners.push(fn);

const backendSelect = byId<HTMLSelectElement>('backend');
const sizeSelect = byId<HTMLSelectElement>('input-size');

/** Serialises engine changes: a backend switch waits for the frame in flight. */
let engineBusy: Promise<void> = Promise.resolve();
function engineTask(task: () => Promise<void>): Promise<void> {
  engineBusy = engineBusy.then(task, task).catch((e: Error) => showError(e.message));
  return engineBusy;
}

const live = new LiveView(
  () => (state.liveFiles ? { files: state.liveFiles, inputSize: liveInputSize } : null),
  (landscape) => (landscape ? state.liveSized : state.sized),
);

/** The camera's input size: 'auto' runs landscape frames at LANDSCAPE_INPUT, portrait ones square. */
function liveInputSize(landscape: boolean): [number, number] {
  const square = state.inputSize === 'auto' ? AUTO_SQUARE_SIZE : state.inputSize;
  return state.inputSize === 'auto' && landscape ? LANDSCAPE_INPUT : [square, square];
}
const photo = new PhotoView(() => state.sized, live, engineTask);
const playground = new PlaygroundView(photo);
const finetune = new FineTuneView(() => state, photo, () => rebuildSized(), engineTask);

/** Resolves once no engine task runs or waits, including those queued meanwhile. */
async function whenIdle(): Promise<void> {
  let seen: Promise<void>;
  do {
    seen = engineBusy;
    await seen;
  } while (seen !== engineBusy);
}

function disposeAllSized(): void {
  if (state.liveSized !== state.sized) disposeSized(state.liveSized);
  disposeSized(state.sized);
  state.sized = null;
  state.liveSized = null;
}

async function rebuildSized(): Promise<void> {
  await live.holdPageEngine();
  disposeAllSized();
  if (state.base) {
    const square = state.inputSize === 'auto' ? AUTO_SQUARE_SIZE : state.inputSize;
    state.sized = await sizeModel(state.base, [square, square], state.runtime);
    state.liveSized = state.inputSize === 'auto' ? await sizeModel(state.base, LANDSCAPE_INPUT, state.runtime) : state.sized;
    // The first inference compiles kernels (seconds on some backends): done now, visibly, not on the first camera frame.
    setStatus(`preparing the model on ${state.runtime === 'onnx' ? 'onnxruntime-web' : state.backend}…`);
    for (const sized of new Set([state.sized, state.liveSized])) await sized.segmenter.segment({ data: new Uint8ClampedArray(32 * 32 * 4), width: 32, height: 32 });
    // The camera's processor runs the same weights in its worker (fine-tuned ones included): their files cross to it.
    state.liveFiles = await modelFilesOf(state.base, state.source?.name ?? 'the loaded model');
    setStatus('Ready: start the camera or choose a photo.');
  } else state.liveFiles = null;
  listeners.forEach((fn) => fn());
  live.releasePageEngine();
  await live.modelChanged();
}

/** Re-creates the model on the active backend from the kept artifacts. */
async function reloadModel(): Promise<void> {
  await live.holdPageEngine();
  disposeAllSized();
  state.base?.dispose();
  state.base = null;
  if (state.source) state.base = await instantiate(state.source);
  finetune.forget();
  finetune.describeEngine(state.backend, state.runtime);
  await rebuildSized();
  byId('model-name').textContent = state.source?.name ?? 'no model';
}

async function switchBackend(name: EngineName | 'auto'): Promise<void> {
  await live.holdPageEngine();
  // Tensors belong to a backend: free them all before the switch, rebuild after.
  disposeAllSized();
  state.base?.dispose();
  state.base = null;
  const skipped: string[] = [];
  // onnxruntime-web runs the network; tfjs on wasm does the rest (preprocessing, heat maps, compositing, fine-tuning).
  state.runtime = name === 'onnx' ? 'onnx' : 'tfjs';
  try {
    state.backend = name === 'auto' ? await useBestBackend(undefined, (n, why) => skipped.push(`${n}: ${why}`)) : await useBackend(name === 'onnx' ? 'wasm' : name);
  } catch (e) {
    showError(`${(e as Error).message}; falling back to wasm`);
    state.backend = await useBestBackend(['wasm', 'cpu']);
  }
  backendSelect.value = state.runtime === 'onnx' ? 'onnx' : state.backend;
  byId('backend-active').textContent = `active: ${state.runtime === 'onnx' ? `onnxruntime-web (wasm, ${onnxRuntimeThreads()} thread${onnxRuntimeThreads() === 1 ? '' : 's'}) for the network, tfjs ` : ''}${await describeBackend()}`;
  await reloadModel();
  // Say why the page runs on what it does (no WebGL, or only a software one: wasm on the CPU).
  if (skipped.length) setStatus(`not used here (${skipped.join('; ')}); using ${state.backend}`);
}

function parseSizeChoice(value: string | null): InputSizeChoice | null {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  return (INPUT_SIZES as readonly number[]).includes(n) ? (n as InputSizeChoice) : null;
}

function fillSelects(): void {
  for (const name of ENGINES) {
    const available = name === 'onnx' ? backendAvailable('wasm') : backendAvailable(name);
    const option = new Option(ENGINE_LABELS[name] + (available ? '' : name === 'webgpu' ? ' (no adapter)' : ' (unavailable)'), name);
    option.disabled = !available;
    backendSelect.add(option);
  }
  const choices: [InputSizeChoice, string][] = [['auto', `auto (photos ${AUTO_SQUARE_SIZE} × ${AUTO_SQUARE_SIZE}, landscape camera ${LANDSCAPE_INPUT[0]} × ${LANDSCAPE_INPUT[1]})`], ...INPUT_SIZES.map((n): [InputSizeChoice, string] => [n, `${n} × ${n}`])];
  for (const [value, label] of choices) sizeSelect.add(new Option(label, String(value), value === DEFAULT_INPUT_SIZE, value === DEFAULT_INPUT_SIZE));
  const presets = byId<HTMLSelectElement>('augment-preset');
  for (const name of PRESET_NAMES) presets.add(new Option(name, name));
  const kernels = byId<HTMLSelectElement>('band-kernel');
  for (const k of BAND_KERNELS) kernels.add(new Option(`${k} × ${k}`, String(k)));
}

async function start(): Promise<void> {
  await probeWebgpu();
  fillSelects();
  // The heat maps' colour scale, from 0 to 1.
  drawHeatmap(byId<HTMLCanvasElement>('heat-legend'), Float32Array.from({ length: 256 }, (_, i) => i / 255), 256, 1);
  setUpTabs((panel) => {
    if (panel !== 'panel-live') live.pause();
    else live.resume();
    if (panel === 'panel-playground') void playground.render();
  });
  backendSelect.addEventListener('change', () => void engineTask(() => switchBackend(backendSelect.value as EngineName)));
  sizeSelect.addEventListener('change', () =>
    void engineTask(async () => {
      state.inputSize = parseSizeChoice(sizeSelect.value) ?? DEFAULT_INPUT_SIZE;
      await rebuildSized();
      setStatus(`input size ${state.inputSize === 'auto' ? 'auto' : `${state.inputSize} × ${state.inputSize}`}`);
    }),
  );
  onFiles(
    byId<HTMLInputElement>('model-files'),
    (files) =>
    void engineTask(async () => {
      const source = await readModelFiles(files);
      state.source = source;
      await reloadModel();
      showError(null);
      setStatus(`loaded ${source.name}`);
    }),
    byId('model-drop'),
  );
  onModelChange(() => void photo.refresh());

  const params = new URLSearchParams(location.search);
  const wanted = (params.get('backend') as EngineName | null) ?? 'auto';
  const size = parseSizeChoice(params.get('size'));
  if (size !== null) {
    state.inputSize = size;
    sizeSelect.value = String(size);
  }
  await engineTask(async () => {
    setStatus('loading the model…');
    try {
      state.source = await fetchBundledModel();
    } catch (e) {
      showError(`${(e as Error).message}. Load a converted model folder (model.json and its .bin files) above.`);
    }
    await switchBackend(wanted === 'auto' || ENGINES.includes(wanted) ? wanted : 'auto');
    if (!state.sized) setStatus('no model loaded');
  });
  document.body.dataset.ready = 'true';
}

window.addEventListener('error', (e) => showError(`unexpected error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showError(`unexpected error: ${(e.reason as Error)?.message ?? String(e.reason)}`));

// For tests and the curious: the engine, its tensor count, what the views produced, and the
// library's loadSegmenter with the model the demo bundles (realtimeModel).
(window as unknown as { sinetDemo: unknown }).sinetDemo = {
  tf,
  loadSegmenter,
  realtimeModel,
  onnxRuntimeWeb,
  state,
  live,
  photo,
  finetune,
  whenIdle,
};

void start();
