import { describe, expect, it } from 'vitest';
import { ENGINE_FAST_ENOUGH_MS, ENGINE_MIN_SPEEDUP, ENGINE_TRIAL_MASKS, ENGINE_TRIAL_WARMUP, fasterEngine, onnxWorthTrying, TrialWindow } from './engine-choice.js';
import { TrackProcessorError } from './errors.js';
import { BackgroundProcessor } from './processor.js';

describe("'auto''s engine trial", () => {
  it('drops the warm-up masks, then gives the median of the timed ones once, when the window fills', () => {
    const window = new TrialWindow('tfjs-wasm');
    // Warm-up masks (a first run compiles kernels: slow) must not count.
    for (let i = 0; i < ENGINE_TRIAL_WARMUP; i++) expect(window.record(500)).toBeNull();
    // Timed: 1, 2, ..., 10 ms in a shuffled order; the median of 1..10 is 5.5.
    const timed = [7, 2, 10, 4, 1, 9, 3, 8, 6, 5];
    expect(timed).toHaveLength(ENGINE_TRIAL_MASKS);
    const results = timed.map((ms) => window.record(ms));
    expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
    expect(results.at(-1)).toBe(5.5);
    // Full: later masks change nothing.
    expect(window.record(1000)).toBeNull();
  });

  it('loads onnxruntime-web only when tfjs is slower than the threshold', () => {
    expect(onnxWorthTrying(ENGINE_FAST_ENOUGH_MS)).toBe(false);
    expect(onnxWorthTrying(ENGINE_FAST_ENOUGH_MS + 0.1)).toBe(true);
  });

  it('keeps onnxruntime-web only when it is at least ENGINE_MIN_SPEEDUP times faster', () => {
    expect(fasterEngine({ 'tfjs-wasm': 60, 'onnxruntime-web': 20 })).toBe('onnxruntime-web');
    expect(fasterEngine({ 'tfjs-wasm': 60, 'onnxruntime-web': 60 / ENGINE_MIN_SPEEDUP })).toBe('onnxruntime-web');
    expect(fasterEngine({ 'tfjs-wasm': 60, 'onnxruntime-web': 58 })).toBe('tfjs-wasm');
    expect(fasterEngine({ 'tfjs-wasm': 20, 'onnxruntime-web': 60 })).toBe('tfjs-wasm');
  });
});

describe('BackgroundProcessor engine options', () => {
  const wasmPaths = '/wasm/';
  const refused = (options: Record<string, unknown>): TrackProcessorError => {
    try {
      new BackgroundProcessor({ wasmPaths, ...options } as ConstructorParameters<typeof BackgroundProcessor>[0]);
    } catch (e) {
      expect(e).toBeInstanceOf(TrackProcessorError);
      return e as TrackProcessorError;
    }
    throw new Error('accepted');
  };

  it('refuses an unknown engine, onnxruntime-web without its URLs, and malformed URLs, naming the field', () => {
    expect(refused({ engine: 'webgpu' }).message).toMatch(/^engine: must be one of 'auto', 'tfjs-wasm', 'onnxruntime-web', got "webgpu"/);
    expect(refused({ engine: 'onnxruntime-web' }).message).toMatch(/^engine 'onnxruntime-web' needs onnxRuntime/);
    expect(refused({ onnxRuntime: { module: '/ort.mjs' } }).message).toMatch(/^onnxRuntime: must be \{ module, wasm \}/);
    expect(refused({ onnxRuntime: 'ort.mjs' }).code).toBe('INPUT');
  });

  it('takes each engine choice, with and without onnxRuntime where it is optional', () => {
    const onnxRuntime = { module: '/ort.wasm.bundle.min.mjs', wasm: '/ort-wasm-simd-threaded.wasm' };
    for (const options of [{}, { engine: 'auto' }, { engine: 'tfjs-wasm' }, { engine: 'auto', onnxRuntime }, { engine: 'onnxruntime-web', onnxRuntime }] as const) {
      const processor = new BackgroundProcessor({ wasmPaths, ...options });
      expect(processor.stats).toMatchObject({ engine: null, engineTrial: null, backend: null });
    }
  });
});
