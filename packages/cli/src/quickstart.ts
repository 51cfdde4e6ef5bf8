/**
 * `sinet quickstart`: converts the official weights when they are available and evaluates them
 * on EG1800 when it is; otherwise segments an embedded synthetic portrait with the default shipped
 * model, so that a fresh clone always has a real mask to look at.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeFolder } from '@sinet/model/node';
import { DEFAULT_PRETRAINED } from '@sinet/pretrained';
import { syntheticPortrait } from '@sinet/train';
import { convertCommand, evalCommand, type Io } from './commands.js';
import { segmentCommand } from './segment.js';
import { sharedDir } from './shared-dir.js';

/**
 * The quickstart's drawing: @sinet/train's synthetic portrait of this seed at 240 x 320, one the
 * photo-trained default model reads as a person (person IoU 0.99 against its exact mask; many
 * seeds' flat drawings are not, as the test of this command notes). A smoke test, not a measurement.
 */
const QUICKSTART_PORTRAIT_SEED = 9;

export interface QuickstartOptions {
  weights?: string;
  data?: string;
  out: string;
}

export async function quickstartCommand(io: Io, options: QuickstartOptions): Promise<void> {
  const weights = options.weights ?? process.env.SINET_WEIGHTS ?? path.join(sharedDir(), 'reference', 'sinet-official', 'SINet.pth');
  const data = options.data ?? path.join(sharedDir(), 'datasets', 'eg1800');
  // The quickstart's own folder: every run regenerates what it wrote there.
  const out = path.resolve(options.out);
  await makeFolder(out);
  const samplePath = path.join(out, 'synthetic-portrait.png');
  const { writeImage } = await import('@sinet/model/node');
  await writeImage(samplePath, syntheticPortrait(QUICKSTART_PORTRAIT_SEED, { width: 240, height: 320 }).image);

  if (existsSync(weights)) {
    const modelDir = path.join(out, 'sinet-official');
    io.out(`1/3 converting the official weights ${weights}`);
    // The quickstart's own output folder: regenerated on every run.
    await convertCommand(io, weights, modelDir, { overwrite: true });
    const hasData = existsSync(path.join(data, 'images'));
    const photos = hasData ? [path.join(data, 'images', '00017.jpg')].filter(existsSync) : [];
    io.out(`2/3 segmenting ${photos.length ? photos.join(', ') : samplePath}`);
    for (const mode of ['mask', 'blur'] as const) await segmentCommand(io, photos.length ? photos : [samplePath], { model: modelDir, out, mode, overwrite: true });
    if (hasData && existsSync(path.join(data, 'val.txt'))) {
      io.out(`3/3 evaluating on ${data} (val split, the official protocol)`);
      // The official protocol is one pass of the network, unrefined.
      await evalCommand(io, { model: modelDir, data, list: path.join(data, 'val.txt'), json: false, flipTest: false, refine: false });
    } else {
      io.out(`3/3 skipped evaluation: no dataset at ${data} (pass --data <dir> with images/ and masks/)`);
    }
    io.out(`done: outputs in ${out}`);
    return;
  }

  io.out(`no official weights at ${weights}: segmenting a synthetic portrait with the shipped '${DEFAULT_PRETRAINED}' model.`);
  io.out(`1/2 segmenting ${samplePath} (a drawing: the model is trained on photos, so try one of yours too: pnpm sinet segment <photo>)`);
  for (const mode of ['mask', 'blur'] as const) await segmentCommand(io, [samplePath], { out, mode, overwrite: true });
  io.out(`2/2 skipped conversion and evaluation: they need the official SINet.pth (clovaai/ext_portrait_segmentation, result/SINet/SINet.pth, MIT): pnpm sinet quickstart --weights <SINet.pth> [--data <EG1800 folder>]`);
  io.out(`done: outputs in ${out}`);
}
