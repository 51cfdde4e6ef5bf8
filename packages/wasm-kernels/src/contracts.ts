/**
 * The custom kernels' contracts, owned here and nowhere else: each kernel's name, inputs, attrs
 * and outputs. The op that calls a kernel (`@sinet/layers`, `@sinet/losses`, `@sinet/train`) and
 * the kernel that implements it (this package, on wasm) both import its contract, so a renamed
 * input or attr is a type error on both sides. Light: `@sinet/wasm-kernels/contracts` loads no
 * backend and no WebAssembly.
 */
import { engine, getBackend, getKernel, type NamedAttrMap, type NamedTensorMap, type Tensor, type TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelsError } from './errors.js';

export interface KernelContract<Input extends string = string, Attrs extends object = object, Output extends string = string> {
  readonly kernelName: string;
  readonly inputs: readonly Input[];
  readonly outputs: readonly Output[];
  /** Never set: carries the attrs' type. */
  readonly attrs?: Attrs;
}

function contract<Input extends string, Attrs extends object, Output extends string>(kernelName: string, inputs: readonly Input[], outputs: readonly Output[]): KernelContract<Input, Attrs, Output> {
  return { kernelName, inputs, outputs };
}

export type KernelInputs<C> = C extends KernelContract<infer I, object, string> ? Record<I, TensorInfo> : never;
export type KernelAttrs<C> = C extends KernelContract<string, infer A, string> ? A : never;
export type KernelOutputs<C> = C extends KernelContract<string, object, infer O> ? Record<O, TensorInfo> : never;

/** Training BatchNorm over every axis but the last: y and the batch statistics (population variance). */
export const BATCH_NORM_TRAINING = contract<'x' | 'scale' | 'offset', { epsilon: number }, 'y' | 'mean' | 'variance'>('SinetBatchNormTraining', ['x', 'scale', 'offset'], ['y', 'mean', 'variance']);
/** Its closed-form gradient: dx = scale / sigma (dy - mean(dy) - xhat mean(dy xhat)) and the channel sums. */
export const BATCH_NORM_TRAINING_GRAD = contract<'dy' | 'x' | 'mean' | 'variance' | 'scale', { epsilon: number }, 'dx' | 'dScale' | 'dOffset'>('SinetBatchNormTrainingGrad', ['dy', 'x', 'mean', 'variance', 'scale'], ['dx', 'dScale', 'dOffset']);

export interface AdamWAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t. */
  correction1: number;
  correction2: number;
  /** 1 - learningRate * weightDecay for decayed parameters, 1 otherwise. */
  keep: number;
}
/** One AdamW step of a float32 parameter: new variable and moments (tfjs tensors are immutable). */
export const ADAMW = contract<'variable' | 'gradient' | 'm' | 'v', AdamWAttrs, 'variable' | 'm' | 'v'>('SinetAdamW', ['variable', 'gradient', 'm', 'v'], ['variable', 'm', 'v']);

/** Softmax cross-entropy weighted per pixel: logits and targets [.., C], coefficients [.., 1] -> the scalar sum and its gradient for the logits. */
export const WEIGHTED_NLL = contract<'logits' | 'targets' | 'coefficients', Record<string, never>, 'value' | 'gradient'>('SinetWeightedNll', ['logits', 'targets', 'coefficients'], ['value', 'gradient']);

/** A label map [N, H, W, 1] (any dtype) -> one-hot targets (zero where ignored), validity, and the int32 class map. */
export const PREPARE_LABELS = contract<'labels', { classes: number; ignoreLabel: number | null }, 'oneHot' | 'valid' | 'labelMap'>('SinetPrepareLabels', ['labels'], ['oneHot', 'valid', 'labelMap']);
/** An int32 label map [N, H, W, 1] -> float32 [N, H, W, 1]: 1 where the k x k window (clipped at the border) holds more than one label. */
export const LABEL_BAND = contract<'labelMap', { kernel: number }, 'band'>('SinetLabelBand', ['labelMap'], ['band']);

/** PReLU's input gradient with a per-channel alpha: dx = dy where x > 0, else dy alpha. */
export const PRELU_GRAD_INPUT = contract<'x' | 'dy' | 'alpha', Record<string, never>, 'dx'>('SinetPreluGradInput', ['x', 'dy', 'alpha'], ['dx']);
/** PReLU's alpha gradient: the per-channel sum of dy x where x <= 0. */
export const PRELU_GRAD_ALPHA = contract<'x' | 'dy' | 'alpha', Record<string, never>, 'dAlpha'>('SinetPreluGradAlpha', ['x', 'dy', 'alpha'], ['dAlpha']);

/** Every contract, e.g. to check that a backend registers them all. */
export const KERNEL_CONTRACTS = [BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, ADAMW, WEIGHTED_NLL, PREPARE_LABELS, LABEL_BAND, PRELU_GRAD_INPUT, PRELU_GRAD_ALPHA] as const;

/** Whether the active backend (or `backendName`) registers the kernel. */
export function hasKernel(c: KernelContract, backendName: string = getBackend()): boolean {
  return getKernel(c.kernelName, backendName) !== undefined;
}

/** Runs the kernel with inputs and attrs its contract types; its outputs by the contract's names. */
export function runKernel<I extends string, A extends object, O extends string>(c: KernelContract<I, A, O>, inputs: Record<I, Tensor>, attrs: A): Record<O, Tensor> {
  const result = engine().runKernel(c.kernelName, inputs as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap);
  const out = Array.isArray(result) ? result : [result];
  if (out.length !== c.outputs.length) {
    for (const t of out) t.dispose();
    throw new WasmKernelsError(`${c.kernelName}: the registered kernel returned ${out.length} outputs, its contract names ${c.outputs.length} (${c.outputs.join(', ')})`, 'INPUT');
  }
  return Object.fromEntries(c.outputs.map((name, i) => [name, out[i]])) as Record<O, Tensor>;
}
