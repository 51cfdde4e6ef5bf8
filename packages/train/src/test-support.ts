/** Helpers shared by this package's tests (not built into dist). */
import { loadModel } from '@sinet/model/node';
import * as tf from '@tensorflow/tfjs';

/** Largest absolute difference between the same-named weights of two saved models. */
export async function maxWeightDifference(dirA: string, dirB: string, include: (name: string) => boolean = () => true): Promise<number> {
  const [a, b] = [await loadModel(dirA), await loadModel(dirB)];
  try {
    const other = new Map(b.weights.map((w) => [w.originalName, w]));
    let worst = 0;
    for (const w of a.weights) {
      if (!include(w.originalName)) continue;
      const v = other.get(w.originalName);
      if (!v) throw new Error(`${dirB} lacks ${w.originalName}`);
      worst = Math.max(worst, tf.tidy(() => tf.max(tf.abs(tf.sub(w.read(), v.read()))).dataSync()[0]));
    }
    return worst;
  } finally {
    a.dispose();
    b.dispose();
  }
}
