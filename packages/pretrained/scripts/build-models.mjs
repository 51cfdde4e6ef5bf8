#!/usr/bin/env node
// Builds what @sinet/pretrained ships: the model folders, a MODEL_CARD.md each, src/models/<name>.ts and src/catalogue.ts,
// all from sources and measurements, never typed by hand. Run from the repository root after
// `pnpm build`, with ../shared present (the official weights and EG1800):
//
//   node packages/pretrained/scripts/build-models.mjs [--eg1800-run runs/eg1800-pretrained --eg1800-config configs/eg1800-pretrained.json]
//                                                     [--realworld-run runs/realworld --realworld-config configs/realworld.json]
//                                                     [--realworld-320-run runs/realworld-320 --realworld-320-config configs/realworld-320.json]
//                                                     [--realworld-384-run runs/realworld-384-ema --realworld-384-config configs/realworld-384-ema.json]
//                                                     [--reuse-figures]
//
// official: `sinet convert` of ../shared/reference/sinet-official/SINet.pth (MIT, NAVER Corp.).
// eg1800: the best model (by validation mIoU) of a `sinet train` run from scratch on EG1800.
// realworld: the best model (by the mean person IoU over its validation sources) of the mixed run;
// realworld-320: the same recipe continued at 320 x 320 input (about twice the inference);
// realworld-384: realworld-320 continued at 384 x 384 with a moving average of the weights (EMA).
// Each gets a float16 variant when its validation person IoU stays within 0.1 points.
// Every model is scored with `sinet eval` on EG1800's val split and with `sinet eval --config
// configs/realworld.json` on the cross-domain validation sources (EG1800 val and the held-out
// parts of CCP, Penn-Fudan and COCO128 at each photo's size); the cards quote those figures, and
// the default is the model with the best cross-domain mean as `segment` gives photos (flip test
// and refinement), the live-video default the best one-pass mean at 224 x 224.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..');
const repo = path.resolve(packageDir, '../..');
const shared = process.env.SINET_SHARED ? path.resolve(process.env.SINET_SHARED) : path.resolve(repo, '..', 'shared');
const officialDir = path.join(shared, 'reference', 'sinet-official');
const eg1800 = path.join(shared, 'datasets', 'eg1800');
const cli = path.join(repo, 'packages', 'cli', 'dist', 'main.js');
const modelsDir = path.join(packageDir, 'models');
/** The largest drop of validation person IoU a float16 variant may show to ship. */
const FLOAT16_TOLERANCE = 0.001;
/** The input of the models fit for live video (DEFAULT_REALTIME_PRETRAINED). */
const REALTIME_INPUT = '224 x 224';

function fail(message) {
  console.error(`build-models: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
/** The trained models, each from a run given as --<name>-run and --<name>-config, else kept as built. */
const TRAINED = ['eg1800', 'realworld', 'realworld-320', 'realworld-384'];
const trained = TRAINED.map((name) => {
  const runDir = option(`--${name}-run`);
  const configFile = option(`--${name}-config`);
  if (runDir && !configFile) fail(`--${name}-run needs --${name}-config (the config file the run was started with)`);
  return [name, runDir, configFile];
});
/** The mixed config whose validation sources every model is scored on. */
const crossConfig = path.join(repo, 'configs', 'realworld.json');
for (const [what, file] of [['the CLI (pnpm build)', cli], ['the official weights', path.join(officialDir, 'SINet.pth')], ['EG1800', path.join(eg1800, 'val.txt')]]) {
  if (!existsSync(file)) fail(`${what} not found at ${file}`);
}

const sinet = (...argv) => execFileSync(process.execPath, [cli, ...argv, '--backend', 'wasm'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** `sinet eval --json` on EG1800 val, as `segment` runs a photo by default (flip test, refinement). */
function evaluate(dir) {
  console.error(`build-models: evaluating ${path.relative(repo, dir)} on EG1800 val`);
  return JSON.parse(sinet('eval', '--model', dir, '--data', eg1800, '--list', 'val.txt', '--json').trim().split('\n').pop());
}

/** One pass of the network, no refinement: what live video runs (VideoSegmenter, the track processor). */
const ONE_PASS = ['--no-flip-test', '--no-refine'];

/**
 * `sinet eval --config` of the cross-domain sources: per source and the mean, at each photo's size,
 * as `segment` runs a photo by default; and the mean of one pass (`onePass`).
 */
function evaluateCrossDomain(dir) {
  const run = (...extra) => JSON.parse(sinet('eval', '--model', dir, '--config', crossConfig, '--json', ...extra).trim().split('\n').pop());
  console.error(`build-models: evaluating ${path.relative(repo, dir)} on the cross-domain validation sources`);
  const cross = run();
  const previous = previousOnePass(dir);
  if (previous) console.error(`build-models: ${path.basename(dir)}: one-pass figures of the built catalogue (its weights are unchanged)`);
  else console.error(`build-models: evaluating ${path.relative(repo, dir)} on the cross-domain validation sources, one pass`);
  const onePass = previous ?? run(...ONE_PASS);
  return { ...cross, onePass: { mean: onePass.mean, sources: Object.fromEntries(Object.entries(onePass.sources).map(([k, v]) => [k, { personIouFull: v.personIouFull }])) } };
}

/** The built catalogue (dist/catalogue.js), when there is one: figures of weights scored before. */
const builtCatalogue = existsSync(path.join(packageDir, 'dist', 'catalogue.js')) ? (await import(path.join(packageDir, 'dist', 'catalogue.js'))).PRETRAINED_MODELS : {};

/** The same weights' one-pass cross-domain figures from the built catalogue (one pass is deterministic), as eval's JSON has them. */
function previousOnePass(dir) {
  const entry = builtCatalogue[path.basename(dir)];
  const w = weightsOf(dir);
  if (!entry || entry.bytes !== w.bytes || Object.keys(entry.weightsUrls).join() !== w.files.join()) return null;
  // Catalogues built before the photo defaults scored one pass only: their crossDomain is it.
  const f = entry.crossDomain.onePass ?? entry.crossDomain;
  return { mean: { personIouFull: f.mean }, sources: Object.fromEntries(Object.entries(f.sources).map(([k, v]) => [k, { personIouFull: v }])) };
}

/** The model's input, height x width, from its metadata. */
function inputOf(dir) {
  const [h, w] = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).userDefinedMetadata.sinet.config.inputSize;
  return `${h} x ${w}`;
}

function weightsOf(dir) {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest;
  const files = manifest.flatMap((group) => group.paths);
  const bytes = files.reduce((n, f) => n + readFileSync(path.join(dir, f)).length, 0);
  const precision = manifest[0].weights.every((w) => w.quantization?.dtype === 'float16') ? 'float16' : 'float32';
  return { files, bytes, precision };
}

const pct = (v) => (100 * v).toFixed(2);
const machine = `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`;

function figures(report, input) {
  return `As \`segment\` gives a photo by default (the flip test; refinement against the photo at the mask's size):

| | at ${input} (the model's input) | at each mask's size (600 x 800) |
|---|---|---|
| person IoU | ${pct(report.personIou)} | ${pct(report.personIouFull)} |
| mIoU | ${pct(report.miou)} | ${pct(report.miouFull)} |
| boundary F (Csurka et al., 0.75% of the diagonal) | ${pct(report.boundaryF)} | ${pct(report.boundaryFFull)} |
| boundary IoU (Cheng et al., 2% of the diagonal) | ${pct(report.boundaryIou)} | ${pct(report.boundaryIouFull)} |

${report.images} images; ${report.msPerImage.toFixed(1)} ms per image (preprocessing, network and reading the result; ${report.backend}, one thread) on ${machine}.`;
}

function crossFigures(cross) {
  // People under 10% of the frame (far away, street scenes) are where SINet fails first: shown apart.
  const small = (r) => (r.bySize?.small?.images ? `${pct(r.bySize.small.personIou)} (${r.bySize.small.images})` : '');
  const onePass = (name) => pct(cross.onePass.sources[name].personIouFull);
  const rows = Object.entries(cross.sources).map(([name, r]) => `| ${name} | ${r.images} | ${pct(r.personIouFull)} | ${pct(r.miouFull)} | ${pct(r.boundaryFFull)} | ${small(r)} | ${onePass(name)} |`).join('\n');
  return `## Cross-domain validation (\`sinet eval --config configs/realworld.json\`, at each photo's own size)

EG1800 val and the held-out part (20%, stratified by person size) of each other person source of
\`configs/realworld.json\`: CCP (full-body street fashion), Penn-Fudan (street scenes, fully
labelled photos), COCO128 (groups, far and back views, landscape frames). The mean weighs each
source once; it picks the default model. Figures as \`segment\` gives a photo by default (flip
test and refinement); the last column is one pass of the network (\`--no-flip-test --no-refine\`),
what live video runs, whose mean picks the model for video.

| source | images | person IoU | mIoU | boundary F | person IoU, people < 10% of the frame (images) | person IoU, one pass |
|---|---|---|---|---|---|---|
${rows}
| **mean** | | **${pct(cross.mean.personIouFull)}** | ${pct(cross.mean.miouFull)} | ${pct(cross.mean.boundaryFFull)} | | ${pct(cross.onePass.mean.personIouFull)} |`;
}

const limits = (input) => `## Known limits

- Trained and scored on EG1800: one person, head and shoulders, portrait framing, mostly good
  light. Full-body shots, several people, low light and landscape webcam frames (stretched to
  a square unless you letterbox) are outside that distribution and segment worse; measure on
  your own images before relying on it.
- ${input} input: thin structures (hair strands, fingers) are lost at that resolution; the
  mask is upsampled to the photo's size.`;

function officialCard(name, dir, report, base, cross) {
  const w = weightsOf(dir);
  return `# ${name}: the official SINet weights

The pretrained SINet of [clovaai/ext_portrait_segmentation](https://github.com/clovaai/ext_portrait_segmentation)
(\`result/SINet/SINet.pth\`; Park et al., "SINet: Extreme Lightweight Portrait Segmentation Networks
with Spatial Squeeze Modules and Information Blocking Decoder", WACV 2020), converted to a
TensorFlow.js layers model by \`sinet convert\`, without Python:

\`\`\`sh
${base ? `sinet convert models/${base} --out models/${name} --float16` : 'sinet convert ../shared/reference/sinet-official/SINet.pth --out models/official'}
\`\`\`

${w.precision} weights, ${(w.bytes / 1024).toFixed(1)} KiB; 86,910 parameters; input ${inputOf(dir)} RGB, 0..255 (the
model's metadata holds the official preprocessing: BGR, (pixel - mean) / std / 255).

## Data

Trained by the authors on EG1800 (Shen et al., Eurographics 2016; research-only photos, not
redistributed here). SINet.js did not train these weights.

## Validation (EG1800 val, 133 images, \`sinet eval\`)

${figures(report, inputOf(dir))}

${crossFigures(cross)}

${limits(inputOf(dir))}

## Licence

MIT, Copyright (c) 2019-present NAVER Corp.; see LICENSE in this folder. The conversion code is
MIT, the SINet.js contributors.
`;
}

function trainedCard(name, dir, report, base, cross, runDir, configFile) {
  const w = weightsOf(dir);
  const log = readFileSync(path.join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const config = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8'));
  const state = JSON.parse(readFileSync(path.join(runDir, 'checkpoint', 'state.json'), 'utf8'));
  const hours = log.reduce((s, r) => s + r.seconds, 0) / 3600;
  const score = (r) => r.valScore ?? r.valMiou;
  const best = log.filter((r) => r.kind === 'full').reduce((a, r) => (score(r) > score(a) ? r : a));
  const mixed = config.data.source === 'mixed';
  const sources = mixed ? Object.keys(best.valSources ?? {}) : [];
  const planned = config.stages.map((s) => `${s.epochs} ${s.kind}`).join(' + ');
  const done = config.stages.map((s, i) => log.filter((r) => r.stage === i + 1).length);
  const finished = done.every((n, i) => n === config.stages[i].epochs);
  const progress = config.stages.map((s, i) => `${done[i]} of ${s.epochs} ${s.kind}`).join(' and ');
  const every = mixed ? 5 : 25;
  const curve = log.filter((r, i) => r.epoch % every === 0 || r.epoch === 1 || i === log.length - 1 || r === best)
    .map((r) => `| ${r.stage} (${r.kind}) | ${r.epoch} | ${pct(r.valPersonIou)} | ${pct(r.valMiou)} | ${r.valBoundaryF === undefined ? '' : pct(r.valBoundaryF)} |${sources.map((k) => ` ${r.valSources?.[k] ? pct(r.valSources[k].personIou) : ''} |`).join('')}${mixed ? ` ${r.valScore === undefined ? '' : pct(r.valScore)} |` : ''}`).join('\n');
  const title = mixed ? `# ${name}: SINet for everyday photos, trained by SINet.js on a mix of person data sets` : `# ${name}: SINet trained from scratch by SINet.js on EG1800`;
  const origin = mixed
    ? `Weights trained by this project's trainer (\`@sinet/train\`)${config.init ? ` from \`${config.init}\` (${path.basename(config.init) === 'official' ? 'the official weights' : `the shipped \`${path.basename(config.init)}\` model`})` : ' from random initialisation'} on a weighted mix of
${config.data.sources.map((s) => `${s.name} (${s.kind === 'backgrounds' ? `person-free backgrounds with people pasted by CopyPaste, p ${s.paste}` : s.valList ? `${s.trainList ?? 'all'}, val ${s.valList}` : `${s.trainList ?? 'all'} less a ${s.holdOut ?? config.data.holdOut} hold-out`}; weight ${s.weight})`).join(', ')},
selected by the mean person IoU over the validation sources (stage ${best.stage}, epoch ${best.epoch}).${config.optimizer?.ema ? ` These are the
exponential moving average of the trained weights (\`optimizer.ema\` ${config.optimizer.ema}): the average is what was validated and kept.` : ''}`
    : `Weights trained by this project's trainer (\`@sinet/train\`) from random initialisation (no
official weights, no distillation) on the EG1800 train split, selected by validation mIoU on
the val split (stage ${best.stage}, epoch ${best.epoch}).`;
  const dataText = mixed
    ? `The person sets of ../shared/datasets (EG1800, CCP person, Penn-Fudan person complete.txt, COCO128 person,
DAVIS 2016 person) and its person-free backgrounds, each research-only: not redistributed, and nothing derived
from them ships but these weights. Validation: EG1800 val and the stratified hold-out of the others.`
    : `EG1800 (Shen et al., Eurographics 2016): ${config.data.trainList ?? 'train'} for training, ${config.data.valList ?? 'val'} for selection and the figures
below. Research-only photos: not redistributed, and nothing derived from them ships but these weights.`;
  return `${title}

${origin}${finished ? '' : ` **The run is not finished**: ${progress} epochs so far; these are its best weights yet.`}

${base ? `\`sinet convert models/${base} --out models/${name} --float16\` of those weights; ` : ''}${w.precision} weights, ${(w.bytes / 1024).toFixed(1)} KiB; 86,910 parameters; input ${inputOf(dir)} RGB, 0..255.

## Data

${dataText}

## Recipe

\`\`\`sh
pnpm sinet train --config ${configFile} --out runs/${path.basename(runDir)} --workers ${state.trainWorkers ?? 1}   # Ctrl-C saves; --resume continues bit-exactly
\`\`\`

\`\`\`json
${JSON.stringify(config, null, 2)}
\`\`\`

${log.length} epochs (${planned} planned), ${hours.toFixed(2)} hours of training (validation included),
the last epoch at ${log.at(-1).imagesPerSecond.toFixed(1)} img/s. Machines the trainer recorded: ${state.machines?.length ? state.machines.join('; ') : 'none (checkpoint from before it kept them)'}.

## Learning curve (${mixed ? 'all validation images, then person IoU by source and the selection score' : 'EG1800 val'} during training, at the training size; encoder stage at 1/8)

| stage | epoch | person IoU | mIoU | boundary F |${sources.map((k) => ` ${k} |`).join('')}${mixed ? ' score |' : ''}
|---|---|---|---|---|${sources.map(() => '---|').join('')}${mixed ? '---|' : ''}
${curve}

## Validation (EG1800 val, 133 images, \`sinet eval\`)

${figures(report, inputOf(dir))}

${crossFigures(cross)}

${mixed ? limits(inputOf(dir)).replace('- Trained and scored on EG1800', '- Trained on EG1800 and the sets above, scored on their held-out parts').replace('one person, head and shoulders, portrait framing, mostly good\n  light. Full-body shots, several people, low light and landscape webcam frames (stretched to\n  a square unless you letterbox) are outside that distribution and segment worse', 'portraits, full-body street photos and everyday scenes; crowds,\n  low light and people far smaller than the frame still segment worse') : limits(inputOf(dir))}

## Licence

MIT, the SINet.js contributors.
`;
}

/** Converts (or copies) into models/<name>, evaluates, and writes the card; a float16 variant beside it when it keeps the score. */
function build(name, source, card) {
  const dir = path.join(modelsDir, name);
  rmSync(dir, { recursive: true, force: true });
  sinet('convert', source, '--out', dir);
  const report = evaluate(dir);
  const cross = evaluateCrossDomain(dir);
  writeFileSync(path.join(dir, 'MODEL_CARD.md'), card(name, dir, report, null, cross));
  const built = [{ name, dir, report, cross }];
  const halfName = `${name}-f16`;
  const half = path.join(modelsDir, halfName);
  rmSync(half, { recursive: true, force: true });
  sinet('convert', dir, '--out', half, '--float16');
  const halfReport = evaluate(half);
  if (report.personIou - halfReport.personIou < FLOAT16_TOLERANCE) {
    const halfCross = evaluateCrossDomain(half);
    writeFileSync(path.join(half, 'MODEL_CARD.md'), card(halfName, half, halfReport, name, halfCross));
    built.push({ name: halfName, dir: half, report: halfReport, cross: halfCross });
  } else {
    console.error(`build-models: ${halfName} drops person IoU by ${pct(report.personIou - halfReport.personIou)} points: not shipped`);
    rmSync(half, { recursive: true, force: true });
  }
  return built;
}

/**
 * With --reuse-figures, a kept model's figures from the built catalogue (dist/catalogue.js) when
 * its weights are the ones scored there (same files and bytes): saves evaluating it again.
 */
const published = args.includes('--reuse-figures') ? builtCatalogue : {};
function keptFigures(name, dir) {
  const entry = published[name];
  const w = weightsOf(dir);
  // Figures from before both protocols were kept (no onePass) are measured again.
  if (!entry?.crossDomain.onePass || entry.bytes !== w.bytes || Object.keys(entry.weightsUrls).join() !== w.files.join()) return null;
  console.error(`build-models: ${name}: figures of the built catalogue (its weights are unchanged)`);
  const figures = (f) => ({ mean: { personIouFull: f.mean }, sources: Object.fromEntries(Object.entries(f.sources).map(([k, v]) => [k, { personIouFull: v }])) });
  return { name, dir, report: entry.val, cross: { ...figures(entry.crossDomain), onePass: figures(entry.crossDomain.onePass) } };
}

mkdirSync(modelsDir, { recursive: true });
const kept = (name) => {
  const dir = path.join(modelsDir, name);
  return existsSync(path.join(dir, 'model.json')) ? keptFigures(name, dir) : null;
};
// The official conversion is deterministic: with --reuse-figures its built folders stay as they are.
const keptOfficial = ['official', 'official-f16'].map(kept);
const models = keptOfficial.every(Boolean) ? keptOfficial : build('official', path.join(officialDir, 'SINet.pth'), officialCard);
for (const m of models) {
  const licence = readFileSync(path.join(officialDir, 'LICENSE'), 'utf8');
  writeFileSync(path.join(m.dir, 'LICENSE'), `The official SINet weights in this folder, converted from SINet.pth of\nclovaai/ext_portrait_segmentation, are under this licence:\n\n${licence}`);
}
for (const [name, runDir, configFile] of trained) {
  if (runDir) {
    models.push(...build(name, path.join(runDir, 'best'), (n, dir, report, base, cross) => trainedCard(n, dir, report, base, cross, path.resolve(runDir), configFile)));
    continue;
  }
  // Keep a previously built model when no run is given: its card is rewritten only by its run.
  for (const keptName of [name, `${name}-f16`]) {
    const dir = path.join(modelsDir, keptName);
    if (existsSync(path.join(dir, 'model.json'))) models.push(kept(keptName) ?? { name: keptName, dir, report: evaluate(dir), cross: evaluateCrossDomain(dir) });
  }
}
for (const stale of readdirSync(modelsDir)) if (!models.some((m) => m.name === stale)) rmSync(path.join(modelsDir, stale), { recursive: true, force: true });

// The default: the best cross-domain mean (no one kind of photo decides). Means closer than
// MEAN_NOISE do not tell models apart (Penn-Fudan's and COCO128's held-out parts are 20 and 12
// photos): among those the cheapest inference wins (the smallest input), then the better mean
// to 0.1 points, then the smaller download (a float16 copy against its float32 twin).
const MEAN_NOISE = 0.005;
const inputArea = (m) => inputOf(m.dir).split(' x ').reduce((a, b) => a * Number(b), 1);
const bestOf = (list, figuresOf = (m) => m.cross) => {
  const meanOf = (m) => figuresOf(m).mean.personIouFull;
  const meanKey = (m) => Math.round(meanOf(m) * 1000);
  const better = (m, a) => inputArea(m) < inputArea(a) || (inputArea(m) === inputArea(a) && (meanKey(m) > meanKey(a) || (meanKey(m) === meanKey(a) && weightsOf(m.dir).bytes < weightsOf(a.dir).bytes)));
  const top = Math.max(...list.map(meanOf));
  return list.filter((m) => meanOf(m) >= top - MEAN_NOISE).reduce((a, m) => (better(m, a) ? m : a));
};
// Photos: the photo defaults' mean.
const best = bestOf(models);
// Live video: one pass's mean, among the models at 224 x 224, the input that keeps a camera's frame rate on two cores.
const realtime = bestOf(models.filter((m) => inputOf(m.dir) === REALTIME_INPUT), (m) => m.cross.onePass);
/** A cross-domain figure set as module source: mean and per-source person IoU at each photo's size. */
const figureFields = (f) => `mean: ${f.mean.personIouFull.toFixed(6)}, sources: { ${Object.entries(f.sources).map(([k, v]) => `'${k}': ${v.personIouFull.toFixed(6)}`).join(', ')} }`;
/** An identifier for a model name in generated code: 'realworld-320-f16' -> realworld320F16. */
const identifierOf = (name) => name.replace(/-(\w)/g, (_, c) => c.toUpperCase());
/** src/models/<name>.ts: one model and its files, so that a bundled app that imports it copies only those. */
const modelModule = (m) => {
  const w = weightsOf(m.dir);
  const licence = m.name.startsWith('official') ? 'MIT, NAVER Corp.' : 'MIT, the SINet.js contributors';
  const summary = m.name.startsWith('official')
    ? 'the official SINet weights (clovaai), converted'
    : m.name.startsWith('realworld')
      ? 'SINet for everyday photos (portraits, full body, groups), trained by SINet.js on a mix of data sets'
      : 'SINet trained from scratch on EG1800 by SINet.js';
  const r = m.report;
  const c = m.cross;
  const file = (f) => `new URL('../../models/${m.name}/${f}', import.meta.url)`;
  return `// Generated by scripts/build-models.mjs from the model folder and its \`sinet eval\` figures: do not edit.
import type { PretrainedModel } from '../types.js';

/** \`${m.name}\`: its URLs are the only ones in this module, so a bundler that follows \`import model from '@sinet/pretrained/${m.name}'\` copies only its files. */
const model: PretrainedModel = {
  name: '${m.name}',
  modelUrl: ${file('model.json')},
  weightsUrls: { ${w.files.map((f) => `'${f}': ${file(f)}`).join(', ')} },
  cardUrl: ${file('MODEL_CARD.md')},
  precision: '${w.precision}',
  inputSize: [${inputOf(m.dir).replace(' x ', ', ')}],
  bytes: ${w.bytes},
  val: { personIou: ${r.personIou.toFixed(6)}, miou: ${r.miou.toFixed(6)}, boundaryF: ${r.boundaryF.toFixed(6)}, boundaryIou: ${r.boundaryIou.toFixed(6)} },
  crossDomain: { ${figureFields(c)}, onePass: { ${figureFields(c.onePass)} } },
  licence: '${licence}',
  summary: '${summary}${inputOf(m.dir) === REALTIME_INPUT ? '' : `, ${inputOf(m.dir)} input`}${w.precision === 'float16' ? ', float16' : ''}',
};
export default model;
`;
};
const modulesDir = path.join(packageDir, 'src', 'models');
rmSync(modulesDir, { recursive: true, force: true });
mkdirSync(modulesDir, { recursive: true });
for (const m of models) writeFileSync(path.join(modulesDir, `${m.name}.ts`), modelModule(m));
// The two defaults under fixed names, for apps that want "the default" without naming a model.
for (const [alias, m, what] of [['default', best, 'DEFAULT_PRETRAINED'], ['realtime', realtime, 'DEFAULT_REALTIME_PRETRAINED']]) {
  writeFileSync(path.join(modulesDir, `${alias}.ts`), `// Generated by scripts/build-models.mjs: do not edit.\n/** ${what} (\`${m.name}\`) alone: \`import model from '@sinet/pretrained/${alias}'\`. */\nexport { default } from './${m.name}.js';\n`);
}
writeFileSync(
  path.join(packageDir, 'src', 'catalogue.ts'),
  `// Generated by scripts/build-models.mjs from the model folders and their \`sinet eval\` figures: do not edit.
import type { PretrainedModel } from './types.js';
${models.map((m) => `import ${identifierOf(m.name)} from './models/${m.name}.js';`).join('\n')}

export type PretrainedName = ${models.map((m) => `'${m.name}'`).join(' | ')};

/**
 * Every shipped model; the URLs resolve beside the package in Node and in bundlers (Vite, webpack 5,
 * esbuild), which therefore copy every model's files into an app that imports this: a bundled app
 * imports its one model instead, \`@sinet/pretrained/<name>\`.
 */
export const PRETRAINED_MODELS: Record<PretrainedName, PretrainedModel> = {
${models.map((m) => `  '${m.name}': ${identifierOf(m.name)},`).join('\n')}
};

/** The shipped model with the best cross-domain mean person IoU as \`segment\` gives photos (crossDomain.mean; within 0.5 points of the best, the smallest input): what \`loadSegmenter()\` of \`@sinet/model/node\` loads; \`@sinet/pretrained/default\` alone. */
export const DEFAULT_PRETRAINED: PretrainedName = '${best.name}';

/** The best cross-domain mean of one pass (crossDomain.onePass.mean, as video runs) among the models at 224 x 224 input, fast enough for live video on two cores: what the track processor and the demo load; \`@sinet/pretrained/realtime\` alone. */
export const DEFAULT_REALTIME_PRETRAINED: PretrainedName = '${realtime.name}';
`,
);
console.error(`build-models: ${models.map((m) => `${m.name} ${pct(m.report.personIou)} (cross-domain ${pct(m.cross.mean.personIouFull)})`).join(', ')}; default ${best.name}, live video ${realtime.name}`);
