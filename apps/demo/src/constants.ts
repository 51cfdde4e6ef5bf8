/** Defaults of the demo, in one place. */
export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** What the backend menu offers: the tfjs backends, and onnxruntime-web for the network (tfjs wasm around it). */
export const ENGINES = [...BACKENDS, 'onnx'] as const;
export type EngineName = (typeof ENGINES)[number];
export const ENGINE_LABELS: Record<EngineName, string> = { webgpu: 'webgpu', webgl: 'webgl', wasm: 'wasm', cpu: 'cpu', onnx: 'onnxruntime-web (wasm)' };
/** Tried in this order when the visitor has not chosen: the fastest that initialises. */
export const AUTO_BACKEND_ORDER: BackendName[] = ['webgl', 'wasm', 'cpu'];
/** How often the live FPS and latency readouts are redrawn. */
export const READOUT_INTERVAL_MS = 500;
export const INPUT_SIZES = [160, 224, 320] as const;
/** 'auto': photos at 224 x 224 (the training's square), landscape camera frames at LANDSCAPE_INPUT. */
export type InputSizeChoice = (typeof INPUT_SIZES)[number] | 'auto';
export const DEFAULT_INPUT_SIZE: InputSizeChoice = 'auto';
export const AUTO_SQUARE_SIZE = 224;
/**
 * [height, width] for 4:3 landscape webcam frames. On 4:3 landscape crops of EG1800 val, person
 * IoU / boundary F: 94.92 / 66.62 at 192 x 256 against 93.46 / 61.74 stretched to 224 x 224 and
 * 92.57 / 54.06 letterboxed (the model's README has the table), at about the same cost.
 */
export const LANDSCAPE_INPUT: [number, number] = [192, 256];
export const DEFAULT_BLUR_PX = 12;
export const DEFAULT_BACKGROUND_COLOUR = '#2f6f4f';
export const CAMERA_CONSTRAINTS: MediaStreamConstraints = { video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false };

export const BAND_KERNELS = [5, 15] as const;

/** localStorage: the camera engine that won its timing here, per input size ("224x224": "tfjs-wasm"). */
export const CAMERA_ENGINE_STORAGE_KEY = 'sinet-demo:camera-engine';
