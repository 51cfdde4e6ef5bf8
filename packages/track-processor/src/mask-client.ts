/**
 * A client of the mask worker, over the worker itself or a MessagePort to it (the frame worker's
 * way in): one frame in flight at a time (a camera faster than the network drops frames here,
 * never queues them), the newest mask kept for compositing.
 */
import { TrackProcessorError } from './errors.js';
import type { MaskWorkerEngine, MaskWorkerInit, MaskWorkerMask, MaskWorkerReady, MaskWorkerReply, MaskWorkerRequest } from './protocol.js';

/** A Worker or a MessagePort. */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

export class MaskClient {
  /** The newest mask; null until the first arrives (and after reset). */
  latest: MaskWorkerMask | null = null;
  /** Inference time of each mask, newest last (the last 120). */
  readonly inferenceMs: number[] = [];
  masks = 0;
  private inFlight = false;
  private nextId = 0;
  private failure: TrackProcessorError | null = null;
  private whenReady: { resolve(r: MaskWorkerReady): void; reject(e: TrackProcessorError): void } | null = null;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly onError: (error: TrackProcessorError) => void,
    /** The engine trial's news (sent to the endpoint that sent init). */
    private readonly onEngine?: (news: MaskWorkerEngine) => void,
  ) {
    endpoint.onmessage = (event: MessageEvent<MaskWorkerReply>) => {
      const reply = event.data;
      if (reply.type === 'ready') this.whenReady?.resolve(reply);
      else if (reply.type === 'engine') this.onEngine?.(reply);
      else if (reply.type === 'mask') {
        this.inFlight = false;
        this.latest = reply;
        this.masks++;
        this.inferenceMs.push(reply.inferenceMs);
        if (this.inferenceMs.length > 120) this.inferenceMs.shift();
      } else {
        this.inFlight = false;
        const error = new TrackProcessorError(reply.id === null ? `the model did not load in the worker: ${reply.message}` : `the mask worker failed on a frame: ${reply.message}`, 'WORKER');
        if (reply.id === null) this.whenReady?.reject(error);
        this.fail(error);
      }
    };
    if (typeof Worker !== 'undefined' && endpoint instanceof Worker) {
      endpoint.onerror = (event) => {
        event.preventDefault();
        const error = new TrackProcessorError(`the mask worker stopped: ${event.message || 'its script did not load'}`, 'WORKER');
        this.whenReady?.reject(error);
        this.fail(error);
      };
    }
  }

  /** Loads the model in the worker; resolves when it is ready. */
  init(init: Omit<MaskWorkerInit, 'type'>): Promise<MaskWorkerReady> {
    const ready = new Promise<MaskWorkerReady>((resolve, reject) => (this.whenReady = { resolve, reject }));
    this.post({ type: 'init', ...init });
    return ready;
  }

  /** Hands the worker a port of its own (for the frame worker's client). */
  connect(port: MessagePort): void {
    this.post({ type: 'connect', port }, [port]);
  }

  /** Whether a frame would be taken now (none in flight, the model loaded, no failure). */
  get idle(): boolean {
    return !this.inFlight && !this.failure;
  }

  /** Sends `frame` (transferred: the worker closes it) if idle; otherwise closes it. Returns whether it was sent. */
  offer(frame: VideoFrame | ImageBitmap): boolean {
    if (!this.idle) {
      frame.close();
      return false;
    }
    this.inFlight = true;
    this.post({ type: 'frame', id: this.nextId++, frame }, [frame]);
    return true;
  }

  /** Forgets the smoothing history and the newest mask (a new camera, a scene the old mask must not linger on). */
  reset(): void {
    this.latest = null;
    this.post({ type: 'reset' });
  }

  /** Stops listening (and ends the worker, when the endpoint is one). */
  dispose(): void {
    this.endpoint.onmessage = null;
    if (typeof Worker !== 'undefined' && this.endpoint instanceof Worker) this.endpoint.terminate();
    else (this.endpoint as Partial<MessagePort>).close?.();
    this.inFlight = false;
  }

  private fail(error: TrackProcessorError): void {
    if (this.failure) return;
    this.failure = error;
    this.onError(error);
  }

  private post(message: MaskWorkerRequest, transfer: Transferable[] = []): void {
    this.endpoint.postMessage(message, transfer);
  }
}
