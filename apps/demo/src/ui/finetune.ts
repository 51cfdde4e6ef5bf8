/** Fine-tuning in the page with @sinet/train/fine-tune: a few photos with masks, a short run, IoU before and after. */
import { fineTune, personIou, type FineTuneSample } from '@sinet/train/fine-tune';
import type { AppState } from '../state';
import { byId, pixelsOf, setStatus, showError } from './dom';
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
    byId<HTMLButtonElement>('ft-run').disabled = true;
    byId<HTMLButtonElement>('ft-stop').disabled = false;
    try {
      const before = await personIou(model, this.samples);
      const result = await fineTune(model, this.samples, {
        steps,
        lr,
        signal: this.stop.signal,
        onStep: (step, loss) => {
          progress.value = step / steps;
          setStatus(`fine-tuning: step ${step}/${steps}, loss ${loss.toFixed(4)}`);
        },
      });
      const after = await personIou(model, this.samples);
      // Keep the tuned weights when the input size changes.
      base.setWeights(model.getWeights());
      this.lastReport = { before, after, steps: result.losses.length, losses: result.losses };
      byId('ft-result').textContent = `person IoU on these ${this.samples.length} photos: ${(100 * before).toFixed(1)} → ${(100 * after).toFixed(1)} after ${result.losses.length} steps${result.stopped ? ' (stopped)' : ''}`;
      // Rebuilding announces a new model, which re-segments the photo once this task ends.
      await this.rebuild();
    } catch (e) {
      showError(`fine-tuning failed: ${(e as Error).message}`);
    } finally {
      this.stop = null;
      byId<HTMLButtonElement>('ft-run').disabled = false;
      byId<HTMLButtonElement>('ft-stop').disabled = true;
    }
  }
}
