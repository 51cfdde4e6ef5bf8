/** What a layer converter gets: the graph so far, the layer, and the names of its NCHW inputs. */
import type * as tf from '../tfjs.js';
import { GraphBuilder, OnnxExportError, layerWeights, type HostTensor } from './graph.js';

export interface LayerConversion {
  graph: GraphBuilder;
  layer: tf.layers.Layer;
  inputs: string[];
  /** The inputs' shapes as tfjs sees them (NHWC). */
  inputShapes: (number | null)[][];
  config: tf.serialization.ConfigDict;
  weights: Map<string, HostTensor>;
}

/** Adds the nodes of one layer call and returns the name of its (NCHW) output. */
export type LayerConverter = (c: LayerConversion) => string;

export function conversion(graph: GraphBuilder, layer: tf.layers.Layer, inputs: string[], inputShapes: (number | null)[][]): LayerConversion {
  return { graph, layer, inputs, inputShapes, config: layer.getConfig(), weights: layerWeights(layer) };
}

export function refuse(c: LayerConversion, why: string): never {
  throw new OnnxExportError(`cannot export layer '${c.layer.name}' (${c.layer.getClassName()}) to ONNX: ${why}`);
}

export function oneInput(c: LayerConversion): string {
  if (c.inputs.length !== 1) refuse(c, `expected one input, got ${c.inputs.length}`);
  return c.inputs[0]!;
}

export const epsilonOf = (c: LayerConversion): number => (typeof c.config.epsilon === 'number' ? c.config.epsilon : 1e-3);
