/** The one base class of @sinet/wasm-kernels's errors: inputs a kernel does not take, or its module failing to load; never a bug. */
export type WasmKernelsErrorCode = 'INPUT' | 'LOAD';

export class WasmKernelsError extends Error {
  constructor(
    message: string,
    readonly code: WasmKernelsErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
