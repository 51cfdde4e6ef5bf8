/**
 * Segmentation of video frames: person probabilities at the model's resolution, smoothed over
 * time by an exponential moving average against flicker (what users of every portrait
 * segmenter ask for), read back asynchronously (never a sync read on a browser's main thread);
 * the history is a plain array, so frames keep no tensors between calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_FRAME_SMOOTHING } from './constants.js';
import { decodeLogits } from './decode.js';
import { imageToRgbTensor, InputError, type ImageInput } from './pixels.js';
import type { Segmenter } from './segmenter.js';

export interface VideoSegmenterOptions {
  /**
   * Weight of the newest frame in the moving average, in (0, 1]: 1 turns smoothing off, smaller
   * values smooth more (and lag more). Default DEFAULT_FRAME_SMOOTHING.
   */
  smoothing?: number;
}

export interface FrameSegmentation {
  /** Smoothed person probability at the model's resolution, row-major. */
  probabilities: Float32Array;
  width: number;
  height: number;
  /** Milliseconds from the call to the probabilities on the CPU. */
  latencyMs: number;
}

function checkSmoothing(value: number): number {
  if (!(typeof value === 'number' && value > 0 && value <= 1)) throw new InputError(`smoothing: must be in (0, 1] (the newest frame's weight), got ${value}`);
  return value;
}

export class VideoSegmenter {
  private previous: { probabilities: Float32Array; width: number; height: number } | null = null;
  private weight: number;

  constructor(
    readonly segmenter: Segmenter,
    options: VideoSegmenterOptions = {},
  ) {
    this.weight = checkSmoothing(options.smoothing ?? DEFAULT_FRAME_SMOOTHING);
  }

  /** The newest frame's weight; can change between frames (e.g. from a slider). */
  get smoothing(): number {
    return this.weight;
  }

  set smoothing(value: number) {
    this.weight = checkSmoothing(value);
  }

  /**
   * Segments the next frame: p = smoothing * p_frame + (1 - smoothing) * p_previous, per pixel.
   * The history restarts after `reset()` or when the model's input size changes.
   */
  async segmentFrame(frame: ImageInput): Promise<FrameSegmentation> {
    const started = performance.now();
    const logits = tf.tidy(() => this.segmenter.predictLogits(tf.expandDims(imageToRgbTensor(frame, 'frame'), 0) as tf.Tensor4D));
    const [, height, width, classes] = logits.shape;
    let values: Float32Array;
    try {
      values = (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
    const p = decodeLogits(values, classes, this.segmenter.metadata.personClass, 0.5).probabilities;
    const a = this.weight;
    const previous = this.previous;
    if (previous && a < 1 && previous.width === width && previous.height === height) {
      const q = previous.probabilities;
      for (let i = 0; i < p.length; i++) p[i] = a * p[i] + (1 - a) * q[i];
    }
    this.previous = { probabilities: p.slice(), width, height };
    return { probabilities: p, width, height, latencyMs: performance.now() - started };
  }

  /** Forgets the history (after a cut or a camera switch). */
  reset(): void {
    this.previous = null;
  }

  /** Frees the history; the Segmenter stays the caller's. */
  dispose(): void {
    this.reset();
  }
}
