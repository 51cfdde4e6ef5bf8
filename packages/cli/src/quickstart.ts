/**
 * `sinet quickstart`: converts the official weights when they are available and evaluates them
 * on EG1800 when it is; otherwise segments an embedded synthetic portrait with the default shipped
 * model, so that a fresh clone always has a real mask to look at.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PixelData } from '@sinet/model';
import { makeFolder } from '@sinet/model/node';
import { DEFAULT_PRETRAINED } from '@sinet/pretrained';
import { convertCommand, evalCommand, type Io } from './commands.js';
import { segmentCommand } from './segment.js';
import { sharedDir } from './shared-dir.js';

/** A deterministic 240 x 320 drawing of head and shoulders on a gradient: no photo needed. */
export function syntheticPortrait(width = 240, height = 320): PixelData & { channels: 3 } {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      const head = ((x - width / 2) / (width * 0.2)) ** 2 + ((y - height * 0.38) / (height * 0.2)) ** 2 <= 1;
      const shoulders = y > height * 0.62 && Math.abs(x - width / 2) < width * 0.45 * Math.min(1, (y - height * 0.6) / (height * 0.12));
      const person = head || shoulders;
      data[i] = person ? (head ? 224 : 40) : 60 + (120 * x) / width;
      data[i + 1] = person ? (head ? 172 : 70) : 140;
      data[i + 2] = person ? (head ? 140 : 160) : 200 - (100 * y) / height;
    }
  return { data, width, height, channels: 3 };
}

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
  await writeImage(samplePath, syntheticPortrait());

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
      await evalCommand(io, { model: modelDir, data, list: path.join(data, 'val.txt'), json: false });
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
