/**
 * onnxruntime-node inference next to tfjs (`sinet bench --runtime onnx`): the same random-weight
 * SINet exported to ONNX, forward at batch 1 and 8 on one thread and on every core, and a whole
 * `segment` of a 600 x 800 photo through a Segmenter on onnxruntime.
 */
import { createSINet, DEFAULT_SINET_CONFIG, OFFICIAL_PREPROCESSING, setSINetMetadata } from '@sinet/model';
import { loadSegmenter } from '@sinet/model/node';
import { exportOnnx, importOnnxRuntime } from '@sinet/model/onnx';
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { ONE_PASS, time, type BenchRow } from './inference.js';

export async function benchOnnxInference(runs: number, batches: number[], log: (line: string) => void): Promise<BenchRow[]> {
  // The loader Segmenter uses: an OnnxRuntimeError that says what to install when it is missing.
  const ort = await importOnnxRuntime('onnxruntime-node');
  const model = createSINet();
  setSINetMetadata(model, { format: 1, config: DEFAULT_SINET_CONFIG, classNames: ['background', 'person'], personClass: 1, preprocessing: OFFICIAL_PREPROCESSING });
  const rows: BenchRow[] = [];
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  try {
    const { bytes, inputName } = exportOnnx(model);
    for (const threads of [...new Set([1, cores])]) {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      const name = `onnx ${threads}t`;
      try {
        const parts: string[] = [];
        for (const batch of batches) {
          const data = Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i) * 0.01);
          const feeds = { [inputName]: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
          const n = batch === 1 ? runs : Math.max(3, Math.ceil(runs / 2));
          const t = await time(n, 2, async () => {
            await session.run(feeds);
          });
          rows.push({ backend: name, case: `forward ${batch}x224x224`, runs: n, medianMs: t.median, p10Ms: t.p10, p90Ms: t.p90 });
          parts.push(`forward batch ${batch} median ${t.median.toFixed(1)} ms`);
        }
        log(`  onnxruntime-node, ${threads} thread${threads === 1 ? '' : 's'}: ${parts.join(', ')}`);
      } finally {
        await session.release();
      }
    }
    // The whole segment call: tfjs pre- and post-processing around onnxruntime (default threads).
    const segmenter = await loadSegmenter(model, { runtime: 'onnx', onnxruntime: ort });
    const photo = tf.randomUniform([800, 600, 3], 0, 255, 'int32') as tf.Tensor3D;
    try {
      const t = await time(runs, 1, async () => {
        await segmenter.segment(photo, ONE_PASS);
      });
      rows.push({ backend: `onnx ${cores}t`, case: 'segment 600x800 photo, one pass', runs, medianMs: t.median, p10Ms: t.p10, p90Ms: t.p90 });
      log(`  Segmenter on onnxruntime-node (${tf.getBackend()} around it): segment 600x800 (one pass) median ${t.median.toFixed(1)} ms`);
    } finally {
      photo.dispose();
      segmenter.dispose();
    }
  } finally {
    model.dispose();
  }
  return rows;
}
