/**
 * Label kernels of `@sinet/losses` in one pass each over the label map (instead of ~12 float and
 * bool ops on activation-sized tensors):
 *
 * - 'SinetPrepareLabels' (labels [N, H, W, 1] of any dtype; attrs classes, ignoreLabel) ->
 *   [oneHot float32 [N, H, W, C], valid float32 [N, H, W, 1], labelMap int32 [N, H, W, 1]]:
 *   index = round half to even of the label; valid where 0 <= index < C and index != ignoreLabel;
 *   ignored pixels get class 0 and an all-zero one-hot row.
 * - 'SinetLabelBand' (labelMap int32 [N, H, W, 1]; attrs kernel) -> float32 [N, H, W, 1]: 1 where
 *   the k x k window (clipped at the border) holds more than one class. A window is uniform
 *   exactly when n * sum(x^2) = sum(x)^2 over it (Cauchy-Schwarz), so two summed-area tables give
 *   every window in O(1), whatever k, on integer labels.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { LABEL_BAND, PREPARE_LABELS } from './contracts.js';
import { WasmKernelsError } from './errors.js';
import { contractKernel, nhwcOf } from './heap.js';

/** Math.round with ties to even, as tf.round. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const prepareLabelsKernel = contractKernel(PREPARE_LABELS, ({ backend: b, inputs: { labels }, attrs: { classes, ignoreLabel } }) => {
  const [n, h, w, channels] = nhwcOf(labels, PREPARE_LABELS.kernelName);
  if (channels !== 1) throw new WasmKernelsError(`${PREPARE_LABELS.kernelName}: expects a label map [N, H, W, 1], got [${labels.shape}]`, 'INPUT');
  const pixels = n * h * w;
  const values = b.typedArrayFromHeap(labels);
  const integer = labels.dtype !== 'float32';
  const oneHot = new Float32Array(pixels * classes);
  const valid = new Float32Array(pixels);
  const map = new Int32Array(pixels);
  const ignore = ignoreLabel ?? Number.NaN;
  for (let p = 0; p < pixels; p++) {
    const index = integer ? values[p]! : roundHalfEven(values[p]!);
    if (index >= 0 && index < classes && index !== ignore) {
      valid[p] = 1;
      map[p] = index;
      oneHot[p * classes + index] = 1;
    }
  }
  return { oneHot: b.makeOutput([n, h, w, classes], 'float32', undefined, oneHot), valid: b.makeOutput([n, h, w, 1], 'float32', undefined, valid), labelMap: b.makeOutput([n, h, w, 1], 'int32', undefined, map) };
});

export const labelBandKernel = contractKernel(LABEL_BAND, ({ backend: b, inputs: { labelMap }, attrs: { kernel } }) => {
  const [n, h, w, channels] = nhwcOf(labelMap, LABEL_BAND.kernelName);
  if (channels !== 1 || labelMap.dtype !== 'int32') throw new WasmKernelsError(`${LABEL_BAND.kernelName}: expects an int32 label map [N, H, W, 1], got ${labelMap.dtype} [${labelMap.shape}]`, 'INPUT');
  const x = b.typedArrayFromHeap(labelMap);
  const band = new Float32Array(n * h * w);
  const r = (kernel - 1) / 2;
  // Summed-area tables with a zero first row and column; float64 holds the squares exactly.
  const stride = w + 1;
  const sum = new Float64Array((h + 1) * stride);
  const squares = new Float64Array((h + 1) * stride);
  for (let image = 0; image < n; image++) {
    const base = image * h * w;
    for (let y = 0; y < h; y++) {
      let rowSum = 0;
      let rowSquares = 0;
      for (let xx = 0; xx < w; xx++) {
        const v = x[base + y * w + xx]!;
        rowSum += v;
        rowSquares += v * v;
        const at = (y + 1) * stride + xx + 1;
        sum[at] = sum[at - stride]! + rowSum;
        squares[at] = squares[at - stride]! + rowSquares;
      }
    }
    for (let y = 0; y < h; y++) {
      const top = Math.max(0, y - r) * stride;
      const bottom = (Math.min(h - 1, y + r) + 1) * stride;
      const rows = Math.min(h - 1, y + r) - Math.max(0, y - r) + 1;
      for (let xx = 0; xx < w; xx++) {
        const left = Math.max(0, xx - r);
        const right = Math.min(w - 1, xx + r) + 1;
        const count = rows * (right - left);
        const s = sum[bottom + right]! - sum[bottom + left]! - sum[top + right]! + sum[top + left]!;
        const q = squares[bottom + right]! - squares[bottom + left]! - squares[top + right]! + squares[top + left]!;
        if (count * q !== s * s) band[base + y * w + xx] = 1;
      }
    }
  }
  return { band: b.makeOutput([n, h, w, 1], 'float32', undefined, band) };
});

export const LABEL_KERNELS: KernelConfig[] = [
  { kernelName: PREPARE_LABELS.kernelName, backendName: 'wasm', kernelFunc: prepareLabelsKernel },
  { kernelName: LABEL_BAND.kernelName, backendName: 'wasm', kernelFunc: labelBandKernel },
];
