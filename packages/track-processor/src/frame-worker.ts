/**
 * The processor's frame worker (insertable streams): the camera's frames arrive as a stream,
 * are composited on an OffscreenCanvas (WebGL2 or 2D) with the newest mask from the mask
 * worker (over a MessagePort of its own), and leave as the processed track's stream. The page's
 * main thread does no per-frame work.
 */
import { TrackProcessorError } from './errors.js';
import { FrameRenderer, makeCompositor } from './frame-renderer.js';
import { pipeFrames } from './frames.js';
import { MaskClient } from './mask-client.js';
import type { FrameWorkerReply, FrameWorkerRequest } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<FrameWorkerRequest>) => void) | null;
  postMessage(message: FrameWorkerReply): void;
}
const scope = globalThis as unknown as WorkerScope;

/** How often the page hears the counters. */
const STATS_INTERVAL_MS = 250;

let renderer: FrameRenderer | null = null;
let stopPipe: (() => void) | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

function fail(e: unknown): void {
  if (renderer) renderer.passThrough = true;
  const error = e instanceof TrackProcessorError ? e : new TrackProcessorError(`the frame pipeline failed: ${(e as Error)?.message ?? e}`, 'STATE');
  scope.postMessage({ type: 'error', message: error.message, code: error.code });
}

scope.onmessage = (event) => {
  const message = event.data;
  try {
    if (message.type === 'start') {
      const masks = new MaskClient(message.maskPort as unknown as ConstructorParameters<typeof MaskClient>[0], fail);
      renderer = new FrameRenderer(makeCompositor(() => new OffscreenCanvas(1, 1), message.renderer), masks, message.effect, message.inputSize);
      const r = renderer;
      stopPipe = pipeFrames(message.readable, message.writable, r.compositor.canvas as OffscreenCanvas, (frame, width, height) => r.draw(frame, width, height), fail);
      timer = setInterval(() => scope.postMessage({ type: 'stats', stats: r.stats }), STATS_INTERVAL_MS);
      scope.postMessage({ type: 'stats', stats: r.stats });
    } else if (message.type === 'effect') {
      if (renderer) renderer.effect = message.effect;
    } else {
      stopPipe?.();
      if (timer) clearInterval(timer);
      renderer?.dispose();
      renderer = null;
    }
  } catch (e) {
    fail(e);
  }
};
