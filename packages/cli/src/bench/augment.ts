/** Augmentation throughput: image + mask pairs per second for each preset at 224 x 224 on one core. */
import { PRESET_NAMES, PRESETS } from '@sinet/augment';
import { quantile } from './inference.js';

export interface AugmentBenchRow {
  preset: string;
  pairsPerSecond: number;
}

/** A synthetic 224 x 224 pair (a disc on a gradient); the cost does not depend on content. */
function pair(size = 224) {
  const data = new Uint8Array(size * size * 3);
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const inside = Math.hypot(x - size / 2, y - size / 2.4) < size / 3;
      mask[y * size + x] = inside ? 1 : 0;
      data.set(inside ? [220, 170, 140] : [x, y, 255 - x], (y * size + x) * 3);
    }
  return { image: { data, width: size, height: size, channels: 3 as const }, mask: { data: mask, width: size, height: size } };
}

export function benchAugment(runs: number, log: (line: string) => void): AugmentBenchRow[] {
  const sample = pair();
  return PRESET_NAMES.map((name) => {
    const aug = PRESETS[name]({ seed: 1 });
    for (let i = 0; i < 20; i++) aug.augmentSample(sample);
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const n = 50;
      const start = performance.now();
      for (let i = 0; i < n; i++) aug.augmentSample(sample);
      rates.push((n * 1000) / (performance.now() - start));
    }
    const pairsPerSecond = quantile(rates.sort((a, b) => a - b), 0.5);
    log(`  ${name}: ${pairsPerSecond.toFixed(0)} pairs/s`);
    return { preset: name, pairsPerSecond };
  });
}
