/**
 * A camera track in, a processed track out: the background blurred, replaced or removed. Shaped
 * as LiveKit's TrackProcessor (name, init, restart, destroy, processedTrack) without depending on
 * LiveKit, so `localTrack.setProcessor(processor)` takes it; any other app uses processedTrack.
 */
import type { ModelFiles, ModelLocation } from '@sinet/model';
import realtimeModel from '@sinet/pretrained/realtime';
import { ENGINE_CHOICES, type EngineChoice, type EngineName, type EngineTrialResult, type OnnxRuntimeUrls } from './engine-choice.js';
import { BackgroundBlur, checkEffect, DEFAULT_BLUR_STRENGTH, type BackgroundEffect } from './effects.js';
import { TrackProcessorError } from './errors.js';
import { FrameRenderer, makeCompositor, type RendererKind, type RendererStats } from './frame-renderer.js';
import { canvasCapture, insertableStreams, openInsertableStreams, startCanvasCapture, type PipelineKind } from './frames.js';
import { MaskClient } from './mask-client.js';
import type { FrameWorkerReply, FrameWorkerRequest, MaskWorkerInit, WireEffect } from './protocol.js';

/** The newest frame's weight in the mask's moving average where the picture is still (moving pixels take the new frame). */
export const DEFAULT_PROCESSOR_SMOOTHING = 0.4;

export interface BackgroundProcessorOptions {
  /** Default BackgroundBlur(). Switch later with setEffect(). */
  effect?: BackgroundEffect;
  /**
   * tfjs-backend-wasm's binaries, which the worker loads: a URL of the folder that holds
   * tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm and tfjs-backend-wasm-threaded-simd.wasm
   * (ending in '/'), or a map from those names to URLs (e.g. from a bundler's `?url` imports).
   */
  wasmPaths: string | Record<string, string>;
  /**
   * A model.json URL, a shipped model's module (`import model from '@sinet/pretrained/realworld-f16'`)
   * or a model's files in memory (`readPickedModelFiles(files)`, or `modelFilesOf(model)` for one
   * fine-tuned in the page, from `@sinet/model/files`); default `@sinet/pretrained/realtime` (the best
   * at 224 x 224, fast enough for a camera), which bundlers therefore copy into the app.
   */
  model?: string | ModelLocation | ModelFiles;
  /** [height, width] the network runs at (multiples of 32); default the model's own. */
  inputSize?: [number, number];
  /** See DEFAULT_PROCESSOR_SMOOTHING; 1 turns smoothing off. */
  smoothing?: number;
  /** Brightness change (0..255) at which a pixel counts as moving: see VideoSegmenterOptions.motionLevels. */
  motionLevels?: number;
  /**
   * Which runtime runs the network in the worker. Default 'auto': tfjs-backend-wasm, and where
   * `onnxRuntime` is given and tfjs is slower than 12 ms a mask, onnxruntime-web is loaded, timed
   * on the same camera and kept if it is at least 1.1x faster (else released); `stats.engineTrial`
   * says what was measured. 'onnxruntime-web' (needs `onnxRuntime`) skips the trial.
   */
  engine?: EngineChoice;
  /** Where onnxruntime-web's files are served: its `onnxruntime-web/wasm` module and `ort-wasm-simd-threaded.wasm` (bundlers: `?url` imports). */
  onnxRuntime?: OnnxRuntimeUrls;
  /** Default 'auto': WebGL2 where the browser has it, else the 2D canvas. */
  renderer?: RendererKind | 'auto';
  /** Default 'auto': insertable streams where the browser has them, else a canvas's captureStream(). */
  pipeline?: PipelineKind | 'auto';
  /** Makes the mask worker; default the package's own (bundlers resolve its `new URL(..., import.meta.url)`). */
  createWorker?: () => Worker;
  /** Called once if a worker or the pipeline fails after init; the output then shows the camera's frames unchanged. */
  onError?: (error: TrackProcessorError) => void;
}

export interface ProcessorInit {
  track: MediaStreamTrack;
}

export interface ProcessorStats {
  pipeline: PipelineKind | null;
  renderer: RendererKind | null;
  /** Where the network runs, e.g. "wasm (SIMD, 1 thread)"; null until the model is loaded. */
  backend: string | null;
  /** The runtime running the network now; under 'auto' it changes at most once, when the trial ends. */
  engine: EngineName | null;
  /** 'auto''s trial of the engines on this camera (null when there is none: no onnxRuntime, or an engine asked for). */
  engineTrial: EngineTrialResult | null;
  framesIn: number;
  framesOut: number;
  masks: number;
  /** Median over the last 120 masks, in the worker. */
  inferenceMs: number | null;
  /** Median time to draw one output frame (in the frame worker, or on the page), over the last 120. */
  drawMs: number | null;
}

function defaultMaskWorker(): Worker {
  return new Worker(new URL('./mask-worker.js', import.meta.url), { type: 'module', name: 'sinet-mask' });
}

function defaultFrameWorker(): Worker {
  return new Worker(new URL('./frame-worker.js', import.meta.url), { type: 'module', name: 'sinet-frames' });
}

/** An effect that can cross to a worker: images become ImageBitmaps (an <img> or a page canvas cannot cross). */
function isCrossable(effect: BackgroundEffect): boolean {
  return effect.kind !== 'image' || effect.image instanceof ImageData || (typeof ImageBitmap !== 'undefined' && effect.image instanceof ImageBitmap);
}

async function wireEffect(effect: BackgroundEffect): Promise<WireEffect> {
  if (isCrossable(effect)) return effect as WireEffect;
  return { kind: 'image', image: await createImageBitmap((effect as { image: ImageBitmapSource }).image) };
}

/** The running pipeline: its kind, output and how to reach its renderer. */
interface Running {
  kind: PipelineKind;
  output: MediaStreamTrack;
  setEffect(effect: BackgroundEffect): Promise<void>;
  stats(): RendererStats | null;
  stop(): void;
}

export class BackgroundProcessor {
  readonly name = 'sinet-background';
  /** The processed track, after init. */
  processedTrack?: MediaStreamTrack;
  private effect: BackgroundEffect;
  private readonly options: BackgroundProcessorOptions;
  private masks: MaskClient | null = null;
  private ready: Promise<void> | null = null;
  private running: Running | null = null;
  private failed = false;
  private backend: string | null = null;
  private engine: EngineName | null = null;
  private engineTrial: EngineTrialResult | null = null;

  constructor(options: BackgroundProcessorOptions) {
    if (!options || (typeof options.wasmPaths !== 'string' && (typeof options.wasmPaths !== 'object' || options.wasmPaths === null))) {
      throw new TrackProcessorError("wasmPaths: the URL of tfjs-backend-wasm's .wasm files (a folder ending in '/', or a map of file name to URL) is required", 'INPUT');
    }
    for (const [field, allowed] of [['renderer', ['auto', 'webgl2', 'canvas2d']], ['pipeline', ['auto', 'insertable-streams', 'canvas-capture']], ['engine', ENGINE_CHOICES]] as const) {
      const value = options[field];
      if (value !== undefined && !(allowed as readonly string[]).includes(value)) throw new TrackProcessorError(`${field}: must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)?.slice(0, 40)}`, 'INPUT');
    }
    const ort = options.onnxRuntime;
    if (ort !== undefined && (typeof ort !== 'object' || ort === null || typeof ort.module !== 'string' || typeof ort.wasm !== 'string')) {
      throw new TrackProcessorError("onnxRuntime: must be { module, wasm }, the URLs of onnxruntime-web's 'onnxruntime-web/wasm' module and its ort-wasm-simd-threaded.wasm", 'INPUT');
    }
    if (options.engine === 'onnxruntime-web' && !ort) throw new TrackProcessorError("engine 'onnxruntime-web' needs onnxRuntime: the URLs of its module and .wasm", 'INPUT');
    this.options = options;
    this.effect = checkEffect(options.effect ?? BackgroundBlur());
  }

  /** Starts processing `track`; resolves when the model is loaded (frames flow before, with the whole frame as background). */
  async init({ track }: ProcessorInit): Promise<void> {
    if (this.running) throw new TrackProcessorError('init: already processing a track; use restart() for another', 'STATE');
    this.checkTrack(track);
    const ready = this.loadModel();
    // Set before the first await: the output track exists (and can be attached) while the model loads.
    this.running = this.start(track);
    this.processedTrack = this.running.output;
    await ready;
  }

  /** Processes another track (a camera switch), keeping the workers' model. */
  async restart({ track }: ProcessorInit): Promise<void> {
    this.checkTrack(track);
    this.stopRunning();
    this.masks?.reset();
    this.running = this.start(track);
    this.processedTrack = this.running.output;
    await this.loadModel();
  }

  /** Switches the effect from the next frame on; nothing restarts. */
  async setEffect(effect: BackgroundEffect): Promise<void> {
    this.effect = checkEffect(effect);
    await this.running?.setEffect(this.effect);
  }

  get currentEffect(): BackgroundEffect {
    return this.effect;
  }

  /** Counters and timings; those of a frame worker are at most a quarter of a second old. */
  get stats(): ProcessorStats {
    const s = this.running?.stats() ?? null;
    return {
      pipeline: this.running?.kind ?? null,
      renderer: s?.renderer ?? null,
      backend: this.backend,
      engine: this.engine,
      engineTrial: this.engineTrial,
      framesIn: s?.framesIn ?? 0,
      framesOut: s?.framesOut ?? 0,
      masks: s?.masks ?? 0,
      inferenceMs: s?.inferenceMs ?? null,
      drawMs: s?.drawMs ?? null,
    };
  }

  async destroy(): Promise<void> {
    this.stopRunning();
    this.masks?.dispose();
    this.masks = null;
    this.ready = null;
    this.processedTrack = undefined;
  }

  private checkTrack(track: MediaStreamTrack): void {
    if (!track || track.kind !== 'video') throw new TrackProcessorError(`init: expected a video MediaStreamTrack, got ${track?.kind ?? String(track)}`, 'INPUT');
    if (track.readyState !== 'live') throw new TrackProcessorError('init: the track has ended', 'STATE');
  }

  /** The mask worker, started once and kept across restarts; resolves when its model is loaded. */
  private loadModel(): Promise<void> {
    if (!this.ready) {
      const o = this.options;
      let worker: Worker;
      try {
        worker = (o.createWorker ?? defaultMaskWorker)();
      } catch (e) {
        throw new TrackProcessorError(`the mask worker could not start: ${(e as Error)?.message ?? e}`, 'WORKER');
      }
      this.masks = new MaskClient(
        worker,
        (e) => this.fail(e),
        (news) => {
          this.backend = news.backend;
          this.engine = news.engine;
          this.engineTrial = news.trial;
        },
      );
      const onnxRuntime = o.onnxRuntime && { module: absoluteUrl(o.onnxRuntime.module), wasm: absoluteUrl(o.onnxRuntime.wasm) };
      this.ready = this.masks
        .init({ model: wireModel(o.model ?? realtimeModel), wasmPaths: o.wasmPaths, inputSize: o.inputSize, smoothing: o.smoothing ?? DEFAULT_PROCESSOR_SMOOTHING, motionLevels: o.motionLevels, engine: o.engine ?? 'auto', ...(onnxRuntime ? { onnxRuntime } : {}) })
        .then((r) => {
          this.backend = r.backend;
          this.engine = r.engine;
        });
    }
    return this.ready;
  }

  /** A client of the mask worker over a port of its own, for one pipeline. */
  private maskPort(): MessagePort {
    const channel = new MessageChannel();
    this.masks!.connect(channel.port1);
    return channel.port2;
  }

  private start(track: MediaStreamTrack): Running {
    const wanted = this.options.pipeline ?? 'auto';
    const streams = wanted === 'canvas-capture' ? null : insertableStreams();
    if (wanted === 'insertable-streams' && !streams) throw new TrackProcessorError('pipeline: this browser has no insertable streams (MediaStreamTrackProcessor)', 'UNSUPPORTED');
    if (streams) return this.startInWorker(openInsertableStreams(streams, track));
    if (!canvasCapture()) throw new TrackProcessorError('this browser has neither insertable streams nor canvas.captureStream()', 'UNSUPPORTED');
    return this.startOnPage(track);
  }

  private startInWorker({ readable, writable, output }: ReturnType<typeof openInsertableStreams>): Running {
    let worker: Worker;
    try {
      worker = defaultFrameWorker();
    } catch (e) {
      throw new TrackProcessorError(`the frame worker could not start: ${(e as Error)?.message ?? e}`, 'WORKER');
    }
    let latest: RendererStats | null = null;
    // Once stopped, the worker's stream ending ('Stream closed') is the stop, not a failure.
    let stopped = false;
    worker.onmessage = (event: MessageEvent<FrameWorkerReply>) => {
      const reply = event.data;
      if (reply.type === 'stats') latest = reply.stats;
      else if (!stopped) this.fail(new TrackProcessorError(reply.message, reply.code));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.fail(new TrackProcessorError(`the frame worker stopped: ${event.message || 'its script did not load'}`, 'WORKER'));
    };
    const port = this.maskPort();
    const post = (message: FrameWorkerRequest, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
    // An image that cannot cross as it is follows once converted; until then the background is blurred.
    const crossable = isCrossable(this.effect);
    post({ type: 'start', readable, writable, maskPort: port, renderer: this.options.renderer ?? 'auto', inputSize: this.options.inputSize, effect: crossable ? (this.effect as unknown as WireEffect) : { kind: 'blur', strength: DEFAULT_BLUR_STRENGTH } }, [readable as unknown as Transferable, writable as unknown as Transferable, port]);
    if (!crossable) void wireEffect(this.effect).then((effect) => post({ type: 'effect', effect }), (e: unknown) => this.fail(new TrackProcessorError(`the background image could not be read: ${(e as Error)?.message ?? e}`, 'INPUT')));
    return {
      kind: 'insertable-streams',
      output,
      setEffect: async (effect) => post({ type: 'effect', effect: await wireEffect(effect) }),
      stats: () => latest,
      stop: () => {
        stopped = true;
        post({ type: 'stop' });
        // Its last frames are dropped with it; the output track ends here.
        setTimeout(() => worker.terminate(), 100);
        output.stop();
      },
    };
  }

  private startOnPage(track: MediaStreamTrack): Running {
    const masks = new MaskClient(this.maskPort() as unknown as ConstructorParameters<typeof MaskClient>[0], (e) => this.fail(e));
    const renderer = new FrameRenderer(makeCompositor(() => document.createElement('canvas'), this.options.renderer ?? 'auto'), masks, this.effect, this.options.inputSize);
    const onError = (e: unknown) => {
      renderer.passThrough = true;
      this.fail(e instanceof TrackProcessorError ? e : new TrackProcessorError(`the frame pipeline failed: ${(e as Error)?.message ?? e}`, 'STATE'));
    };
    const capture = startCanvasCapture(track, renderer.compositor.canvas as HTMLCanvasElement, (frame, width, height) => renderer.draw(frame, width, height), onError);
    return {
      kind: 'canvas-capture',
      output: capture.output,
      setEffect: async (effect) => {
        renderer.effect = effect;
      },
      stats: () => renderer.stats,
      stop: () => {
        capture.stop();
        renderer.dispose();
      },
    };
  }

  private fail(error: TrackProcessorError): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onError?.(error);
  }

  private stopRunning(): void {
    this.running?.stop();
    this.running = null;
  }
}

/** Files in memory (checked by a loader or modelFilesOf): they cross to the worker as they are. */
function isModelFiles(model: unknown): model is ModelFiles {
  const m = model as Partial<ModelFiles> | null;
  return typeof m === 'object' && m !== null && m.weights instanceof ArrayBuffer && typeof m.checked === 'object' && typeof m.where === 'string';
}

/** A URL absolute against the page: a worker would resolve a relative one against its own script. */
const absoluteUrl = (u: string | URL): string => new URL(String(u), location.href).href;

/** The model as the worker needs it: its files, or its URLs as strings, absolute against the page. */
function wireModel(model: string | ModelLocation | ModelFiles): MaskWorkerInit['model'] {
  if (isModelFiles(model)) return { files: model };
  if (typeof model === 'string') return { modelUrl: absoluteUrl(model) };
  const weightsUrls = model.weightsUrls && Object.fromEntries(Object.entries(model.weightsUrls).map(([k, u]) => [k, absoluteUrl(u)]));
  return { modelUrl: absoluteUrl(model.modelUrl), ...(weightsUrls ? { weightsUrls } : {}) };
}
