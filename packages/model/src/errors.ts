/** The one base class of @sinet/model's errors: bad input or state the caller can fix, never a bug. `code` tells them apart without string-matching names. */
export type ModelErrorCode = 'CONFIG' | 'INPUT' | 'DISPOSED' | 'DEPENDENCY' | 'MODEL_FILE' | 'MODEL_METADATA' | 'WEIGHT_MAPPING' | 'TORCH_CHECKPOINT' | 'PICKLE' | 'IMAGE_FILE' | 'BACKEND' | 'ONNX_RUNTIME';

export class ModelError extends Error {
  constructor(
    message: string,
    readonly code: ModelErrorCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
