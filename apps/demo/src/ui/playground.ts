/** Augmentation playground: @sinet/augment presets on the current photo and mask; the loss's boundary band. */
import * as tf from '@tensorflow/tfjs-core';
import { PRESETS, type PresetName } from '@sinet/augment';
import { boundaryBand } from '@sinet/losses';
import { byId, decodeImageFile, onFiles, pixelsOf, showError, canvasOf } from './dom';
import type { PhotoView } from './photo';
import { DemoError } from '../errors';

const TILES = 8;
/** Working size: augmentation is per-pixel work in JS; a preview does not need full resolution. */
const MAX_SIDE = 320;

export class PlaygroundView {
  private seed = 1;

  constructor(private readonly photo: PhotoView) {
    byId('reseed').addEventListener('click', () => {
      this.seed = (Math.random() * 2 ** 31) | 0;
      void this.render();
    });
    byId('augment-preset').addEventListener('change', () => void this.render());
    byId('band-kernel').addEventListener('change', () => void this.render());
    onFiles(byId<HTMLInputElement>('mask-file'), async ([file]) => {
      try {
        const current = this.photo.current;
        if (!current) throw new DemoError('choose a photo first (Photo tab)', 'INPUT');
        const bitmap = await decodeImageFile(file);
        if (bitmap.width !== current.canvas.width || bitmap.height !== current.canvas.height) {
          throw new DemoError(`${file.name}: the mask is ${bitmap.width}×${bitmap.height}, the photo ${current.canvas.width}×${current.canvas.height}`, 'IMAGE_FILE');
        }
        const rgba = pixelsOf(canvasOf(bitmap)).data;
        const mask = new Uint8Array(bitmap.width * bitmap.height);
        for (let i = 0; i < mask.length; i++) mask[i] = rgba[4 * i]! > 127 ? 1 : 0;
        this.photo.setGivenMask(mask);
        showError(null);
        await this.render();
      } catch (e) {
        showError((e as Error).message);
      }
    });
    photo.onChange(() => {
      if (!byId('panel-playground').hidden) void this.render();
    });
  }

  async render(): Promise<void> {
    const current = this.photo.current;
    const mask = this.photo.mask;
    byId('seed').textContent = `seed ${this.seed}`;
    if (!current || !mask) {
      byId('augment-grid').textContent = 'Choose a photo in the Photo tab first.';
      return;
    }
    const { width: w0, height: h0 } = current.canvas;
    const scale = Math.min(1, MAX_SIDE / Math.max(w0, h0));
    const w = Math.round(w0 * scale);
    const h = Math.round(h0 * scale);
    const small = document.createElement('canvas');
    small.width = w;
    small.height = h;
    small.getContext('2d')!.drawImage(current.canvas, 0, 0, w, h);
    const image = pixelsOf(small);
    const smallMask = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) smallMask[y * w + x] = mask[Math.min(h0 - 1, Math.floor(y / scale)) * w0 + Math.min(w0 - 1, Math.floor(x / scale))]!;
    const preset = byId<HTMLSelectElement>('augment-preset').value as PresetName;
    const augmenter = PRESETS[preset]({ seed: this.seed });
    const tiles = [];
    for (let i = 0; i < TILES; i++) {
      const out = augmenter.augmentSample({ image: { data: image.data, width: w, height: h, channels: 4 }, mask: { data: smallMask, width: w, height: h } });
      tiles.push(this.tile(out.image.data, out.mask!.data, out.image.width, out.image.height, out.image.channels));
    }
    byId('augment-grid').replaceChildren(...tiles);
    this.drawBand(smallMask, w, h, Number(byId<HTMLSelectElement>('band-kernel').value));
  }

  /** An augmented image with its mask's outline tinted. */
  private tile(data: ArrayLike<number>, mask: Uint8Array, w: number, h: number, channels: number): HTMLCanvasElement {
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', 'augmented photo with its mask tinted');
    const pixels = new ImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++) pixels.data[4 * i + c] = data[i * channels + c]!;
      if (mask[i] === 1) pixels.data[4 * i + 1] = Math.min(255, pixels.data[4 * i + 1]! * 0.6 + 100);
      pixels.data[4 * i + 3] = 255;
    }
    canvas.getContext('2d')!.putImageData(pixels, 0, 0);
    return canvas;
  }

  private drawBand(mask: Uint8Array, w: number, h: number, kernel: number): void {
    const band = tf.tidy(() => {
      const labels = tf.tensor3d(Int32Array.from(mask), [1, h, w], 'int32');
      return boundaryBand(labels, tf.zeros([1, h, w, 2]), { kernel });
    });
    void band.data().then((values: ArrayLike<number>) => {
      band.dispose();
      const canvas = byId<HTMLCanvasElement>('band');
      canvas.width = w;
      canvas.height = h;
      const pixels = new ImageData(w, h);
      for (let i = 0; i < w * h; i++) {
        const inBand = values[i]! > 0;
        pixels.data.set(inBand ? [255, 80, 80, 255] : mask[i] ? [200, 200, 200, 255] : [30, 30, 30, 255], 4 * i);
      }
      canvas.getContext('2d')!.putImageData(pixels, 0, 0);
      let count = 0;
      for (let i = 0; i < values.length; i++) if (values[i]! > 0) count++;
      canvas.dataset.bandPixels = String(count);
    });
  }
}
