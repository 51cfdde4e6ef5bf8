/**
 * Training progress: on a terminal one bar redrawn in place (step, epoch, loss, img/s, ETA of the
 * epoch and of the run); elsewhere (CI logs, nohup) a plain line at most every `lineEverySeconds`.
 * Log lines go through `log` so the bar never garbles them.
 */

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  stage: number;
  stages: number;
  kind: string;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Mean training loss so far in the epoch. */
  loss: number;
  imagesPerSecond: number;
  /** Seconds left in the epoch and in the whole run (NaN while unknown). */
  epochEta: number;
  runEta: number;
}

/** 75 -> "1:15", 3725 -> "1:02:05"; "--:--" while unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function formatProgress(p: ProgressState, barWidth = 20): string {
  const filled = p.steps > 0 ? Math.min(barWidth, Math.round((barWidth * p.step) / p.steps)) : 0;
  const bar = barWidth > 0 ? ` [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]` : '';
  return (
    `stage ${p.stage}/${p.stages} (${p.kind}) epoch ${p.epoch}/${p.epochs}${bar} ${p.step}/${p.steps}` +
    ` loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : '-'} ${p.imagesPerSecond.toFixed(2)} img/s` +
    ` ETA ${formatDuration(p.epochEta)} (run ${formatDuration(p.runEta)})`
  );
}

/**
 * Seconds per image, smoothed: the first steps (kernel compilation, warm-up) weigh little once
 * more arrive. Remaining images times this is the ETA.
 */
export class ThroughputMeter {
  private secondsPerImage = NaN;
  private samples = 0;
  constructor(private readonly smoothing = 0.1) {}

  add(images: number, seconds: number): void {
    if (images <= 0 || !(seconds >= 0)) return;
    const rate = seconds / images;
    this.samples++;
    // Plain mean for the first few, then an exponential moving average.
    const weight = Math.max(this.smoothing, 1 / this.samples);
    this.secondsPerImage = this.samples === 1 ? rate : this.secondsPerImage + weight * (rate - this.secondsPerImage);
  }

  get imagesPerSecond(): number {
    return this.samples ? 1 / this.secondsPerImage : 0;
  }

  eta(imagesLeft: number): number {
    return this.samples ? imagesLeft * this.secondsPerImage : NaN;
  }
}

export class ProgressReporter {
  private shown = false;
  private lastDraw = -Infinity;
  private lastLine = -Infinity;

  constructor(
    private readonly sink: ProgressSink | null,
    private readonly options: { lineEverySeconds?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? (() => performance.now() / 1000))();
  }

  private clear(): void {
    if (this.shown && this.sink?.isTTY) this.sink.write('\r\x1b[2K');
    this.shown = false;
  }

  /** A permanent line (epoch summaries, warnings). */
  log(line: string, fallback?: (line: string) => void): void {
    if (!this.sink) return fallback?.(line);
    this.clear();
    this.sink.write(`${line}\n`);
  }

  update(state: ProgressState): void {
    if (!this.sink) return;
    const now = this.now();
    const final = state.step === state.steps;
    if (this.sink.isTTY) {
      if (!final && now - this.lastDraw < 0.1) return;
      this.lastDraw = now;
      const columns = this.sink.columns ?? 100;
      let text = formatProgress(state);
      if (text.length >= columns) text = formatProgress(state, 0).slice(0, columns - 1);
      this.sink.write(`\r\x1b[2K${text}`);
      this.shown = true;
    } else if (now - this.lastLine >= (this.options.lineEverySeconds ?? 60) && !final) {
      this.lastLine = now;
      this.sink.write(`${formatProgress(state, 0)}\n`);
    }
  }

  done(): void {
    this.clear();
  }
}
