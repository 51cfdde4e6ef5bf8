/** `sinet augment-preview`: a contact sheet of augmented samples with the mask outlined. */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PRESET_NAMES, PRESETS, type ImageU8, type LabelMap, type PresetName } from '@sinet/augment';
import { Resize } from '@sinet/augment/augmenters';
import { classBoundary } from '@sinet/losses';
import { readImage, readMask, writeImage } from '@sinet/model/node';
import type { Io } from './commands.js';
import { CliError, UsageError } from './errors.js';


const OUTLINE = [255, 0, 255];
const GAP = 4;

/** Draws the sample into the sheet at (x0, y0), with mask boundaries in magenta. */
function paint(sheet: Uint8Array, sheetWidth: number, x0: number, y0: number, image: ImageU8, mask?: LabelMap): void {
  const { width: w, height: h, channels: c, data } = image;
  const edge = mask ? classBoundary(mask.data, w, h, 1) : null;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const to = ((y0 + y) * sheetWidth + x0 + x) * 3;
      const i = y * w + x;
      for (let k = 0; k < 3; k++) sheet[to + k] = edge?.[i] ? OUTLINE[k]! : data[i * c + (c >= 3 ? k : 0)]!;
    }
}

export async function augmentPreviewCommand(io: Io, options: { image: string; mask?: string; preset: string; n: number; size: number; seed: number; out: string; overwrite?: boolean }): Promise<void> {
  const same = (a: string, b: string) => path.resolve(a) === path.resolve(b) || (existsSync(a) && existsSync(b) && realpathSync(a) === realpathSync(b));
  for (const input of [options.image, options.mask]) if (input && same(options.out, input)) throw new CliError(`--out ${options.out} is an input of this command: choose another file`);
  if (existsSync(options.out) && !options.overwrite) throw new CliError(`${options.out} exists: choose another --out, or --overwrite to replace it`);
  if (!PRESET_NAMES.includes(options.preset as PresetName)) throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${options.preset}'`);
  const decoded = await readImage(options.image);
  const image: ImageU8 = { data: decoded.data, width: decoded.width, height: decoded.height, channels: 3 };
  let mask: LabelMap | undefined;
  if (options.mask) {
    const m = await readMask(options.mask);
    if (m.width !== image.width || m.height !== image.height) throw new UsageError(`${options.mask}: mask is ${m.width} x ${m.height} but the image is ${image.width} x ${image.height}`);
    mask = { data: Uint8Array.from(m.data, (v) => (v > 127 ? 1 : 0)), width: m.width, height: m.height };
  }
  // Work at training size: the longer side becomes `size`.
  const scale = options.size / Math.max(image.width, image.height);
  const working = new Resize({ size: [Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale))] }).augmentSample({ image, mask });
  const augmenter = PRESETS[options.preset as PresetName]({ seed: options.seed });
  const samples = Array.from({ length: options.n }, () => augmenter.augmentSample(working));
  const cols = Math.ceil(Math.sqrt(options.n));
  const rows = Math.ceil(options.n / cols);
  const cellW = Math.max(...samples.map((s) => s.image.width));
  const cellH = Math.max(...samples.map((s) => s.image.height));
  const width = cols * cellW + (cols + 1) * GAP;
  const height = rows * cellH + (rows + 1) * GAP;
  const sheet = new Uint8Array(width * height * 3).fill(255);
  samples.forEach((s, i) => paint(sheet, width, GAP + (i % cols) * (cellW + GAP), GAP + Math.floor(i / cols) * (cellH + GAP), s.image, s.mask));
  await writeImage(options.out, { data: sheet, width, height, channels: 3 });
  io.out(`${options.out}: ${options.n} samples of ${options.preset} (seed ${options.seed}) at ${working.image.width}x${working.image.height}${mask ? ', mask outlined in magenta' : ''}`);
}
