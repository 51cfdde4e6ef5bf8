/**
 * examples/: each app installed from the packed tarballs of this checkout (not workspace links),
 * as a user installs from npm, then run: the Node script on real portraits, the Vite page built
 * and driven in Chromium. Each README example is the example's file, as written (one owner).
 */
import { EG1800, freshDir, haveShared, installExample, packageDir, packPackage, repoRoot, sharedPath } from '@sinet/test-utils';
import { haveChromium, launchChromium, serveStatic } from '@sinet/test-utils/browser';
import { readImage } from '@sinet/model/node';
import { DEFAULT_PRETRAINED, PRETRAINED_MODELS } from '@sinet/pretrained';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const OURS = ['model', 'layers', 'pretrained', 'wasm-kernels'];
const example = (name: string, file: string) => readFileSync(path.join(repoRoot, 'examples', name, file), 'utf8');
const modelReadme = () => readFileSync(path.join(packageDir('model'), 'README.md'), 'utf8');

/** Person IoU of a 0/255 mask file against a hand-made one. */
async function personIou(maskFile: string, truthFile: string): Promise<number> {
  const [mask, truth] = [await readImage(maskFile), await readImage(truthFile)];
  let both = 0;
  let either = 0;
  for (let i = 0; i < mask.width * mask.height; i++) {
    const [p, t] = [mask.data[i * mask.channels] > 127, truth.data[i * truth.channels] > 127];
    both += p && t ? 1 : 0;
    either += p || t ? 1 : 0;
  }
  return both / either;
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
    const installed = [...modelReadme().matchAll(/^npm install (.+)$/gm)].slice(0, 2).flatMap((m) => m[1].split(/\s+/));
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

  it.runIf(haveChromium())("vite-cutout (the README's browser example, as written) builds with Vite and cuts a portrait out in Chromium", async () => {
    expect(modelReadme()).toContain(`\`\`\`js\n${example('vite-cutout', 'main.js')}\`\`\``);
    const dir = installExample('vite-cutout', tarballs);
    await run(process.execPath, [path.join(dir, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir, encoding: 'utf8' });
    // The app's dist holds the one model it fetches, not every shipped one.
    const weights = readdirSync(path.join(dir, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.bin'));
    expect(weights.map((f) => path.basename(f).replace(/-[\w-]{8}\.bin$/, '.bin'))).toEqual(Object.keys(PRETRAINED_MODELS[DEFAULT_PRETRAINED].weightsUrls));
    const server = await serveStatic(path.join(dir, 'dist'), '/cutout/');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
      await page.goto(server.url);
      await page.getByText('Pick a photo.').waitFor({ timeout: 60_000 });
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
        return Array.from({ length: data.length / 4 }, (_, i) => data[4 * i + 3]);
      });
      let both = 0;
      let either = 0;
      alpha.forEach((a, i) => {
        const [p, t] = [a > 127, truth.data[i * truth.channels] > 127];
        both += p && t ? 1 : 0;
        either += p || t ? 1 : 0;
      });
      expect(both / either).toBeGreaterThan(0.9);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 600_000);
});
