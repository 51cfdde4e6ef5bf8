/**
 * Inference benchmark: medians over repeated runs (never a single timing), on each backend asked
 * for, with ratios against the first one. Uses random weights: speed does not depend on them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blurBackground, createSINet, DEFAULT_SINET_CONFIG, OFFICIAL_PREPROCESSING, Segmenter, setSINetMetadata } from '@sinet/model';
import { initBackend } from '@sinet/model/node';

/** The network once, no refinement: what the forward timings and the peers' figures compare with. */
export const ONE_PASS = { flipTest: false, refine: false } as const;

export interface BenchRow {
  backend: string;
  case: string;
  runs: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
}

export function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export async function time(runs: number, warmup: number, fn: () => Promise<void>): Promise<{ median: number; p10: number; p90: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: quantile(samples, 0.5), p10: quantile(samples, 0.1), p90: quantile(samples, 0.9) };
}

/** `batches`: forward passes timed at these batch sizes (1 always; 8 too when compared with onnxruntime). */
export async function benchInference(backends: string[], runs: number, log: (line: string) => void, batches: number[] = [1]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    const info = await initBackend(backend, { log: null });
    // The pure-JS backend is ~20x slower: fewer runs keep the benchmark short.
    const n = info.name === 'cpu' ? Math.max(3, Math.ceil(runs / 5)) : runs;
    const model = createSINet();
    setSINetMetadata(model, { format: 1, config: DEFAULT_SINET_CONFIG, classNames: ['background', 'person'], personClass: 1, preprocessing: OFFICIAL_PREPROCESSING });
    const segmenter = new Segmenter(model, { takeOwnership: true });
    const input = tf.randomUniform([1, 224, 224, 3], -1, 1);
    const photo = tf.randomUniform([800, 600, 3], 0, 255, 'int32') as tf.Tensor3D;
    try {
      const forward = await time(n, 2, async () => {
        const y = model.predict(input) as tf.Tensor;
        await y.data();
        y.dispose();
      });
      rows.push({ backend: info.name, case: 'forward 1x224x224', runs: n, medianMs: forward.median, p10Ms: forward.p10, p90Ms: forward.p90 });
      for (const batch of batches.filter((b) => b > 1)) {
        const many = tf.randomUniform([batch, 224, 224, 3], -1, 1);
        const t = await time(Math.max(3, Math.ceil(n / 2)), 1, async () => {
          const y = model.predict(many) as tf.Tensor;
          await y.data();
          y.dispose();
        });
        many.dispose();
        rows.push({ backend: info.name, case: `forward ${batch}x224x224`, runs: Math.max(3, Math.ceil(n / 2)), medianMs: t.median, p10Ms: t.p10, p90Ms: t.p90 });
      }
      const segment = await time(n, 1, async () => {
        await segmenter.segment(photo, ONE_PASS);
      });
      rows.push({ backend: info.name, case: 'segment 600x800 photo, one pass', runs: n, medianMs: segment.median, p10Ms: segment.p10, p90Ms: segment.p90 });
      const best = await time(n, 1, async () => {
        await segmenter.segment(photo);
      });
      rows.push({ backend: info.name, case: 'segment 600x800 photo, defaults (flip test, refine)', runs: n, medianMs: best.median, p10Ms: best.p10, p90Ms: best.p90 });
      const segmentation = await segmenter.segment(photo);
      const blur = await time(n, 1, async () => {
        await blurBackground(photo, segmentation);
      });
      rows.push({ backend: info.name, case: 'blurBackground 600x800 photo', runs: n, medianMs: blur.median, p10Ms: blur.p10, p90Ms: blur.p90 });
      log(`  ${info.description}: forward median ${forward.median.toFixed(1)} ms, segment ${segment.median.toFixed(1)} ms one pass / ${best.median.toFixed(1)} ms with the defaults, blurBackground ${blur.median.toFixed(1)} ms (${n} runs)`);
    } finally {
      input.dispose();
      photo.dispose();
      segmenter.dispose();
    }
  }
  return rows;
}
