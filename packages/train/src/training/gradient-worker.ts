/** Worker side of DataParallel: a model replica that computes the gradients of its share of each batch. */
import * as tf from '@sinet/layers/tfjs';
import type { ImageU8, LabelMap } from '@sinet/augment';
import type { Preprocessing } from '@sinet/model';
import '@sinet/model';
import { initBackend } from '@sinet/model/node';
import { parentPort, workerData } from 'node:worker_threads';
import { batchTensors, makeLoss, type LossName } from './batch.js';

const { topology, trained, backend, loss: lossName, size, preprocessing, weights, grads } = workerData as {
  topology: string;
  trained: number[];
  backend: string;
  loss: LossName;
  size: [number, number];
  preprocessing: Preprocessing;
  weights: Float32Array;
  grads: Float32Array;
};

const ready = (async () => {
  await initBackend(backend, { log: null });
  return tf.models.modelFromJSON(JSON.parse(topology));
})();

type Message = { id: number; kind: 'ready' | 'step'; images?: ImageU8[]; masks?: LabelMap[] };

/** One request; every failure goes back as a message, so the promise never rejects. */
async function handle(message: Message): Promise<void> {
  try {
    const model = await ready;
    if (message.kind === 'ready') {
      parentPort!.postMessage({ id: message.id, ready: true });
      return;
    }
    // Load the caller's current weights.
    let at = 0;
    const offsets: number[] = [];
    for (const w of model.trainableWeights) {
      const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      offsets.push(at);
      tf.tidy(() => {
        w.write(tf.tensor(weights.subarray(at, at + size), w.shape as number[]));
      });
      at += size;
    }
    const { x, y } = batchTensors(message.images!, message.masks!, size, preprocessing);
    const loss = makeLoss(lossName);
    const variables = trained.map((i) => model.trainableWeights[i]!.read() as tf.Variable);
    const { value, grads: g } = tf.variableGrads(() => loss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
    tf.dispose([x, y]);
    const values = await Promise.all(variables.map((v) => g[v.name]!.data() as Promise<Float32Array>));
    trained.forEach((index, k) => grads.set(values[k]!, offsets[index]));
    const lossValue = (await value.data())[0];
    tf.dispose([value, ...Object.values(g)]);
    parentPort!.postMessage({ id: message.id, loss: lossValue });
  } catch (e) {
    parentPort!.postMessage({ id: message.id, error: (e as Error).stack ?? String(e) });
  }
}

parentPort!.on('message', (message: Message) => void handle(message));
