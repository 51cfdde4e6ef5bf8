/** Helpers for this package's tests (not built: tsconfig.build excludes it). */
import * as tf from '@tensorflow/tfjs';
import { OFFICIAL_WEIGHTS, sharedPath } from '@sinet/test-utils';
import { readFileSync } from 'node:fs';
import { createSINet } from './architecture.js';
import { DEFAULT_SINET_CONFIG, OFFICIAL_PREPROCESSING } from './constants.js';
import { setSINetMetadata } from './metadata.js';
import { convertOfficialCheckpoint } from './official/convert.js';
import type { SINetConfig } from './types.js';

let officialBytes: Uint8Array | null = null;

/** The official model converted from ../shared (callers check haveShared first). */
export function officialModel(inputSize?: [number, number]): tf.LayersModel {
  officialBytes ??= new Uint8Array(readFileSync(sharedPath(...OFFICIAL_WEIGHTS)));
  return convertOfficialCheckpoint(officialBytes, { inputSize }).model;
}

/** A randomly initialised SINet that carries metadata, for API tests that need no trained weights. */
export function untrainedModel(config: Partial<SINetConfig> = {}): tf.LayersModel {
  const model = createSINet(config);
  setSINetMetadata(model, {
    format: 1,
    config: { ...DEFAULT_SINET_CONFIG, ...config },
    classNames: config.classes && config.classes > 2 ? ['background', 'person', ...Array.from({ length: config.classes - 2 }, (_, i) => `class ${i + 2}`)] : ['background', 'person'],
    personClass: 1,
    preprocessing: OFFICIAL_PREPROCESSING,
  });
  return model;
}

/** Replaces every weight with seeded uniform noise (scales and variances in [0.5, 1.5]): outputs that vary, the same in every run. */
export function seededWeights(model: tf.LayersModel, seed: number): tf.LayersModel {
  const values = model.weights.map((w, i) =>
    /gamma|variance|alpha/.test(w.originalName) ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', seed * 1000 + i) : tf.randomUniform(w.shape as number[], -0.5, 0.5, 'float32', seed * 1000 + i),
  );
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? 1 : inter / union;
}
