/**
 * Where a layer's weights come from in the official PyTorch SINet (clovaai's models/SINet.py):
 * each layer class names its tensors in the state dict (static `torchWeights`), relative to the
 * PyTorch module path it is given; @sinet/model's importer maps the module paths of a network.
 */

/** How a PyTorch tensor layout becomes ours. */
export type TorchLayout = 'identity' | 'conv' | 'depthwise' | 'linear';

export interface TorchWeight {
  /** Our weight's name (the LayerVariable's originalName). */
  target: string;
  /** Its key in the state dict. */
  source: string;
  layout: TorchLayout;
}

/** A layer class that says where its weights are in the official state dict. */
export interface TorchWeightsSource {
  torchWeights(layer: { name: string; getConfig(): Record<string, unknown> }, torchPath: string): TorchWeight[];
}

/** nn.BatchNorm2d at `source` into our BatchNorm weights `<prefix>gamma`, `beta`, `moving_mean`, `moving_variance`. */
export function batchNormFromTorch(targetPrefix: string, source: string): TorchWeight[] {
  return [
    { target: `${targetPrefix}gamma`, source: `${source}.weight`, layout: 'identity' },
    { target: `${targetPrefix}beta`, source: `${source}.bias`, layout: 'identity' },
    { target: `${targetPrefix}moving_mean`, source: `${source}.running_mean`, layout: 'identity' },
    { target: `${targetPrefix}moving_variance`, source: `${source}.running_var`, layout: 'identity' },
  ];
}

/** The layer class's static torchWeights, if it has one (inherited ones count: a subclass keeps its parent's weights). */
export function torchWeightsOf(layer: object): TorchWeightsSource['torchWeights'] | null {
  const source = (layer.constructor as Partial<TorchWeightsSource>).torchWeights;
  return typeof source === 'function' ? source : null;
}
