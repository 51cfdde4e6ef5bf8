/** `sinet synth`: writes synthetic portraits as a folder dataset (images/, masks/, train.txt, val.txt). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeFolder, writeFileAtomic, writeImage } from '@sinet/model/node';
import { syntheticPortrait } from '@sinet/train';
import type { Io } from './commands.js';
import { CliError, UsageError } from './errors.js';

export async function synthCommand(io: Io, options: { out: string; count: number; size: [number, number]; seed: number; valFraction: number; overwrite?: boolean }): Promise<void> {
  if (!(options.valFraction >= 0 && options.valFraction < 1)) throw new UsageError(`--val must be in [0, 1), got ${options.valFraction}`);
  // A data set already there (its lists and pictures) is the user's: replaced only when asked.
  const present = ['images', 'masks', 'train.txt', 'val.txt'].filter((f) => existsSync(path.join(options.out, f)));
  if (present.length && !options.overwrite) throw new CliError(`${options.out} already holds a data set (${present.join(', ')}): choose another --out, or --overwrite to replace its lists and synth-* files`);
  const [height, width] = options.size;
  await makeFolder(path.join(options.out, 'images'));
  await makeFolder(path.join(options.out, 'masks'));
  const ids: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const id = `synth-${String(i).padStart(5, '0')}`;
    const { image, mask } = syntheticPortrait(options.seed * 1_000_003 + i, { width, height });
    await writeImage(path.join(options.out, 'images', `${id}.png`), image);
    await writeImage(path.join(options.out, 'masks', `${id}.png`), { data: mask.data.map((v) => v * 255), width, height, channels: 1 });
    ids.push(id);
  }
  // Every k-th sample is validation, as in the EG1800 copy's split.
  const every = options.valFraction > 0 ? Math.max(2, Math.round(1 / options.valFraction)) : 0;
  const val = every ? ids.filter((_, i) => i % every === every - 1) : [];
  const train = ids.filter((id) => !val.includes(id));
  await writeFileAtomic(path.join(options.out, 'train.txt'), `${train.join('\n')}\n`);
  await writeFileAtomic(path.join(options.out, 'val.txt'), `${val.join('\n')}\n`);
  io.out(`${options.out}: ${ids.length} synthetic portraits at ${width}x${height} (seed ${options.seed}): ${train.length} train, ${val.length} val`);
}
