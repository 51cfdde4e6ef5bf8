/** Live camera: one frame in flight at a time, effects, FPS and latency, optional heat maps. */
import { VideoSegmenter } from '@sinet/model';
import { CAMERA_CONSTRAINTS, DEFAULT_BACKGROUND_COLOUR, READOUT_INTERVAL_MS } from '../constants';
import { canvasToPng, Compositor, type Effect } from '../engine/compositor';
import { drawHeatmap } from '../engine/heatmap';
import { lookInside, type InsideView } from '../engine/inside';
import { FpsMeter } from '../engine/fps-meter';
import type { SizedModel } from '../engine/model-source';
import { byId, decodeImageFile, onFiles, setStatus, showError, swapFocus } from './dom';

/** Camera failures in words a visitor can act on. */
export function cameraErrorMessage(error: unknown): string {
  const name = (error as { name?: string })?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Camera permission was denied. Allow the camera for this page in the address bar, or use the Photo tab.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'No camera was found. Connect one, or use the Photo tab.';
  if (name === 'NotReadableError') return 'The camera is in use by another application.';
  return `The camera could not start: ${(error as Error)?.message ?? String(error)}`;
}

/** Draws the three heat maps; `aspect` (width / height) shows them at the frame's shape rather than the model's. */
export function renderInside(container: HTMLElement, view: InsideView, aspect?: number): void {
  const panels: [keyof InsideView, string][] = [
    ['encoder', 'Encoder output (1/8): person probability'],
    ['gate', 'Information-blocking gate: 1 − confidence'],
    ['final', 'Final person probability'],
  ];
  if (container.childElementCount !== panels.length) {
    container.replaceChildren(
      ...panels.map(([key, caption]) => {
        const figure = document.createElement('figure');
        const canvas = document.createElement('canvas');
        canvas.dataset.map = key;
        canvas.setAttribute('aria-label', caption);
        const figcaption = document.createElement('figcaption');
        figcaption.textContent = caption;
        figure.append(canvas, figcaption);
        return figure;
      }),
    );
  }
  for (const [key] of panels) {
    const map = view[key];
    const canvas = container.querySelector<HTMLCanvasElement>(`canvas[data-map="${key}"]`)!;
    drawHeatmap(canvas, map.values, map.width, map.height);
    if (aspect) canvas.style.aspectRatio = String(aspect);
    canvas.nextElementSibling!.setAttribute('data-size', `${map.width}x${map.height}`);
  }
}

export class LiveView {
  readonly video = byId<HTMLVideoElement>('video');
  private readonly output = byId<HTMLCanvasElement>('live-output');
  private readonly compositor = new Compositor();
  private readonly fpsMeter = new FpsMeter();
  private pipeline: VideoSegmenter | null = null;
  private pipelineFor: SizedModel | null = null;
  private stream: MediaStream | null = null;
  private running = false;
  private paused = false;
  private inFlight: Promise<void> = Promise.resolve();
  private background: ImageBitmap | undefined;
  private shownAt = 0;
  frames = 0;
  lastLatencyMs = 0;
  /** Latencies of the last frames, for the FPS report. */
  readonly latencies: number[] = [];

  /**
   * Set to [] by tests: per frame, the colour at the centre of the frame that was segmented, of
   * the video when the result is drawn, and of the result (which must be the first).
   */
  trace: { segmented: number[]; current: number[]; output: number[] }[] | null = null;

  /** The [height, width] the last frame was segmented at. */
  inputSize: [number, number] | null = null;

  /** `sized(landscape)`: the model for the camera's orientation. */
  constructor(private readonly sized: (landscape: boolean) => SizedModel | null) {
    byId('camera-start').addEventListener('click', () => void this.start());
    byId('camera-stop').addEventListener('click', () => this.stop());
    onFiles(byId<HTMLInputElement>('background-file'), async ([file]) => {
      try {
        this.background = await decodeImageFile(file);
        byId<HTMLSelectElement>('live-effect').value = 'image';
      } catch (e) {
        showError((e as Error).message);
      }
    });
    byId<HTMLInputElement>('smoothing').addEventListener('input', () => {
      if (this.pipeline) this.pipeline.smoothing = this.smoothing();
    });
    byId<HTMLSelectElement>('live-effect').addEventListener('change', () => this.showEffectControls());
    this.showEffectControls();
    byId<HTMLSelectElement>('camera-device').addEventListener('change', () => void this.switchCamera());
    byId('snapshot').addEventListener('click', () => void this.snapshot());
  }

  /** Only the controls of the chosen effect are shown. */
  private showEffectControls(): void {
    const effect = byId<HTMLSelectElement>('live-effect').value;
    for (const label of document.querySelectorAll<HTMLElement>('#panel-live [data-effects]')) label.hidden = !label.dataset.effects!.split(' ').includes(effect);
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
    this.stream?.getTracks().forEach((t) => t.stop());
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: deviceId }, width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (e) {
      showError(cameraErrorMessage(e));
      this.stop();
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    // A new camera is a new scene: no smoothing across the switch.
    this.pipeline?.reset();
  }

  /** The current result as a PNG download. */
  private async snapshot(): Promise<void> {
    const png = await canvasToPng(this.output);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(png);
    a.download = `sinet-snapshot-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  get backgroundImage(): ImageBitmap | undefined {
    return this.background;
  }

  private smoothing(): number {
    // The slider is how much of the past is kept: 0 = none (weight 1 on the new frame).
    return 1 - Number(byId<HTMLInputElement>('smoothing').value) / 100;
  }

  get fps(): number {
    return this.fpsMeter.fps;
  }

  async start(): Promise<void> {
    showError(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      showError('This browser gives no camera access here (it needs HTTPS or localhost). Use the Photo tab.');
      return;
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia(CAMERA_CONSTRAINTS);
    } catch (e) {
      showError(cameraErrorMessage(e));
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    swapFocus(byId<HTMLButtonElement>('camera-start'), byId<HTMLButtonElement>('camera-stop'));
    byId<HTMLButtonElement>('snapshot').disabled = false;
    this.running = true;
    await this.listCameras().catch(() => undefined);
    setStatus('camera running');
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.resetPipeline();
    swapFocus(byId<HTMLButtonElement>('camera-stop'), byId<HTMLButtonElement>('camera-start'));
    byId<HTMLButtonElement>('snapshot').disabled = true;
    setStatus('camera stopped');
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.running) this.schedule();
  }

  /** Resolves once no frame is being processed. */
  idle(): Promise<void> {
    return this.inFlight;
  }

  resetPipeline(): void {
    this.pipeline?.dispose();
    this.pipeline = null;
    this.pipelineFor = null;
  }

  private schedule(): void {
    const video = this.video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    const next = () => {
      if (!this.running || this.paused) return;
      this.inFlight = this.frame().then(
        () => this.schedule(),
        (e: Error) => {
          showError(`frame failed: ${e.message}`);
          this.running = false;
        },
      );
    };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(next);
    else requestAnimationFrame(next);
  }

  private async frame(): Promise<void> {
    const sized = this.sized(this.video.videoWidth > this.video.videoHeight);
    if (!sized || this.video.readyState < 2 || this.video.videoWidth === 0) return;
    this.inputSize = sized.size;
    if (this.pipelineFor !== sized) {
      this.resetPipeline();
      this.pipeline = new VideoSegmenter(sized.segmenter, { smoothing: this.smoothing() });
      this.pipelineFor = sized;
    }
    const result = await this.pipeline!.segmentFrame(this.video);
    // Composite the frame that was segmented (a copy taken before inference), not the video's
    // current one: on a slow backend the video has moved on, and the mask belongs to this frame.
    const segmented = result.frame as CanvasImageSource;
    const effect = byId<HTMLSelectElement>('live-effect').value as Effect;
    this.compositor.setMask(result.probabilities, result.width, result.height, effect === 'overlay' ? [60, 220, 120] : [255, 255, 255]);
    this.compositor.render(this.output, segmented, this.video.videoWidth, this.video.videoHeight, {
      effect,
      blurPx: Number(byId<HTMLInputElement>('blur').value),
      colour: byId<HTMLInputElement>('colour').value || DEFAULT_BACKGROUND_COLOUR,
      background: this.background,
    });
    if (this.trace) this.trace.push({ segmented: centreColour(segmented), current: centreColour(this.video), output: centreColour(this.output) });
    if (segmented instanceof ImageBitmap) segmented.close();
    this.frames++;
    this.lastLatencyMs = result.latencyMs;
    this.latencies.push(result.latencyMs);
    if (this.latencies.length > 300) this.latencies.shift();
    this.fpsMeter.tick();
    // Redrawn by time, not every n frames: at 0.5 FPS a readout every 10 frames would take 20 s.
    const now = performance.now();
    if (this.frames === 1 || now - this.shownAt >= READOUT_INTERVAL_MS) {
      this.shownAt = now;
      byId('fps').textContent = this.fps < 1 ? this.fps.toFixed(2) : this.fps.toFixed(1);
      byId('latency').textContent = result.latencyMs.toFixed(1);
      byId('frames').textContent = String(this.frames);
    }
    // The heat maps cost a second pass: every 15th frame is enough to watch them.
    if (byId<HTMLInputElement>('show-inside').checked && this.frames % 15 === 0) {
      const container = byId('live-inside');
      container.hidden = false;
      renderInside(container, await lookInside(sized, this.video), this.video.videoWidth / this.video.videoHeight);
    } else if (!byId<HTMLInputElement>('show-inside').checked) byId('live-inside').hidden = true;
  }
}

const probe = document.createElement('canvas');

/** The RGB at the centre of an image (for the frame-consistency trace). */
function centreColour(source: CanvasImageSource): number[] {
  const { width, height } = source instanceof HTMLVideoElement ? { width: source.videoWidth, height: source.videoHeight } : (source as { width: number; height: number });
  probe.width = probe.height = 1;
  const c = probe.getContext('2d', { willReadFrequently: true })!;
  c.drawImage(source, Math.floor(width / 2), Math.floor(height / 2), 1, 1, 0, 0, 1, 1);
  return Array.from(c.getImageData(0, 0, 1, 1).data.slice(0, 3));
}
