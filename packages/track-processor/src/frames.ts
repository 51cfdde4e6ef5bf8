/**
 * Where frames come from and go to: insertable streams (MediaStreamTrackProcessor and
 * MediaStreamTrackGenerator, Chromium), whose streams cross to the frame worker, or elsewhere a
 * <video> playing the track drawn into a canvas whose captureStream() is the output. Either way
 * one callback per camera frame draws the output, so it keeps the camera's frame rate whatever
 * the network's.
 */
import { TrackProcessorError } from './errors.js';
import type { CameraFrame } from './render/compositor.js';

export type PipelineKind = 'insertable-streams' | 'canvas-capture';

/** Chromium's insertable streams for MediaStreamTrack (not in TypeScript's DOM types). */
interface InsertableStreams {
  MediaStreamTrackProcessor: new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> };
  MediaStreamTrackGenerator: new (init: { kind: 'video' }) => MediaStreamTrack & { writable: WritableStream<VideoFrame> };
}

export function insertableStreams(): InsertableStreams | null {
  const g = globalThis as unknown as Partial<InsertableStreams>;
  return typeof g.MediaStreamTrackProcessor === 'function' && typeof g.MediaStreamTrackGenerator === 'function' && typeof VideoFrame === 'function' ? (g as InsertableStreams) : null;
}

export function canvasCapture(): boolean {
  return typeof HTMLCanvasElement !== 'undefined' && typeof HTMLCanvasElement.prototype.captureStream === 'function';
}

/** Called per camera frame: draw the output on `canvas` (the frame is valid only during the call); false: nothing drawn. */
export type DrawFrame = (frame: CameraFrame, width: number, height: number) => boolean | void;

/** The camera's frames as a stream, and the processed track fed by a writable stream (both transferable to a worker). */
export function openInsertableStreams(streams: InsertableStreams, track: MediaStreamTrack): { readable: ReadableStream<VideoFrame>; writable: WritableStream<VideoFrame>; output: MediaStreamTrack } {
  const processor = new streams.MediaStreamTrackProcessor({ track });
  const generator = new streams.MediaStreamTrackGenerator({ kind: 'video' });
  return { readable: processor.readable, writable: generator.writable, output: generator };
}

/** Pipes camera frames through `draw` into the output, each drawn frame a new VideoFrame of `canvas`. Returns a stop function. */
export function pipeFrames(readable: ReadableStream<VideoFrame>, writable: WritableStream<VideoFrame>, canvas: OffscreenCanvas, draw: DrawFrame, onError: (e: unknown) => void): () => void {
  const abort = new AbortController();
  const transform = new TransformStream<VideoFrame, VideoFrame>({
    transform(frame, controller) {
      try {
        // Nothing drawn (a lost WebGL context): the camera's frame goes out as it is, never a stale canvas.
        const drawn = draw(frame, frame.displayWidth, frame.displayHeight) !== false;
        controller.enqueue(drawn ? new VideoFrame(canvas, { timestamp: frame.timestamp, alpha: 'keep' }) : frame.clone());
      } finally {
        frame.close();
      }
    },
  });
  readable
    .pipeThrough(transform, { signal: abort.signal })
    .pipeTo(writable, { signal: abort.signal })
    .catch((e: unknown) => {
      if (!abort.signal.aborted) onError(e);
    });
  return () => abort.abort();
}

/** The page's fallback: a <video> of the track drawn into `canvas` per frame; returns the canvas's track and a stop function. */
export function startCanvasCapture(track: MediaStreamTrack, canvas: HTMLCanvasElement, draw: DrawFrame, onError: (e: unknown) => void): { output: MediaStreamTrack; stop(): void } {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  const frameRate = track.getSettings().frameRate;
  const output = canvas.captureStream(frameRate && frameRate > 0 ? frameRate : 30).getVideoTracks()[0];
  if (!output) throw new TrackProcessorError('canvas.captureStream() gave no video track', 'UNSUPPORTED');
  let stopped = false;
  const perFrame = typeof video.requestVideoFrameCallback === 'function';
  const next = () => {
    if (stopped) return;
    if (perFrame) video.requestVideoFrameCallback(tick);
    else requestAnimationFrame(tick);
  };
  const tick = () => {
    if (stopped) return;
    try {
      if (video.videoWidth > 0) draw(video, video.videoWidth, video.videoHeight);
    } catch (e) {
      onError(e);
    }
    next();
  };
  video.play().then(next, (e: unknown) => onError(new TrackProcessorError(`the camera track did not play: ${(e as Error)?.message ?? e}`, 'STATE')));
  return {
    output,
    stop() {
      stopped = true;
      video.pause();
      video.srcObject = null;
      output.stop();
    },
  };
}
