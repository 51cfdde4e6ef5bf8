/** Maps the official PyTorch SINet state dict onto the tfjs model built by `createSINet`. */
import * as tf from '@sinet/layers/tfjs';
import { TAP_LAYERS } from '../constants.js';
import type { SINetConfig } from '../types.js';
import type { TorchTensor } from './torch-checkpoint.js';
import { ModelError } from '../errors.js';

/** How a PyTorch tensor layout becomes ours. */
type Transform = 'identity' | 'conv' | 'depthwise' | 'linear';

interface Mapping {
  target: string;
  source: string;
  transform: Transform;
}

export class WeightMappingError extends ModelError {
  constructor(message: string) {
    super(message, 'WEIGHT_MAPPING');
  }
}

const bnMappings = (target: string, source: string, targetPrefix = `${target}_`): Mapping[] => [
  { target: `${targetPrefix}gamma`, source: `${source}.weight`, transform: 'identity' },
  { target: `${targetPrefix}beta`, source: `${source}.bias`, transform: 'identity' },
  { target: `${targetPrefix}moving_mean`, source: `${source}.running_mean`, transform: 'identity' },
  { target: `${targetPrefix}moving_variance`, source: `${source}.running_var`, transform: 'identity' },
];

/** The PyTorch module path of one of our layers (tap layers carry stage names). */
function torchPath(layerName: string, config: SINetConfig): string {
  if (layerName === TAP_LAYERS.level2) return `encoder.level2.${config.p - 1}`;
  if (layerName === TAP_LAYERS.level3) return `encoder.level3.${config.q - 1}`;
  return layerName;
}

function layerMappings(layer: tf.layers.Layer, config: SINetConfig): Mapping[] {
  const t = layer.name;
  const s = torchPath(t, config);
  const className = layer.getClassName();
  switch (className) {
    case 'ConvBNPReLU':
      return [
        { target: `${t}/kernel`, source: `${s}.conv.weight`, transform: 'conv' },
        ...bnMappings(`${t}/bn`, `${s}.bn`),
        { target: `${t}/prelu_alpha`, source: `${s}.act.weight`, transform: 'identity' },
      ];
    case 'BNPReLU':
      return [...bnMappings(`${t}/bn`, `${s}.bn`), { target: `${t}/prelu_alpha`, source: `${s}.act.weight`, transform: 'identity' }];
    case 'SESeparableConvBNPReLU': {
      const twoLayers = (layer.getConfig().divide as number) > 1;
      const se: Mapping[] = [
        { target: `${t}/se_dense1_kernel`, source: `${s}.conv.1.dense.0.weight`, transform: 'linear' },
        { target: `${t}/se_dense1_bias`, source: `${s}.conv.1.dense.0.bias`, transform: 'identity' },
        { target: `${t}/se_prelu1_alpha`, source: `${s}.conv.1.dense.1.weight`, transform: 'identity' },
      ];
      if (twoLayers) {
        se.push(
          { target: `${t}/se_dense2_kernel`, source: `${s}.conv.1.dense.2.weight`, transform: 'linear' },
          { target: `${t}/se_dense2_bias`, source: `${s}.conv.1.dense.2.bias`, transform: 'identity' },
          { target: `${t}/se_prelu2_alpha`, source: `${s}.conv.1.dense.3.weight`, transform: 'identity' },
        );
      }
      return [
        { target: `${t}/depthwise_kernel`, source: `${s}.conv.0.weight`, transform: 'depthwise' },
        ...se,
        { target: `${t}/pointwise_kernel`, source: `${s}.conv.2.weight`, transform: 'conv' },
        ...bnMappings(`${t}/bn`, `${s}.bn`),
        { target: `${t}/prelu_alpha`, source: `${s}.act.weight`, transform: 'identity' },
      ];
    }
    case 'S2Module': {
      const branches = (layer.getConfig().blocks as unknown[]).length;
      const out: Mapping[] = [{ target: `${t}/reduce_kernel`, source: `${s}.c1.conv.weight`, transform: 'conv' }];
      for (let i = 1; i <= branches; i++) {
        const tb = `${t}/d${i}`;
        const sb = `${s}.d${i}`;
        out.push(
          { target: `${tb}_depthwise_kernel`, source: `${sb}.conv.0.weight`, transform: 'depthwise' },
          ...bnMappings(`${tb}_depthwise_bn`, `${sb}.conv.1`),
          { target: `${tb}_prelu_alpha`, source: `${sb}.act_conv1x1.0.weight`, transform: 'identity' },
          { target: `${tb}_pointwise_kernel`, source: `${sb}.act_conv1x1.1.weight`, transform: 'conv' },
          ...bnMappings(`${tb}_bn`, `${sb}.bn`),
        );
      }
      return [...out, ...bnMappings(`${t}/bn`, `${s}.BR.bn`), { target: `${t}/prelu_alpha`, source: `${s}.BR.act.weight`, transform: 'identity' }];
    }
    case 'Conv2D':
      return [{ target: `${t}/kernel`, source: t === TAP_LAYERS.encoder_logits ? `${s}.conv.weight` : `${s}.weight`, transform: 'conv' }];
    case 'BatchNormalization':
      return bnMappings(t, s, `${t}/`);
    default:
      if (layer.weights.length > 0) throw new WeightMappingError(`no official weight mapping for layer '${t}' (${className})`);
      return [];
  }
}

function convert(tensor: TorchTensor, transform: Transform, name: string): tf.Tensor {
  if (tensor.dtype !== 'float32') throw new WeightMappingError(`'${name}' is ${tensor.dtype}, expected float32`);
  return tf.tidy(() => {
    const t = tf.tensor(tensor.data as Float32Array, tensor.shape, 'float32');
    switch (transform) {
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
      const value = convert(source, m.transform, m.source);
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
