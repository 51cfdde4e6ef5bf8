/**
 * @sinet/model/onnx: ONNX export of SINet models (and any model of @sinet/layers' and tfjs-layers'
 * common layers) and onnxruntime as a runtime for `Segmenter`.
 */
export { exportOnnx, ONNX_INPUT_NAME, type OnnxExport, type OnnxExportOptions } from './onnx/export.js';
// The graph kit and each layer's conversion live in @sinet/layers/onnx; these names stay here for the exporter's users.
export { encodeOnnxModel, ONNX_IR_VERSION, ONNX_LAYER_CONVERTERS, ONNX_OPSET, OnnxExportError, type OnnxModel } from '@sinet/layers/onnx';
export { createOnnxRunner, importOnnxRuntime, OnnxRuntimeError, type ModelRunner, type OnnxRunnerOptions, type OnnxRuntimeModule, type OnnxRuntimeSession, type OnnxRuntimeTensor } from './onnx/runtime.js';
export { tritonModelConfig, type TritonOptions } from './onnx/triton.js';
