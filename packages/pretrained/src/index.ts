/**
 * @sinet/pretrained: SINet weights that ship with SINet.js, as tfjs layers model folders with a
 * model card each. No code of its own beyond where the files are: `@sinet/model`'s
 * `loadSegmenter()` loads them by name (or the default, the best by cross-domain mean person IoU).
 */
import { PRETRAINED_MODELS, type PretrainedName } from './catalogue.js';

export { DEFAULT_PRETRAINED, DEFAULT_REALTIME_PRETRAINED, PRETRAINED_MODELS, type PretrainedName } from './catalogue.js';
export type { CrossDomainFigures, PretrainedModel } from './types.js';

/** Whether `value` names a shipped model ('official', 'eg1800', ...). */
export function isPretrainedName(value: unknown): value is PretrainedName {
  return typeof value === 'string' && Object.hasOwn(PRETRAINED_MODELS, value);
}
