/** Fine-tuning in the page with @sinet/train/fine-tune: a few photos with masks, a short run, IoU before and after. */
import * as tf from '@sinet/layers/tfjs';
import { fineTune, personIou, type FineTuneSample } from '@sinet/train/fine-tune';
import type { AppState } from '../state';
import { byId, pixelsOf, setStatus, showError, swapFocus } from './dom';
import type { Exclusive, PhotoView } from './photo';

export class FineTuneView {
  readonly samples: FineTuneSample[] = [];
  private stop: AbortController | null = null;
  lastReport: { before: number; after: number; steps: number; losses: number[] } | null = null;

  constructor(
    private readonly state: () => AppState,
    private readonly photo: PhotoView,
    private readonly rebuild: () => Promise<void>,
    private readonly exclusive: Exclusive,
  ) {
    byId('ft-add').addEventListener('click', () => this.add());
    byId('ft-run').addEventListener('click', () => void this.run());
    byId('ft-stop').addEventListener('click', () => this.stop?.abort());
    byId('ft-reset').addEventListener('click', () => void this.exclusive(() => this.reset()));
    byId('ft-download').addEventListener('click', () => void this.download());
  }

  /** The weights as loaded, kept from the first tuning on, for Reset; null while untuned. */
  private original: tf.Tensor[] | null = null;

  /** Says which engine trains: the active tfjs backend (onnxruntime-web, when chosen, only runs the network). */
  describeEngine(backend: string | null, runtime: 'tfjs' | 'onnx' = 'tfjs'): void {
    byId('ft-engine').textContent = backend ? `the ${backend} backend of TensorFlow.js${runtime === 'onnx' ? ' (onnxruntime-web runs the network but cannot train it)' : ''}` : 'the active backend';
  }

  /** A new model was loaded: there is nothing to reset to any more. */
  forget(): void {
    tf.dispose(this.original ?? []);
    this.original = null;
    byId<HTMLButtonElement>('ft-reset').disabled = true;
    byId<HTMLButtonElement>('ft-download').disabled = true;
  }

  private async reset(): Promise<void> {
    const { base } = this.state();
    if (!base || !this.original) return;
    base.setWeights(this.original);
    this.forget();
    byId('ft-result').textContent = 'reset to the loaded model';
    await this.rebuild();
  }

  private async download(): Promise<void> {
    const { base } = this.state();
    if (!base) return;
    // model.json (with the SINet metadata) and its weights, as two files; loadable with "Load a model".
    await base.save('downloads://sinet-finetuned');
  }

  /** The loss per step, with its axes: loss (its range) up, steps across. */
  private drawLosses(losses: number[], steps: number): void {
    const canvas = byId<HTMLCanvasElement>('ft-chart');
    const c = canvas.getContext('2d')!;
    const ink = getComputedStyle(canvas).color || '#36c';
    c.clearRect(0, 0, canvas.width, canvas.height);
    const plot = { left: 48, right: canvas.width - 8, top: 8, bottom: canvas.height - 22 };
    c.strokeStyle = ink;
    c.fillStyle = ink;
    c.lineWidth = 1;
    c.font = '11px system-ui, sans-serif';
    c.beginPath();
    c.moveTo(plot.left, plot.top);
    c.lineTo(plot.left, plot.bottom);
    c.lineTo(plot.right, plot.bottom);
    c.stroke();
    c.textAlign = 'center';
    c.textBaseline = 'top';
    c.fillText('1', plot.left, plot.bottom + 4);
    c.fillText(`step ${steps}`, plot.right - 18, plot.bottom + 4);
    if (losses.length === 0) {
      canvas.setAttribute('aria-label', 'Training loss per step: none yet');
      return;
    }
    const max = Math.max(...losses);
    const min = Math.min(...losses);
    const span = max - min || 1;
    c.textAlign = 'right';
    c.textBaseline = 'middle';
    c.fillText(max.toFixed(3), plot.left - 4, plot.top + 4);
    c.fillText(min.toFixed(3), plot.left - 4, plot.bottom - 4);
    c.save();
    c.translate(10, (plot.top + plot.bottom) / 2);
    c.rotate(-Math.PI / 2);
    c.textAlign = 'center';
    c.fillText('loss', 0, 0);
    c.restore();
    c.lineWidth = 2;
    c.beginPath();
    losses.forEach((l, i) => {
      const x = plot.left + (i / Math.max(1, steps - 1)) * (plot.right - plot.left);
      const y = plot.bottom - ((l - min) / span) * (plot.bottom - plot.top);
      if (i === 0) c.moveTo(x, y);
      else c.lineTo(x, y);
    });
    c.stroke();
    canvas.setAttribute('aria-label', `Training loss per step: ${losses[0]!.toFixed(3)} at step 1, ${losses.at(-1)!.toFixed(3)} at step ${losses.length} (lowest ${min.toFixed(3)})`);
  }

  add(): void {
    const current = this.photo.current;
    const mask = this.photo.mask;
    if (!current || !mask) {
      showError('Choose a photo in the Photo tab first (its mask is the model\'s, or one you load in the Augmentation tab).');
      return;
    }
    const rgba = pixelsOf(current.canvas);
    this.samples.push({ image: { data: rgba.data, width: rgba.width, height: rgba.height, channels: 4 }, mask: { data: mask.slice(), width: rgba.width, height: rgba.height } });
    byId('ft-count').textContent = `${this.samples.length} pair${this.samples.length === 1 ? '' : 's'}`;
    byId<HTMLButtonElement>('ft-run').disabled = false;
  }

  /** Fine-tunes while no backend switch or model load can dispose the model under it. */
  run(): Promise<void> {
    return this.exclusive(() => this.tune());
  }

  private async tune(): Promise<void> {
    const { base, sized } = this.state();
    if (!base || !sized || this.samples.length === 0) return;
    const steps = Number(byId<HTMLInputElement>('ft-steps').value);
    const lr = Number(byId<HTMLInputElement>('ft-lr').value);
    const model = sized.segmenter.model;
    const progress = byId<HTMLProgressElement>('ft-progress');
    this.stop = new AbortController();
    swapFocus(byId<HTMLButtonElement>('ft-run'), byId<HTMLButtonElement>('ft-stop'));
    const losses: number[] = [];
    this.drawLosses(losses, steps);
    try {
      this.original ??= base.getWeights().map((w) => tf.keep(w.clone()));
      const before = await personIou(model, this.samples);
      const started = performance.now();
      const result = await fineTune(model, this.samples, {
        steps,
        lr,
        // A few hand-corrected photos are to be fitted: heavy augmentation (rotations to 45 degrees,
        // scale 0.5-1.5) over a dozen steps made a good model worse on them (person IoU 0.97 -> 0.90).
        augment: 'none',
        signal: this.stop.signal,
        onStep: (step, loss) => {
          progress.value = step / steps;
          losses.push(loss);
          this.drawLosses(losses, steps);
          const eta = ((performance.now() - started) / step) * (steps - step);
          byId('ft-eta').textContent = step < steps ? `about ${Math.ceil(eta / 1000)} s left` : '';
          setStatus(`fine-tuning: step ${step}/${steps}, loss ${loss.toFixed(4)}`);
        },
      });
      const after = await personIou(model, this.samples);
      // Keep the tuned weights when the input size changes.
      base.setWeights(model.getWeights());
      this.lastReport = { before, after, steps: result.losses.length, losses: result.losses };
      byId('ft-result').textContent = `person IoU on the ${this.samples.length} photo${this.samples.length === 1 ? '' : 's'} it trained on (not a measure on new photos): ${(100 * before).toFixed(1)} → ${(100 * after).toFixed(1)} after ${result.losses.length} steps${result.stopped ? ' (stopped)' : ''}`;
      byId('ft-eta').textContent = '';
      byId<HTMLButtonElement>('ft-reset').disabled = false;
      byId<HTMLButtonElement>('ft-download').disabled = false;
      // Rebuilding announces a new model, which re-segments the photo once this task ends.
      await this.rebuild();
    } catch (e) {
      showError(`fine-tuning failed: ${(e as Error).message}`);
    } finally {
      this.stop = null;
      swapFocus(byId<HTMLButtonElement>('ft-stop'), byId<HTMLButtonElement>('ft-run'));
    }
  }
}
