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
export const DEFAULT_INPUT_SIZE = 224;
export const DEFAULT_BLUR_PX = 12;
export const DEFAULT_BACKGROUND_COLOUR = '#2f6f4f';
export const CAMERA_CONSTRAINTS: MediaStreamConstraints = { video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false };
export const AUGMENT_PRESET_NAMES = ['sinetOfficial', 'sinetBlog', 'portraitNet'] as const;
export const BAND_KERNELS = [5, 15] as const;
