/** Maps the official PyTorch SINet state dict onto the tfjs model built by `createSINet`. */
import * as tf from '@sinet/layers/tfjs';
import { TAP_LAYERS } from '../constants.js';
import type { SINetConfig } from '../types.js';
import type { TorchTensor } from './torch-checkpoint.js';
import { ModelError } from '../errors.js';
import { batchNormFromTorch, torchWeightsOf, type TorchLayout, type TorchWeight } from '@sinet/layers';

export class WeightMappingError extends ModelError {
  constructor(message: string) {
    super(message, 'WEIGHT_MAPPING');
  }
}

/** The PyTorch module path of one of our layers (tap layers carry stage names). */
function torchPath(layerName: string, config: SINetConfig): string {
  if (layerName === TAP_LAYERS.level2) return `encoder.level2.${config.p - 1}`;
  if (layerName === TAP_LAYERS.level3) return `encoder.level3.${config.q - 1}`;
  return layerName;
}

/** Each layer's tensors: @sinet/layers' blocks name theirs (static torchWeights); tfjs-layers' Conv2D and BatchNormalization are SINet's plain nn.Conv2d and nn.BatchNorm2d. */
function layerMappings(layer: tf.layers.Layer, config: SINetConfig): TorchWeight[] {
  const t = layer.name;
  const s = torchPath(t, config);
  const own = torchWeightsOf(layer);
  if (own) return own(layer, s);
  switch (layer.getClassName()) {
    case 'Conv2D':
      // The encoder's classifier is a `C` module (its conv at `.conv`); the decoder's 3x3 head a bare nn.Conv2d.
      return [{ target: `${t}/kernel`, source: t === TAP_LAYERS.encoder_logits ? `${s}.conv.weight` : `${s}.weight`, layout: 'conv' }];
    case 'BatchNormalization':
      return batchNormFromTorch(`${t}/`, s);
    default:
      if (layer.weights.length > 0) throw new WeightMappingError(`no official weight mapping for layer '${t}' (${layer.getClassName()})`);
      return [];
  }
}

function convert(tensor: TorchTensor, layout: TorchLayout, name: string): tf.Tensor {
  if (tensor.dtype !== 'float32') throw new WeightMappingError(`'${name}' is ${tensor.dtype}, expected float32`);
  return tf.tidy(() => {
    const t = tf.tensor(tensor.data as Float32Array, tensor.shape, 'float32');
    switch (layout) {
      case 'identity':
        return t;
      case 'conv': // [out, in, kh, kw] -> [kh, kw, in, out]
        return tf.transpose(t, [2, 3, 1, 0]);
      case 'depthwise': // [channels, 1, kh, kw] -> [kh, kw, channels, 1]
        return tf.transpose(t, [2, 3, 0, 1]);
      case 'linear': // [out, in] -> [in, out]
        return tf.transpose(t, [1, 0]);
    }
  });
}

export interface LoadReport {
  /** Entries copied into the model. */
  loaded: number;
  /** State-dict entries that carry no weights for inference (BatchNorm num_batches_tracked). */
  ignored: string[];
}

/**
 * Copies every official tensor into `model`, checking that each of our weights gets exactly one
 * tensor of the right shape and that no float tensor of the checkpoint is left over.
 */
export function loadOfficialWeights(model: tf.LayersModel, stateDict: Map<string, TorchTensor>, config: SINetConfig): LoadReport {
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  const mappings = model.layers.flatMap((l) => layerMappings(l, config));
  const used = new Set<string>();
  const assignments: [tf.LayerVariable, tf.Tensor][] = [];
  try {
    for (const m of mappings) {
      const variable = byName.get(m.target);
      if (!variable) throw new WeightMappingError(`internal: model has no weight '${m.target}'`);
      const source = stateDict.get(m.source);
      if (!source) throw new WeightMappingError(`the checkpoint has no '${m.source}' (needed for ${m.target}); is it SINet with this config?`);
      const value = convert(source, m.layout, m.source);
      assignments.push([variable, value]);
      if (!tf.util.arraysEqual(value.shape, variable.shape as number[])) {
        throw new WeightMappingError(`'${m.source}' has shape [${source.shape}] but ${m.target} needs [${variable.shape}] after conversion`);
      }
      used.add(m.source);
      byName.delete(m.target);
    }
    if (byName.size > 0) throw new WeightMappingError(`weights left without a source: ${[...byName.keys()].join(', ')}`);
    const ignored: string[] = [];
    const unused: string[] = [];
    for (const [key, tensor] of stateDict) {
      if (used.has(key)) continue;
      if (key.endsWith('num_batches_tracked') && tensor.dtype === 'int64') ignored.push(key);
      else unused.push(key);
    }
    if (unused.length > 0) throw new WeightMappingError(`checkpoint entries with no place in the model: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ` and ${unused.length - 8} more` : ''}`);
    for (const [variable, value] of assignments) variable.write(value);
    return { loaded: used.size, ignored };
  } finally {
    for (const [, value] of assignments) value.dispose();
  }
}
