/** @sinet/layers' weight-free layers: channel shuffle, align-corners resize, information-blocking gate. */
import { ops } from '@sinet/layers';
import { int, ints, resizeByScale, resizeToSize } from './graph.js';
import { oneInput, refuse, type LayerConverter } from './converter.js';

const channelShuffle: LayerConverter = (c) => {
  const channels = c.inputShapes[0]?.at(-1);
  if (channels == null) refuse(c, 'the channel dimension of its input is unknown');
  const indices = c.graph.int64Constant(`${c.layer.name}.order`, ops.channelShufflePermutation(channels, c.config.groups as number));
  return c.graph.node('Gather', [oneInput(c), indices], { axis: int(1) }, c.layer.name);
};

const bilinearResize: LayerConverter = (c) => {
  const alignCorners = c.config.alignCorners !== false;
  if (c.config.size) return resizeToSize(c.graph, oneInput(c), c.layer.name, c.config.size as [number, number], alignCorners);
  const scale = c.config.scale as [number, number] | null;
  if (!scale) refuse(c, 'neither scale nor size is set');
  return resizeByScale(c.graph, oneInput(c), c.layer.name, scale, alignCorners);
};

/** 1 - max softmax over the class axis (axis 1 in NCHW), one channel. */
const informationBlockingGate: LayerConverter = (c) => {
  const g = c.graph;
  const softmax = g.node('Softmax', [oneInput(c)], { axis: int(1) }, `${c.layer.name}.softmax`);
  const confidence = g.node('ReduceMax', [softmax], { axes: ints([1]), keepdims: int(1) }, `${c.layer.name}.confidence`);
  const one = g.constant(`${c.layer.name}.one`, { values: Float32Array.of(1), shape: [] });
  return g.node('Sub', [one, confidence], {}, c.layer.name);
};

export const BASIC_CONVERTERS: Record<string, LayerConverter> = {
  ChannelShuffle: channelShuffle,
  BilinearResize: bilinearResize,
  InformationBlockingGate: informationBlockingGate,
};
