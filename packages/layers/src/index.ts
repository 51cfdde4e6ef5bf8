/**
 * @sinet/layers: SINet's building blocks as serialisable tfjs-layers layers.
 * Importing this module registers every class with `tf.serialization`, so models that use
 * them load with `tf.loadLayersModel`.
 */
import { BilinearResize, ChannelShuffle, InformationBlockingGate } from './layers/basic.js';
import { BNPReLU, ConvBNPReLU, GroupedPointwiseConv2D, SESeparableConvBNPReLU, SeparableConvBNPReLU, SqueezeExcitation } from './layers/conv.js';
import { S2Block, S2Module } from './layers/s2.js';

export { BilinearResize, ChannelShuffle, InformationBlockingGate } from './layers/basic.js';
export type { BilinearResizeArgs, ChannelShuffleArgs } from './layers/basic.js';
export { BNPReLU, ConvBNPReLU, GroupedPointwiseConv2D, SESeparableConvBNPReLU, SeparableConvBNPReLU, SqueezeExcitation } from './layers/conv.js';
export type { ConvBlockArgs, GroupedPointwiseConv2DArgs, SqueezeExcitationArgs } from './layers/conv.js';
export { S2Block, S2Module, toS2BlockConfig } from './layers/s2.js';
export type { S2BlockArgs, S2BlockConfig, S2BlockSpec, S2ModuleArgs } from './layers/s2.js';
export { DEFAULT_EPSILON, DEFAULT_MOMENTUM, DEFAULT_PRELU_ALPHA } from './block-layer.js';
export type { CallKwargs, NormalizationArgs, Shape } from './block-layer.js';
export * as ops from './ops.js';
export { LayersError, type LayersErrorCode } from './errors.js';
export { batchNormFromTorch, torchWeightsOf, type TorchLayout, type TorchWeight, type TorchWeightsSource } from './torch-weights.js';

/** Every layer class of this package, e.g. to count or check registrations. */
export const SINET_LAYER_CLASSES = [
  BilinearResize,
  BNPReLU,
  ChannelShuffle,
  ConvBNPReLU,
  GroupedPointwiseConv2D,
  InformationBlockingGate,
  S2Block,
  S2Module,
  SESeparableConvBNPReLU,
  SeparableConvBNPReLU,
  SqueezeExcitation,
] as const;

/** Layer factories in the style of `tf.layers.*`. */
export const sinetLayers = {
  bilinearResize: (args: ConstructorParameters<typeof BilinearResize>[0]) => new BilinearResize(args),
  bnPReLU: (args?: ConstructorParameters<typeof BNPReLU>[0]) => new BNPReLU(args),
  channelShuffle: (args: ConstructorParameters<typeof ChannelShuffle>[0]) => new ChannelShuffle(args),
  convBNPReLU: (args: ConstructorParameters<typeof ConvBNPReLU>[0]) => new ConvBNPReLU(args),
  groupedPointwiseConv2d: (args: ConstructorParameters<typeof GroupedPointwiseConv2D>[0]) => new GroupedPointwiseConv2D(args),
  informationBlockingGate: (args?: ConstructorParameters<typeof InformationBlockingGate>[0]) => new InformationBlockingGate(args),
  s2Block: (args: ConstructorParameters<typeof S2Block>[0]) => new S2Block(args),
  s2Module: (args: ConstructorParameters<typeof S2Module>[0]) => new S2Module(args),
  seSeparableConvBNPReLU: (args: ConstructorParameters<typeof SESeparableConvBNPReLU>[0]) => new SESeparableConvBNPReLU(args),
  separableConvBNPReLU: (args: ConstructorParameters<typeof SeparableConvBNPReLU>[0]) => new SeparableConvBNPReLU(args),
  squeezeExcitation: (args?: ConstructorParameters<typeof SqueezeExcitation>[0]) => new SqueezeExcitation(args),
};

/** The className of every layer registered by importing this package. */
export const registeredClassNames: readonly string[] = SINET_LAYER_CLASSES.map((c) => c.className);
