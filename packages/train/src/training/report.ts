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
import { bestEpoch, type EpochRecord } from './checkpoint.js';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export interface ChartOptions {
  /** Start the value axis at zero (a loss), instead of at the smallest value. */
  fromZero?: boolean;
  /** Vertical marks before these epoch indices (0-based), e.g. where stage 2 starts. */
  marks?: { at: number; label: string }[];
}

/** A small line chart: one polyline per series over the epochs, with min/max labels and stage marks. */
export function lineChart(title: string, series: { label: string; colour: string; values: number[] }[], format: (v: number) => string, options: ChartOptions = {}): string {
  const width = 420;
  const height = 200;
  const pad = 40;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const lo = options.fromZero ? Math.min(0, ...all) : all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const span = hi - lo || 1;
  const x = (i: number) => pad + (n === 1 ? 0 : (i / (n - 1)) * (width - 2 * pad));
  const y = (v: number) => height - pad - ((v - lo) / span) * (height - 2 * pad);
  const lines = series
    .map((s) => `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.values.flatMap((v, i) => (Number.isFinite(v) ? [`${x(i).toFixed(1)},${y(v).toFixed(1)}`] : [])).join(' ')}"><title>${escape(s.label)}</title></polyline>`)
    .join('');
  // Between the last epoch of one stage and the first of the next.
  const marks = (options.marks ?? [])
    .filter((m) => m.at > 0 && m.at < n)
    .map((m) => {
      const at = (x(m.at - 1) + x(m.at)) / 2;
      return `<line x1="${at.toFixed(1)}" y1="${pad}" x2="${at.toFixed(1)}" y2="${height - pad}" stroke="#888" stroke-dasharray="4 3"/><text x="${(at + 3).toFixed(1)}" y="${pad + 12}" font-size="10" fill="#555">${escape(m.label)}</text>`;
    })
    .join('');
  const legend = series.map((s, i) => `<text x="${pad + (i % 3) * 120}" y="${12 + 12 * Math.floor(i / 3)}" fill="${s.colour}" font-size="11">${escape(s.label)}</text>`).join('');
  return `<figure><figcaption>${escape(title)}</figcaption><svg role="img" aria-label="${escape(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${height - 2 * pad}" fill="none" stroke="#ccc"/>${legend}${marks}${lines}
<text x="4" y="${pad + 4}" font-size="10">${escape(format(hi))}</text><text x="4" y="${height - pad}" font-size="10">${escape(format(lo))}</text>
<text x="${pad}" y="${height - 8}" font-size="10">epoch 1</text><text x="${width - pad - 40}" y="${height - 8}" font-size="10">epoch ${n}</text></svg></figure>`;
}

/** A boundary map widened to three pixels (a pixel next to a boundary pixel is one), so outlines show at a glance. */
function thicken(edge: ArrayLike<number>, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!edge[y * w + x]) continue;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) out[yy * w + xx] = 1;
        }
    }
  return out;
}

/** Draws validation samples with predicted (magenta) and true (green) mask outlines. */
export async function predictionGrid(model: tf.LayersModel, samples: LoadedSample[], file: string): Promise<void> {
  if (samples.length === 0) return;
  const { width: w, height: h } = samples[0]!.image;
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
    const pred = thicken(classBoundary(predicted.subarray(k * w * h, (k + 1) * w * h), w, h, 1), w, h);
    const truth = thicken(classBoundary(s.mask.data, w, h, 1), w, h);
    const x0 = gap + (k % cols) * (w + gap);
    const y0 = gap + Math.floor(k / cols) * (h + gap);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const to = ((y0 + y) * W + x0 + x) * 3;
        const colour = pred[i] ? [255, 0, 255] : truth[i] ? [0, 200, 0] : [s.image.data[3 * i]!, s.image.data[3 * i + 1]!, s.image.data[3 * i + 2]!];
        sheet.set(colour, to);
      }
  });
  await writeImage(file, { data: sheet, width: W, height: H, channels: 3 });
}

/** Where each stage after the first starts, as chart marks. */
function stageMarks(history: EpochRecord[]): { at: number; label: string }[] {
  return history.flatMap((r, i) => (i > 0 && r.stage !== history[i - 1]!.stage ? [{ at: i, label: `stage ${r.stage} (${r.kind})` }] : []));
}

const SOURCE_COLOURS = ['#06c', '#393', '#a50', '#c03', '#639', '#099', '#777'];

export async function writeReport(out: string, name: string, history: EpochRecord[], model: tf.LayersModel, val: LoadedSample[]): Promise<void> {
  await predictionGrid(model, val.slice(0, 8), path.join(out, 'predictions.png'));
  const pick = (f: (r: EpochRecord) => number) => history.map(f);
  const last = history.at(-1);
  const best = bestEpoch(history);
  const marks = stageMarks(history);
  const pct = (v: number | undefined) => (v === undefined ? '' : (100 * v).toFixed(2));
  const sources = [...new Set(history.flatMap((r) => Object.keys(r.valSources ?? {})))];
  const rows = history
    .map((r) => `<tr${r === best ? ' class="best"' : ''}><td>${r.stage} (${r.kind})</td><td>${r.epoch}</td><td>${r.loss.toFixed(4)}</td><td>${pct(r.valMiou)}</td><td>${pct(r.valPersonIou)}</td><td>${pct(r.valBoundaryF)}</td>${sources.map((k) => `<td>${pct(r.valSources?.[k]?.personIou)}</td>`).join('')}${sources.length ? `<td>${pct(r.valScore)}</td>` : ''}<td>${r.lr.toExponential(2)}</td><td>${r.imagesPerSecond.toFixed(2)}</td><td>${r.dataWaitShare === undefined ? '' : (100 * r.dataWaitShare).toFixed(1)}</td></tr>`)
    .join('');
  const bestDir = path.join(out, 'best');
  const bySource = sources.length
    ? lineChart('validation person IoU by source (%)', [...sources.map((k, i) => ({ label: k, colour: SOURCE_COLOURS[i % SOURCE_COLOURS.length]!, values: pick((r) => 100 * (r.valSources?.[k]?.personIou ?? Number.NaN)) })), { label: 'selection score', colour: '#000', values: pick((r) => 100 * (r.valScore ?? Number.NaN)) }], (v) => v.toFixed(1), { marks })
    : '';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SINet run ${escape(name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:72em}figure{display:inline-block;margin:0 1em 1em 0}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}tr.best{background:#eef6ee}code{background:#f4f4f4;padding:0 3px}</style></head><body>
<h1>SINet run ${escape(name)}</h1>
<p>${history.length} epoch${history.length === 1 ? '' : 's'} in ${escape(out)}${last ? `; the last: stage ${last.stage} (${last.kind}) epoch ${last.epoch}, validation mIoU ${pct(last.valMiou)}, person IoU ${pct(last.valPersonIou)}` : ''}. Encoder-stage figures are at 1/8 resolution; dashed lines mark where a stage starts.</p>
${best ? `<p>The best model so far (in <code>${escape(bestDir)}</code>, highlighted below): stage ${best.stage} epoch ${best.epoch}, ${best.valScore !== undefined ? `selection score ${pct(best.valScore)} (the mean person IoU of the validation sources)` : `validation mIoU ${pct(best.valMiou)}`}.</p>` : ''}
<p>Next: segment a photo with it, <code>pnpm sinet segment photo.jpg --model ${escape(bestDir)}</code>; score it at each photo's own size, <code>pnpm sinet eval --model ${escape(bestDir)} --data &lt;dir&gt;</code> (or <code>--config</code> with the run's config for every source); continue an interrupted run with <code>--resume</code>.</p>
${lineChart('training loss', [{ label: 'loss', colour: '#c03', values: pick((r) => r.loss) }], (v) => v.toFixed(3), { fromZero: true, marks })}
${lineChart('validation IoU (%)', [{ label: 'mIoU', colour: '#06c', values: pick((r) => 100 * r.valMiou) }, { label: 'person IoU', colour: '#393', values: pick((r) => 100 * r.valPersonIou) }], (v) => v.toFixed(1), { marks })}
${bySource}
${lineChart('validation boundary F (%)', [{ label: 'boundary F', colour: '#a50', values: pick((r) => 100 * (r.valBoundaryF ?? Number.NaN)) }], (v) => v.toFixed(1), { marks })}
${lineChart('learning rate (end of epoch)', [{ label: 'lr', colour: '#777', values: pick((r) => r.lr) }], (v) => v.toExponential(1), { fromZero: true, marks })}
<h2>Validation predictions</h2><p>Outlines, three pixels wide: magenta the predicted boundary, green the true one (where they agree, magenta covers green).</p><img src="predictions.png" alt="validation images with predicted and true mask outlines">
<h2>Epochs</h2><table><tr><th>stage</th><th>epoch</th><th>loss</th><th>mIoU</th><th>person IoU</th><th>boundary F</th>${sources.map((k) => `<th>${escape(k)}</th>`).join('')}${sources.length ? '<th>selection</th>' : ''}<th>lr</th><th>img/s</th><th>% waiting for data</th></tr>${rows}</table>
</body></html>`;
  await writeFileAtomic(path.join(out, 'report.html'), html);
}
