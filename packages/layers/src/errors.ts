/**
 * The one base class of @sinet/layers's errors, in the role of tfjs-layers' ValueError: a layer
 * argument or an input shape the caller can fix, never a bug; or a model the ONNX exporter
 * cannot write, or bytes its codec cannot read. `code` tells them apart.
 */
export type LayersErrorCode = 'ARGUMENT' | 'INPUT_SHAPE' | 'ONNX_EXPORT' | 'ONNX_FORMAT';

export class LayersError extends Error {
  constructor(
    message: string,
    readonly code: LayersErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
