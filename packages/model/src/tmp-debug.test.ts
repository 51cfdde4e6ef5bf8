import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { initBackend } from './node/backend.js';
import { Segmenter } from './segmenter.js';
import { untrainedModel } from './test-support.js';
it('debug', async () => {
  await initBackend('wasm', { log: null });
  for (const classes of [255, 256]) {
    const s = new Segmenter(untrainedModel({ inputSize: [64, 64], classes }), { takeOwnership: true });
    try {
      const r = await s.segment({ data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 });
      console.log(classes, 'ok', r.labels.length);
    } catch (e) { console.log(classes, 'ERR', String(e).slice(0, 300)); }
    s.dispose();
  }
});
