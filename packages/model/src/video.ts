/**
 * Segmentation of video frames: person probabilities at the model's resolution, smoothed over
 * time by an exponential moving average against flicker (what users of every portrait
 * segmenter ask for) that follows motion: a still pixel is averaged, a pixel whose brightness
 * changed takes the new frame (a still edge stops flickering, a moving hand is not smeared).
 * Read back asynchronously (never a sync read on a browser's main thread); the history is plain
 * arrays, so frames keep no tensors between calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_FRAME_SMOOTHING, DEFAULT_MOTION_LEVELS } from './constants.js';
import { decodeLogits } from './decode.js';
import { imageToRgbTensor, InputError, type ImageInput } from './pixels.js';
import type { Segmenter } from './segmenter.js';

export interface VideoSegmenterOptions {
  /**
   * Weight of the newest frame in the moving average where the picture is still, in (0, 1]: 1
   * turns smoothing off, smaller values smooth more (and lag more). Default DEFAULT_FRAME_SMOOTHING.
   */
  smoothing?: number;
  /**
   * Motion that ends smoothing, per pixel: the change of brightness (levels of 0..255, at the
   * model's resolution) since the previous frame at which a pixel takes the new frame alone.
   * Between a quarter of it (sensor noise) and all of it the weight rises linearly from
   * `smoothing` to 1. Default DEFAULT_MOTION_LEVELS; Infinity smooths every pixel alike.
   */
  motionLevels?: number;
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
/** BT.601 luma of RGB on 0..255. */
const LUMA_WEIGHTS = [0.299, 0.587, 0.114];

/** Elements whose pixels change under us while the model runs: copied to an ImageBitmap first. */
function isLiveElement(frame: unknown): boolean {
  return (typeof HTMLVideoElement !== 'undefined' && frame instanceof HTMLVideoElement) || (typeof HTMLCanvasElement !== 'undefined' && frame instanceof HTMLCanvasElement) || (typeof OffscreenCanvas !== 'undefined' && frame instanceof OffscreenCanvas);
}

function checkSmoothing(value: number): number {
  if (!(typeof value === 'number' && value > 0 && value <= 1)) throw new InputError(`smoothing: must be in (0, 1] (the newest frame's weight), got ${value}`);
  return value;
}

export class VideoSegmenter {
  private previous: { probabilities: Float32Array; luma: Float32Array | null; width: number; height: number } | null = null;
  private thumbnail: Float32Array | null = null;
  private weight: number;
  private readonly cutLevels: number;
  private readonly motionLevels: number;

  constructor(
    readonly segmenter: Segmenter,
    options: VideoSegmenterOptions = {},
  ) {
    this.weight = checkSmoothing(options.smoothing ?? DEFAULT_FRAME_SMOOTHING);
    this.cutLevels = options.sceneCutLevels ?? 24;
    if (!(this.cutLevels > 0)) throw new InputError(`sceneCutLevels: must be > 0 (Infinity never cuts), got ${options.sceneCutLevels}`);
    this.motionLevels = options.motionLevels ?? DEFAULT_MOTION_LEVELS;
    if (!(this.motionLevels > 0)) throw new InputError(`motionLevels: must be > 0 (Infinity smooths every pixel alike), got ${options.motionLevels}`);
  }

  /** The newest frame's weight; can change between frames (e.g. from a slider). */
  get smoothing(): number {
    return this.weight;
  }

  set smoothing(value: number) {
    this.weight = checkSmoothing(value);
  }

  /**
   * Segments the next frame: p = a * p_frame + (1 - a) * p_previous per pixel, where a is
   * `smoothing` at a still pixel and rises to 1 with the pixel's change of brightness (see motionLevels).
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
    let lumaTensor: tf.Tensor | null;
    try {
      logits = await this.segmenter.predictLogits(rgb);
      // Brightness at the probabilities' resolution, for the motion of each pixel.
      lumaTensor = Number.isFinite(this.motionLevels) ? tf.tidy(() => tf.sum(tf.mul(tf.image.resizeBilinear(rgb, [logits.shape[1], logits.shape[2]]), LUMA_WEIGHTS), -1)) : null;
    } catch (e) {
      thumb.dispose();
      throw e;
    } finally {
      rgb.dispose();
    }
    const [, height, width, classes] = logits.shape;
    let values: Float32Array;
    let thumbnail: Float32Array;
    let luma: Float32Array | null;
    try {
      [values, thumbnail, luma] = (await Promise.all([logits.data(), thumb.data(), lumaTensor?.data() ?? null])) as [Float32Array, Float32Array, Float32Array | null];
    } finally {
      tf.dispose([logits, thumb, ...(lumaTensor ? [lumaTensor] : [])]);
    }
    const p = decodeLogits(values, classes, this.segmenter.metadata.personClass, 0.5).probabilities;
    const last = this.thumbnail;
    const change = last ? thumbnail.reduce((sum, v, i) => sum + Math.abs(v - last[i]!), 0) / thumbnail.length : Infinity;
    this.thumbnail = thumbnail;
    const previous = this.previous;
    const sceneCut = !previous || change > this.cutLevels || previous.width !== width || previous.height !== height;
    const a = this.weight;
    if (!sceneCut && a < 1) {
      const q = previous!.probabilities;
      const before = previous!.luma;
      if (luma && before) {
        const floor = this.motionLevels / 4;
        const span = this.motionLevels - floor;
        for (let i = 0; i < p.length; i++) {
          const moved = Math.min(1, Math.max(0, (Math.abs(luma[i]! - before[i]!) - floor) / span));
          const w = a + (1 - a) * moved;
          p[i] = w * p[i]! + (1 - w) * q[i]!;
        }
      } else {
        for (let i = 0; i < p.length; i++) p[i] = a * p[i]! + (1 - a) * q[i]!;
      }
    }
    this.previous = { probabilities: p.slice(), luma, width, height };
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
