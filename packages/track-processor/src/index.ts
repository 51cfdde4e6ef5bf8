/**
 * @sinet/track-processor: background blur and replacement for camera tracks (browser only).
 *
 *   const processor = new BackgroundProcessor({ wasmPaths, effect: BackgroundBlur(10) });
 *   await processor.init({ track: camera.getVideoTracks()[0] });
 *   video.srcObject = new MediaStream([processor.processedTrack!]);
 *   await processor.setEffect(VirtualBackground(image));
 */
export { BackgroundProcessor, DEFAULT_PROCESSOR_SMOOTHING, type BackgroundProcessorOptions, type ProcessorInit, type ProcessorStats } from './processor.js';
export type { RendererKind } from './frame-renderer.js';
export { ENGINE_FAST_ENOUGH_MS, ENGINE_MIN_SPEEDUP, type EngineChoice, type EngineName, type EngineTrialResult, type OnnxRuntimeUrls } from './engine-choice.js';
export { BackgroundBlur, BackgroundColour, DEFAULT_BLUR_STRENGTH, MAX_BLUR_STRENGTH, NoEffect, TransparentBackground, VirtualBackground, type BackgroundEffect, type BackgroundImage, type EffectKind } from './effects.js';
export { TrackProcessorError, type TrackProcessorErrorCode } from './errors.js';
export type { PipelineKind } from './frames.js';
