/**
 * Segmentation of video frames: person probabilities at the model's resolution, smoothed over
 * time by an exponential moving average against flicker (what users of every portrait
 * segmenter ask for), read back asynchronously (never a sync read on a browser's main thread).
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_FRAME_SMOOTHING } from './constants.js';
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
  private previous: tf.Tensor2D | null = null;
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
    const person = this.segmenter.metadata.personClass;
    const a = this.weight;
    const current = tf.tidy(() => {
      const rgb = tf.expandDims(imageToRgbTensor(frame, 'frame'), 0) as tf.Tensor4D;
      const logits = this.segmenter.predictLogits(rgb);
      const p = tf.squeeze(tf.slice(tf.softmax(logits, -1), [0, 0, 0, person], [1, -1, -1, 1]), [0, 3]) as tf.Tensor2D;
      const previous = this.previous;
      if (!previous || a >= 1 || previous.shape[0] !== p.shape[0] || previous.shape[1] !== p.shape[1]) return p;
      return tf.add(tf.mul(p, a), tf.mul(previous, 1 - a)) as tf.Tensor2D;
    });
    this.previous?.dispose();
    this.previous = current;
    const [height, width] = current.shape;
    const probabilities = (await current.data()) as Float32Array;
    return { probabilities, width, height, latencyMs: performance.now() - started };
  }

  /** Forgets the history (after a cut or a camera switch). */
  reset(): void {
    this.previous?.dispose();
    this.previous = null;
  }

  /** Frees the history; the Segmenter stays the caller's. */
  dispose(): void {
    this.reset();
  }
}
