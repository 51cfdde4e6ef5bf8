#!/usr/bin/env node
// Draws the contact sheet of CopyPaste in packages/augment/README.md from synthetic people and
// backgrounds only (no photo of ../shared), after `pnpm build`: node packages/cli/scripts/copy-paste-sheet.mjs
import { Rng } from '@sinet/augment';
import { CopyPaste } from '@sinet/augment/augmenters';
import { writeImage } from '@sinet/model/node';
import { syntheticPortrait } from '@sinet/train';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../augment/docs/copy-paste.jpg');

/** A standing figure (head, torso, legs) in one colour on grey, not touching any edge. */
function figure(seed, width, height) {
  const rng = new Rng(seed);
  const colour = [rng.integer(40, 220), rng.integer(40, 220), rng.integer(40, 220)];
  const image = new Uint8Array(width * height * 3).fill(128);
  const mask = new Uint8Array(width * height);
  const inside = (x, y) => {
    const cx = width / 2;
    const head = ((x - cx) / (0.09 * width)) ** 2 + ((y - 0.12 * height) / (0.07 * height)) ** 2 <= 1;
    const torso = Math.abs(x - cx) < 0.2 * width && y > 0.19 * height && y < 0.55 * height;
    const legs = Math.abs(Math.abs(x - cx) - 0.09 * width) < 0.06 * width && y >= 0.55 * height && y < 0.95 * height;
    return head || torso || legs;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!inside(x, y)) continue;
      const p = y * width + x;
      mask[p] = 1;
      const shade = 0.75 + 0.25 * (y / height);
      image.set(colour.map((c) => Math.round(c * shade)), 3 * p);
    }
  }
  return { image: { data: image, width, height, channels: 3 }, mask: { data: mask, width, height } };
}

/** A person-free canvas: a vertical gradient (sky to ground) with a few boxes. */
function canvas(seed, width, height) {
  const rng = new Rng(seed);
  const top = [rng.integer(120, 230), rng.integer(120, 230), rng.integer(150, 250)];
  const bottom = [rng.integer(30, 120), rng.integer(30, 120), rng.integer(20, 90)];
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[3 * (y * width + x) + c] = Math.max(0, Math.min(255, Math.round(top[c] + ((bottom[c] - top[c]) * y) / height + rng.normal(0, 6))));
  }
  for (let k = 0; k < 4; k++) {
    const [x0, y0] = [rng.integer(0, width - 20), rng.integer(Math.round(height / 3), height - 20)];
    const colour = [rng.integer(0, 255), rng.integer(0, 255), rng.integer(0, 255)];
    const [h, w] = [rng.integer(10, 40), rng.integer(10, 60)];
    for (let y = y0; y < Math.min(height, y0 + h); y++) for (let x = x0; x < Math.min(width, x0 + w); x++) data.set(colour, 3 * (y * width + x));
  }
  return { image: { data, width, height, channels: 3 }, mask: { data: new Uint8Array(width * height), width, height } };
}

const donors = [...Array.from({ length: 4 }, (_, i) => figure(10 + i, 60, 150)), ...Array.from({ length: 2 }, (_, i) => syntheticPortrait(20 + i, { width: 120, height: 160 }))];
const cell = 160;
const gap = 4;
const cols = 4;
const rows = 3;
const sheetWidth = cols * (cell + gap) + gap;
const sheetHeight = rows * (cell + gap) + gap;
const sheet = new Uint8Array(sheetWidth * sheetHeight * 3).fill(255);
const paster = new CopyPaste({ donors, count: [1, 4] });
// Canvas frames: portrait, square and landscape photos stretched to the stored square.
const frames = [[480, 640], [640, 640], [640, 480], [1280, 720]];
for (let i = 0; i < cols * rows; i++) {
  const [fw, fh] = frames[i % frames.length];
  const { image, mask } = paster.run({ ...canvas(100 + i, cell, cell), frame: { width: fw, height: fh } }, new Rng(1000 + i));
  const ox = gap + (i % cols) * (cell + gap);
  const oy = gap + Math.floor(i / cols) * (cell + gap);
  for (let y = 0; y < cell; y++) {
    for (let x = 0; x < cell; x++) {
      const p = y * cell + x;
      const edge = mask.data[p] && (x === 0 || y === 0 || x === cell - 1 || y === cell - 1 || !mask.data[p - 1] || !mask.data[p + 1] || !mask.data[p - cell] || !mask.data[p + cell]);
      sheet.set(edge ? [255, 0, 0] : image.data.subarray(3 * p, 3 * p + 3), 3 * ((oy + y) * sheetWidth + ox + x));
    }
  }
}
await writeImage(out, { data: sheet, width: sheetWidth, height: sheetHeight, channels: 3 });
console.error(`copy-paste-sheet: wrote ${path.relative(process.cwd(), out)}`);
