/**
 * Stateless tensor functions behind the layers. They are exported so that custom training
 * loops and other models can use them without wrapping them in layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LayersError } from './errors.js';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, hasKernel, runKernel } from '@sinet/wasm-kernels/contracts';

/** Symmetric zero padding of PyTorch's `Conv2d(padding=(k - 1) / 2)`; TF 'same' pads stride-2 convolutions asymmetrically. */
export function torchSamePadding(kernelSize: number): number {
  return Math.floor((kernelSize - 1) / 2);
}

/**
 * Index permutation of ShuffleNet's channel shuffle for NHWC tensors:
 * `output[..., perm[j]]` reads input channel `perm[j]`.
 * Matches PyTorch's view(b, g, c/g, h, w).transpose(1, 2) on NCHW.
 */
export function channelShufflePermutation(channels: number, groups: number): number[] {
  if (!Number.isInteger(groups) || groups < 1) throw new LayersError(`channel shuffle: groups must be a positive integer, got ${groups}`, 'ARGUMENT');
  if (channels % groups !== 0) throw new LayersError(`channel shuffle: ${channels} channels are not divisible by ${groups} groups`, 'INPUT_SHAPE');
  const perGroup = channels / groups;
  const perm = new Array<number>(channels);
  for (let i = 0; i < perGroup; i++) for (let g = 0; g < groups; g++) perm[i * groups + g] = g * perGroup + i;
  return perm;
}

/** Channel shuffle on the last axis (one gather, no 5-D transpose: every backend has it). */
export function channelShuffle(x: tf.Tensor, groups: number): tf.Tensor {
  const channels = x.shape[x.rank - 1]!;
  if (groups === 1) return x.clone();
  const perm = channelShufflePermutation(channels, groups);
  return tf.tidy(() => tf.gather(x, tf.tensor1d(perm, 'int32'), x.rank - 1));
}

/**
 * Expands a grouped 1x1 kernel `[1, 1, in / groups, out]` into the equivalent dense
 * block-diagonal kernel `[1, 1, in, out]`. One dense 1x1 convolution is cheaper than
 * `groups` sliced ones at SINet's sizes, and the gradient reaches only the real blocks.
 */
export function expandGroupedPointwiseKernel(kernel: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , inPerGroup, out] = kernel.shape;
    if (out % groups !== 0) throw new LayersError(`grouped convolution: ${out} filters are not divisible by ${groups} groups`, 'ARGUMENT');
    if (groups === 1) return kernel.clone();
    const outPerGroup = out / groups;
    const columns: tf.Tensor4D[] = [];
    for (let g = 0; g < groups; g++) {
      const block = tf.slice(kernel, [0, 0, 0, g * outPerGroup], [1, 1, inPerGroup, outPerGroup]);
      const rows: tf.Tensor4D[] = [];
      for (let r = 0; r < groups; r++) rows.push(r === g ? block : tf.zeros([1, 1, inPerGroup, outPerGroup]));
      columns.push(tf.concat(rows, 2));
    }
    return tf.concat(columns, 3);
  });
}

/** Grouped pointwise convolution (PyTorch `Conv2d(in, out, 1, groups=g)`), NHWC. */
export function groupedPointwiseConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => tf.conv2d(x, expandGroupedPointwiseKernel(kernel, groups), 1, 'valid'));
}

/**
 * Bilinear resize with align_corners=True, PyTorch's `UpsamplingBilinear2d`
 * (tfjs `UpSampling2D` and `resizeBilinear`'s default use half-pixel-free corner-misaligned sampling).
 */
export function resizeBilinearAlignCorners(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  return tf.image.resizeBilinear(x, size, true);
}

/** SINet's information-blocking gate: 1 - max softmax confidence over the class axis, keeping a channel of 1. */
export function informationBlockingGate(logits: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(1, tf.max(tf.softmax(logits, -1), -1, true)) as tf.Tensor4D);
}

export interface BatchNormTrainingResult {
  y: tf.Tensor;
  /** Batch mean and biased variance per channel, for the moving averages; the caller disposes them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}


/**
 * Training-mode batch normalisation over every axis but the last, with the closed-form gradient
 * dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)): two channel sums on the way
 * back instead of differentiating moments, subtraction and broadcasts op by op.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const backendName = tf.getBackend();
  // Where a backend registers both kernels (@sinet/wasm-kernels on wasm) they run instead of composed ops.
  const fused = x.dtype === 'float32' && hasKernel(BATCH_NORM_TRAINING, backendName) && hasKernel(BATCH_NORM_TRAINING_GRAD, backendName);
  return fused ? batchNormTrainingKernels(x, gamma, beta, epsilon) : batchNormTrainingOps(x, gamma, beta, epsilon);
}

function batchNormTrainingKernels(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, offset, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { y, mean, variance } = runKernel(BATCH_NORM_TRAINING, { x: input, scale, offset }, { epsilon });
    save([input, mean, variance, scale]);
    stats = { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D };
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, m, v, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const { dx, dScale, dOffset } = runKernel(BATCH_NORM_TRAINING_GRAD, { dy, x: xs, mean: m, variance: v, scale: g }, { epsilon });
        return [dx, dScale, dOffset];
      },
    };
  });
  const y = normalize(x, gamma, beta);
  return { y, ...stats! };
}

function batchNormTrainingOps(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, shift, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(input, axes);
    const inverseSigma = tf.rsqrt(tf.add(variance, epsilon));
    const normalized = tf.mul(tf.sub(input, mean), inverseSigma);
    save([normalized, inverseSigma, scale]);
    stats = { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D };
    return {
      value: tf.add(tf.mul(normalized, scale), shift),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, inv, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dShift = tf.sum(dy, axes);
        const dScale = tf.sum(tf.mul(dy, xhat), axes);
        const centred = tf.sub(tf.sub(dy, tf.div(dShift, count)), tf.mul(xhat, tf.div(dScale, count)));
        return [tf.mul(centred, tf.mul(g, inv)), dScale, dShift];
      },
    };
  });
  const y = normalize(x, gamma, beta);
  return { y, ...stats! };
}
