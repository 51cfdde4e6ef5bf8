/**
 * The run report: `report.html` with one SVG chart per curve (loss, validation mIoU and person
 * IoU, boundary F, learning rate, per epoch) and `predictions.png`, validation images with the predicted
 * mask outlined in magenta and the true one in green. Rewritten after every epoch.
 */
import * as tf from '@sinet/layers/tfjs';
import { classBoundary } from '@sinet/losses';
import { Segmenter } from '@sinet/model';
import { writeFileAtomic, writeImage } from '@sinet/model/node';
import path from 'node:path';
import type { LoadedSample } from '../data/loader.js';
import { rgbBatch } from './batch.js';
import type { EpochRecord } from './checkpoint.js';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A small line chart: one polyline per series over the epochs, with min/max labels. */
export function lineChart(title: string, series: { label: string; colour: string; values: number[] }[], format: (v: number) => string): string {
  const width = 360;
  const height = 180;
  const pad = 36;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const lo = all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const span = hi - lo || 1;
  const x = (i: number) => pad + (n === 1 ? 0 : (i / (n - 1)) * (width - 2 * pad));
  const y = (v: number) => height - pad - ((v - lo) / span) * (height - 2 * pad);
  const lines = series
    .map((s) => `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.values.flatMap((v, i) => (Number.isFinite(v) ? [`${x(i).toFixed(1)},${y(v).toFixed(1)}`] : [])).join(' ')}"><title>${escape(s.label)}</title></polyline>`)
    .join('');
  const legend = series.map((s, i) => `<text x="${pad + i * 120}" y="14" fill="${s.colour}" font-size="11">${escape(s.label)}</text>`).join('');
  return `<figure><figcaption>${escape(title)}</figcaption><svg role="img" aria-label="${escape(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${height - 2 * pad}" fill="none" stroke="#ccc"/>${legend}${lines}
<text x="4" y="${pad + 4}" font-size="10">${escape(format(hi))}</text><text x="4" y="${height - pad}" font-size="10">${escape(format(lo))}</text>
<text x="${pad}" y="${height - 8}" font-size="10">epoch 1</text><text x="${width - pad - 40}" y="${height - 8}" font-size="10">epoch ${n}</text></svg></figure>`;
}

/** Draws validation samples with predicted (magenta) and true (green) mask outlines. */
export async function predictionGrid(model: tf.LayersModel, samples: LoadedSample[], file: string): Promise<void> {
  if (samples.length === 0) return;
  const { width: w, height: h } = samples[0].image;
  const x = rgbBatch(samples.map((s) => s.image), [h, w]);
  const out = await new Segmenter(model).predictLogits(x); // not its owner
  const logits = tf.tidy(() => tf.argMax(out.shape[1] === h ? out : tf.image.resizeNearestNeighbor(out, [h, w]), -1));
  tf.dispose([x, out]);
  const predicted = (await logits.data()) as Int32Array;
  logits.dispose();
  const cols = Math.min(4, samples.length);
  const rows = Math.ceil(samples.length / cols);
  const gap = 4;
  const W = cols * w + (cols + 1) * gap;
  const H = rows * h + (rows + 1) * gap;
  const sheet = new Uint8Array(W * H * 3).fill(255);
  samples.forEach((s, k) => {
    // The person's boundary pixels, as the boundary F-score sees them.
    const pred = classBoundary(predicted.subarray(k * w * h, (k + 1) * w * h), w, h, 1);
    const truth = classBoundary(s.mask.data, w, h, 1);
    const x0 = gap + (k % cols) * (w + gap);
    const y0 = gap + Math.floor(k / cols) * (h + gap);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const to = ((y0 + y) * W + x0 + x) * 3;
        const colour = pred[i] ? [255, 0, 255] : truth[i] ? [0, 200, 0] : [s.image.data[3 * i], s.image.data[3 * i + 1], s.image.data[3 * i + 2]];
        sheet.set(colour, to);
      }
  });
  await writeImage(file, { data: sheet, width: W, height: H, channels: 3 });
}

export async function writeReport(out: string, name: string, history: EpochRecord[], model: tf.LayersModel, val: LoadedSample[]): Promise<void> {
  await predictionGrid(model, val.slice(0, 8), path.join(out, 'predictions.png'));
  const pick = (f: (r: EpochRecord) => number) => history.map(f);
  const last = history.at(-1);
  const rows = history
    .map((r) => `<tr><td>${r.stage} (${r.kind})</td><td>${r.epoch}</td><td>${r.loss.toFixed(4)}</td><td>${(100 * r.valMiou).toFixed(2)}</td><td>${(100 * r.valPersonIou).toFixed(2)}</td><td>${r.valBoundaryF === undefined ? '' : (100 * r.valBoundaryF).toFixed(2)}</td><td>${r.lr.toExponential(2)}</td><td>${r.imagesPerSecond.toFixed(2)}</td></tr>`)
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SINet run ${escape(name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}figure{display:inline-block;margin:0 1em 1em 0}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}</style></head><body>
<h1>SINet run ${escape(name)}</h1>
<p>${history.length} epochs${last ? `; last: stage ${last.stage} (${last.kind}) epoch ${last.epoch}, validation mIoU ${(100 * last.valMiou).toFixed(2)}, person IoU ${(100 * last.valPersonIou).toFixed(2)}` : ''}. Encoder-stage figures are at 1/8 resolution.</p>
${lineChart('training loss', [{ label: 'loss', colour: '#c03', values: pick((r) => r.loss) }], (v) => v.toFixed(3))}
${lineChart('validation IoU (%)', [{ label: 'mIoU', colour: '#06c', values: pick((r) => 100 * r.valMiou) }, { label: 'person IoU', colour: '#393', values: pick((r) => 100 * r.valPersonIou) }], (v) => v.toFixed(1))}
${lineChart('validation boundary F (%)', [{ label: 'boundary F', colour: '#a50', values: pick((r) => 100 * (r.valBoundaryF ?? Number.NaN)) }], (v) => v.toFixed(1))}
${lineChart('learning rate (end of epoch)', [{ label: 'lr', colour: '#777', values: pick((r) => r.lr) }], (v) => v.toExponential(1))}
<h2>Validation predictions</h2><p>Magenta: predicted boundary; green: true boundary.</p><img src="predictions.png" alt="validation images with predicted and true mask outlines">
<h2>Epochs</h2><table><tr><th>stage</th><th>epoch</th><th>loss</th><th>mIoU</th><th>person IoU</th><th>boundary F</th><th>lr</th><th>img/s</th></tr>${rows}</table>
</body></html>`;
  await writeFileAtomic(path.join(out, 'report.html'), html);
}
