/**
 * Per-frame segmentation for live video: the network at its input size, person probabilities
 * smoothed over time by an exponential moving average (against flicker), read back
 * asynchronously (never a sync read on the main thread). One frame in flight at a time.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Segmenter } from '@sinet/model';

export interface FrameResult {
  /** Person probability at the model's resolution, row-major. */
  probabilities: Float32Array;
  width: number;
  height: number;
  /** Milliseconds from the frame to its probabilities on the CPU. */
  latencyMs: number;
}

export class LivePipeline {
  private previous: tf.Tensor2D | null = null;
  /** Weight of the newest frame, in (0, 1]; 1 turns smoothing off. */
  smoothing: number;

  constructor(
    private readonly segmenter: Segmenter,
    smoothing: number,
  ) {
    this.smoothing = smoothing;
  }

  async process(frame: HTMLVideoElement | HTMLCanvasElement | ImageBitmap): Promise<FrameResult> {
    const started = performance.now();
    const person = this.segmenter.metadata.personClass;
    const current = tf.tidy(() => {
      const rgb = tf.expandDims(tf.browser.fromPixels(frame), 0) as tf.Tensor4D;
      const logits = this.segmenter.predictLogits(rgb);
      const p = tf.squeeze(tf.slice(tf.softmax(logits, -1), [0, 0, 0, person], [1, -1, -1, 1])) as tf.Tensor2D;
      const a = Math.min(1, Math.max(0.01, this.smoothing));
      if (!this.previous || a >= 1 || !shapesEqual(this.previous.shape, p.shape)) return p;
      return tf.add(tf.mul(p, a), tf.mul(this.previous, 1 - a)) as tf.Tensor2D;
    });
    this.previous?.dispose();
    this.previous = current;
    const [height, width] = current.shape;
    const probabilities = (await current.data()) as Float32Array;
    return { probabilities, width, height, latencyMs: performance.now() - started };
  }

  /** Forget the history (after a cut, a camera switch). */
  reset(): void {
    this.previous?.dispose();
    this.previous = null;
  }

  dispose(): void {
    this.reset();
  }
}

function shapesEqual(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Frames per second over a sliding window of completed frames. */
export class FpsMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 1000) {}

  tick(now = performance.now()): void {
    this.times.push(now);
    while (this.times.length > 1 && now - this.times[0] > this.windowMs) this.times.shift();
  }

  get fps(): number {
    if (this.times.length < 2) return 0;
    return ((this.times.length - 1) * 1000) / (this.times.at(-1)! - this.times[0]);
  }
}
