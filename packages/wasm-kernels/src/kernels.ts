/**
 * Gradient kernels missing from @tensorflow/tfjs-backend-wasm 4.22, written from their
 * definitions and run on the wasm backend's own memory. They are plain TypeScript for now;
 * each loop keeps its innermost index contiguous in memory.
 */
import { backend_util, engine, getKernel, matMul, reshape, type AvgPoolGradAttrs, type ConcatAttrs, type Conv2DBackpropFilterAttrs, type Conv2DBackpropInputAttrs, type FusedBatchNormAttrs, type KernelConfig, type KernelFunc, type MeanAttrs, type SplitVAttrs, type SumAttrs, type Tensor, type TensorInfo, type UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { simdOn } from './simd.js';
import { PRELU_GRAD_ALPHA, PRELU_GRAD_INPUT } from './contracts.js';
import { WasmKernelsError } from './errors.js';
import { attrsOf, contractKernel, floatsOf, heapOf, type WasmHeapBackend } from './heap.js';

type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

function checkNHWC(dataFormat: unknown, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') throw new WasmKernelsError(`${kernel} on wasm: only NHWC is supported, got ${String(dataFormat)}`, 'INPUT');
}

/** dW[kh, kw, ci, co] = sum over b, oy, ox of x[b, iy, ix, ci] * dy[b, oy, ox, co]. */
export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = heapOf(backend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrsOf<Conv2DBackpropFilterAttrs>(attrs);
  checkNHWC(dataFormat, 'Conv2DBackpropFilter');
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const pointwise = fh === 1 && fw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0;
  const fast = simdOn(backend);
  if (fast) {
    const dw = fast.output(filterShape);
    if (pointwise) fast.k.gemmTN(fast.ptr(x), fast.ptr(dy), fast.ptr(dw), batchSize * inHeight * inWidth, inChannels, outChannels);
    else fast.k.convFilterGrad(fast.ptr(x), fast.ptr(dy), fast.ptr(dw), batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, fh, fw, sh, sw, top, left);
    return dw;
  }
  if (pointwise) {
    // Pointwise: dW = X^T dY over all pixels, on the backend's matrix product.
    return pointwiseFilterGradient(b, x, dy, batchSize * inHeight * inWidth, inChannels, outChannels, filterShape);
  }
  // Views of the heap, taken after every allocation above could have grown (and detached) it.
  const xv = b.typedArrayFromHeap(x) as Float32Array;
  const dyv = b.typedArrayFromHeap(dy) as Float32Array;
  const dw = new Float32Array(fh * fw * inChannels * outChannels);
  for (let n = 0; n < batchSize; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++) {
        const dyAt = ((n * outHeight + oy) * outWidth + ox) * outChannels;
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sh - top + ky;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ox * sw - left + kx;
            if (ix < 0 || ix >= inWidth) continue;
            const xAt = ((n * inHeight + iy) * inWidth + ix) * inChannels;
            const wAt = (ky * fw + kx) * inChannels * outChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const xval = xv[xAt + ci]!;
              if (xval === 0) continue;
              const row = wAt + ci * outChannels;
              for (let co = 0; co < outChannels; co++) dw[row + co]! += xval * dyv[dyAt + co]!;
            }
          }
        }
      }
  return b.makeOutput(filterShape, 'float32', undefined, dw);
};

/**
 * A tensor over an input's data inside a kernel. makeTensorFromTensorInfo tracks the wrapper but
 * does not take a backend reference, so one is taken here; disposing the wrapper gives it back.
 */
function wrap(b: WasmHeapBackend, t: TensorInfo): Tensor {
  const tensor = engine().makeTensorFromTensorInfo(t) as Tensor;
  b.incRef(t.dataId);
  return tensor;
}

function pointwiseFilterGradient(b: WasmHeapBackend, x: TensorInfo, dy: TensorInfo, pixels: number, inChannels: number, outChannels: number, filterShape: number[]): TensorInfo {
  const temps: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (temps.push(t), t);
  try {
    const xs = keep(reshape(keep(wrap(b, x)), [pixels, inChannels]));
    const dys = keep(reshape(keep(wrap(b, dy)), [pixels, outChannels]));
    const product = keep(matMul(xs, dys, true, false));
    // Copied into a fresh output: the kernel's result must be a buffer the engine owns.
    return b.makeOutput(filterShape, 'float32', undefined, Float32Array.from(b.typedArrayFromHeap(product) as Float32Array));
  } finally {
    for (const t of temps) t.dispose();
  }
}

/**
 * Conv2DBackpropInput on the SIMD kernels: pointwise convolutions (1 x 1, stride 1, no padding),
 * most of SINet's, as dX = dY W^T; any other undilated NHWC convolution by a gather loop.
 * Dilated ones, and everything while the SIMD module is not loaded, go to `fallback`,
 * tfjs-wasm's own kernel (a direct loop).
 */
export function pointwiseConv2DBackpropInput(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const fast = simdOn(backend);
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrsOf<Conv2DBackpropInputAttrs>(attrs);
    const nhwc = dataFormat === undefined || dataFormat === 'NHWC';
    if (!fast || !nhwc || dy.dtype !== 'float32' || filter.shape.length !== 4) return fallback(args);
    const filterShape = filter.shape as [number, number, number, number];
    const [fh, fw, inChannels, outChannels] = filterShape;
    const info = backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, false);
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return fallback(args);
    if (fh !== 1 || fw !== 1 || info.strideHeight !== 1 || info.strideWidth !== 1 || info.padInfo.top !== 0 || info.padInfo.left !== 0) {
      const { top, bottom, left, right } = info.padInfo;
      const forward = getKernel('Conv2D', 'wasm');
      if (info.strideHeight === 1 && info.strideWidth === 1 && forward && top < fh && bottom < fh && left < fw && right < fw) {
        // Stride 1: dX is the forward convolution of dY with W turned 180 degrees and its channels
        // swapped, on tfjs-wasm's own (XNNPACK) Conv2D.
        const w = heapOf(backend).typedArrayFromHeap(filter) as Float32Array;
        const turned = new Float32Array(w.length);
        for (let ky = 0; ky < fh; ky++)
          for (let kx = 0; kx < fw; kx++)
            for (let ci = 0; ci < inChannels; ci++)
              for (let co = 0; co < outChannels; co++) turned[((ky * fw + kx) * outChannels + co) * inChannels + ci] = w[(((fh - 1 - ky) * fw + (fw - 1 - kx)) * inChannels + ci) * outChannels + co]!;
        const turnedHeap = fast.output([fh, fw, outChannels, inChannels], turned);
        const pad = [[0, 0], [fh - 1 - top, fh - 1 - bottom], [fw - 1 - left, fw - 1 - right], [0, 0]];
        const dx = forward.kernelFunc({ inputs: { x: dy, filter: turnedHeap }, backend, attrs: { strides: 1, pad, dilations: 1, dataFormat: 'NHWC' } }) as TensorInfo;
        fast.free(turnedHeap);
        return dx;
      }
      // Any other stride: the gather loop (tfjs-wasm's own kernel is a scalar direct loop).
      const dx = fast.output(inputShape);
      fast.k.convInputGrad(fast.ptr(dy), fast.ptr(filter), fast.ptr(dx), info.batchSize, info.inHeight, info.inWidth, inChannels, info.outHeight, info.outWidth, outChannels, fh, fw, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
      return dx;
    }
    const b = heapOf(backend);
    const w = b.typedArrayFromHeap(filter) as Float32Array;
    // W is [Ci, Co]; the kernel wants it transposed, [Co, Ci] (small: at most a few thousand values).
    const wt = new Float32Array(w.length);
    for (let i = 0; i < inChannels; i++) for (let o = 0; o < outChannels; o++) wt[o * inChannels + i] = w[i * outChannels + o]!;
    const pixels = inputShape[0] * inputShape[1] * inputShape[2];
    const wtHeap = fast.output([outChannels, inChannels], wt);
    const dx = fast.output(inputShape);
    fast.k.gemmNN(fast.ptr(dy), fast.ptr(wtHeap), fast.ptr(dx), pixels, outChannels, inChannels);
    fast.free(wtHeap);
    return dx;
  };
}

/**
 * Sum and Mean over every axis but the last (BatchNorm's statistics and their gradients): one
 * SIMD pass over the rows. tfjs-wasm transposes the reduced axes innermost first, a full copy
 * of the activation. Other reductions go to `fallback`.
 */
export function channelReduction(fallback: KernelFunc, mean: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const fast = simdOn(backend);
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrsOf<MeanAttrs | SumAttrs>(attrs);
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, c) => a - c);
    const channelsOnly = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (!fast || !channelsOnly || x.dtype !== 'float32') return fallback(args);
    const b = heapOf(backend);
    const channels = x.shape[rank - 1]!;
    const rows = x.shape.slice(0, -1).reduce((n, d) => n * d, 1);
    const out = fast.output(keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels]);
    const scratch = fast.output([channels]);
    fast.k.channelSum(fast.ptr(x), fast.ptr(out), fast.ptr(scratch), rows, channels);
    fast.free(scratch);
    if (mean) {
      const values = b.typedArrayFromHeap(out) as Float32Array;
      for (let c = 0; c < channels; c++) values[c]! /= rows;
    }
    return out;
  };
}

/**
 * Concat of float32 tensors along any axis: one strided SIMD copy per input. tfjs-wasm copies
 * row by row in JavaScript (a subarray per pixel for channel concats, SINet's S2 modules).
 */
export function stridedConcat(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const fast = simdOn(backend);
    const tensors = (inputs as unknown as TensorInfo[]).filter((t) => t.shape.reduce((n, d) => n * d, 1) > 0);
    if (!fast || tensors.length < 2 || tensors.some((t) => t.dtype !== 'float32')) return fallback(args);
    const rank = tensors[0]!.shape.length;
    const axisAttr = attrsOf<ConcatAttrs>(attrs).axis;
    const axis = ((Array.isArray(axisAttr) ? axisAttr[0] : axisAttr) + rank) % rank;
    const rows = tensors[0]!.shape.slice(0, axis).reduce((n, d) => n * d, 1);
    const widths = tensors.map((t) => t.shape.slice(axis).reduce((n, d) => n * d, 1));
    const total = widths.reduce((a, w) => a + w, 0);
    const outShape = [...tensors[0]!.shape];
    outShape[axis] = tensors.reduce((n, t) => n + t.shape[axis]!, 0);
    const out = fast.output(outShape);
    let offset = 0;
    tensors.forEach((t, i) => {
      fast.k.stridedCopy(fast.ptr(t), fast.ptr(out) + 4 * offset, rows, widths[i]!, widths[i]!, total);
      offset += widths[i]!;
    });
    return out;
  };
}

/** SplitV of a float32 tensor along any axis: one strided SIMD copy per output (tfjs-wasm slices each). */
export function stridedSplit(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const fast = simdOn(backend);
    const { x } = inputs as { x: TensorInfo };
    if (!fast || x.dtype !== 'float32') return fallback(args);
    const { numOrSizeSplits, axis: axisAttr } = attrsOf<SplitVAttrs>(attrs);
    const rank = x.shape.length;
    const axis = ((Array.isArray(axisAttr) ? axisAttr[0] : axisAttr) + rank) % rank;
    const sizes = backend_util.prepareSplitSize(x as unknown as Tensor, numOrSizeSplits, axis);
    const rows = x.shape.slice(0, axis).reduce((n, d) => n * d, 1);
    const inner = x.shape.slice(axis + 1).reduce((n, d) => n * d, 1);
    const total = x.shape[axis]! * inner;
    let offset = 0;
    return sizes.map((size) => {
      const shape = [...x.shape];
      shape[axis] = size;
      const out = fast.output(shape);
      fast.k.stridedCopy(fast.ptr(x) + 4 * offset, fast.ptr(out), rows, size * inner, total, size * inner);
      offset += size * inner;
      return out;
    });
  };
}

/**
 * Identity without a copy: the output shares the input's buffer (tensors are immutable; the cpu
 * backend and tfjs-wasm's own Reshape do the same). tfjs clones every gradient on the tape
 * through Identity, thousands of copies per training step.
 */
/**
 * AvgPoolGrad for non-overlapping windows (stride = window, no padding: S2 modules' pooling):
 * every input pixel gets its window's dy / (kh kw), one copy pass on the heap; any other pooling
 * goes to tfjs-wasm's own kernel.
 */
export function nonOverlappingAvgPoolGrad(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad } = attrsOf<AvgPoolGradAttrs>(attrs);
    const [kh, kw] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
    const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
    if (input.shape.length !== 4 || dy.shape.length !== 4 || dy.dtype !== 'float32') return fallback(args);
    const [n, h, w, c] = input.shape as [number, number, number, number];
    const [, oh, ow] = dy.shape as [number, number, number, number];
    const unpadded = pad === 'valid' || pad === 0 || pad === 'same';
    if (!unpadded || kh !== sh || kw !== sw || oh * kh !== h || ow * kw !== w) return fallback(args);
    const b = heapOf(backend);
    const from = b.typedArrayFromHeap(dy);
    const dx = new Float32Array(n * h * w * c);
    const scale = 1 / (kh * kw);
    let at = 0;
    for (let image = 0; image < n; image++)
      for (let y = 0; y < h; y++) {
        const row = (image * oh + Math.floor(y / kh)) * ow * c;
        for (let x = 0; x < w; x++) {
          const pixel = row + Math.floor(x / kw) * c;
          for (let ch = 0; ch < c; ch++) dx[at++] = from[pixel + ch]! * scale;
        }
      }
    return b.makeOutput(input.shape, 'float32', undefined, dx);
  };
}

export const sharedIdentity: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  heapOf(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * FusedBatchNorm with per-channel statistics (channels last): y = x a + b with
 * a = scale / sqrt(variance + eps) and b = offset - mean a, one SIMD pass. tfjs-wasm's kernel
 * took almost half of SINet's inference time. Other shapes go to `fallback`.
 */
export function channelBatchNorm(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const fast = simdOn(backend);
    const { x, mean, variance, offset, scale } = inputs as { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo };
    const channels = x.shape[x.shape.length - 1]!;
    const perChannel = (t?: TensorInfo) => !t || (t.shape.length === 1 && t.shape[0] === channels) || (t.shape.reduce((n, d) => n * d, 1) === channels && t.shape[t.shape.length - 1] === channels);
    if (!fast || x.dtype !== 'float32' || ![mean, variance, offset, scale].every(perChannel)) return fallback(args);
    const b = heapOf(backend);
    const eps = attrsOf<FusedBatchNormAttrs>(attrs).varianceEpsilon ?? 0.001;
    const m = b.typedArrayFromHeap(mean) as Float32Array;
    const v = b.typedArrayFromHeap(variance) as Float32Array;
    const o = offset ? (b.typedArrayFromHeap(offset) as Float32Array) : null;
    const s = scale ? (b.typedArrayFromHeap(scale) as Float32Array) : null;
    const a = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      a[c] = (s ? s[c]! : 1) / Math.sqrt(v[c]! + eps);
      shift[c] = (o ? o[c]! : 0) - m[c]! * a[c]!;
    }
    const size = x.shape.reduce((n, d) => n * d, 1);
    const [aHeap, shiftHeap, out] = [fast.output([channels], a), fast.output([channels], shift), fast.output(x.shape)];
    fast.k.channelAffine(fast.ptr(x), fast.ptr(aHeap), fast.ptr(shiftHeap), fast.ptr(out), size / channels, channels);
    fast.free(aHeap);
    fast.free(shiftHeap);
    return out;
  };
}

/** Whether PReLU's alpha has one value per channel of x (the case the fused gradient handles). */
export function perChannelAlpha(x: TensorInfo, alpha: TensorInfo): boolean {
  const channels = x.shape[x.shape.length - 1];
  return alpha.shape.reduce((n, d) => n * d, 1) === channels && alpha.shape[alpha.shape.length - 1] === channels;
}

/**
 * PReLU's gradients, each in one pass over the activation ('SinetPreluGradInput': dx = dy where
 * x > 0, else dy alpha; 'SinetPreluGradAlpha': the per-channel sum of dy x where x <= 0). tfjs
 * composes them from Greater, Select, Multiply and Sum over the whole activation.
 */
export const preluGradInput = contractKernel(PRELU_GRAD_INPUT, ({ backend: b, inputs: { x, dy, alpha } }) => {
  const channels = x.shape[x.shape.length - 1]!;
  const size = x.shape.reduce((n, d) => n * d, 1);
  const fast = simdOn(b);
  if (fast) {
    const dx = fast.output(x.shape);
    fast.k.preluGradInput(fast.ptr(x), fast.ptr(dy), fast.ptr(alpha), fast.ptr(dx), size / channels, channels);
    return { dx };
  }
  const xv = floatsOf(b, x, PRELU_GRAD_INPUT.kernelName);
  const dyv = floatsOf(b, dy, PRELU_GRAD_INPUT.kernelName);
  const av = floatsOf(b, alpha, PRELU_GRAD_INPUT.kernelName);
  const dx = new Float32Array(size);
  for (let i = 0; i < size; i++) dx[i] = xv[i]! > 0 ? dyv[i]! : dyv[i]! * av[i % channels]!;
  return { dx: b.makeOutput(x.shape, 'float32', undefined, dx) };
});

export const preluGradAlpha = contractKernel(PRELU_GRAD_ALPHA, ({ backend: b, inputs: { x, dy, alpha } }) => {
  const channels = x.shape[x.shape.length - 1]!;
  const size = x.shape.reduce((n, d) => n * d, 1);
  const fast = simdOn(b);
  if (fast) {
    const dAlpha = fast.output(alpha.shape);
    const scratch = fast.output([channels]);
    fast.k.preluGradAlpha(fast.ptr(x), fast.ptr(dy), fast.ptr(dAlpha), fast.ptr(scratch), size / channels, channels);
    fast.free(scratch);
    return { dAlpha };
  }
  const xv = floatsOf(b, x, PRELU_GRAD_ALPHA.kernelName);
  const dyv = floatsOf(b, dy, PRELU_GRAD_ALPHA.kernelName);
  const dAlpha = new Float32Array(channels);
  for (let i = 0; i < size; i++) if (!(xv[i]! > 0)) dAlpha[i % channels]! += dyv[i]! * xv[i]!;
  return { dAlpha: b.makeOutput(alpha.shape, 'float32', undefined, dAlpha) };
});

interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function depthwiseInfo(xShape: number[], filterShape: number[], a: DepthwiseAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
}

/** Both depthwise gradients' geometry, in the SIMD kernels' argument order. */
function depthwiseDims(info: backend_util.Conv2DInfo): [number, number, number, number, number, number, number, number, number, number, number, number, number, number] {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left];
}

/** Visits every (output pixel, filter tap) pair that falls inside the input: the offsets of dy, of x (or dx) and of the tap's weights. */
function forEachDepthwiseTap(info: backend_util.Conv2DInfo, visit: (dyAt: number, xAt: number, wAt: number) => void): void {
  const [batch, inHeight, inWidth, inChannels, outHeight, outWidth, fh, fw, sh, sw, dh, dw, top, left] = depthwiseDims(info);
  const outChannels = info.outChannels;
  for (let n = 0; n < batch; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++) {
        const dyAt = ((n * outHeight + oy) * outWidth + ox) * outChannels;
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sh - top + ky * dh;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ox * sw - left + kx * dw;
            if (ix < 0 || ix >= inWidth) continue;
            visit(dyAt, ((n * inHeight + iy) * inWidth + ix) * inChannels, (ky * fw + kx) * outChannels);
          }
        }
      }
}

/**
 * One depthwise gradient: the input's (`other` = the filter) or the filter's (`other` = x).
 * SIMD for multiplier 1, else TypeScript loops over the same taps.
 */
function depthwiseGradient(args: Parameters<KernelFunc>[0], forFilter: boolean): TensorInfo {
  const { inputs, backend, attrs } = args;
  const b = heapOf(backend);
  const { dy, x, filter } = inputs as { dy: TensorInfo; x: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number]; filterShape: [number, number, number, number] };
  const [other, outShape] = forFilter ? [x, a.filterShape] : [filter, a.inputShape];
  const info = forFilter ? depthwiseInfo(x.shape, a.filterShape, a) : depthwiseInfo(a.inputShape, filter.shape, a);
  const { inChannels, outChannels } = info;
  const m = outChannels / inChannels;
  const fast = simdOn(backend);
  if (fast && m === 1) {
    const out = fast.output(outShape);
    if (forFilter) fast.k.depthwiseFilterGrad(fast.ptr(x), fast.ptr(dy), fast.ptr(out), ...depthwiseDims(info));
    else fast.k.depthwiseInputGrad(fast.ptr(dy), fast.ptr(filter), fast.ptr(out), ...depthwiseDims(info));
    return out;
  }
  const dyv = b.typedArrayFromHeap(dy) as Float32Array;
  const ov = b.typedArrayFromHeap(other) as Float32Array;
  const out = new Float32Array(outShape.reduce((n, d) => n * d, 1));
  forEachDepthwiseTap(info, (dyAt, xAt, wAt) => {
    for (let c = 0; c < inChannels; c++) {
      for (let q = 0; q < m; q++) {
        // dW[ky, kx, c, q] += x[.., c] dy[.., c m + q]; dx[.., c] += dy[.., c m + q] w[ky, kx, c, q].
        if (forFilter) out[wAt + c * m + q]! += ov[xAt + c]! * dyv[dyAt + c * m + q]!;
        else out[xAt + c]! += dyv[dyAt + c * m + q]! * ov[wAt + c * m + q]!;
      }
    }
  });
  return b.makeOutput(outShape, 'float32', undefined, out);
}

/** dx[b, iy, ix, c] = sum over taps and multipliers q of dy[b, oy, ox, c * m + q] * w[ky, kx, c, q]. */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = (args) => depthwiseGradient(args, false);

/** dW[ky, kx, c, q] = sum over b, oy, ox of x[b, iy, ix, c] * dy[b, oy, ox, c * m + q]. */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = (args) => depthwiseGradient(args, true);

/** out[segmentIds[i], ...] += x[i, ...]; ids outside [0, numSegments) are dropped, as in TensorFlow. */
export const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = heapOf(backend);
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrsOf<UnsortedSegmentSumAttrs>(attrs);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new WasmKernelsError(`UnsortedSegmentSum on wasm: dtype ${x.dtype} is not supported`, 'INPUT');
  const xv = b.typedArrayFromHeap(x);
  const ids = b.typedArrayFromHeap(segmentIds);
  const inner = x.shape.slice(segmentIds.shape.length).reduce((p, d) => p * d, 1);
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const seg = ids[i]!;
    if (seg < 0 || seg >= numSegments) continue;
    const from = i * inner;
    const to = seg * inner;
    for (let j = 0; j < inner; j++) out[to + j]! += xv[from + j]!;
  }
  return b.makeOutput(outShape, x.dtype as 'float32' | 'int32', undefined, out);
};

export const WASM_TRAINING_KERNELS: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseConv2dNativeBackpropInput },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseConv2dNativeBackpropFilter },
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum },
  { kernelName: PRELU_GRAD_INPUT.kernelName, backendName: 'wasm', kernelFunc: preluGradInput },
  { kernelName: PRELU_GRAD_ALPHA.kernelName, backendName: 'wasm', kernelFunc: preluGradAlpha },
];
