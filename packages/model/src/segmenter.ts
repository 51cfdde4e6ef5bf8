/** The inference API, in the spirit of tfjs-models body-segmentation. */
import * as tf from '@sinet/layers/tfjs';
import '@sinet/layers';
import { rebuildWithInputSize } from './architecture.js';
import { getSINetMetadata, setSINetMetadata } from './metadata.js';
import { isModelLocation, loadModelFromUrl, type ModelLocation } from './model-files.js';
import { decodeLogits, type DecodedPixels } from './decode.js';
import { imageToRgbTensor, InputError, isPixelData, preprocess, type ImageInput } from './pixels.js';
import type { SINetMetadata } from './types.js';
import type { ModelRunner, OnnxRuntimeModule } from './onnx/runtime.js';
import { ModelError } from './errors.js';
import { refinedPixels, refineProbabilities, type RefineOptions } from './refine.js';

export interface SegmentOptions {
  /** Person probability above which a pixel is in the mask. Default 0.5. */
  threshold?: number;
  /** Mirror the input first (selfie cameras). The result is mirrored too. */
  flipHorizontal?: boolean;
  /**
   * Test-time augmentation: also run the mirrored image and average the two logits (twice the
   * network's time). Default true: see DEFAULT_SEGMENT_OPTIONS.
   */
  flipTest?: boolean;
  /**
   * Refine the person probability against the photo's own edges at its full size (a guided
   * filter, see refineSegmentation; its radius and epsilon may be given). Default true: see
   * DEFAULT_SEGMENT_OPTIONS.
   */
  refine?: boolean | Omit<RefineOptions, 'threshold'>;
  /**
   * How an image of another aspect than the model's input meets it (see Fit). Default 'stretch';
   * see the README for what each costs on photos that are not square.
   */
  fit?: Fit;
}

/**
 * How an image of another aspect than the model's input meets it: 'stretch' (resize to the input
 * size), 'letterbox' (pad to the input's aspect with the preprocessing's mean colour, then crop the
 * logits back) or 'aspect' (run the network at an input of the image's own aspect and about the
 * input's pixel count, see aspectInputSize: nothing stretched, nothing padded).
 */
export const FITS = ['stretch', 'letterbox', 'aspect'] as const;
export type Fit = (typeof FITS)[number];

function checkFit(fit: unknown): void {
  if (fit !== undefined && !FITS.includes(fit as Fit)) throw new InputError(`fit must be one of ${FITS.map((f) => `'${f}'`).join(', ')}, got ${JSON.stringify(fit)?.slice(0, 40)}`);
}

/** SINet's inputs are multiples of this (five halvings in the encoder). */
const INPUT_MULTIPLE = 32;
/** 'aspect' inputs are at most this elongated: a panorama is not run at 32 x 1568. */
const MAX_INPUT_ASPECT = 4;

/**
 * [height, width] for an image of `height` x `width` under fit 'aspect': the image's aspect
 * (clamped to 1:4 .. 4:1) at about the pixel count of `inputSize`, each side a multiple of 32.
 * 224 x 224 gives 192 x 256 for 4:3 landscape, 256 x 192 for 3:4 portrait, 160 x 288 for 16:9.
 */
export function aspectInputSize(inputSize: [number, number], height: number, width: number): [number, number] {
  const aspect = Math.min(MAX_INPUT_ASPECT, Math.max(1 / MAX_INPUT_ASPECT, width / height));
  const area = inputSize[0] * inputSize[1];
  const side = (v: number) => Math.max(INPUT_MULTIPLE, Math.round(v / INPUT_MULTIPLE) * INPUT_MULTIPLE);
  return [side(Math.sqrt(area / aspect)), side(Math.sqrt(area * aspect))];
}

/**
 * What `segment` does unless told otherwise: the best mask for a photo, flip test and refinement
 * on (2-2.5x the time of one pass of the network; on the cross-domain validation of the README
 * they add 1.3 points of person IoU to the default model). For video frames or batch
 * jobs where time counts, pass `{ flipTest: false, refine: false }`: one pass.
 */
export const DEFAULT_SEGMENT_OPTIONS = { threshold: 0.5, flipHorizontal: false, flipTest: true, refine: true, fit: 'stretch' } as const satisfies Required<SegmentOptions>;

/** predictLogits' options: the network's part of SegmentOptions. Here flipTest defaults to false (one pass). */
export type PredictOptions = Pick<SegmentOptions, 'flipTest' | 'fit'>;

export interface Segmentation {
  width: number;
  height: number;
  /** Person probability per pixel, row-major, at the input's resolution. */
  probabilities: Float32Array;
  /** 1 where the person probability exceeds the threshold, else 0. */
  mask: Uint8Array;
  /** Most likely class per pixel (index into `classNames`). */
  labels: Uint8Array;
  classNames: string[];
}

export interface SegmenterOptions {
  /** Run the model at this [height, width] (multiples of 32) instead of the size it was saved with. */
  inputSize?: [number, number];
  /**
   * Dispose the given model with the segmenter (loaders set it for the models they load).
   * Default false: the caller's model stays the caller's, whatever `inputSize` does.
   */
  takeOwnership?: boolean;
  /**
   * Run the network elsewhere than tfjs: loadSegmenter's `runtime: 'onnx'` passes an onnxruntime
   * runner (createOnnxRunner of `@sinet/model/onnx`) made from the same model. The segmenter
   * releases it on dispose. Pre- and post-processing stay in tfjs.
   */
  runner?: ModelRunner;
}

/** Options of loadSegmenter: the Segmenter's, and which runtime runs the network. */
export interface LoadSegmenterOptions extends Omit<SegmenterOptions, 'takeOwnership' | 'runner'> {
  /** 'tfjs' (default; any tfjs backend) or 'onnx' (onnxruntime: onnxruntime-node in Node, onnxruntime-web in browsers). */
  runtime?: 'tfjs' | 'onnx';
  /** The onnxruntime module to use (e.g. `import * as ort from 'onnxruntime-web'`, configured); default: imported by name. */
  onnxruntime?: OnnxRuntimeModule;
  /** Passed to onnxruntime's `InferenceSession.create`. */
  onnxSessionOptions?: Record<string, unknown>;
}

/** The options that were given a value: an explicit `undefined` means the default, as when the key is left out. */
function definedOf(options: SegmentOptions): SegmentOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SegmentOptions;
}

/** Pixels scaled to 0..1 are said once per process, not per frame. */
let warnedUnitRange = false;

const isFloatInput = (input: ImageInput) => (input instanceof tf.Tensor && input.dtype === 'float32') || (isPixelData(input) && input.data instanceof Float32Array);

/**
 * Class logits at the image's size above this many values are decoded a few classes at a time: a
 * 12 MP photo with 256 classes would need 3.1G of them at once (12 GB) and broke the wasm heap.
 */
const MAX_FULL_SIZE_LOGITS = 2 ** 26;

/** Per image of the batch: the logits resized to height x width, read back and decoded (decodeLogits). */
async function decodeAtSize(small: tf.Tensor4D, height: number, width: number, person: number, threshold: number): Promise<DecodedPixels[]> {
  const classes = small.shape[3];
  const logits = small.shape[1] === height && small.shape[2] === width ? small.clone() : tf.tidy(() => tf.image.resizeBilinear(small, [height, width], false, true));
  let values: Float32Array;
  try {
    values = (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
  const size = height * width * classes;
  return Array.from({ length: small.shape[0] }, (_, i) => decodeLogits(values.subarray(i * size, (i + 1) * size), classes, person, threshold));
}

/**
 * decodeAtSize's result without all classes at full size at once: each group of classes is
 * resized and folded into a running maximum, argmax (the first of equal maxima, as decodeLogits)
 * and sum of exponentials, from which the person probability follows.
 */
async function decodeInClassGroups(small: tf.Tensor4D, height: number, width: number, person: number, threshold: number): Promise<DecodedPixels[]> {
  const [n, , , classes] = small.shape;
  const group = Math.max(1, Math.floor(MAX_FULL_SIZE_LOGITS / (n * height * width)));
  let max: tf.Tensor3D | null = null;
  let sum: tf.Tensor3D | null = null;
  let best: tf.Tensor3D | null = null;
  let personLogit: tf.Tensor3D | null = null;
  try {
    for (let c0 = 0; c0 < classes; c0 += group) {
      const k = Math.min(group, classes - c0);
      const holdsPerson = person >= c0 && person < c0 + k;
      const next = tf.tidy(() => {
        const l = tf.image.resizeBilinear(tf.slice(small, [0, 0, 0, c0], [-1, -1, -1, k]), [height, width], false, true);
        const groupMax = tf.max(l, -1);
        const groupBest = tf.add(tf.argMax(l, -1), tf.scalar(c0, 'int32'));
        const newMax = max ? tf.maximum(max, groupMax) : groupMax;
        const groupSum = tf.sum(tf.exp(tf.sub(l, tf.expandDims(newMax, -1))), -1);
        const newSum = sum && max ? tf.add(tf.mul(sum, tf.exp(tf.sub(max, newMax))), groupSum) : groupSum;
        const newBest = best && max ? tf.where(tf.greater(groupMax, max), groupBest, best) : groupBest;
        return [newMax, newSum, newBest, ...(holdsPerson ? [tf.squeeze(tf.slice(l, [0, 0, 0, person - c0], [-1, -1, -1, 1]), [3])] : [])] as tf.Tensor3D[];
      });
      tf.dispose([max, sum, best].filter((t): t is tf.Tensor3D => t !== null));
      [max, sum, best] = next as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      if (holdsPerson) personLogit = next[3]!;
    }
    const probability = tf.tidy(() => tf.div(tf.exp(tf.sub(personLogit!, max!)), sum!));
    let values: Float32Array;
    let labels: Int32Array;
    try {
      [values, labels] = (await Promise.all([probability.data(), best!.data()])) as [Float32Array, Int32Array];
    } finally {
      probability.dispose();
    }
    const size = height * width;
    return Array.from({ length: n }, (_, i) => {
      const probabilities = values.slice(i * size, (i + 1) * size);
      return { probabilities, mask: Uint8Array.from(probabilities, (p) => (p > threshold ? 1 : 0)), labels: Uint8Array.from(labels.subarray(i * size, (i + 1) * size)) };
    });
  } finally {
    tf.dispose([max, sum, best, personLogit].filter((t): t is tf.Tensor3D => t !== null));
  }
}

/**
 * The model's layers called again, in order, on an input of `size`: a second graph over the same
 * weights. (Applying the model itself as a layer would make the new graph own it: its dispose
 * would dispose the model.)
 */
function reapplyAtSize(model: tf.LayersModel, [height, width]: [number, number]): tf.LayersModel {
  const input = tf.input({ shape: [height, width, 3] });
  const mapped = new Map<number, tf.SymbolicTensor>([[model.inputs[0]!.id, input]]);
  const find = (t: tf.SymbolicTensor) => {
    const found = mapped.get(t.id);
    if (!found) throw new ModelError(`this model's layers are not listed in the order they run (${t.name} is used before it is made), so it cannot run at another size: use fit 'stretch' or 'letterbox'`, 'MODEL_FILE');
    return found;
  };
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    // The node the model was built with: the first call of each of its layers.
    const node = layer.inboundNodes[0]!;
    const inputs = node.inputTensors.map(find);
    const outputs = layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.SymbolicTensor | tf.SymbolicTensor[];
    (Array.isArray(outputs) ? outputs : [outputs]).forEach((o, i) => mapped.set(node.outputTensors[i]!.id, o));
  }
  return tf.model({ inputs: input, outputs: model.outputs.map(find) });
}

/**
 * A SINet model ready to segment images. It runs the given model as it is, or a copy at
 * `inputSize`; `dispose()` frees what the segmenter built (and the given model only with
 * `takeOwnership`).
 */
export class Segmenter {
  readonly model: tf.LayersModel;
  readonly metadata: SINetMetadata;
  private readonly ownsModel: boolean;
  private readonly runner: ModelRunner | null;
  /** fit 'aspect': the model applied to inputs of other sizes, sharing its weights (so fine-tuning reaches them). */
  private readonly atOtherSizes = new Map<string, tf.LayersModel>();
  private disposed = false;

  constructor(model: tf.LayersModel, options: SegmenterOptions = {}) {
    let metadata = getSINetMetadata(model);
    let owns = options.takeOwnership ?? false;
    const size = options.inputSize;
    if (size && (size[0] !== metadata.config.inputSize[0] || size[1] !== metadata.config.inputSize[1])) {
      const resized = rebuildWithInputSize(model, metadata.config, size);
      if (owns) model.dispose();
      model = resized;
      owns = true;
      metadata = { ...metadata, config: { ...metadata.config, inputSize: [size[0], size[1]] } };
      setSINetMetadata(model, metadata);
    }
    this.model = model;
    this.metadata = metadata;
    this.ownsModel = owns;
    this.runner = options.runner ?? null;
  }

  get inputSize(): [number, number] {
    return this.metadata.config.inputSize;
  }

  private check(): void {
    if (this.disposed) throw new ModelError('this Segmenter was disposed', 'DISPOSED');
  }

  /** Which runtime runs the network: tfjs (the model itself) or onnxruntime (loadSegmenter's `runtime: 'onnx'`). */
  get runtime(): 'tfjs' | 'onnx' {
    return this.runner?.runtime ?? 'tfjs';
  }

  /**
   * Logits at the model's resolution for a batch of RGB 0..255 images [N, H, W, 3] of any size,
   * on whichever runtime the segmenter has: the one prediction path (segment, eval, validation and
   * the training report all come here). With `flipTest`, the mean of the image's and its mirror's
   * (mirrored back; onnxruntime runs both as one batch); with `fit: 'letterbox'`, only the logits
   * over the image (not the padding).
   */
  async predictLogits(rgb: tf.Tensor4D, options: PredictOptions = {}): Promise<tf.Tensor4D> {
    this.check();
    checkFit(options.fit);
    if (!this.runner) return this.predictOnTfjs(rgb, options);
    const flip = options.flipTest ?? false;
    const frame = options.fit === 'letterbox' ? this.letterbox(rgb) : null;
    // onnxruntime's graph takes any multiple of 32: no other network to build.
    const size = this.networkInputSize(rgb, options.fit);
    const x = tf.tidy(() => {
      const p = preprocess(frame?.padded ?? rgb, this.metadata.preprocessing, size);
      return flip ? tf.concat([p, tf.reverse(p, 2)]) : p;
    });
    frame?.padded.dispose();
    let out: tf.Tensor4D;
    try {
      out = await this.runner.run(x);
    } finally {
      x.dispose();
    }
    const logits = tf.tidy(() => {
      let l = out;
      if (flip) {
        const [plain, mirrored] = tf.split(out, 2) as [tf.Tensor4D, tf.Tensor4D];
        l = tf.mul(tf.add(plain, tf.reverse(mirrored, 2)), 0.5) as tf.Tensor4D;
      }
      return frame ? frame.crop(l) : l;
    });
    if (logits !== out) out.dispose();
    return logits;
  }

  /** The tfjs half of predictLogits: synchronous, in one tidy. */
  private predictOnTfjs(rgb: tf.Tensor4D, options: PredictOptions): tf.Tensor4D {
    const frame = options.fit === 'letterbox' ? this.letterbox(rgb) : null;
    const size = this.networkInputSize(rgb, options.fit);
    const network = this.networkAt(size);
    try {
      return tf.tidy(() => {
        const x = preprocess(frame?.padded ?? rgb, this.metadata.preprocessing, size);
        let logits = network.predict(x) as tf.Tensor4D;
        if (options.flipTest) logits = tf.mul(tf.add(logits, tf.reverse(network.predict(tf.reverse(x, 2)) as tf.Tensor4D, 2)), 0.5) as tf.Tensor4D;
        return frame ? frame.crop(logits) : logits;
      });
    } finally {
      frame?.padded.dispose();
    }
  }

  /** The network's [height, width] for `rgb`: the input size, or under fit 'aspect' the image's aspect. */
  private networkInputSize(rgb: tf.Tensor4D, fit: Fit | undefined): [number, number] {
    return fit === 'aspect' ? aspectInputSize(this.inputSize, rgb.shape[1], rgb.shape[2]) : this.inputSize;
  }

  /** The model at `size`: itself, or (built once a size) the same layers applied to an input of that size. */
  private networkAt(size: [number, number]): tf.LayersModel {
    const [h, w] = this.inputSize;
    if (size[0] === h && size[1] === w) return this.model;
    const key = `${size[0]}x${size[1]}`;
    let network = this.atOtherSizes.get(key);
    if (!network) {
      network = reapplyAtSize(this.model, size);
      this.atOtherSizes.set(key, network);
    }
    return network;
  }

  /** The image padded to the input's aspect with the mean colour, and how to cut the logits over the image back out. */
  private letterbox(rgb: tf.Tensor4D): { padded: tf.Tensor4D; crop: (logits: tf.Tensor4D) => tf.Tensor4D } {
    const [, h, w] = rgb.shape;
    const [mh, mw] = this.inputSize;
    // Padded size: the image inside a frame of the input's aspect.
    const ph = Math.max(h, Math.round((w * mh) / mw));
    const pw = Math.max(w, Math.round((h * mw) / mh));
    const top = Math.floor((ph - h) / 2);
    const left = Math.floor((pw - w) / 2);
    const p = this.metadata.preprocessing;
    const mean = p.channelOrder === 'BGR' ? [p.mean[2], p.mean[1], p.mean[0]] : p.mean;
    // Pad with the mean colour: zero after normalisation, the least informative input.
    const padded = tf.tidy(() => tf.add(tf.pad(tf.sub(rgb, tf.tensor1d(mean)), [[0, 0], [top, ph - h - top], [left, pw - w - left], [0, 0]]), tf.tensor1d(mean)) as tf.Tensor4D);
    const crop = (logits: tf.Tensor4D) => {
      const [, oh, ow] = logits.shape;
      const y0 = Math.round((top * oh) / ph);
      const x0 = Math.round((left * ow) / pw);
      const y1 = Math.max(y0 + 1, Math.round(((top + h) * oh) / ph));
      const x1 = Math.max(x0 + 1, Math.round(((left + w) * ow) / pw));
      return tf.slice(logits, [0, y0, x0, 0], [-1, y1 - y0, x1 - x0, -1]) as tf.Tensor4D;
    };
    return { padded, crop };
  }

  /** Segments one image. Reads results asynchronously, so it never blocks a browser's main thread. */
  async segment(input: ImageInput, options: SegmentOptions = {}): Promise<Segmentation> {
    this.check();
    const rgb = tf.tidy(() => tf.expandDims(imageToRgbTensor(input), 0) as tf.Tensor4D);
    try {
      return (await this.segmentRgb(rgb, options, isFloatInput(input)))[0]!;
    } finally {
      rgb.dispose();
    }
  }

  /** Segments a batch: a [N, H, W, C] tensor or a list of images (of any sizes). */
  async segmentBatch(inputs: tf.Tensor4D | ImageInput[], options: SegmentOptions = {}): Promise<Segmentation[]> {
    this.check();
    if (inputs instanceof tf.Tensor) {
      if (inputs.rank !== 4) throw new InputError(`segmentBatch: expected a [batch, height, width, channels] tensor, got rank ${inputs.rank}`);
      if (inputs.shape.some((d) => d < 1)) throw new InputError(`segmentBatch: an empty batch or image (shape [${inputs.shape}])`);
      const rgb = tf.tidy(() => tf.stack(tf.unstack(inputs).map((x, i) => imageToRgbTensor(x as tf.Tensor3D, `image ${i}`))) as tf.Tensor4D);
      try {
        return await this.segmentRgb(rgb, options, inputs.dtype === 'float32');
      } finally {
        rgb.dispose();
      }
    }
    const results: Segmentation[] = [];
    for (const input of inputs) results.push(await this.segment(input, options));
    return results;
  }

  /**
   * `checkRange`: float input, where two common mistakes hide (NaN, and pixels scaled to 0..1);
   * its largest value and NaN count are read with the logits, so it costs no extra sync read.
   */
  private async segmentRgb(rgb: tf.Tensor4D, options: SegmentOptions, checkRange = false): Promise<Segmentation[]> {
    const { threshold, flipHorizontal, flipTest, refine, fit } = { ...DEFAULT_SEGMENT_OPTIONS, ...definedOf(options) };
    if (!(threshold >= 0 && threshold <= 1)) throw new InputError(`threshold must be in [0, 1], got ${threshold}`);
    if (typeof refine !== 'boolean' && (typeof refine !== 'object' || refine === null)) throw new InputError(`refine must be true, false or { radius, epsilon }, got ${JSON.stringify(refine)?.slice(0, 40)}`);
    const person = this.metadata.personClass;
    const [n, height, width] = rgb.shape;
    const input = flipHorizontal ? tf.reverse(rgb, 2) : rgb;
    try {
      const segmentations = await this.decodeRgb(rgb, input, { threshold, flipTest, fit }, checkRange);
      if (refine === false) return segmentations;
      const { classes } = this.metadata.config;
      // Refined against the pixels the network saw (mirrored with flipHorizontal), one image at a time.
      for (let i = 0; i < n; i++) {
        const image = tf.tidy(() => tf.squeeze(tf.slice(input, [i, 0, 0, 0], [1, height, width, 3]), [0]) as tf.Tensor3D);
        try {
          const s = segmentations[i]!;
          const probabilities = await refineProbabilities(image, s.probabilities, refine === true ? {} : refine);
          segmentations[i] = { ...s, ...refinedPixels(probabilities, threshold, s.labels, classes, person) };
        } finally {
          image.dispose();
        }
      }
      return segmentations;
    } finally {
      if (input !== rgb) input.dispose();
    }
  }

  /** The network's segmentation of `input` (rgb, or its mirror) at the image's size, before refinement. */
  private async decodeRgb(rgb: tf.Tensor4D, input: tf.Tensor4D, options: { threshold: number; flipTest: boolean; fit: Fit }, checkRange: boolean): Promise<Segmentation[]> {
    const { threshold } = options;
    const person = this.metadata.personClass;
    const [n, height, width] = rgb.shape;
    const small = await this.predictLogits(input, { flipTest: options.flipTest, fit: options.fit });
    // The largest finite value and the count of NaN / infinite ones.
    const range = checkRange ? tf.tidy(() => tf.stack([tf.max(tf.where(tf.isFinite(rgb), rgb, tf.zerosLike(rgb))), tf.sum(tf.cast(tf.logicalNot(tf.isFinite(rgb)), 'float32'))])) : null;
    let decoded: Promise<DecodedPixels[]>;
    let stats: Float32Array | null;
    try {
      decoded = n * height * width * small.shape[3] > MAX_FULL_SIZE_LOGITS ? decodeInClassGroups(small, height, width, person, threshold) : decodeAtSize(small, height, width, person, threshold);
      [stats] = (await Promise.all([range?.data() ?? null, decoded.catch(() => undefined)])) as [Float32Array | null, unknown];
    } finally {
      tf.dispose([small, ...(range ? [range] : [])]);
    }
    if (stats && stats[1]! > 0) throw new InputError(`image holds ${stats[1]} NaN or infinite values; pixels must be numbers from 0 to 255`);
    if (stats && stats[0]! <= 1 && !warnedUnitRange) {
      warnedUnitRange = true;
      console.warn(`@sinet/model: the image's pixels all lie within 0..1 (largest ${stats[0]}); SINet expects 0..255 (multiply by 255), so the mask will likely be empty. (Said once.)`);
    }
    return (await decoded).map((pixels) => ({ width, height, ...pixels, classNames: this.metadata.classNames }));
  }

  /** Frees the model the segmenter built or was given to own, and its onnxruntime session; a caller's model stays usable. */
  dispose(): void {
    if (!this.disposed) {
      // Each layer counts its uses: disposing the other sizes gives theirs back, the weights stay the model's.
      for (const network of this.atOtherSizes.values()) network.dispose();
      this.atOtherSizes.clear();
      if (this.ownsModel) this.model.dispose();
      // Releasing a session is asynchronous; nothing can use it after this point.
      this.runner?.dispose().catch(() => undefined);
      this.disposed = true;
    }
  }
}

/**
 * A segmenter for a model's files (a shipped one: `import model from '@sinet/pretrained/realtime'`,
 * or `/default`, or any `@sinet/pretrained/<name>`), a model.json URL (both checked as untrusted
 * input, see loadModelFromUrl), a LayersModel (which stays the caller's) or any tf.io handler
 * (trusted as it is). No names here: naming a model would make a bundler copy every shipped
 * model into the app. In Node, `@sinet/model/node` also takes names and model folders.
 */
export async function loadSegmenter(source: ModelLocation | tf.LayersModel | string | tf.io.IOHandler, options: LoadSegmenterOptions = {}): Promise<Segmenter> {
  const owned = !(source instanceof tf.LayersModel);
  let model: tf.LayersModel;
  if (source instanceof tf.LayersModel) model = source;
  else if (isModelLocation(source)) model = await loadModelFromUrl(source.modelUrl, { weightsUrls: source.weightsUrls });
  else if (typeof source === 'string' && !isModelName(source)) model = await loadModelFromUrl(source);
  else if (typeof source === 'object' && source !== null && typeof (source as tf.io.IOHandler).load === 'function') model = await tf.loadLayersModel(source);
  else {
    const name = typeof source === 'string' ? source : 'default';
    throw new InputError(
      `loadSegmenter needs a model: ${source === undefined ? 'none was given' : `${JSON.stringify(source)?.slice(0, 60)} is not a model.json URL`}. ` +
        `Import a shipped model and pass it, \`import model from '@sinet/pretrained/${name}'\` (a bundler then copies that model's files alone), or use @sinet/model/node in Node, which takes names.`,
    );
  }
  return segmenterOn(model, owned, options, 'onnxruntime-web', (m, o) => new Segmenter(m, o));
}

/** A string that names a model rather than locating one: no folder and no .json ('official', 'realtime'). */
const isModelName = (s: string): boolean => !s.includes('/') && !/\.json$/i.test(s);

/**
 * A segmenter of `model` on the runtime the options ask for (the onnxruntime module imported by
 * `onnxModule` unless given). Shared by the browser and Node loaders.
 */
export async function segmenterOn<S extends Segmenter>(model: tf.LayersModel, owned: boolean, options: LoadSegmenterOptions, onnxModule: string, make: (model: tf.LayersModel, options: SegmenterOptions) => S): Promise<S> {
  const { runtime = 'tfjs', onnxruntime, onnxSessionOptions, ...segmenterOptions } = options;
  let runner: ModelRunner | undefined;
  try {
    if (runtime !== 'tfjs' && runtime !== 'onnx') throw new InputError(`runtime must be 'tfjs' or 'onnx', got ${JSON.stringify(runtime)?.slice(0, 40)}`);
    if (runtime === 'onnx') {
      const { createOnnxRunner, importOnnxRuntime } = await import('./onnx/runtime.js');
      // The exported graph takes any multiple of 32, so one file serves every inputSize.
      runner = await createOnnxRunner(model, await importOnnxRuntime(onnxModule, onnxruntime), { sessionOptions: onnxSessionOptions });
    }
    return make(model, { ...segmenterOptions, takeOwnership: owned, runner });
  } catch (e) {
    await runner?.dispose();
    if (owned) model.dispose();
    throw e;
  }
}
