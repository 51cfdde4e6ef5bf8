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
  /**
   * A scene cut: the mean absolute change of a 16 x 16 thumbnail's colours between two frames,
   * in levels of 0..255, above which the history is dropped (the previous scene's mask must not
   * linger on the new one). Default 24; Infinity never cuts.
   */
  sceneCutLevels?: number;
}

export interface FrameSegmentation<Frame = ImageInput> {
  /** Smoothed person probability at the model's resolution, row-major. */
  probabilities: Float32Array;
  width: number;
  height: number;
  /**
   * The frame that was segmented: composite this one, not the video's current frame, which may
   * already be newer. A video or canvas element is copied to an ImageBitmap first (close it when
   * done); other inputs are returned as given.
   */
  frame: Frame | ImageBitmap;
  /** The smoothing history was dropped at this frame (the first frame, a reset, or a scene cut). */
  sceneCut: boolean;
  /** Milliseconds from the call to the probabilities on the CPU. */
  latencyMs: number;
}

const THUMBNAIL = 16;

/** Elements whose pixels change under us while the model runs: copied to an ImageBitmap first. */
function isLiveElement(frame: unknown): boolean {
  return (typeof HTMLVideoElement !== 'undefined' && frame instanceof HTMLVideoElement) || (typeof HTMLCanvasElement !== 'undefined' && frame instanceof HTMLCanvasElement) || (typeof OffscreenCanvas !== 'undefined' && frame instanceof OffscreenCanvas);
}

function checkSmoothing(value: number): number {
  if (!(typeof value === 'number' && value > 0 && value <= 1)) throw new InputError(`smoothing: must be in (0, 1] (the newest frame's weight), got ${value}`);
  return value;
}

export class VideoSegmenter {
  private previous: { probabilities: Float32Array; width: number; height: number } | null = null;
  private thumbnail: Float32Array | null = null;
  private weight: number;
  private readonly cutLevels: number;

  constructor(
    readonly segmenter: Segmenter,
    options: VideoSegmenterOptions = {},
  ) {
    this.weight = checkSmoothing(options.smoothing ?? DEFAULT_FRAME_SMOOTHING);
    this.cutLevels = options.sceneCutLevels ?? 24;
    if (!(this.cutLevels > 0)) throw new InputError(`sceneCutLevels: must be > 0 (Infinity never cuts), got ${options.sceneCutLevels}`);
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
   * The history restarts after `reset()`, at a scene cut, or when the model's input size changes.
   * Returns the frame it segmented with the probabilities (see FrameSegmentation.frame).
   */
  async segmentFrame<Frame extends ImageInput>(input: Frame): Promise<FrameSegmentation<Frame>> {
    const started = performance.now();
    const frame = isLiveElement(input) && typeof createImageBitmap === 'function' ? await createImageBitmap(input as ImageBitmapSource) : input;
    const rgb = tf.tidy(() => tf.expandDims(imageToRgbTensor(frame as ImageInput, 'frame'), 0) as tf.Tensor4D);
    // Colour per cell of a 16 x 16 grid (each the mean of 4 x 4 samples): a change of light or hue, not of noise.
    const thumb = tf.tidy(() => tf.avgPool(tf.image.resizeBilinear(rgb, [4 * THUMBNAIL, 4 * THUMBNAIL], false, true), 4, 4, 'valid'));
    let logits: tf.Tensor4D;
    try {
      logits = await this.segmenter.predictLogits(rgb);
    } catch (e) {
      thumb.dispose();
      throw e;
    } finally {
      rgb.dispose();
    }
    const [, height, width, classes] = logits.shape;
    let values: Float32Array;
    let thumbnail: Float32Array;
    try {
      [values, thumbnail] = (await Promise.all([logits.data(), thumb.data()])) as [Float32Array, Float32Array];
    } finally {
      tf.dispose([logits, thumb]);
    }
    const p = decodeLogits(values, classes, this.segmenter.metadata.personClass, 0.5).probabilities;
    const last = this.thumbnail;
    const change = last ? thumbnail.reduce((sum, v, i) => sum + Math.abs(v - last[i]), 0) / thumbnail.length : Infinity;
    this.thumbnail = thumbnail;
    const previous = this.previous;
    const sceneCut = !previous || change > this.cutLevels || previous.width !== width || previous.height !== height;
    const a = this.weight;
    if (!sceneCut && a < 1) {
      const q = previous!.probabilities;
      for (let i = 0; i < p.length; i++) p[i] = a * p[i] + (1 - a) * q[i];
    }
    this.previous = { probabilities: p.slice(), width, height };
    return { probabilities: p, width, height, frame, sceneCut, latencyMs: performance.now() - started };
  }

  /** Forgets the history (after a cut or a camera switch). */
  reset(): void {
    this.previous = null;
    this.thumbnail = null;
  }

  /** Frees the history; the Segmenter stays the caller's. */
  dispose(): void {
    this.reset();
  }
}
