/**
 * A Y4M video (4:2:0, what Chromium's fake camera reads) from still photos, each shown for a
 * number of frames. Written to a temporary folder at test time: derived from the photos, it is
 * never committed.
 */
import sharp from 'sharp';
import { promises as fs } from 'node:fs';
import { seededRandom } from '../numeric.js';

/**
 * `noiseLevels`: each frame's brightness gets independent, seeded uniform noise of +-this many
 * levels, as a camera sensor's (a still scene that is never quite still).
 */
export async function photosToY4m(photos: string[], out: string, options: { width: number; height: number; framesEach: number; fps: number; noiseLevels?: number }): Promise<void> {
  const { width, height, framesEach, fps, noiseLevels = 0 } = options;
  if (width % 2 || height % 2) throw new Error('y4m 4:2:0 needs even sizes');
  const chunks: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (const photo of photos) {
    const rgb = await sharp(photo).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const y = Buffer.alloc(width * height);
    const u = Buffer.alloc((width / 2) * (height / 2));
    const v = Buffer.alloc((width / 2) * (height / 2));
    // BT.601 full range (JPEG's YCbCr); chroma averaged over 2 x 2 pixels.
    for (let i = 0; i < width * height; i++) {
      const [r, g, b] = [rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!];
      y[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
    for (let cy = 0; cy < height / 2; cy++) {
      for (let cx = 0; cx < width / 2; cx++) {
        let cb = 0;
        let cr = 0;
        for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
          const i = (2 * cy + dy) * width + 2 * cx + dx;
          const [r, g, b] = [rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!];
          cb += 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
          cr += 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
        }
        u[cy * (width / 2) + cx] = Math.max(0, Math.min(255, Math.round(cb / 4)));
        v[cy * (width / 2) + cx] = Math.max(0, Math.min(255, Math.round(cr / 4)));
      }
    }
    const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
    for (let f = 0; f < framesEach; f++) {
      if (!noiseLevels) {
        chunks.push(frame);
        continue;
      }
      const noisy = Buffer.from(frame);
      const random = seededRandom(chunks.length);
      const start = 'FRAME\n'.length;
      for (let i = 0; i < width * height; i++) noisy[start + i] = Math.max(0, Math.min(255, Math.round(y[i]! + (2 * random() - 1) * noiseLevels)));
      chunks.push(noisy);
    }
  }
  await fs.writeFile(out, Buffer.concat(chunks));
}
