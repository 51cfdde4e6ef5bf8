/**
 * From logits read back to the CPU to what users get: the person probability (softmax), the
 * mask and the argmax label of every pixel, in one pass. The one place probabilities are made
 * (Segmenter.segment and VideoSegmenter both come here).
 */
export interface DecodedPixels {
  /** Person probability per pixel. */
  probabilities: Float32Array;
  /** 1 where the person probability exceeds the threshold, else 0. */
  mask: Uint8Array;
  /** Most likely class per pixel. */
  labels: Uint8Array;
}

/** `logits`: one image's [pixels, classes] values, interleaved as tfjs lays out NHWC. */
export function decodeLogits(logits: Float32Array, classes: number, person: number, threshold: number): DecodedPixels {
  const size = logits.length / classes;
  const probabilities = new Float32Array(size);
  const mask = new Uint8Array(size);
  const labels = new Uint8Array(size);
  const exps = new Float64Array(classes);
  for (let j = 0, at = 0; j < size; j++, at += classes) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[at + c]! > logits[at + best]!) best = c;
    // Shifted by the largest logit: exp never overflows.
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += exps[c] = Math.exp(logits[at + c]! - logits[at + best]!);
    probabilities[j] = exps[person]! / sum;
    // Thresholded as stored (float32), so that mask and probabilities always agree.
    mask[j] = probabilities[j]! > threshold ? 1 : 0;
    labels[j] = best;
  }
  return { probabilities, mask, labels };
}
