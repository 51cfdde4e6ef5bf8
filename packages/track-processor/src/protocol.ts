import type { ModelFiles } from '@sinet/model';
import type { EngineChoice, EngineName, EngineTrialResult, OnnxRuntimeUrls } from './engine-choice.js';
/** Messages between the processor (main thread), its frame worker and its mask worker. */

export interface MaskWorkerInit {
  type: 'init';
  /** Absolute URLs of the model's files (a worker resolves relative ones against its own script), or the files themselves. */
  model: { modelUrl: string; weightsUrls?: Record<string, string> } | { files: ModelFiles };
  /** tfjs-backend-wasm's .wasm files: a folder URL ending in '/' or a map of file name to URL. */
  wasmPaths: string | Record<string, string>;
  /** [height, width] the network runs at; default the model's own. */
  inputSize?: [number, number];
  smoothing: number;
  /** Default VideoSegmenter's. */
  motionLevels?: number;
  /** 'auto' without `onnxRuntime` runs tfjs alone. */
  engine: EngineChoice;
  onnxRuntime?: OnnxRuntimeUrls;
}

export interface MaskWorkerFrame {
  type: 'frame';
  id: number;
  /** Transferred: the worker closes it. */
  frame: VideoFrame | ImageBitmap;
}

export interface MaskWorkerReset {
  type: 'reset';
}

/** A port the worker also serves (the frame worker's client). */
export interface MaskWorkerConnect {
  type: 'connect';
  port: MessagePort;
}

export type MaskWorkerRequest = MaskWorkerInit | MaskWorkerFrame | MaskWorkerReset | MaskWorkerConnect;

export interface MaskWorkerReady {
  type: 'ready';
  /** e.g. "wasm (SIMD, 1 thread)". */
  backend: string;
  engine: EngineName;
  inputSize: [number, number];
}

/** Sent to the init's endpoint as 'auto''s trial goes: when an engine is timed, and when it ends. */
export interface MaskWorkerEngine {
  type: 'engine';
  engine: EngineName;
  backend: string;
  trial: EngineTrialResult;
}

export interface MaskWorkerMask {
  type: 'mask';
  id: number;
  /** Person alpha 0..255 at width x height, row-major, smoothed over time (transferred). */
  alpha: Uint8Array;
  width: number;
  height: number;
  /** Milliseconds the worker spent on the frame, from reading it to the smoothed mask. */
  inferenceMs: number;
}

export interface MaskWorkerFailure {
  type: 'error';
  /** The frame that failed, or null for init. */
  id: number | null;
  message: string;
}

export type MaskWorkerReply = MaskWorkerReady | MaskWorkerEngine | MaskWorkerMask | MaskWorkerFailure;

/** The frame worker's settings, with the streams it pipes and its port to the mask worker. */
export interface FrameWorkerStart {
  type: 'start';
  readable: ReadableStream<VideoFrame>;
  writable: WritableStream<VideoFrame>;
  maskPort: MessagePort;
  renderer: 'webgl2' | 'canvas2d' | 'auto';
  inputSize?: [number, number];
  effect: WireEffect;
}

/** An effect as it crosses to a worker: images as ImageBitmap or ImageData (both cloneable). */
export type WireEffect = Exclude<import('./effects.js').BackgroundEffect, { kind: 'image' }> | { kind: 'image'; image: ImageBitmap | ImageData };

export interface FrameWorkerEffect {
  type: 'effect';
  effect: WireEffect;
}

export interface FrameWorkerStop {
  type: 'stop';
}

export type FrameWorkerRequest = FrameWorkerStart | FrameWorkerEffect | FrameWorkerStop;

export interface FrameWorkerStats {
  type: 'stats';
  stats: import('./frame-renderer.js').RendererStats;
}

export interface FrameWorkerFailure {
  type: 'error';
  message: string;
  code: import('./errors.js').TrackProcessorErrorCode;
}

export type FrameWorkerReply = FrameWorkerStats | FrameWorkerFailure;
