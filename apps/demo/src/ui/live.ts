/**
 * Live camera on @sinet/track-processor, as a video call would use it: the camera track in, a
 * processed track out, the network in a worker, so the page itself stays responsive.
 */
import type { ModelFiles } from '@sinet/model';
import { BackgroundBlur, BackgroundColour, BackgroundProcessor, NoEffect, VirtualBackground, type BackgroundEffect, type EngineName, type ProcessorStats } from '@sinet/track-processor';
import { CAMERA_CONSTRAINTS, CAMERA_ENGINE_STORAGE_KEY, DEFAULT_BACKGROUND_COLOUR, READOUT_INTERVAL_MS } from '../constants';
import { BUILT_IN_BACKGROUND_LABELS, builtInBackground, type BuiltInBackground } from '../engine/backgrounds';
import { wasmBinaryUrls } from '../engine/backends';
import { onnxRuntimeUrls } from '../engine/onnx';
import { canvasToPng } from '../engine/compositor';
import { lookInside } from '../engine/inside';
import type { SizedModel } from '../engine/model-source';
import { byId, decodeImageFile, onFiles, setStatus, showError, swapFocus } from './dom';
import { renderInside } from './inside-view';

/** Camera failures in words a visitor can act on. */
export function cameraErrorMessage(error: unknown): string {
  const name = (error as { name?: string })?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Camera permission was denied. Allow the camera for this page in the address bar, or use the Photo tab.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'No camera was found. Connect one, or use the Photo tab.';
  if (name === 'NotReadableError') return 'The camera is in use by another application.';
  return `The camera could not start: ${(error as Error)?.message ?? String(error)}`;
}

/** What the camera's processor runs: the model's files and the input size for the camera's orientation. */
export interface LiveModel {
  files: ModelFiles;
  inputSize(landscape: boolean): [number, number];
}

/** Which chip is chosen: an effect kind, or a built-in background's name. */
type Choice = 'blur' | 'colour' | 'none' | 'own-image' | BuiltInBackground;

/** The engines that won the processor's timing in this browser, by input size (nothing when storage is off). */
function rememberedEngines(): Record<string, EngineName> {
  try {
    const stored = JSON.parse(localStorage.getItem(CAMERA_ENGINE_STORAGE_KEY) ?? '{}') as unknown;
    return typeof stored === 'object' && stored !== null ? (stored as Record<string, EngineName>) : {};
  } catch {
    return {};
  }
}

function rememberEngine(inputSize: [number, number], engine: EngineName): void {
  try {
    localStorage.setItem(CAMERA_ENGINE_STORAGE_KEY, JSON.stringify({ ...rememberedEngines(), [inputSize.join('x')]: engine }));
  } catch {
    // Storage off (private mode, a full quota): the next visit times the engines again.
  }
}

/** The camera's engine in words, for Advanced. */
function describeEngine(stats: ProcessorStats, remembered: boolean): string {
  if (!stats.backend) return 'camera: loading…';
  const trial = stats.engineTrial;
  const ms = (engine: EngineName) => trial?.medianMs[engine]?.toFixed(1);
  if (trial && !trial.decided) return `camera: ${stats.backend}, timing the engines…`;
  if (trial?.medianMs['onnxruntime-web'] !== undefined) return `camera: ${stats.backend}, chosen by timing (onnxruntime-web ${ms('onnxruntime-web')} ms, tfjs ${ms('tfjs-wasm')} ms a mask)`;
  if (trial) return `camera: ${stats.backend} (${trial.reason})`;
  return `camera: ${stats.backend}${remembered ? ', faster here when last timed' : ''}`;
}

/** How often "Show what the network sees" redraws its heat maps (a second pass on the page's engine). */
const INSIDE_INTERVAL_MS = 1000;

export class LiveView {
  /** The raw camera, shown as an inset. */
  readonly video = byId<HTMLVideoElement>('video');
  private readonly output = byId<HTMLVideoElement>('live-output');
  private readonly stage = byId('live-stage');
  private processor: BackgroundProcessor | null = null;
  private processorFor: { files: ModelFiles; inputSize: [number, number] } | null = null;
  /** Whether the processor runs the engine remembered from an earlier visit (no timing this time). */
  private engineRemembered = false;
  private engineSaved = false;
  private stream: MediaStream | null = null;
  private running = false;
  private paused = false;
  private choice: Choice = 'blur';
  private ownImage: ImageBitmap | undefined;
  private chosenImage: ImageBitmap | undefined;
  private readouts: ReturnType<typeof setInterval> | null = null;
  private insideBusy: Promise<void> = Promise.resolve();
  private engineHeld = false;
  private lastInside = 0;
  private last: { time: number; framesOut: number; masks: number } | null = null;
  private startedAt = 0;
  /** Milliseconds from Start to the first frame drawn with a mask (null until then). */
  firstMaskedFrameMs: number | null = null;
  /** Output frames and masks a second over the last readout interval. */
  fps = 0;
  maskRate = 0;
  /** [height, width] the network runs at on the camera, once started. */
  inputSize: [number, number] | null = null;

  /** `model()`: what the processor runs; `sized(landscape)`: the page's model for the heat maps. */
  constructor(
    private readonly model: () => LiveModel | null,
    private readonly sized: (landscape: boolean) => SizedModel | null,
  ) {
    byId('camera-start').addEventListener('click', () => void this.start());
    byId('camera-stop').addEventListener('click', () => void this.stop());
    for (const chip of document.querySelectorAll<HTMLButtonElement>('#panel-live [data-effect]')) {
      chip.addEventListener('click', () => void this.choose((chip.dataset.background as BuiltInBackground | undefined) ?? (chip.dataset.effect as Choice)));
    }
    onFiles(byId<HTMLInputElement>('background-file'), async ([file]) => {
      try {
        this.ownImage = await decodeImageFile(file);
        await this.choose('own-image');
      } catch (e) {
        showError((e as Error).message);
      }
    });
    byId<HTMLInputElement>('blur').addEventListener('change', () => void this.applyEffect());
    byId<HTMLInputElement>('colour').addEventListener('change', () => void this.applyEffect());
    byId<HTMLSelectElement>('camera-device').addEventListener('change', () => void this.switchCamera());
    byId('snapshot').addEventListener('click', () => void this.snapshot());
    this.showChoice();
  }

  /** The image background chosen last (built-in or the visitor's), for the photo tab's "Replace: image". */
  get backgroundImage(): ImageBitmap | undefined {
    return this.chosenImage;
  }

  get stats(): ProcessorStats | null {
    return this.processor?.stats ?? null;
  }

  get effect(): BackgroundEffect['kind'] | null {
    return this.processor?.currentEffect.kind ?? null;
  }

  private async choose(choice: Choice): Promise<void> {
    this.choice = choice;
    if (choice === 'own-image') this.chosenImage = this.ownImage;
    else if (choice !== 'blur' && choice !== 'colour' && choice !== 'none') this.chosenImage = await builtInBackground(choice);
    this.showChoice();
    await this.applyEffect();
  }

  /** Marks the chosen chip and shows only its controls. */
  private showChoice(): void {
    for (const chip of document.querySelectorAll<HTMLButtonElement>('#panel-live [data-effect]')) {
      chip.setAttribute('aria-pressed', String((chip.dataset.background ?? chip.dataset.effect) === this.choice));
    }
    const kind = this.choice === 'blur' || this.choice === 'colour' ? this.choice : 'image';
    for (const label of document.querySelectorAll<HTMLElement>('#panel-live [data-effects]')) label.hidden = !label.dataset.effects!.split(' ').includes(kind);
  }

  private currentEffect(): BackgroundEffect {
    if (this.choice === 'blur') return BackgroundBlur(Number(byId<HTMLInputElement>('blur').value));
    if (this.choice === 'colour') return BackgroundColour(byId<HTMLInputElement>('colour').value || DEFAULT_BACKGROUND_COLOUR);
    if (this.choice === 'none') return NoEffect();
    return this.chosenImage ? VirtualBackground(this.chosenImage) : BackgroundBlur(Number(byId<HTMLInputElement>('blur').value));
  }

  /** What the status line says while the camera runs: what is done to the background, in words. */
  private describeChoice(): string {
    if (this.choice === 'blur') return 'Your background is blurred.';
    if (this.choice === 'colour') return 'Your background is replaced by a colour.';
    if (this.choice === 'none') return 'The camera is shown as it is.';
    if (this.choice === 'own-image') return 'Your background is replaced by your image.';
    return `Your background is replaced by the ${BUILT_IN_BACKGROUND_LABELS[this.choice].toLowerCase()} picture.`;
  }

  private async applyEffect(): Promise<void> {
    if (!this.processor) return;
    await this.processor.setEffect(this.paused ? NoEffect() : this.currentEffect());
    if (this.running && !this.paused) setStatus(this.describeChoice());
  }

  /** Lists the cameras (their names are only known once one was allowed), for front / back choice. */
  private async listCameras(): Promise<void> {
    const select = byId<HTMLSelectElement>('camera-device');
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    const current = this.stream?.getVideoTracks()[0]?.getSettings().deviceId;
    select.replaceChildren(...cameras.map((c, i) => new Option(c.label || `Camera ${i + 1}`, c.deviceId, false, c.deviceId === current)));
    byId('camera-choice').hidden = cameras.length === 0;
  }

  private async switchCamera(): Promise<void> {
    if (!this.running) return;
    const deviceId = byId<HTMLSelectElement>('camera-device').value;
    const old = this.stream;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: deviceId }, width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (e) {
      showError(cameraErrorMessage(e));
      await this.stop();
      return;
    }
    old?.getTracks().forEach((t) => t.stop());
    this.video.srcObject = this.stream;
    await this.video.play();
    await this.startProcessor(true);
  }

  /** The current result as a PNG download (mirrored as shown). */
  private async snapshot(): Promise<void> {
    const canvas = document.createElement('canvas');
    canvas.width = this.output.videoWidth;
    canvas.height = this.output.videoHeight;
    const c = canvas.getContext('2d')!;
    c.translate(canvas.width, 0);
    c.scale(-1, 1);
    c.drawImage(this.output, 0, 0);
    const png = await canvasToPng(canvas);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(png);
    a.download = `sinet-snapshot-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  async start(): Promise<void> {
    showError(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      showError('This browser gives no camera access here (it needs HTTPS or localhost). Use the Photo tab.');
      return;
    }
    if (!this.model()) {
      showError('No model is loaded yet: wait for "ready", or load one under Advanced.');
      return;
    }
    this.startedAt = performance.now();
    this.firstMaskedFrameMs = null;
    setStatus('Starting the camera…');
    try {
      this.stream = await navigator.mediaDevices.getUserMedia(CAMERA_CONSTRAINTS);
    } catch (e) {
      setStatus('');
      showError(cameraErrorMessage(e));
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    this.running = true;
    swapFocus(byId<HTMLButtonElement>('camera-start'), byId<HTMLButtonElement>('camera-stop'));
    byId<HTMLButtonElement>('snapshot').disabled = false;
    this.stage.classList.add('running');
    await this.startProcessor(true);
    await this.listCameras().catch(() => undefined);
    this.readouts = setInterval(() => this.readout(), READOUT_INTERVAL_MS);
    // The whole result in view: the visitor clicked above it.
    this.stage.scrollIntoView({ block: 'nearest' });
  }

  /**
   * (Re)starts the processor on the camera with the current model: a new camera keeps the
   * worker's model (restart), a new model or input size gets a new processor.
   */
  private async startProcessor(newCamera: boolean): Promise<void> {
    const model = this.model();
    const camera = this.stream?.getVideoTracks()[0];
    if (!model || !camera) return;
    const settings = camera.getSettings();
    const inputSize = model.inputSize((settings.width ?? 4) > (settings.height ?? 3));
    const same = this.processorFor && this.processorFor.files === model.files && this.processorFor.inputSize.join() === inputSize.join();
    try {
      if (this.processor && same) {
        if (newCamera) await this.processor.restart({ track: camera });
      } else {
        await this.processor?.destroy();
        // onnxruntime-web is loaded only where it won here before or nothing is known yet: 'auto' then times both.
        this.engineRemembered = rememberedEngines()[inputSize.join('x')] === 'tfjs-wasm';
        this.engineSaved = false;
        this.processor = new BackgroundProcessor({
          wasmPaths: await wasmBinaryUrls(),
          engine: this.engineRemembered ? 'tfjs-wasm' : 'auto',
          onnxRuntime: await onnxRuntimeUrls(),
          model: model.files,
          inputSize,
          effect: this.paused ? NoEffect() : this.currentEffect(),
          onError: (e) => showError(`The background processor stopped: ${e.message}. The camera is shown unchanged.`),
        });
        this.processorFor = { files: model.files, inputSize };
        this.inputSize = inputSize;
        const loaded = this.processor.init({ track: camera });
        this.output.srcObject = new MediaStream([this.processor.processedTrack!]);
        void this.output.play().catch(() => undefined);
        await loaded;
      }
      this.output.srcObject = new MediaStream([this.processor.processedTrack!]);
      await this.output.play().catch(() => undefined);
      this.last = null;
      setStatus(this.paused ? '' : this.describeChoice());
    } catch (e) {
      showError(`The camera's processing could not start: ${(e as Error).message}`);
    }
  }

  /** A new model or input size: the running camera moves to it. */
  async modelChanged(): Promise<void> {
    if (this.running) await this.startProcessor(false);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.readouts) clearInterval(this.readouts);
    this.readouts = null;
    await this.processor?.destroy();
    this.processor = null;
    this.processorFor = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.output.srcObject = null;
    this.stage.classList.remove('running');
    byId('live-inside').hidden = true;
    swapFocus(byId<HTMLButtonElement>('camera-stop'), byId<HTMLButtonElement>('camera-start'));
    byId<HTMLButtonElement>('snapshot').disabled = true;
    setStatus('Camera stopped.');
  }

  /** Another tab is shown: the camera stays on but the network rests (frames pass through). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    void this.applyEffect();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    void this.applyEffect();
  }

  /**
   * Keeps this view off the page's engine (its heat maps) until releasePageEngine(), and resolves
   * once its last use has ended: the models may then be disposed and rebuilt.
   */
  async holdPageEngine(): Promise<void> {
    this.engineHeld = true;
    let seen: Promise<void>;
    do {
      seen = this.insideBusy;
      await seen;
    } while (seen !== this.insideBusy);
  }

  releasePageEngine(): void {
    this.engineHeld = false;
  }

  /** Redraws the readouts by time (not per frame: the page does no per-frame work). */
  private readout(): void {
    const stats = this.processor?.stats;
    if (!stats) return;
    const now = performance.now();
    if (this.firstMaskedFrameMs === null && stats.masks > 0 && stats.framesOut > 0) this.firstMaskedFrameMs = now - this.startedAt;
    if (this.last) {
      const seconds = (now - this.last.time) / 1000;
      this.fps = (stats.framesOut - this.last.framesOut) / seconds;
      this.maskRate = (stats.masks - this.last.masks) / seconds;
      byId('fps').textContent = this.fps.toFixed(this.fps < 1 ? 2 : 1);
      byId('mask-rate').textContent = this.maskRate.toFixed(this.maskRate < 1 ? 2 : 1);
    }
    byId('latency').textContent = stats.inferenceMs === null ? '–' : stats.inferenceMs.toFixed(1);
    const engine = describeEngine(stats, this.engineRemembered);
    if (byId('camera-engine').textContent !== engine) byId('camera-engine').textContent = engine;
    if (!this.engineSaved && stats.engineTrial?.decided && stats.engine && this.inputSize) {
      rememberEngine(this.inputSize, stats.engine);
      this.engineSaved = true;
    }
    this.last = { time: now, framesOut: stats.framesOut, masks: stats.masks };
    const inside = byId<HTMLInputElement>('show-inside').checked;
    byId('live-inside').hidden = !inside;
    if (inside && !this.paused && !this.engineHeld && now - this.lastInside >= INSIDE_INTERVAL_MS) {
      this.lastInside = now;
      this.insideBusy = this.insideBusy.then(() => this.drawInside()).catch((e: Error) => showError(`the heat maps failed: ${e.message}`));
    }
  }

  private async drawInside(): Promise<void> {
    const landscape = this.video.videoWidth > this.video.videoHeight;
    const sized = this.sized(landscape);
    if (!sized || this.engineHeld || this.video.readyState < 2) return;
    renderInside(byId('live-inside'), await lookInside(sized, this.video), this.video.videoWidth / this.video.videoHeight);
  }
}
