/** A Triton Inference Server model configuration (config.pbtxt) for an exported SINet. */
import type { OnnxExport } from './export.js';

export interface TritonOptions {
  /** The model's name in the repository (its folder name). */
  name: string;
  /** Largest batch Triton may form. Default 8. */
  maxBatchSize?: number;
  /** Output classes (the logits' channels). */
  classes: number;
  /** Fixed [height, width], or null for any (-1). */
  size: [number, number] | null;
}

/**
 * config.pbtxt for the onnxruntime backend: the batch dimension is Triton's, so dims list
 * [channels, height, width] (-1 where the file leaves them open); dynamic batching on.
 */
export function tritonModelConfig(exported: Pick<OnnxExport, 'inputName' | 'outputName'>, options: TritonOptions): string {
  const [h, w] = options.size ?? [-1, -1];
  return [
    `name: "${options.name}"`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${options.maxBatchSize ?? 8}`,
    'input [',
    '  {',
    `    name: "${exported.inputName}"`,
    '    data_type: TYPE_FP32',
    `    dims: [ 3, ${h}, ${w} ]`,
    '  }',
    ']',
    'output [',
    '  {',
    `    name: "${exported.outputName}"`,
    '    data_type: TYPE_FP32',
    `    dims: [ ${options.classes}, ${h}, ${w} ]`,
    '  }',
    ']',
    'dynamic_batching { }',
    '',
  ].join('\n');
}
