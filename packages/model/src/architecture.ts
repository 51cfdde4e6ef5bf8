/** The SINet graph (Dnc_SINet of clovaai/ext_portrait_segmentation) built from @sinet/layers. */
import * as tf from '@sinet/layers/tfjs';
import {
  BilinearResize,
  BNPReLU,
  ConvBNPReLU,
  InformationBlockingGate,
  S2Module,
  SESeparableConvBNPReLU,
  DEFAULT_EPSILON,
  DEFAULT_MOMENTUM,
  toS2BlockConfig,
  type S2BlockSpec,
} from '@sinet/layers';
import { DEFAULT_SINET_CONFIG, TAP_LAYERS, type TapName } from './constants.js';
import { ModelError } from './errors.js';
import type { SINetConfig } from './types.js';

/** A config the caller can fix (a model file's metadata included): ModelError 'CONFIG', never a bare Error. */
function fail(field: string, message: string): never {
  throw new ModelError(`SINet config: '${field}' ${message}`, 'CONFIG');
}

/** The largest architecture a config (or a model file's metadata) may ask for. */
export const SINET_CONFIG_LIMITS = {
  classes: 256, modules: 32, chnn: 64, inputSize: 4096, branches: 8, kernelSize: 15, poolSize: 32,
  /** Input pixels: at 4096 x 4096 inference exhausted tfjs-wasm's heap, and every later image failed. */
  inputPixels: 2048 * 2048,
  /** Classes x input pixels: the logits, as float32, within 128 MiB. */
  logits: 2 ** 25,
} as const;

/** Fills defaults and validates every field, naming the one that is wrong. */
export function resolveSINetConfig(config: Partial<SINetConfig> = {}): SINetConfig {
  const c: SINetConfig = { ...DEFAULT_SINET_CONFIG, ...config };
  // Upper bounds too: a model file declares these, and they size every allocation.
  const positiveInt = (field: keyof SINetConfig, v: unknown, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(field, `must be a positive integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
    if (v > max) fail(field, `must be at most ${max}, got ${v}`);
  };
  positiveInt('classes', c.classes, SINET_CONFIG_LIMITS.classes);
  if (c.classes < 2) fail('classes', `must be at least 2 (softmax over classes), got ${c.classes}`);
  positiveInt('p', c.p, SINET_CONFIG_LIMITS.modules);
  positiveInt('q', c.q, SINET_CONFIG_LIMITS.modules);
  positiveInt('chnn', c.chnn, SINET_CONFIG_LIMITS.chnn);
  if (!Array.isArray(c.inputSize) || c.inputSize.length !== 2) fail('inputSize', 'must be [height, width]');
  c.inputSize.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 32 || v % 32 !== 0) fail(`inputSize[${i}]` as keyof SINetConfig, `must be a multiple of 32, got ${JSON.stringify(v)?.slice(0, 40)}`);
    if (v > SINET_CONFIG_LIMITS.inputSize) fail(`inputSize[${i}]` as keyof SINetConfig, `must be at most ${SINET_CONFIG_LIMITS.inputSize}, got ${v}`);
  });
  const [h, w] = c.inputSize;
  const mp = (n: number) => `${(n / 1e6).toFixed(1)} MP`;
  if (h * w > SINET_CONFIG_LIMITS.inputPixels) fail('inputSize', `${h} x ${w} (${mp(h * w)}) is more than the ${mp(SINET_CONFIG_LIMITS.inputPixels)} (2048 x 2048) a model may run at: its activations would not fit in memory`);
  if (h * w * c.classes > SINET_CONFIG_LIMITS.logits) fail('classes', `${c.classes} classes at ${h} x ${w} make ${mp(h * w * c.classes).replace(' MP', 'M')} logits, more than the ${mp(SINET_CONFIG_LIMITS.logits).replace(' MP', 'M')} allowed: fewer classes or a smaller inputSize`);
  if (!Array.isArray(c.blocks) || c.blocks.length < c.p + c.q) {
    fail('blocks', `needs one branch list per S2 module (p + q = ${c.p + c.q}), got ${Array.isArray(c.blocks) ? c.blocks.length : typeof c.blocks}`);
  }
  const blocks = c.blocks.slice(0, c.p + c.q).map((list, i) => {
    if (!Array.isArray(list) || list.length === 0) fail(`blocks[${i}]` as keyof SINetConfig, 'must list at least one [kernelSize, poolSize]');
    if (list.length > SINET_CONFIG_LIMITS.branches) fail(`blocks[${i}]` as keyof SINetConfig, `lists ${list.length} branches, at most ${SINET_CONFIG_LIMITS.branches}`);
    return list.map((spec: S2BlockSpec, j) => {
      const b = toS2BlockConfig(spec, `SINet config blocks[${i}][${j}]`);
      if (b.kernelSize > SINET_CONFIG_LIMITS.kernelSize || b.poolSize > SINET_CONFIG_LIMITS.poolSize) fail(`blocks[${i}][${j}]` as keyof SINetConfig, `kernel size must be at most ${SINET_CONFIG_LIMITS.kernelSize} and pool size at most ${SINET_CONFIG_LIMITS.poolSize}`);
      return [b.kernelSize, b.poolSize] as [number, number];
    });
  });
  return { ...c, blocks, inputSize: [c.inputSize[0], c.inputSize[1]] };
}

/**
 * Builds SINet as a tfjs LayersModel named 'sinet': NHWC input of the preprocessed image,
 * full-resolution class logits (before softmax) as output. Layer names follow the
 * official module paths, so weights map one to one.
 */
export function createSINet(config: Partial<SINetConfig> = {}): tf.LayersModel {
  const c = resolveSINetConfig(config);
  const dim1 = 16;
  const dim2 = 48 + 4 * (c.chnn - 1);
  const dim3 = 96 + 4 * (c.chnn - 1);
  const norm = { epsilon: DEFAULT_EPSILON, momentum: DEFAULT_MOMENTUM };
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: [c.inputSize[0], c.inputSize[1], 3], name: 'image' });
  const level1 = apply(new ConvBNPReLU({ name: 'encoder.level1', filters: 12, kernelSize: 3, strides: 2, ...norm }), input);
  const level2First = apply(new SESeparableConvBNPReLU({ name: 'encoder.level2_0', filters: dim1, kernelSize: 3, strides: 2, divide: 1, ...norm }), level1);
  let level2 = level2First;
  for (let i = 0; i < c.p; i++) {
    // The last module of each stage carries the stage's tap name.
    const name = i === c.p - 1 ? TAP_LAYERS.level2 : `encoder.level2.${i}`;
    level2 = apply(new S2Module({ name, filters: dim2, blocks: c.blocks[i]!, residual: i > 0, ...norm }), level2);
  }
  const stage2 = apply(new BNPReLU({ name: 'encoder.BR2', ...norm }), apply(tf.layers.concatenate({ name: 'encoder.concat2' }), [level2First, level2]));
  const level3First = apply(new SESeparableConvBNPReLU({ name: 'encoder.level3_0', filters: dim2, kernelSize: 3, strides: 2, divide: 2, ...norm }), stage2);
  let level3 = level3First;
  for (let i = 0; i < c.q; i++) {
    const name = i === c.q - 1 ? TAP_LAYERS.level3 : `encoder.level3.${i}`;
    level3 = apply(new S2Module({ name, filters: dim3, blocks: c.blocks[c.p + i]!, residual: i > 0, ...norm }), level3);
  }
  const stage3 = apply(new BNPReLU({ name: 'encoder.BR3', ...norm }), apply(tf.layers.concatenate({ name: 'encoder.concat3' }), [level3First, level3]));
  const encoderLogits = apply(tf.layers.conv2d({ name: TAP_LAYERS.encoder_logits, filters: c.classes, kernelSize: 1, useBias: false }), stage3);

  // Information-blocking decoder.
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: -1, ...norm });
  const up = (name: string) => new BilinearResize({ name, scale: 2, alignCorners: true });
  const stage1 = apply(bn(TAP_LAYERS.decoder_stage1), apply(up('decoder.up1'), encoderLogits));
  const gate = apply(new InformationBlockingGate({ name: TAP_LAYERS.blocking_gate }), stage1);
  const detail = apply(new ConvBNPReLU({ name: 'level2_C', filters: c.classes, kernelSize: 1, ...norm }), level2);
  const gated = apply(tf.layers.multiply({ name: 'decoder.gated_detail' }), [detail, gate]);
  const fused = apply(tf.layers.add({ name: 'decoder.fuse' }), [gated, stage1]);
  const stage2Decoder = apply(bn(TAP_LAYERS.decoder_stage2), apply(up('decoder.up2'), fused));
  const logits = apply(
    tf.layers.conv2d({ name: TAP_LAYERS.logits, filters: c.classes, kernelSize: 3, padding: 'same', useBias: false }),
    apply(up('decoder.up3'), stage2Decoder),
  );
  return tf.model({ inputs: input, outputs: logits, name: 'sinet' });
}

/** The encoder alone (1/8-resolution logits), sharing layers and weights with `model`: training stage 1. */
export function sinetEncoder(model: tf.LayersModel): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(TAP_LAYERS.encoder_logits).output as tf.SymbolicTensor, name: 'sinet_encoder' });
}

/** A model sharing `model`'s layers that outputs the given taps (default all, in network order). */
export function sinetTaps(model: tf.LayersModel, taps: TapName[] = Object.keys(TAP_LAYERS) as TapName[]): tf.LayersModel {
  const outputs = taps.map((t) => model.getLayer(TAP_LAYERS[t]).output as tf.SymbolicTensor);
  return tf.model({ inputs: model.inputs, outputs, name: 'sinet_taps' });
}

/** Weights of the encoder (training stage 1; what `freezeEncoder` keeps fixed), by their saved names. */
export const isEncoderWeight = (name: string): boolean => name.startsWith('encoder.');

/** Convolution and dense kernels: what Glorot initialisation draws and weight decay shrinks (not BatchNorm, biases or PReLU). */
export const isKernelWeight = (name: string): boolean => /kernel$/.test(name);

/** Trainable parameters (the paper's count) and moving statistics. */
export function countParameters(model: tf.LayersModel): { trainable: number; nonTrainable: number } {
  const size = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
  return { trainable: size(model.trainableWeights), nonTrainable: size(model.nonTrainableWeights) };
}

/**
 * The same network at another input size, sharing nothing with `model` but copies of its weights.
 * `config` must be the architecture `model` was built with (a saved model's metadata has it).
 */
export function rebuildWithInputSize(model: tf.LayersModel, config: SINetConfig, inputSize: [number, number]): tf.LayersModel {
  const resized = createSINet({ ...config, inputSize });
  const weights = model.getWeights();
  resized.setWeights(weights);
  return resized;
}

/**
 * Re-initialises every convolution and dense kernel with seeded Glorot-uniform values (tfjs layer
 * initialisers are unseeded), leaving BatchNorm, biases and PReLU at their defaults, so that a
 * training run is reproducible from its seed.
 */
export function initializeWeights(model: tf.LayersModel, seed: number): void {
  let state = seed >>> 0;
  const random = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (const w of model.weights) {
    if (!isKernelWeight(w.originalName)) continue;
    const shape = w.shape as number[];
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const fanIn = (shape.at(-2) ?? 1) * receptive;
    const fanOut = (shape.at(-1) ?? 1) * receptive;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const size = shape.reduce((a, b) => a * b, 1);
    const values = tf.tensor(Float32Array.from({ length: size }, () => (2 * random() - 1) * limit), shape);
    w.write(values);
    values.dispose();
  }
}
