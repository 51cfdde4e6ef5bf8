import * as tf from '@tensorflow/tfjs-core';
import { guidedFilter } from '../model/dist/refine.js';
import { initBackend } from '@sinet/model/node';
await initBackend(process.argv[2] ?? 'wasm', { log: null });
for (const [h, w] of [[800, 600], [1200, 1000], [1500, 1000], [1600, 1200], [3000, 2000]]) {
  const guide = tf.randomUniform([h, w], 0, 1, 'float32', 1);
  const p = tf.randomUniform([h, w], 0, 1, 'float32', 2);
  const out = guidedFilter(guide, p, 8, 1e-3);
  const cpu = tf.tidy(() => tf.mean(out)).dataSync()[0];
  // Reference on a small window, by the definition, is costly; compare against the mean and the range instead.
  const [mn, mx] = [tf.min(out).dataSync()[0], tf.max(out).dataSync()[0]];
  console.log(h, w, 'mean', cpu.toFixed(4), 'min', mn.toFixed(3), 'max', mx.toFixed(3));
  tf.dispose([guide, p, out]);
}
