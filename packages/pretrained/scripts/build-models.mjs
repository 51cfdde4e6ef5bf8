#!/usr/bin/env node
// Builds what @sinet/pretrained ships: the model folders, a MODEL_CARD.md each and src/catalogue.ts,
// all from sources and measurements, never typed by hand. Run from the repository root after
// `pnpm build`, with ../shared present (the official weights and EG1800):
//
//   node packages/pretrained/scripts/build-models.mjs [--eg1800-run runs/eg1800-pretrained --eg1800-config configs/eg1800-pretrained.json]
//
// official: `sinet convert` of ../shared/reference/sinet-official/SINet.pth (MIT, NAVER Corp.).
// eg1800: the best model (by validation mIoU) of a `sinet train` run from scratch on EG1800.
// Each gets a float16 variant when its validation person IoU stays within 0.1 points.
// Every model is scored with `sinet eval` on EG1800's val split; the cards quote those figures.
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

function fail(message) {
  console.error(`build-models: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const run = option('--eg1800-run');
const runConfig = option('--eg1800-config');
if (run && !runConfig) fail('--eg1800-run needs --eg1800-config (the config file the run was started with)');
for (const [what, file] of [['the CLI (pnpm build)', cli], ['the official weights', path.join(officialDir, 'SINet.pth')], ['EG1800', path.join(eg1800, 'val.txt')]]) {
  if (!existsSync(file)) fail(`${what} not found at ${file}`);
}

const sinet = (...argv) => execFileSync(process.execPath, [cli, ...argv, '--backend', 'wasm'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** `sinet eval --json` on EG1800 val. */
function evaluate(dir) {
  console.error(`build-models: evaluating ${path.relative(repo, dir)} on EG1800 val`);
  return JSON.parse(sinet('eval', '--model', dir, '--data', eg1800, '--list', 'val.txt', '--json').trim().split('\n').pop());
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

function figures(report) {
  return `| | at 224 x 224 (the model's input) | at each mask's size (600 x 800) |
|---|---|---|
| person IoU | ${pct(report.personIou)} | ${pct(report.personIouFull)} |
| mIoU | ${pct(report.miou)} | ${pct(report.miouFull)} |
| boundary F (Csurka et al., 0.75% of the diagonal) | ${pct(report.boundaryF)} | ${pct(report.boundaryFFull)} |
| boundary IoU (Cheng et al., 2% of the diagonal) | ${pct(report.boundaryIou)} | ${pct(report.boundaryIouFull)} |

${report.images} images; ${report.msPerImage.toFixed(1)} ms per image (preprocessing, network and reading the result; ${report.backend}, one thread) on ${machine}.`;
}

const LIMITS = `## Known limits

- Trained and scored on EG1800: one person, head and shoulders, portrait framing, mostly good
  light. Full-body shots, several people, low light and landscape webcam frames (stretched to
  a square unless you letterbox) are outside that distribution and segment worse; measure on
  your own images before relying on it.
- 224 x 224 input: thin structures (hair strands, fingers) are lost at that resolution; the
  mask is upsampled to the photo's size.`;

function officialCard(name, dir, report, base) {
  const w = weightsOf(dir);
  return `# ${name}: the official SINet weights

The pretrained SINet of [clovaai/ext_portrait_segmentation](https://github.com/clovaai/ext_portrait_segmentation)
(\`result/SINet/SINet.pth\`; Park et al., "SINet: Extreme Lightweight Portrait Segmentation Networks
with Spatial Squeeze Modules and Information Blocking Decoder", WACV 2020), converted to a
TensorFlow.js layers model by \`sinet convert\`, without Python:

\`\`\`sh
${base ? `sinet convert models/${base} --out models/${name} --float16` : 'sinet convert ../shared/reference/sinet-official/SINet.pth --out models/official'}
\`\`\`

${w.precision} weights, ${(w.bytes / 1024).toFixed(1)} KiB; 86,910 parameters; input 224 x 224 RGB, 0..255 (the
model's metadata holds the official preprocessing: BGR, (pixel - mean) / std / 255).

## Data

Trained by the authors on EG1800 (Shen et al., Eurographics 2016; research-only photos, not
redistributed here). SINet.js did not train these weights.

## Validation (EG1800 val, 133 images, \`sinet eval\`)

${figures(report)}

${LIMITS}

## Licence

MIT, Copyright (c) 2019-present NAVER Corp.; see LICENSE in this folder. The conversion code is
MIT, the SINet.js contributors.
`;
}

function trainedCard(name, dir, report, base, runDir, configFile) {
  const w = weightsOf(dir);
  const log = readFileSync(path.join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const config = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8'));
  const state = JSON.parse(readFileSync(path.join(runDir, 'checkpoint', 'state.json'), 'utf8'));
  const hours = log.reduce((s, r) => s + r.seconds, 0) / 3600;
  const best = log.filter((r) => r.kind === 'full').reduce((a, r) => (r.valMiou > a.valMiou ? r : a));
  const planned = config.stages.map((s) => `${s.epochs} ${s.kind}`).join(' + ');
  const done = config.stages.map((s, i) => log.filter((r) => r.stage === i + 1).length);
  const finished = done.every((n, i) => n === config.stages[i].epochs);
  const progress = config.stages.map((s, i) => `${done[i]} of ${s.epochs} ${s.kind}`).join(' and ');
  const curve = log.filter((r, i) => r.epoch % 25 === 0 || r.epoch === 1 || i === log.length - 1 || r === best)
    .map((r) => `| ${r.stage} (${r.kind}) | ${r.epoch} | ${pct(r.valPersonIou)} | ${pct(r.valMiou)} | ${r.valBoundaryF === undefined ? '' : pct(r.valBoundaryF)} |`).join('\n');
  return `# ${name}: SINet trained from scratch by SINet.js on EG1800

Weights trained by this project's trainer (\`@sinet/train\`) from random initialisation (no
official weights, no distillation) on the EG1800 train split, selected by validation mIoU on
the val split (stage ${best.stage}, epoch ${best.epoch}).${finished ? '' : ` **The run is not finished**: ${progress} epochs so far; these are its best weights yet.`}

${base ? `\`sinet convert models/${base} --out models/${name} --float16\` of those weights; ` : ''}${w.precision} weights, ${(w.bytes / 1024).toFixed(1)} KiB; 86,910 parameters; input 224 x 224 RGB, 0..255.

## Data

EG1800 (Shen et al., Eurographics 2016): ${config.data.trainList ?? 'train'} for training, ${config.data.valList ?? 'val'} for selection and the figures
below. Research-only photos: not redistributed, and nothing derived from them ships but these weights.

## Recipe

\`\`\`sh
pnpm sinet train --config ${configFile} --out runs/${path.basename(runDir)} --workers ${state.trainWorkers ?? 1}   # interrupted and continued with --resume
\`\`\`

\`\`\`json
${JSON.stringify(config, null, 2)}
\`\`\`

${log.length} epochs (${planned} planned), ${hours.toFixed(2)} hours of training (validation included),
the last epoch at ${log.at(-1).imagesPerSecond.toFixed(1)} img/s. Machines the trainer recorded: ${state.machines?.length ? state.machines.join('; ') : 'none (checkpoint from before it kept them)'}.

## Learning curve (EG1800 val during training, at the training size; encoder stage at 1/8)

| stage | epoch | person IoU | mIoU | boundary F |
|---|---|---|---|---|
${curve}

## Validation (EG1800 val, 133 images, \`sinet eval\`)

${figures(report)}

${LIMITS}

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
  writeFileSync(path.join(dir, 'MODEL_CARD.md'), card(name, dir, report, null));
  const built = [{ name, dir, report }];
  const halfName = `${name}-f16`;
  const half = path.join(modelsDir, halfName);
  rmSync(half, { recursive: true, force: true });
  sinet('convert', dir, '--out', half, '--float16');
  const halfReport = evaluate(half);
  if (report.personIou - halfReport.personIou < FLOAT16_TOLERANCE) {
    writeFileSync(path.join(half, 'MODEL_CARD.md'), card(halfName, half, halfReport, name));
    built.push({ name: halfName, dir: half, report: halfReport });
  } else {
    console.error(`build-models: ${halfName} drops person IoU by ${pct(report.personIou - halfReport.personIou)} points: not shipped`);
    rmSync(half, { recursive: true, force: true });
  }
  return built;
}

mkdirSync(modelsDir, { recursive: true });
const models = build('official', path.join(officialDir, 'SINet.pth'), officialCard);
for (const m of models) {
  const licence = readFileSync(path.join(officialDir, 'LICENSE'), 'utf8');
  writeFileSync(path.join(m.dir, 'LICENSE'), `The official SINet weights in this folder, converted from SINet.pth of\nclovaai/ext_portrait_segmentation, are under this licence:\n\n${licence}`);
}
if (run) models.push(...build('eg1800', path.join(run, 'best'), (name, dir, report, base) => trainedCard(name, dir, report, base, path.resolve(run), runConfig)));
else {
  // Keep a previously built eg1800 (its card and figures) when no run is given.
  for (const name of ['eg1800', 'eg1800-f16']) {
    const dir = path.join(modelsDir, name);
    if (existsSync(path.join(dir, 'model.json'))) models.push({ name, dir, report: evaluate(dir) });
  }
}
for (const stale of readdirSync(modelsDir)) if (!models.some((m) => m.name === stale)) rmSync(path.join(modelsDir, stale), { recursive: true, force: true });

const best = models.reduce((a, m) => (m.report.personIou > a.report.personIou ? m : a));
const entry = (m) => {
  const w = weightsOf(m.dir);
  const licence = m.name.startsWith('official') ? 'MIT, NAVER Corp.' : 'MIT, the SINet.js contributors';
  const summary = m.name.startsWith('official') ? 'the official SINet weights (clovaai), converted' : 'SINet trained from scratch on EG1800 by SINet.js';
  const r = m.report;
  return `  '${m.name}': {
    name: '${m.name}',
    modelUrl: new URL('../models/${m.name}/model.json', import.meta.url),
    weightsUrls: { ${w.files.map((f) => `'${f}': new URL('../models/${m.name}/${f}', import.meta.url)`).join(', ')} },
    cardUrl: new URL('../models/${m.name}/MODEL_CARD.md', import.meta.url),
    precision: '${w.precision}',
    bytes: ${w.bytes},
    val: { personIou: ${r.personIou.toFixed(6)}, miou: ${r.miou.toFixed(6)}, boundaryF: ${r.boundaryF.toFixed(6)}, boundaryIou: ${r.boundaryIou.toFixed(6)} },
    licence: '${licence}',
    summary: '${summary}${w.precision === 'float16' ? ', float16' : ''}',
  },`;
};
writeFileSync(
  path.join(packageDir, 'src', 'catalogue.ts'),
  `// Generated by scripts/build-models.mjs from the model folders and their \`sinet eval\` figures: do not edit.
import type { PretrainedModel } from './index.js';

export type PretrainedName = ${models.map((m) => `'${m.name}'`).join(' | ')};

/** Every shipped model; the URLs resolve beside this module in Node and in bundlers (Vite, webpack 5, esbuild). */
export const PRETRAINED_MODELS: Record<PretrainedName, PretrainedModel> = {
${models.map(entry).join('\n')}
};

/** The shipped model with the best EG1800 validation person IoU: what \`loadSegmenter()\` loads. */
export const DEFAULT_PRETRAINED: PretrainedName = '${best.name}';
`,
);
console.error(`build-models: ${models.map((m) => `${m.name} ${pct(m.report.personIou)}`).join(', ')}; default ${best.name}`);
