/**
 * @sinet/model/onnx: ONNX export of SINet models (and any model of @sinet/layers' and tfjs-layers'
 * common layers) and onnxruntime as a runtime for `Segmenter`.
 */
export { exportOnnx, ONNX_INPUT_NAME, ONNX_LAYER_CONVERTERS, type OnnxExport, type OnnxExportOptions } from './onnx/export.js';
export { OnnxExportError } from './onnx/graph.js';
export { encodeOnnxModel, ONNX_IR_VERSION, ONNX_OPSET, type OnnxModel } from './onnx/proto.js';
export { createOnnxRunner, importOnnxRuntime, OnnxRuntimeError, type ModelRunner, type OnnxRunnerOptions, type OnnxRuntimeModule } from './onnx/runtime.js';
export { tritonModelConfig, type TritonOptions } from './onnx/triton.js';
