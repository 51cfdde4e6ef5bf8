/** Parameter and multiply-accumulate counts of a SINet-style model. */
import type * as tf from '@sinet/layers/tfjs';
import { countParameters } from './architecture.js';
import { getSINetMetadata } from './metadata.js';
import type { ModelSummary } from './types.js';

type Shape = (number | null)[];

const area = (shape: Shape) => (shape[1] ?? 0) * (shape[2] ?? 0);

/** MACs of one layer from its config and shapes; layers without multiplies (BN, PReLU, resize) count 0. */
function layerMacs(layer: tf.layers.Layer): number {
  const first = (t: tf.SymbolicTensor | tf.SymbolicTensor[]) => (Array.isArray(t) ? t[0]! : t).shape as Shape;
  const input = first(layer.input);
  const output = first(layer.output);
  const cfg = layer.getConfig() as Record<string, unknown>;
  const cin = input[3] ?? 0;
  const cout = output[3] ?? 0;
  const k = (cfg.kernelSize as number | number[]) ?? 1;
  const kk = Array.isArray(k) ? k[0]! * k[1]! : k * k;
  switch (layer.getClassName()) {
    case 'Conv2D':
    case 'ConvBNPReLU':
      return area(output) * kk * cin * cout;
    case 'SeparableConvBNPReLU':
      return area(output) * (kk * cin + cin * cout);
    case 'SESeparableConvBNPReLU': {
      const divide = cfg.divide as number;
      const se = divide > 1 ? 2 * cin * Math.floor(cin / divide) : cin * cin;
      return area(output) * (kk * cin + cin * cout) + se;
    }
    case 'GroupedPointwiseConv2D':
      return (area(output) * cin * cout) / (cfg.groups as number);
    case 'S2Module': {
      const blocks = cfg.blocks as [number, number][];
      const groups = blocks.length;
      const width = Math.floor((cfg.filters as number) / groups);
      const remainder = (cfg.filters as number) - groups * width;
      let macs = (area(input) * cin * width) / groups;
      blocks.forEach(([kernel, pool], i) => {
        const out = i === 0 ? width + remainder : width;
        macs += (area(input) / (pool * pool)) * (kernel * kernel * width + width * out);
      });
      return macs;
    }
    case 'S2Block': {
      const pool = cfg.poolSize as number;
      return (area(input) / (pool * pool)) * ((cfg.kernelSize as number) ** 2 * cin + cin * cout);
    }
    default:
      return 0;
  }
}

/** Multiply-accumulates of one image through `model` (what the SINet paper reports as FLOPs). */
export function countMacs(model: tf.LayersModel): number {
  return model.layers.reduce((sum, layer) => sum + layerMacs(layer), 0);
}

export function summarizeModel(model: tf.LayersModel): ModelSummary {
  const { trainable, nonTrainable } = countParameters(model);
  const shape = model.inputs[0]!.shape;
  let classes = (model.outputs[0]!.shape[3] as number) ?? 0;
  try {
    classes = getSINetMetadata(model).config.classes;
  } catch {
    // A model without metadata still has a summary.
  }
  return { parameters: trainable, nonTrainableParameters: nonTrainable, macs: countMacs(model), inputSize: [shape[1] as number, shape[2] as number], classes };
}
