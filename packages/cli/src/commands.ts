import type { ProgressSink } from '@sinet/train';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createSINet, getSINetMetadata, rebuildWithInputSize, setSINetMetadata, summarizeModel, type Fit } from '@sinet/model';
import { convertOfficialCheckpoint } from '@sinet/model/convert';
import { loadModel, loadSegmenter, saveModel } from '@sinet/model/node';
import { evaluate, listFolderDataset, validationSets, type EvalReport } from '@sinet/train';
import { decodeCacheDir } from './cache.js';
import { readTrainConfig } from './train.js';
import { CliError } from './errors.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where progress bars are drawn (stderr in the CLI); absent in tests. */
  progress?: ProgressSink;
}

/**
 * `sinet convert`: the official PyTorch checkpoint (`SINet.pth`) or a model folder to a model
 * folder, optionally at another input size and with float16 weights (half the download).
 */
export async function convertCommand(io: Io, source: string, outDir: string, options: { inputSize?: [number, number]; overwrite?: boolean; float16?: boolean } = {}): Promise<void> {
  // Before the (long) conversion: an --out that is a file, or holds a model, is not replaced unasked.
  const outStat = await fs.stat(outDir).catch(() => null);
  if (outStat && !outStat.isDirectory()) throw new CliError(`--out ${outDir}: is a file, not a folder`);
  if (!options.overwrite && outStat && (await fs.stat(path.join(outDir, 'model.json')).catch(() => null))) throw new CliError(`${outDir} holds a model already: pass --overwrite to replace it, or choose another --out`);
  const sourceStat = await fs.stat(source).catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`${source}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  let model;
  let from: string;
  if (sourceStat.isDirectory() || path.basename(source) === 'model.json') {
    const loaded = await loadModel(source, { requireSINet: true });
    const size = options.inputSize;
    const metadata = getSINetMetadata(loaded);
    model = size && (size[0] !== metadata.config.inputSize[0] || size[1] !== metadata.config.inputSize[1]) ? rebuildWithInputSize(loaded, metadata.config, size) : loaded;
    if (model !== loaded) {
      setSINetMetadata(model, { ...metadata, config: { ...metadata.config, inputSize: size! } });
      loaded.dispose();
    }
    from = `model ${source}`;
  } else {
    const bytes = await fs.readFile(source);
    let converted;
    try {
      converted = convertOfficialCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), { inputSize: options.inputSize });
    } catch (e) {
      throw new CliError(`${source}: ${(e as Error).message}`);
    }
    model = converted.model;
    from = `${source}: ${converted.report.loaded} tensors (${converted.report.ignored.length} BatchNorm counters skipped)`;
  }
  try {
    const saved = await saveModel(model, outDir, { float16: options.float16 });
    const s = summarizeModel(model);
    io.out(`converted ${from}, ${s.parameters.toLocaleString('en-US')} parameters`);
    io.out(`saved ${saved.modelJson} (${(saved.bytes / 1024).toFixed(1)} KiB of ${options.float16 ? 'float16' : 'float32'} weights), input ${s.inputSize[0]}x${s.inputSize[1]}, licence ${getSINetMetadata(model).license?.name ?? 'see model.json metadata'}`);
  } finally {
    model.dispose();
  }
}

export async function infoCommand(io: Io, modelDir: string | undefined, inputSize: [number, number] | undefined, json: boolean, backend: string): Promise<void> {
  const model = modelDir ? await loadModel(modelDir, { requireSINet: true }) : createSINet(inputSize ? { inputSize } : {});
  try {
    const summary = summarizeModel(model);
    let metadata = null;
    try {
      metadata = getSINetMetadata(model, modelDir ?? 'model');
    } catch {
      // The default architecture has no metadata.
    }
    if (json) {
      io.out(JSON.stringify({ ...summary, backend, preprocessing: metadata?.preprocessing ?? null, classNames: metadata?.classNames ?? null, license: metadata?.license ?? null }));
      return;
    }
    io.out(`model:          ${modelDir ?? 'SINet (official architecture, untrained)'}`);
    io.out(`parameters:     ${summary.parameters.toLocaleString('en-US')} trainable + ${summary.nonTrainableParameters.toLocaleString('en-US')} BatchNorm statistics`);
    io.out(`MACs:           ${(summary.macs / 1e9).toFixed(4)} G at ${summary.inputSize[0]}x${summary.inputSize[1]} (the paper's "FLOPs")`);
    io.out(`input size:     ${summary.inputSize[0]}x${summary.inputSize[1]}, classes ${summary.classes}${metadata ? ` (${metadata.classNames.join(', ')})` : ''}`);
    if (metadata) {
      const p = metadata.preprocessing;
      io.out(`preprocessing:  ${p.channelOrder}, (pixel - [${p.mean.map((v) => v.toFixed(2)).join(', ')}]) / [${p.std.map((v) => v.toFixed(2)).join(', ')}] x ${p.scale === 1 ? '1' : `1/${Math.round(1 / p.scale)}`}`);
      if (metadata.license) io.out(`licence:        ${metadata.license.name}, ${metadata.license.holder}`);
    }
    io.out(`backend:        ${backend}`);
  } finally {
    model.dispose();
  }
}

type EvalCommandOptions = { model?: string; data?: string; list?: string; config?: string; json: boolean; inputSize?: [number, number]; limit?: number; flipTest?: boolean; refine?: boolean; fit?: Fit; runtime?: 'tfjs' | 'onnx' };

export async function evalCommand(io: Io, options: EvalCommandOptions): Promise<void> {
  if (options.config) return evalConfigCommand(io, options, options.config);
  let entries = await listFolderDataset(options.data!, options.list);
  if (options.limit) entries = entries.slice(0, options.limit);
  const segmenter = await loadSegmenter(options.model, { inputSize: options.inputSize, runtime: options.runtime });
  try {
    // A counter redrawn in place, on a terminal only (the io's progress sink).
    const sink = !options.json && io.progress?.isTTY ? io.progress : null;
    const report = await evaluate(segmenter, entries, {
      flipTest: options.flipTest,
      fit: options.fit,
      refine: options.refine,
      onImage: sink ? (done, total) => sink.write(`\r  ${done}/${total}`) : undefined,
    });
    sink?.write('\r');
    if (options.json) {
      io.out(JSON.stringify(report));
      return;
    }
    const pct = (v: number) => (100 * v).toFixed(2);
    const masks = Object.entries(report.maskConventions).filter(([, n]) => n > 0).map(([c, n]) => `${n} ${c}`).join(', ');
    io.out(`images ${report.images} (masks: ${masks}), ${report.msPerImage.toFixed(1)} ms/image on ${segmenter.runtime === 'onnx' ? 'onnxruntime-node' : report.backend}`);
    io.out(`${atNetwork(segmenter, options.fit)}:     mIoU ${pct(report.miou)}  person IoU ${pct(report.personIou)}  background IoU ${pct(report.backgroundIou)}  boundary F ${pct(report.boundaryF)}  boundary IoU ${pct(report.boundaryIou)}`);
    io.out(`at mask size:  mIoU ${pct(report.miouFull)}  person IoU ${pct(report.personIouFull)}  background IoU ${pct(report.backgroundIouFull)}  boundary F ${pct(report.boundaryFFull)}  boundary IoU ${pct(report.boundaryIouFull)}`);
    io.out(`by person size (share of the frame), at mask size: ${bySizeLine(report)}`);
  } finally {
    segmenter.dispose();
  }
}


/** Person IoU per size class: 'small (< 10%) 12 images 45.20, ...'. */
function bySizeLine(report: EvalReport): string {
  return Object.entries(report.bySize).map(([name, r]) => `${name} (${r.shareOfFrame}) ${r.images} image${r.images === 1 ? '' : 's'}${r.images ? ` person IoU ${(100 * r.personIou).toFixed(2)}` : ''}`).join(', ');
}

/** Where the first figures are taken: the network's output, one size or (fit 'aspect') each photo's own. */
const atNetwork = (segmenter: { inputSize: [number, number] }, fit: Fit | undefined) => (fit === 'aspect' ? `at the network, about ${segmenter.inputSize.join('x')} pixels at each photo's aspect` : `at ${segmenter.inputSize.join('x')}`);

/** `sinet eval --config`: the config's validation sources one by one, at each photo's own size, and their mean. */
async function evalConfigCommand(io: Io, options: EvalCommandOptions, file: string): Promise<void> {
  const sets = await validationSets(await readTrainConfig(file), { cacheDir: decodeCacheDir(), log: io.err });
  if (sets.length === 0) throw new CliError(`${file}: no source to validate on (give one a valList or a holdOut above 0)`);
  const segmenter = await loadSegmenter(options.model, { inputSize: options.inputSize, runtime: options.runtime });
  try {
    const reports: Record<string, EvalReport> = {};
    for (const { source, entries } of sets) {
      reports[source] = await evaluate(segmenter, options.limit ? entries.slice(0, options.limit) : entries, { flipTest: options.flipTest, fit: options.fit, refine: options.refine });
    }
    const values = Object.values(reports);
    const mean = (key: keyof EvalReport) => values.reduce((a, r) => a + (r[key] as number), 0) / values.length;
    const summary = { personIou: mean('personIou'), personIouFull: mean('personIouFull'), miouFull: mean('miouFull'), boundaryFFull: mean('boundaryFFull') };
    if (options.json) {
      io.out(JSON.stringify({ sources: reports, mean: summary }));
      return;
    }
    const pct = (v: number) => (100 * v).toFixed(2).padStart(6);
    io.out(`${'source'.padEnd(14)} images  person IoU (${atNetwork(segmenter, options.fit)})  at mask size: person IoU   mIoU  boundary F`);
    for (const [source, r] of Object.entries(reports)) io.out(`${source.padEnd(14)} ${String(r.images).padStart(6)}  ${pct(r.personIou)}              ${pct(r.personIouFull)}         ${pct(r.miouFull)}  ${pct(r.boundaryFFull)}`);
    for (const [source, r] of Object.entries(reports)) io.out(`${source.padEnd(14)} by person size: ${bySizeLine(r)}`);
    io.out(`${'mean'.padEnd(14)} ${' '.repeat(6)}  ${pct(summary.personIou)}              ${pct(summary.personIouFull)}         ${pct(summary.miouFull)}  ${pct(summary.boundaryFFull)}`);
  } finally {
    segmenter.dispose();
  }
}
