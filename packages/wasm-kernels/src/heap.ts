/**
 * tfjs-backend-wasm's backend as the custom kernels use it: methods and internals of BackendWasm
 * (the heap, its tensor table) that its own kernels call but its public types leave out, typed
 * here once (checked against the tfjs-backend-wasm 4.22 this package is tested with), and `contractKernel`, which gives a
 * kernel function its inputs and attrs as its contract (contracts.ts) types them.
 */
import type { backend_util, DataId, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelAttrs, KernelContract, KernelInputs, KernelOutputs } from './contracts.js';
import { WasmKernelsError } from './errors.js';

export interface WasmHeapBackend {
  wasm?: { asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
  /** A view of the tensor's values on the heap (an allocation may grow and detach it). */
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: DataId): void;
  makeOutput(shape: number[], dtype: 'float32' | 'int32', memoryOffset?: number, values?: backend_util.BackendValues): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/** The backend a kernel function is given, as the wasm heap it is. */
export const heapOf = (backend: unknown): WasmHeapBackend => backend as WasmHeapBackend;

/** A rank-4 input's [N, H, W, C]; any other rank is refused (the image kernels' contract). */
export function nhwcOf(t: TensorInfo, kernelName: string): [number, number, number, number] {
  if (t.shape.length !== 4) throw new WasmKernelsError(`${kernelName}: expects a rank-4 [N, H, W, C] tensor, got [${t.shape}]`, 'INPUT');
  return t.shape as [number, number, number, number];
}

/** A float32 tensor's heap view; any other dtype is refused (the float kernels' contract). */
export function floatsOf(b: WasmHeapBackend, t: TensorInfo, kernelName: string): Float32Array {
  const values = b.typedArrayFromHeap(t);
  if (!(values instanceof Float32Array)) throw new WasmKernelsError(`${kernelName}: expects float32 tensors, got ${t.dtype}`, 'INPUT');
  return values;
}

/**
 * A kernel function of `contract`: the backend as its heap, inputs and attrs as the contract
 * types them; `run` returns the outputs by the contract's names, handed to tfjs in its order.
 */
export function contractKernel<C extends KernelContract>(
  contract: C,
  run: (args: { backend: WasmHeapBackend; inputs: KernelInputs<C>; attrs: KernelAttrs<C> }) => KernelOutputs<C>,
): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const named: Record<string, TensorInfo> = run({ backend: heapOf(backend), inputs: inputs as KernelInputs<C>, attrs: attrs as KernelAttrs<C> });
    const outputs = contract.outputs.map((name) => named[name]!);
    return outputs.length === 1 ? outputs[0]! : outputs;
  };
}

/**
 * A tfjs kernel's attrs as tfjs-core types them for its kernel name (e.g. MeanAttrs): kernel
 * functions receive a loose NamedAttrMap, which no attrs interface is assignable from.
 */
export const attrsOf = <A>(attrs: NamedAttrMap | undefined): A => attrs as unknown as A;
