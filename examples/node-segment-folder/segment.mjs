import { blurBackground, cutout, replaceBackground } from '@sinet/model';
import { initBackend, loadSegmenter, readImage, writeImage } from '@sinet/model/node';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

const [input = 'photos', output = 'out'] = process.argv.slice(2);
await initBackend(); // tfjs-node, else wasm (SIMD), else cpu
const segmenter = await loadSegmenter(); // the default shipped model; or a model folder, model.json URL or name
mkdirSync(output, { recursive: true });
for (const file of readdirSync(input).filter((f) => /\.(jpe?g|png|webp)$/i.test(f))) {
  const photo = await readImage(path.join(input, file));
  const s = await segmenter.segment(photo, { threshold: 0.5 });
  // s.probabilities: Float32Array (person probability), s.mask: Uint8Array (0/1), at the photo's size
  const name = path.parse(file).name;
  await writeImage(path.join(output, `${name}.mask.png`), { data: s.mask.map((v) => 255 * v), width: s.width, height: s.height, channels: 1 });
  await writeImage(path.join(output, `${name}.cutout.png`), await cutout(photo, s));
  await writeImage(path.join(output, `${name}.bokeh.png`), await blurBackground(photo, s, { sigma: 12 }));
  await writeImage(path.join(output, `${name}.green.png`), await replaceBackground(photo, s, '#00b140'));
  console.log(`${file}: person ${((100 * s.mask.reduce((n, v) => n + v, 0)) / s.mask.length).toFixed(1)}% of the photo`);
}
segmenter.dispose();
