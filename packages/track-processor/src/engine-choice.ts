/**
 * Which runtime runs the network in the mask worker. tfjs-backend-wasm always loads (it also does
 * the pre- and post-processing); onnxruntime-web is a second runtime for the network alone, often
 * faster on CPUs, but 14 MB of wasm: 'auto' times tfjs on the camera's own frames first and loads
 * onnxruntime-web only when tfjs is slow enough for it to matter, then keeps whichever was faster.
 */
export type EngineName = 'tfjs-wasm' | 'onnxruntime-web';
export type EngineChoice = EngineName | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'tfjs-wasm', 'onnxruntime-web'];

/** Masks an engine makes before its timing counts (kernel compilation, session start, caches). */
export const ENGINE_TRIAL_WARMUP = 3;
/** Masks timed per engine; the median decides. */
export const ENGINE_TRIAL_MASKS = 10;
/** At or below this median on tfjs, onnxruntime-web is not loaded: masks already come at 80 per second. */
export const ENGINE_FAST_ENOUGH_MS = 12;
/** onnxruntime-web replaces tfjs only this many times faster: below, the gain is within the noise of a trial. */
export const ENGINE_MIN_SPEEDUP = 1.1;

/** Where the worker loads onnxruntime-web from (the page's bundler gives both with `?url`). */
export interface OnnxRuntimeUrls {
  /** onnxruntime-web's self-contained wasm build, `onnxruntime-web/wasm` (dist/ort.wasm.bundle.min.mjs). */
  module: string;
  /** Its binary, `onnxruntime-web/ort-wasm-simd-threaded.wasm`. */
  wasm: string;
}

/** What 'auto' measured: each engine's median milliseconds a mask on the camera's frames. */
export interface EngineTrialResult {
  medianMs: Partial<Record<EngineName, number>>;
  /** Whether the trial has ended (the engine no longer changes). */
  decided: boolean;
  /** Why the trial ended as it did, in words. */
  reason: string | null;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Collects one engine's mask times: the first ENGINE_TRIAL_WARMUP are dropped, then ENGINE_TRIAL_MASKS are kept. */
export class TrialWindow {
  private seen = 0;
  private readonly kept: number[] = [];

  constructor(readonly engine: EngineName) {}

  /** Adds one mask's milliseconds; returns the median once the window is full, else null. */
  record(ms: number): number | null {
    if (this.seen++ < ENGINE_TRIAL_WARMUP || this.kept.length >= ENGINE_TRIAL_MASKS) return null;
    this.kept.push(ms);
    return this.kept.length === ENGINE_TRIAL_MASKS ? median(this.kept) : null;
  }
}

/** Whether tfjs is slow enough (its trial median) for onnxruntime-web to be worth loading. */
export const onnxWorthTrying = (tfjsMs: number): boolean => tfjsMs > ENGINE_FAST_ENOUGH_MS;

/** The engine to keep after both trials. */
export function fasterEngine(medianMs: Record<EngineName, number>): EngineName {
  return medianMs['onnxruntime-web'] * ENGINE_MIN_SPEEDUP <= medianMs['tfjs-wasm'] ? 'onnxruntime-web' : 'tfjs-wasm';
}
