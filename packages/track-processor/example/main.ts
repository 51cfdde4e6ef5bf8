/**
 * A call-like page on @sinet/track-processor: the camera (getUserMedia) goes through the
 * processor and the processed track plays in a <video>, as a video-call app would send it.
 * `window.callPage` exposes the pieces to the browser test.
 */
import { BackgroundBlur, BackgroundColour, BackgroundProcessor, NoEffect, VirtualBackground, type BackgroundEffect, type BackgroundProcessorOptions } from '@sinet/track-processor';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
// onnxruntime-web's files, served as they are: the worker loads them only if tfjs is slow here.
import ortModule from 'onnxruntime-web/wasm?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

const wasmPaths = { 'tfjs-backend-wasm.wasm': plainWasm, 'tfjs-backend-wasm-simd.wasm': simdWasm, 'tfjs-backend-wasm-threaded-simd.wasm': threadedWasm };
const onnxRuntime = { module: ortModule, wasm: ortWasm };
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const processed = byId<HTMLVideoElement>('processed');
const raw = byId<HTMLVideoElement>('raw');
const status = byId<HTMLParagraphElement>('status');

/** A made-up background (a sky-to-floor gradient with a window), so the page ships no photo. */
async function builtInBackground(): Promise<ImageBitmap> {
  const canvas = new OffscreenCanvas(640, 480);
  const ctx = canvas.getContext('2d')!;
  const sky = ctx.createLinearGradient(0, 0, 0, 480);
  sky.addColorStop(0, '#7fb2e5');
  sky.addColorStop(0.65, '#d9e6f2');
  sky.addColorStop(0.66, '#8a6f55');
  sky.addColorStop(1, '#5b4636');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, 640, 480);
  ctx.fillStyle = '#f4f1e8';
  ctx.fillRect(380, 60, 200, 160);
  return createImageBitmap(canvas);
}

export class CallPage {
  processor: BackgroundProcessor | null = null;
  camera: MediaStream | null = null;
  readonly errors: string[] = [];
  /** performance.now() of Start, and of the first processed frame the <video> presented. */
  startedAt = 0;
  firstFrameAt = 0;
  /** Frames the processed <video> presented (requestVideoFrameCallback). */
  presented = 0;
  private background: ImageBitmap | null = null;

  async start(options: Partial<BackgroundProcessorOptions> = {}): Promise<void> {
    this.startedAt = performance.now();
    this.firstFrameAt = 0;
    this.presented = 0;
    status.textContent = 'Starting the camera…';
    this.camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 } });
    raw.srcObject = this.camera;
    this.processor = new BackgroundProcessor({ wasmPaths, onnxRuntime, effect: BackgroundBlur(10), onError: (e) => this.errors.push(e.message), ...options });
    const ready = this.processor.init({ track: this.camera.getVideoTracks()[0]! });
    processed.srcObject = new MediaStream([this.processor.processedTrack!]);
    const count = () => {
      if (!this.firstFrameAt) this.firstFrameAt = performance.now();
      this.presented++;
      processed.requestVideoFrameCallback(count);
    };
    processed.requestVideoFrameCallback(count);
    status.textContent = 'Loading the model…';
    await ready;
    status.textContent = 'Your background is hidden.';
    byId<HTMLButtonElement>('start').disabled = true;
    byId<HTMLButtonElement>('stop').disabled = false;
    byId<HTMLFieldSetElement>('effects').disabled = false;
  }

  async setEffect(name: 'blur' | 'image' | 'colour' | 'none' | BackgroundEffect): Promise<void> {
    if (!this.processor) return;
    let effect: BackgroundEffect;
    if (typeof name === 'object') effect = name;
    else if (name === 'blur') effect = BackgroundBlur(10);
    else if (name === 'image') effect = VirtualBackground((this.background ??= await builtInBackground()));
    else if (name === 'colour') effect = BackgroundColour('#00b140');
    else effect = NoEffect();
    await this.processor.setEffect(effect);
    status.textContent = name === 'none' ? 'Your background is visible.' : 'Your background is hidden.';
  }

  async stop(): Promise<void> {
    await this.processor?.destroy();
    this.processor = null;
    for (const t of this.camera?.getTracks() ?? []) t.stop();
    this.camera = null;
    processed.srcObject = null;
    raw.srcObject = null;
    status.textContent = 'Camera off.';
    byId<HTMLButtonElement>('start').disabled = false;
    byId<HTMLButtonElement>('stop').disabled = true;
    byId<HTMLFieldSetElement>('effects').disabled = true;
  }

  /**
   * Reads `count` frames of the processed track (a clone, through a MediaStreamTrackProcessor)
   * and measures each against the previous: the share of pixels in the soft band (alpha, or the
   * distance to `key` colour, between 10% and 90%), the share whose person / background side
   * flipped, and the lowest alpha on the border; and the last frame's person mask (0 / 1).
   */
  async measureFrames(count: number, key: [number, number, number] | null = null): Promise<{ width: number; height: number; band: number[]; flips: number[]; borderAlphaMin: number; personShare: number[]; lastMask: number[] }> {
    const Processor = (globalThis as unknown as { MediaStreamTrackProcessor: new (i: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> } }).MediaStreamTrackProcessor;
    const track = this.processor!.processedTrack!.clone();
    const reader = new Processor({ track }).readable.getReader();
    const band: number[] = [];
    const flips: number[] = [];
    const personShare: number[] = [];
    let borderAlphaMin = 255;
    let previous: Uint8Array | null = null;
    let width = 0;
    let height = 0;
    const canvas = new OffscreenCanvas(1, 1);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    try {
      for (let n = 0; n < count; n++) {
        const { value: frame } = await reader.read();
        if (!frame) break;
        width = frame.displayWidth;
        height = frame.displayHeight;
        canvas.width = width;
        canvas.height = height;
        ctx.clearRect(0, 0, width, height);
        ctx.drawImage(frame, 0, 0);
        frame.close();
        const rgba = ctx.getImageData(0, 0, width, height).data;
        const alpha = new Uint8Array(width * height);
        for (let i = 0; i < alpha.length; i++) {
          if (!key) alpha[i] = rgba[4 * i + 3]!;
          else {
            // Distance to the key colour as alpha: 0 on the key, 255 from 96 levels (RGB) away.
            const d = Math.hypot(rgba[4 * i]! - key[0], rgba[4 * i + 1]! - key[1], rgba[4 * i + 2]! - key[2]);
            alpha[i] = Math.min(255, Math.round((d / 96) * 255));
          }
          const x = i % width;
          const y = (i / width) | 0;
          if (x === 0 || y === 0 || x === width - 1 || y === height - 1) borderAlphaMin = Math.min(borderAlphaMin, rgba[4 * i + 3]!);
        }
        let soft = 0;
        let person = 0;
        for (const a of alpha) {
          if (a > 25 && a < 230) soft++;
          if (a > 127) person++;
        }
        band.push(soft / alpha.length);
        personShare.push(person / alpha.length);
        if (previous) {
          let flipped = 0;
          for (let i = 0; i < alpha.length; i++) if (alpha[i]! > 127 !== previous[i]! > 127) flipped++;
          flips.push(flipped / alpha.length);
        }
        previous = alpha;
      }
    } finally {
      await reader.cancel();
      track.stop();
    }
    return { width, height, band, flips, borderAlphaMin, personShare, lastMask: Array.from(previous ?? [], (a) => (a > 127 ? 1 : 0)) };
  }
}

const page = new CallPage();
(window as unknown as { callPage: CallPage }).callPage = page;
byId('start').addEventListener('click', () => void page.start().catch((e: Error) => (status.textContent = `The camera could not start: ${e.message}`)));
byId('stop').addEventListener('click', () => void page.stop());
for (const input of document.querySelectorAll<HTMLInputElement>('input[name="effect"]')) input.addEventListener('change', () => void page.setEffect(input.value as 'blur'));
