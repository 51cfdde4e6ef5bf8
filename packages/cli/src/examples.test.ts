/**
 * examples/: each app installed from the packed tarballs of this checkout (not workspace links),
 * as a user installs from npm, then run: the Node script on real portraits, the Vite page built
 * and driven in Chromium. Each README example is the example's file, as written (one owner).
 */
import { EG1800, freshDir, haveShared, installExample, packageDir, packPackage, repoRoot, sharedPath } from '@sinet/test-utils';
import { haveChromium, launchChromium, photosToY4m, serveStatic } from '@sinet/test-utils/browser';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { readImage } from '@sinet/model/node';
import { DEFAULT_PRETRAINED, DEFAULT_REALTIME_PRETRAINED, PRETRAINED_MODELS } from '@sinet/pretrained';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const OURS = ['model', 'layers', 'pretrained', 'wasm-kernels', 'track-processor'];
const example = (name: string, file: string) => readFileSync(path.join(repoRoot, 'examples', name, file), 'utf8');
const modelReadme = () => readFileSync(path.join(packageDir('model'), 'README.md'), 'utf8');
/** The model weights files in a built app's dist, by their names before the bundler's hash. */
const bundledWeights = (dist: string) =>
  readdirSync(dist, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.bin'))
    .map((f) => path.basename(f).replace(/-[\w-]{8}\.bin$/, '.bin'));

/** Person IoU of a 0/255 mask file against a hand-made one. */
async function personIou(maskFile: string, truthFile: string): Promise<number> {
  const [mask, truth] = [await readImage(maskFile), await readImage(truthFile)];
  let both = 0;
  let either = 0;
  for (let i = 0; i < mask.width * mask.height; i++) {
    const [p, t] = [mask.data[i * mask.channels]! > 127, truth.data[i * truth.channels]! > 127];
    both += p && t ? 1 : 0;
    either += p || t ? 1 : 0;
  }
  return both / either;
}

/** Console errors, uncaught exceptions and failed requests of a page, as they happen. */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  return errors;
}

const withPhotos = haveShared('the examples on real portraits', EG1800);

describe.runIf(withPhotos)('examples', () => {
  const destination = freshDir('sinet-example-packs-');
  const tarballs = Object.fromEntries(OURS.map((name) => [`@sinet/${name}`, packPackage(packageDir(name), destination)]));
  const ids = withPhotos ? readFileSync(sharedPath(...EG1800, 'val.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 3) : [];

  it('name our packages at the versions this checkout publishes, and the install lines of the README they follow', () => {
    for (const name of readdirSync(path.join(repoRoot, 'examples')).filter((f) => statSync(path.join(repoRoot, 'examples', f)).isDirectory())) {
      const deps = JSON.parse(example(name, 'package.json')).dependencies as Record<string, string>;
      for (const [pkg, range] of Object.entries(deps).filter(([p]) => p.startsWith('@sinet/'))) {
        const version = JSON.parse(readFileSync(path.join(packageDir(pkg.slice('@sinet/'.length)), 'package.json'), 'utf8')).version;
        expect([name, pkg, range]).toEqual([name, pkg, `^${version}`]);
      }
    }
    // node-segment-folder installs exactly the README's two install lines.
    const installed = [...modelReadme().matchAll(/^npm install (.+)$/gm)].slice(0, 2).flatMap((m) => m[1]!.split(/\s+/));
    expect(Object.keys(JSON.parse(example('node-segment-folder', 'package.json')).dependencies).sort()).toEqual(installed.sort());
  });

  it("node-segment-folder (the @sinet/model README's Node example, as written) segments a folder of portraits with the default model", async () => {
    expect(modelReadme()).toContain(`\`\`\`js\n${example('node-segment-folder', 'segment.mjs')}\`\`\``);
    const dir = installExample('node-segment-folder', tarballs);
    mkdirSync(path.join(dir, 'photos'));
    for (const id of ids) copyFileSync(sharedPath(...EG1800, 'images', `${id}.jpg`), path.join(dir, 'photos', `${id}.jpg`));
    const { stdout } = await run(process.execPath, ['segment.mjs', 'photos', 'out'], { cwd: dir, encoding: 'utf8' });
    expect(stdout.trim().split('\n').filter((l) => /^\S+\.jpg: person \d+\.\d% of the photo$/.test(l))).toHaveLength(ids.length);
    for (const id of ids) {
      for (const kind of ['mask', 'cutout', 'bokeh', 'green']) expect(readdirSync(path.join(dir, 'out'))).toContain(`${id}.${kind}.png`);
      expect([id, await personIou(path.join(dir, 'out', `${id}.mask.png`), sharedPath(...EG1800, 'masks', `${id}.png`))]).toEqual([id, expect.toSatisfy((v: number) => v > 0.9)]);
    }
  }, 600_000);

  /** Installs a cut-out page from the tarballs, builds it with Vite, picks a portrait in Chromium and compares the cut-out's alpha with the hand-made mask. */
  async function cutOutInChromium(name: string): Promise<string> {
    const dir = installExample(name, tarballs);
    await run(process.execPath, [path.join(dir, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir, encoding: 'utf8' });
    // The app's dist holds the one model it fetches, not every shipped one.
    expect(bundledWeights(path.join(dir, 'dist'))).toEqual(Object.keys(PRETRAINED_MODELS[DEFAULT_PRETRAINED].weightsUrls));
    const server = await serveStatic(path.join(dir, 'dist'), '/cutout/');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors = pageErrors(page);
      await page.goto(server.url);
      await page.getByText(/^Pick a photo/).waitFor({ timeout: 60_000 });
      const id = ids[0];
      await page.setInputFiles('#photo', sharedPath(...EG1800, 'images', `${id}.jpg`));
      const status = page.locator('#status');
      await page.waitForFunction(() => /person \d+\.\d% of the photo/.test(document.querySelector('#status')?.textContent ?? ''), undefined, { timeout: 60_000 });
      const truth = await readImage(sharedPath(...EG1800, 'masks', `${id}.png`));
      expect(await status.textContent()).toContain(`${id}.jpg: ${truth.width} x ${truth.height}, person`);
      // The cut-out's alpha is the mask: compare it with the hand-made one.
      const alpha = await page.evaluate(() => {
        const canvas = document.querySelector('#result') as HTMLCanvasElement;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        return Array.from({ length: data.length / 4 }, (_, i) => data[4 * i + 3]!);
      });
      let both = 0;
      let either = 0;
      alpha.forEach((a, i) => {
        const [p, t] = [a > 127, truth.data[i * truth.channels]! > 127];
        both += p && t ? 1 : 0;
        either += p || t ? 1 : 0;
      });
      expect(both / either).toBeGreaterThan(0.9);
      await page.screenshot({ path: path.join(dir, 'page.png') });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
    return dir;
  }

  it.runIf(haveChromium())("vite-cutout (the README's browser example, as written) builds with Vite and cuts a portrait out in Chromium", async () => {
    expect(modelReadme()).toContain(`\`\`\`js\n${example('vite-cutout', 'main.js')}\`\`\``);
    await cutOutInChromium('vite-cutout');
  }, 600_000);

  it.runIf(haveChromium())('vite-worker cuts a portrait out in a module Worker: the page\'s own script holds no tfjs', async () => {
    const dir = await cutOutInChromium('vite-worker');
    // The page's entry chunk is the few lines of main.js; tfjs and the model are the worker's chunks.
    const html = readFileSync(path.join(dir, 'dist', 'index.html'), 'utf8');
    const entry = /<script type="module" crossorigin src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeDefined();
    const script = readFileSync(path.join(dir, 'dist', entry!), 'utf8');
    expect(script.length).toBeLessThan(4000);
    expect(script).not.toMatch(/tfjs|wasm/i);
    expect(script).toContain('segment-worker');
  }, 600_000);

  it.runIf(haveChromium())("vite-call (the @sinet/track-processor README's example, as written) turns a fake camera's background green and leaves the person", async () => {
    const readme = readFileSync(path.join(packageDir('track-processor'), 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${example('vite-call', 'main.js')}\`\`\``);
    const dir = installExample('vite-call', tarballs);
    await run(process.execPath, [path.join(dir, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir, encoding: 'utf8' });
    expect(bundledWeights(path.join(dir, 'dist'))).toEqual(Object.keys(PRETRAINED_MODELS[DEFAULT_REALTIME_PRETRAINED].weightsUrls));
    // The camera: an EG1800 portrait at 640 x 480 (cropped as the truth is), with sensor noise.
    const [width, height] = [640, 480];
    const video = path.join(dir, 'camera.y4m');
    await photosToY4m([sharedPath(...EG1800, 'images', `${ids[0]}.jpg`)], video, { width, height, framesEach: 60, fps: 30, noiseLevels: 2 });
    const truth = await sharp(sharedPath(...EG1800, 'masks', `${ids[0]}.png`)).greyscale().resize(width, height, { fit: 'cover' }).raw().toBuffer();
    const server = await serveStatic(path.join(dir, 'dist'), '/call/');
    const browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`, '--autoplay-policy=no-user-gesture-required']);
    try {
      const page = await browser.newPage();
      const errors = pageErrors(page);
      await page.goto(server.url);
      await page.click('#start');
      await page.getByText(/^Background hidden \(wasm/).waitFor({ timeout: 90_000 });
      await page.selectOption('#effect', 'colour');
      // Which pixels of the shown frame are the replacement green (#00b140), once the switch has reached the track.
      const greenPixels = () =>
        page.evaluate(([w, h]) => {
          const v = document.querySelector('#call') as HTMLVideoElement;
          const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
          const context = canvas.getContext('2d', { willReadFrequently: true })!;
          context.drawImage(v, 0, 0, w, h);
          const { data } = context.getImageData(0, 0, w, h);
          return Array.from({ length: w * h }, (_, i) => (Math.abs(data[4 * i]! - 0x00) + Math.abs(data[4 * i + 1]! - 0xb1) + Math.abs(data[4 * i + 2]! - 0x40) < 60 ? 1 : 0));
        }, [width, height] as const);
      let person = 0;
      for (let tries = 0; tries < 60 && person < 0.9; tries++) {
        await new Promise((r) => setTimeout(r, 250));
        const green = await greenPixels();
        // Person IoU of the pixels that are not green against the hand-made mask.
        let both = 0;
        let either = 0;
        green.forEach((g, i) => {
          const [p, t] = [g === 0, truth[i]! > 127];
          both += p && t ? 1 : 0;
          either += p || t ? 1 : 0;
        });
        person = both / either;
      }
      expect(person).toBeGreaterThan(0.9);
      await page.screenshot({ path: path.join(dir, 'call.png') });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 600_000);
});
