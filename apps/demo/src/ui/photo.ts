/** Photo mode: the mask of an uploaded photo, the cut-out PNG and the blurred or replaced result. */
import { blurBackground, cutout, replaceBackground, type CompositeOptions, type RgbaImage, type Segmentation } from '@sinet/model';
import { getBackend } from '@tensorflow/tfjs-core';
import { DEFAULT_BACKGROUND_COLOUR } from '../constants';
import { canvasToPng, Compositor, type Effect } from '../engine/compositor';
import { lookInside } from '../engine/inside';
import type { SizedModel } from '../engine/model-source';
import { byId, canvasOf, decodeImageFile, onFiles, setStatus, showError } from './dom';
import { renderInside } from './inside-view';
import type { LiveView } from './live';

export interface PhotoResult {
  name: string;
  width: number;
  height: number;
  /** 1 = person, at the photo's resolution. */
  mask: Uint8Array;
  probabilities: Float32Array;
  /** The tfjs backend that produced it. */
  backend: string;
}

/** Runs a task while no other engine change (backend switch, model load, fine-tuning) runs. */
export type Exclusive = (task: () => Promise<void>) => Promise<void>;

export class PhotoView {
  private readonly input = byId<HTMLCanvasElement>('photo-input');
  private readonly compositor = new Compositor();
  private photo: { name: string; canvas: HTMLCanvasElement } | null = null;
  /** A mask loaded by the visitor for the current photo (playground, fine-tuning). */
  private givenMask: Uint8Array | null = null;
  result: PhotoResult | null = null;
  /** Times the network has segmented a photo (redraws reuse the last run). */
  networkRuns = 0;
  /** The last run: its photo, probabilities and time. */
  private last: { photo: { name: string; canvas: HTMLCanvasElement }; segmentation: Segmentation; ms: number } | null = null;
  private urls: string[] = [];
  private readonly changeListeners: (() => void)[] = [];

  constructor(
    private readonly sized: () => SizedModel | null,
    private readonly live: LiveView,
    private readonly exclusive: Exclusive,
  ) {
    onFiles(byId<HTMLInputElement>('photo-file'), ([file]) => void this.load(file), byId('photo-drop'));
    // The first screen's photo drop zone opens the Photo tab with it.
    onFiles(byId<HTMLInputElement>('quick-photo-file'), ([file]) => {
      byId('tab-photo').click();
      void this.load(file);
    }, byId('quick-photo-drop'));
    // Refinement changes the probabilities: the network runs again. Effect, edges, threshold and
    // feathering only change how they are drawn: the last run's probabilities are reused.
    byId('photo-refine').addEventListener('change', () => void this.refresh());
    for (const id of ['photo-effect', 'photo-edges', 'photo-threshold', 'photo-feather']) byId(id).addEventListener('change', () => void this.redraw());
  }

  onChange(fn: () => void): void {
    this.changeListeners.push(fn);
  }

  get current(): { name: string; canvas: HTMLCanvasElement } | null {
    return this.photo;
  }

  /** The mask used for augmentation and fine-tuning: the visitor's, else the model's. */
  get mask(): Uint8Array | null {
    return this.givenMask ?? this.result?.mask ?? null;
  }

  setGivenMask(mask: Uint8Array | null): void {
    this.givenMask = mask;
    this.changeListeners.forEach((fn) => fn());
  }

  async load(file: File): Promise<void> {
    showError(null);
    try {
      const bitmap = await decodeImageFile(file);
      this.photo = { name: file.name, canvas: canvasOf(bitmap, this.input) };
      bitmap.close();
      this.givenMask = null;
      await this.refresh();
    } catch (e) {
      showError((e as Error).message);
    }
  }

  /**
   * Segments the current photo with the current model and redraws every view of it, after
   * any engine change in flight (its tensors could otherwise be disposed under it).
   */
  refresh(): Promise<void> {
    return this.exclusive(() => this.segmentAndDraw(true));
  }

  /** Redraws the current photo from the last run's probabilities (a new threshold, effect or edge); segments it if it has none. */
  redraw(): Promise<void> {
    return this.exclusive(() => this.segmentAndDraw(false));
  }

  private async segmentAndDraw(runNetwork: boolean): Promise<void> {
    const sized = this.sized();
    if (!this.photo || !sized) return;
    const { canvas, name } = this.photo;
    const threshold = Number(byId<HTMLInputElement>('photo-threshold').value) / 100;
    const reuse = !runNetwork && this.last?.photo === this.photo ? this.last : null;
    let seg: Segmentation;
    if (reuse) {
      // As segment() thresholds: probability above the threshold.
      seg = { ...reuse.segmentation, mask: Uint8Array.from(reuse.segmentation.probabilities, (p) => (p > threshold ? 1 : 0)) };
    } else {
      setStatus(`segmenting ${name}…`);
      const started = performance.now();
      // The photo defaults (flip test, and edges that follow the photo's own: see @sinet/model's README), refinement switchable.
      seg = await sized.segmenter.segment(canvas, { threshold, refine: byId<HTMLInputElement>('photo-refine').checked });
      this.networkRuns++;
      this.last = { photo: this.photo, segmentation: seg, ms: performance.now() - started };
    }
    const { ms } = this.last!;
    this.result = { name, width: seg.width, height: seg.height, mask: seg.mask, probabilities: seg.probabilities, backend: getBackend() };
    const person = seg.mask.reduce((n, v) => n + v, 0) / seg.mask.length;
    byId('photo-info').textContent = `${seg.width}×${seg.height}, ${(100 * person).toFixed(1)}% person, segmented in ${ms.toFixed(0)} ms`;
    this.compositor.setMask(seg.probabilities, seg.width, seg.height);
    const maskCanvas = byId<HTMLCanvasElement>('photo-mask');
    this.compositor.render(maskCanvas, canvas, seg.width, seg.height, { effect: 'colour', colour: '#000', blurPx: 0 });
    // The mask itself: white person on black.
    const m = maskCanvas.getContext('2d')!;
    const pixels = m.createImageData(seg.width, seg.height);
    for (let i = 0; i < seg.mask.length; i++) {
      const v = seg.mask[i]! * 255;
      pixels.data.set([v, v, v, 255], 4 * i);
    }
    m.putImageData(pixels, 0, 0);
    const effect = byId<HTMLSelectElement>('photo-effect').value as Effect;
    const resultCanvas = byId<HTMLCanvasElement>('photo-result');
    const cutoutCanvas = byId<HTMLCanvasElement>('photo-cutout');
    // The library's compositors, as an app built on @sinet/model would use them.
    const hard = byId<HTMLSelectElement>('photo-edges').value === 'hard';
    const feather = Number(byId<HTMLInputElement>('photo-feather').value);
    const edges: CompositeOptions = hard ? { threshold, feather } : { soft: true };
    const colour = byId<HTMLInputElement>('colour').value || DEFAULT_BACKGROUND_COLOUR;
    const background = this.live.backgroundImage;
    let composed: RgbaImage | null = null;
    if (effect === 'blur') composed = await blurBackground(canvas, seg, edges);
    else if (effect === 'colour' || (effect === 'image' && !background)) composed = await replaceBackground(canvas, seg, colour, edges);
    else if (effect === 'image') composed = await replaceBackground(canvas, seg, background!, edges);
    if (composed) drawRgba(resultCanvas, composed);
    else {
      this.compositor.setMask(seg.probabilities, seg.width, seg.height, [60, 220, 120]);
      this.compositor.render(resultCanvas, canvas, seg.width, seg.height, { effect, blurPx: 0, colour });
    }
    drawRgba(cutoutCanvas, await cutout(canvas, seg, edges));
    await this.offerDownloads(resultCanvas, cutoutCanvas, byId<HTMLCanvasElement>('photo-mask'), name);
    // The network's insides change only with a new run.
    if (!reuse) renderInside(byId('photo-inside'), await lookInside(sized, canvas), canvas.width / canvas.height);
    setStatus(`segmented ${name}`);
    document.body.dataset.photo = 'done';
    this.changeListeners.forEach((fn) => fn());
  }

  private async offerDownloads(result: HTMLCanvasElement, cutout: HTMLCanvasElement, mask: HTMLCanvasElement, name: string): Promise<void> {
    this.urls.forEach((u) => URL.revokeObjectURL(u));
    const stem = name.replace(/\.[^.]+$/, '');
    const pngs = await Promise.all([canvasToPng(result), canvasToPng(cutout), canvasToPng(mask)]);
    this.urls = pngs.map((png) => URL.createObjectURL(png));
    const links: [string, string, string][] = [
      ['download-result', this.urls[0]!, `${stem}-result.png`],
      ['download-cutout', this.urls[1]!, `${stem}-cutout.png`],
      ['download-mask', this.urls[2]!, `${stem}-mask.png`],
    ];
    for (const [id, href, file] of links) {
      const a = byId<HTMLAnchorElement>(id);
      a.href = href;
      a.download = file;
      a.setAttribute('aria-disabled', 'false');
    }
  }
}

/** Puts an RGBA image from the library on a canvas of its size. */
function drawRgba(canvas: HTMLCanvasElement, image: RgbaImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(new ImageData(Uint8ClampedArray.from(image.data), image.width, image.height), 0, 0);
}
