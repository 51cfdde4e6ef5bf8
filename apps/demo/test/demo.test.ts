/**
 * The built demo in a real browser: photo mode against EG1800 ground truth, live mode on
 * Chromium's fake camera fed with real portraits, the backend switch, error paths, the
 * augmentation playground and fine-tuning, and that no request leaves the page's origin.
 */
import { EG1800, freshDir, haveShared, repoRoot, sharedPath } from '@sinet/test-utils';
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlsWithoutName, textBelowContrast } from './a11y';
import { haveChromium, launchChromium, photosToY4m, serveStatic, type StaticServer } from '@sinet/test-utils/browser';
import { DEFAULT_REALTIME_PRETRAINED, PRETRAINED_MODELS } from '@sinet/pretrained';
import { ENGINE_FAST_ENOUGH_MS, ENGINE_MIN_SPEEDUP, type EngineName, type EngineTrialResult } from '@sinet/track-processor';
import { CAMERA_ENGINE_STORAGE_KEY } from '../src/constants';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(appDir, 'dist');
/** Screenshots and the FPS report; ignored by git (they show EG1800 photos). */
const artifacts = path.join(appDir, 'test-artifacts');

interface DemoWindow {
  sinetDemo: {
    tf: { memory(): { numTensors: number }; getBackend(): string };
    photo: { result: { width: number; height: number; mask: Uint8Array; probabilities: Float32Array; backend: string } | null; networkRuns: number };
    live: { fps: number; maskRate: number; inputSize: [number, number] | null; effect: string | null; stats: { framesOut: number; masks: number; backend: string | null; engine: EngineName | null; engineTrial: EngineTrialResult | null; inferenceMs: number | null } | null };
    finetune: { samples: unknown[]; lastReport: { before: number; after: number; steps: number; losses: number[] } | null };
    whenIdle(): Promise<void>;
    state: { runtime: string; sized: { segmenter: { runtime: string; segment(image: unknown): Promise<{ width: number; height: number; probabilities: Float32Array }> } } | null };
    realtimeModel: unknown;
    loadSegmenter(source?: unknown, options?: unknown): Promise<{ inputSize: [number, number]; runtime: string; metadata: { classNames: string[] }; segment(image: unknown): Promise<{ width: number; height: number; mask: Uint8Array; probabilities: Float32Array }>; dispose(): void }>;
    onnxRuntimeWeb(): Promise<unknown>;
  };
}

async function valIds(n: number): Promise<string[]> {
  const text = await fs.readFile(sharedPath(...EG1800, 'val.txt'), 'utf8');
  return text.trim().split('\n').slice(0, n);
}

async function groundTruth(id: string): Promise<{ mask: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(sharedPath(...EG1800, 'masks', `${id}.png`)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { mask: Uint8Array.from(data, (v) => (v > 127 ? 1 : 0)), width: info.width, height: info.height };
}

function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i]! & b[i]!;
    union += a[i]! | b[i]!;
  }
  return union === 0 ? 1 : inter / union;
}

/** Collects console errors and every request that leaves the site's origin. */
function watch(page: Page, origin: string): { errors: string[]; foreign: string[] } {
  const seen = { errors: [] as string[], foreign: [] as string[] };
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) seen.foreign.push(url);
  });
  return seen;
}

async function openDemo(page: Page, url: string, query = 'backend=wasm'): Promise<void> {
  await page.goto(`${url}?${query}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
}

/** Engine choices live under "Advanced" (closed at first): open it as a visitor would to reach them. */
async function openAdvanced(page: Page): Promise<void> {
  if (!(await page.evaluate(() => (document.getElementById('advanced') as HTMLDetailsElement).open))) await page.click('#advanced summary');
}

const run = haveChromium() && existsSync(path.join(dist, 'index.html'));
if (haveChromium() && !run) throw new Error(`${dist} is missing: build the demo first (pnpm --filter demo build)`);

describe.runIf(run)('demo in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await serveStatic(dist);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('ships a Content-Security-Policy that keeps every request on the origin, and relative asset paths', async () => {
    const html = await fs.readFile(path.join(dist, 'index.html'), 'utf8');
    expect(html).toMatch(/http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'/);
    expect(html).not.toMatch(/(src|href)="\/(?!\/)/);
    // Link previews: title, description and a 1200 x 630 image that the site serves.
    const og = Object.fromEntries([...html.matchAll(/<meta property="og:(\w+(?::\w+)?)" content="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(Object.keys(og).sort()).toEqual(['description', 'image', 'image:height', 'image:width', 'title', 'type']);
    const ogImage = await sharp(await fs.readFile(path.join(dist, og.image))).metadata();
    expect([ogImage.format, ogImage.width, ogImage.height]).toEqual(['png', Number(og['image:width']), Number(og['image:height'])]);
    const page = await browser.newPage();
    const seen = watch(page, new URL(server.url).origin);
    await openDemo(page, server.url);
    expect(await page.textContent('#backend-active')).toMatch(/active: wasm \(SIMD/);
    expect(await page.textContent('#model-name')).toMatch(/bundled SINet/);
    // The library's loadSegmenter with the model the demo bundles (its module, not a name), from this origin.
    const fromLibrary = await page.evaluate(async () => {
      const demo = (window as unknown as DemoWindow).sinetDemo;
      const unnamed = await demo.loadSegmenter().then(() => 'loaded', (e: Error) => e.message);
      const segmenter = await demo.loadSegmenter(demo.realtimeModel);
      const r = await segmenter.segment({ data: new Uint8ClampedArray(48 * 40 * 4).fill(200), width: 48, height: 40 });
      // An <img> shown at half its photo's size is segmented at the photo's size.
      const canvas = Object.assign(document.createElement('canvas'), { width: 96, height: 80 });
      canvas.getContext('2d')!.fillRect(20, 10, 40, 60);
      const img = new Image();
      img.src = canvas.toDataURL('image/png');
      await img.decode();
      img.width = 48;
      img.height = 40;
      const fromImg = await segmenter.segment(img);
      segmenter.dispose();
      return { unnamed, inputSize: segmenter.inputSize, classes: segmenter.metadata.classNames, size: [r.width, r.height], imgSize: [fromImg.width, fromImg.height] };
    });
    expect(fromLibrary).toEqual({
      unnamed: expect.stringMatching(/^loadSegmenter needs a model: none was given\. Import a shipped model and pass it, `import model from '@sinet\/pretrained\/default'`/),
      inputSize: PRETRAINED_MODELS[DEFAULT_REALTIME_PRETRAINED].inputSize,
      classes: ['background', 'person'],
      size: [48, 40],
      imgSize: [96, 80],
    });
    // The bundle holds the one model it fetches: the others' weights are not copied.
    const bundledWeights = (await fs.readdir(dist, { recursive: true })).filter((f) => /\.bin$/.test(f));
    expect(bundledWeights).toHaveLength(Object.keys(PRETRAINED_MODELS[DEFAULT_REALTIME_PRETRAINED].weightsUrls).length);
    // The first screen, for the README: Start camera and the explanation first, the engine folded away.
    expect(await page.isVisible('#camera-start')).toBe(true);
    expect(await page.isVisible('#backend')).toBe(false);
    await page.screenshot({ path: path.join(artifacts, 'first-screen-desktop.png') });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await openDemo(phone, server.url);
    await phone.screenshot({ path: path.join(artifacts, 'first-screen-phone.png') });
    await phone.close();
    expect(seen.foreign).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();
  });

  it('runs the network on onnxruntime-web when asked (?backend=onnx), from this origin, as tfjs does', async () => {
    const page = await browser.newPage();
    const seen = watch(page, new URL(server.url).origin);
    const image = { data: Array.from({ length: 64 * 48 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256)), width: 64, height: 48 };
    const person = async () =>
      page.evaluate(async (img) => {
        const demo = (window as unknown as DemoWindow).sinetDemo;
        await demo.whenIdle();
        const r = await demo.state.sized!.segmenter.segment({ data: Uint8ClampedArray.from(img.data), width: img.width, height: img.height });
        return { runtime: demo.state.sized!.segmenter.runtime, probabilities: Array.from(r.probabilities) };
      }, image);
    await openDemo(page, server.url, 'backend=onnx');
    expect(await page.textContent('#backend-active')).toMatch(/^active: onnxruntime-web \(wasm, 1 thread\) for the network, tfjs wasm/);
    const onnx = await person();
    await openAdvanced(page);
    await page.selectOption('#backend', 'wasm');
    await expect.poll(() => page.textContent('#backend-active'), { timeout: 60_000 }).toMatch(/^active: wasm/);
    const tfjs = await person();
    expect([onnx.runtime, tfjs.runtime]).toEqual(['onnx', 'tfjs']);
    // The library's own entry: loadSegmenter() with runtime 'onnx' and the page's onnxruntime-web.
    // The model the demo bundles for live video.
    const fromLibrary = await page.evaluate(async (img) => {
      const demo = (window as unknown as DemoWindow).sinetDemo;
      const segmenter = await demo.loadSegmenter(demo.realtimeModel, { runtime: 'onnx', onnxruntime: await demo.onnxRuntimeWeb() });
      const r = await segmenter.segment({ data: Uint8ClampedArray.from(img.data), width: img.width, height: img.height });
      segmenter.dispose();
      return { runtime: segmenter.runtime, probabilities: Array.from(r.probabilities) };
    }, image);
    expect(fromLibrary.runtime).toBe('onnx');
    let libraryWorst = 0;
    fromLibrary.probabilities.forEach((p, i) => (libraryWorst = Math.max(libraryWorst, Math.abs(p - tfjs.probabilities[i]!))));
    expect(libraryWorst).toBeLessThan(1e-4);
    let worst = 0;
    onnx.probabilities.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - tfjs.probabilities[i]!))));
    expect(worst).toBeLessThan(1e-4);
    expect(seen.foreign).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();
  });

  it('reports a corrupt upload, a wrong model pick and a camera that is denied or missing; loads a picked model folder', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      const failures = ['NotAllowedError', 'NotFoundError'];
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('test', failures.shift() ?? 'NotFoundError'));
    });
    await openDemo(page, server.url);
    await page.click('#camera-start');
    await expect.poll(() => page.textContent('#error')).toMatch(/Camera permission was denied/);
    await page.click('#camera-start');
    await expect.poll(() => page.textContent('#error')).toMatch(/No camera was found/);
    await page.click('#tab-photo');
    await page.setInputFiles('#photo-file', { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a jpeg at all') });
    await expect.poll(() => page.textContent('#error')).toMatch(/broken\.jpg: could not be decoded/);
    await page.setInputFiles('#model-files', { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(16) });
    await expect.poll(() => page.textContent('#error')).toMatch(/pick one model\.json and its \.bin weight files \(got 0 \.json files among weights\.bin\)/);
    // The bundled model is still in place after the failed pick.
    expect(await page.textContent('#model-name')).toMatch(/bundled SINet/);
    // A model folder picked by the visitor (here a shipped model's files) replaces it.
    const folder = path.join(repoRoot, 'packages', 'pretrained', 'models', 'official');
    await page.setInputFiles('#model-files', (await fs.readdir(folder)).map((f) => path.join(folder, f)));
    await expect.poll(() => page.textContent('#model-name')).toBe('model.json');
    expect(await page.textContent('#status')).toBe('loaded model.json');
    await page.close();
  });

  it('without WebGL, says so and runs on wasm, whether WebGL was asked for or picked automatically', async () => {
    for (const query of ['', 'backend=webgl']) {
      const page = await browser.newPage();
      await page.addInitScript(() => {
        const getContext = HTMLCanvasElement.prototype.getContext;
        HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, kind: string, ...rest: unknown[]) {
          return kind.startsWith('webgl') ? null : (getContext as (...a: unknown[]) => RenderingContext | null).call(this, kind, ...rest);
        } as typeof getContext;
      });
      await openDemo(page, server.url, query);
      expect(await page.textContent('#backend-active')).toMatch(/^active: wasm/);
      expect(await page.textContent('#backend option[value="webgl"]')).toBe('webgl (unavailable)');
      const message = `${await page.textContent('#status')} ${await page.textContent('#error')}`;
      expect({ query, message }).toEqual({ query, message: expect.stringMatching(/WebGL is not available here.*wasm/) });
      await page.close();
    }
  });

  it('picks wasm by itself where WebGL is a software renderer, and offers WebGPU only with an adapter', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      // A machine without a GPU: WebGL is SwiftShader, and navigator.gpu finds no adapter.
      for (const proto of [WebGLRenderingContext.prototype, WebGL2RenderingContext.prototype]) {
        const getParameter = proto.getParameter;
        proto.getParameter = function (this: WebGLRenderingContext, p: number) {
          return p === 0x9246 || p === 0x1f01 ? 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)' : getParameter.call(this, p);
        } as typeof getParameter;
      }
      Object.defineProperty(navigator, 'gpu', { value: { requestAdapter: async () => null }, configurable: true });
    });
    await openDemo(page, server.url, '');
    expect(await page.textContent('#backend-active')).toMatch(/^active: wasm/);
    expect(await page.textContent('#status')).toMatch(/not used here \(webgl: a software renderer \(ANGLE .*SwiftShader.*\), slower than wasm on this CPU\); using wasm/);
    expect(await page.textContent('#backend option[value="webgpu"]')).toBe('webgpu (no adapter)');
    expect(await page.getAttribute('#backend option[value="webgpu"]', 'disabled')).not.toBeNull();
    // Asked for explicitly, software WebGL is still the visitor's to choose.
    expect(await page.getAttribute('#backend option[value="webgl"]', 'disabled')).toBeNull();
    await page.close();
  });

  it('is usable by keyboard and screen reader (named controls, arrow-key tabs, visible focus, AA contrast in light and dark schemes) and on a phone-sized screen', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ colorScheme });
      await openDemo(page, server.url);
      // The first Tab reaches the skip link, which is then shown.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      expect(await page.evaluate(() => document.activeElement!.getBoundingClientRect().left >= 0)).toBe(true);
      // Tabs: arrow keys move the selection and the focus, and show the right panel.
      await page.focus('#tab-live');
      await page.keyboard.press('ArrowRight');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-photo');
      expect(await page.getAttribute('#tab-photo', 'aria-selected')).toBe('true');
      expect(await page.isVisible('#panel-photo')).toBe(true);
      expect(await page.isVisible('#panel-live')).toBe(false);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-finetune');
      // Tab leaves the tab list for the panel's first control, with a visible focus ring.
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        return { id: el.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      expect(focused.id).toBe('ft-add');
      expect(focused.outline).not.toBe('none');
      expect(focused.width).toBeGreaterThanOrEqual(2);
      // Every control in every panel has a name; visible text meets WCAG AA in each panel.
      expect(await page.evaluate(controlsWithoutName)).toEqual([]);
      for (const tab of ['#tab-live', '#tab-photo', '#tab-playground', '#tab-finetune']) {
        await page.click(tab);
        expect({ colorScheme, tab, lowContrast: await page.evaluate(textBelowContrast) }).toEqual({ colorScheme, tab, lowContrast: [] });
      }
      // The checks do see what they are for: grey on grey text and an unnamed control.
      await page.evaluate(() => {
        // Styled through the CSSOM: the page's CSP refuses inline style attributes.
        const faint = Object.assign(document.createElement('p'), { textContent: 'faint' });
        Object.assign(faint.style, { color: '#777', background: '#999' });
        const unnamed = Object.assign(document.createElement('button'), { id: 'probe-unnamed' });
        document.getElementById('panel-finetune')!.append(faint, unnamed);
      });
      // (0.3185 + 0.05) / (0.1845 + 0.05) by the WCAG formula.
      expect((await page.evaluate(textBelowContrast)).map((f) => [f.text, f.ratio])).toEqual([['faint', 1.57]]);
      expect(await page.evaluate(controlsWithoutName)).toEqual([{ id: 'probe-unnamed', tag: 'button' }]);
      await page.close();
    }
    // Responsive: on a phone-sized screen no panel scrolls sideways.
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await openDemo(phone, server.url);
    for (const tab of ['#tab-live', '#tab-photo', '#tab-playground', '#tab-finetune']) {
      await phone.click(tab);
      expect({ tab, overflow: await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth) }).toEqual({ tab, overflow: 0 });
    }
    await phone.close();
  });

  describe.runIf(haveShared('the demo tests with real portraits', EG1800))('with EG1800 portraits', () => {
    it('photo mode: the mask of real val portraits matches their ground truth; cut-out and result are offered', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const seen = watch(page, new URL(server.url).origin);
      await openDemo(page, server.url);
      const scores: number[] = [];
      const personShares: number[] = [];
      for (const [i, id] of (await valIds(4)).entries()) {
        await page.evaluate(() => delete document.body.dataset.photo);
        // The first through the first screen's drop zone (it opens the Photo tab), the rest in the tab.
        await page.setInputFiles(i === 0 ? '#quick-photo-file' : '#photo-file', sharedPath(...EG1800, 'images', `${id}.jpg`));
        await page.waitForSelector('body[data-photo="done"]', { timeout: 60_000 });
        if (i === 0) expect(await page.getAttribute('#tab-photo', 'aria-selected')).toBe('true');
        const result = await page.evaluate(() => {
          const r = (window as unknown as DemoWindow).sinetDemo.photo.result!;
          return { width: r.width, height: r.height, mask: Array.from(r.mask) };
        });
        const truth = await groundTruth(id);
        expect([result.width, result.height]).toEqual([truth.width, truth.height]);
        scores.push(iou(result.mask, truth.mask));
        personShares.push(truth.mask.reduce((a, b) => a + b, 0) / truth.mask.length);
      }
      await page.screenshot({ path: path.join(artifacts, 'photo-mode.png'), fullPage: true });
      const mean = scores.reduce((a, b) => a + b) / scores.length;
      console.log(`photo mode, person IoU per image: ${scores.map((s) => s.toFixed(3)).join(', ')} (mean ${mean.toFixed(3)}); person share ${personShares.map((s) => s.toFixed(2)).join(', ')}`);
      // The bundled model scores 0.954 person IoU over the val split, but single portraits
      // vary (hair, hands, busy backgrounds). The best constant ("all person") scores the person
      // share, at most 0.6 on these. So: a mean above 0.85 and each image above its constant
      // baseline + 0.1, which no constant or empty mask can pass.
      expect(mean).toBeGreaterThan(0.85);
      scores.forEach((s, i) => expect(s).toBeGreaterThan(personShares[i]! + 0.1));
      expect(await page.getAttribute('#download-cutout', 'href')).toMatch(/^blob:/);
      // The mask as a PNG: white person on black, the same pixels as the mask the page shows.
      expect(await page.getAttribute('#download-mask', 'href')).toMatch(/^blob:/);
      const maskPng = await page.evaluate(async () => {
        const blob = await (await fetch((document.getElementById('download-mask') as HTMLAnchorElement).href)).blob();
        const bitmap = await createImageBitmap(blob);
        const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
        c.drawImage(bitmap, 0, 0);
        const d = c.getImageData(0, 0, bitmap.width, bitmap.height).data;
        return { width: bitmap.width, height: bitmap.height, person: Array.from({ length: d.length / 4 }, (_, i) => (d[4 * i]! > 127 ? 1 : 0)) };
      });
      const shown = await page.evaluate(() => {
        const r = (window as unknown as DemoWindow).sinetDemo.photo.result!;
        return { width: r.width, height: r.height, person: Array.from(r.mask) };
      });
      expect(maskPng).toEqual(shown);
      expect(await page.getAttribute('#download-result', 'aria-disabled')).toBe('false');
      // The cut-out is transparent where the mask is background.
      const transparentShare = await page.evaluate(() => {
        const c = document.getElementById('photo-cutout') as HTMLCanvasElement;
        const a = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let clear = 0;
        for (let i = 3; i < a.length; i += 4) if (a[i]! < 128) clear++;
        return clear / (c.width * c.height);
      });
      const lastMask = await page.evaluate(() => Array.from((window as unknown as DemoWindow).sinetDemo.photo.result!.mask));
      const background = 1 - lastMask.reduce((a, b) => a + b, 0) / lastMask.length;
      expect(Math.abs(transparentShare - background)).toBeLessThan(0.02);
      // Edge controls (the library's compositors): hard edges without feathering leave no
      // semi-transparent pixel in the cut-out, soft ones many; refinement changes the mask.
      const semiTransparent = () =>
        page.evaluate(() => {
          const c = document.getElementById('photo-cutout') as HTMLCanvasElement;
          const a = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let semi = 0;
          for (let i = 3; i < a.length; i += 4) if (a[i]! > 0 && a[i]! < 255) semi++;
          return semi / (c.width * c.height);
        });
      const setControl = async (id: string, value: string | boolean) => {
        await page.evaluate(() => delete document.body.dataset.photo);
        await page.evaluate(
          ([id, value]) => {
            const input = document.getElementById(id as string) as HTMLInputElement;
            if (typeof value === 'boolean') input.checked = value;
            else input.value = value;
            input.dispatchEvent(new Event('change'));
          },
          [id, value] as const,
        );
        await page.waitForSelector('body[data-photo="done"]', { timeout: 60_000 });
      };
      await setControl('photo-feather', '0');
      expect(await semiTransparent()).toBe(0);
      await setControl('photo-edges', 'soft');
      const softShare = await semiTransparent();
      expect(softShare).toBeGreaterThan(0.01);
      // A new threshold redraws from the last run's probabilities: the network does not run again.
      const runs = await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.photo.networkRuns);
      await setControl('photo-threshold', '80');
      const strict = await page.evaluate(() => {
        const r = (window as unknown as DemoWindow).sinetDemo.photo.result!;
        return { mask: Array.from(r.mask), above: Array.from(r.probabilities, (p) => (p > 0.8 ? 1 : 0)) };
      });
      expect(await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.photo.networkRuns)).toBe(runs);
      expect(strict.mask).toEqual(strict.above);
      expect(strict.mask.filter((v, i) => v !== lastMask[i]).length).toBeGreaterThan(0);
      await setControl('photo-threshold', '50');
      expect(await page.evaluate(() => Array.from((window as unknown as DemoWindow).sinetDemo.photo.result!.mask))).toEqual(lastMask);
      await setControl('photo-refine', false);
      expect(await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.photo.networkRuns)).toBe(runs + 1);
      const unrefined = await page.evaluate(() => Array.from((window as unknown as DemoWindow).sinetDemo.photo.result!.mask));
      expect(unrefined.filter((v, i) => v !== lastMask[i]).length).toBeGreaterThan(0);
      console.log(`photo edges: soft cut-out ${(100 * softShare).toFixed(1)}% semi-transparent pixels; hard, no feather: 0%`);
      await setControl('photo-refine', true);
      await setControl('photo-edges', 'hard');
      await setControl('photo-feather', '1');
      // Inside the network: three heat maps, the encoder's at 1/8 of 224.
      expect(await page.locator('#photo-inside canvas').count()).toBe(3);
      expect(await page.getAttribute('#photo-inside canvas[data-map="encoder"] + figcaption', 'data-size')).toBe('28x28');
      expect(seen.foreign).toEqual([]);
      expect(seen.errors).toEqual([]);

      // Backend switch: cpu gives the same mask (to a few pixels), then back to wasm.
      const wasmMask = lastMask;
      // The switch re-segments the photo; the flag is cleared first, so only that run sets it.
      await page.evaluate(() => delete document.body.dataset.photo);
      await openAdvanced(page);
      await page.selectOption('#backend', 'cpu');
      await expect.poll(() => page.textContent('#backend-active'), { timeout: 60_000 }).toBe('active: cpu');
      await page.waitForSelector('body[data-photo="done"]', { timeout: 120_000 });
      await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.whenIdle());
      const cpuResult = await page.evaluate(() => {
        const r = (window as unknown as DemoWindow).sinetDemo.photo.result!;
        return { backend: r.backend, mask: Array.from(r.mask) };
      });
      expect(cpuResult.backend).toBe('cpu');
      expect(iou(cpuResult.mask, wasmMask)).toBeGreaterThan(0.995);
      // onnxruntime-web for the network (tfjs wasm around it): the same mask, binaries from this origin.
      await page.evaluate(() => delete document.body.dataset.photo);
      await page.selectOption('#backend', 'onnx');
      await expect.poll(() => page.textContent('#backend-active'), { timeout: 60_000 }).toMatch(/^active: onnxruntime-web \(wasm, 1 thread\) for the network, tfjs wasm/);
      await page.waitForSelector('body[data-photo="done"]', { timeout: 120_000 });
      await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.whenIdle());
      const onnxResult = await page.evaluate(() => ({ runtime: (window as unknown as DemoWindow).sinetDemo.state.sized!.segmenter.runtime, mask: Array.from((window as unknown as DemoWindow).sinetDemo.photo.result!.mask) }));
      expect(onnxResult.runtime).toBe('onnx');
      expect(iou(onnxResult.mask, wasmMask)).toBeGreaterThan(0.995);
      expect(seen.foreign).toEqual([]);
      const webglEnabled = await page.evaluate(() => !(document.querySelector('#backend option[value="webgl"]') as HTMLOptionElement).disabled);
      console.log(`webgl in this headless Chromium: ${webglEnabled ? 'offered' : 'unavailable (the option is disabled)'}`);
      await page.selectOption('#backend', 'wasm');
      await expect.poll(() => page.textContent('#backend-active'), { timeout: 60_000 }).toMatch(/active: wasm/);
      expect(seen.errors).toEqual([]);
      await page.close();
    });

    it('augmentation playground and fine-tuning in the page', async () => {
      const page = await browser.newPage();
      const seen = watch(page, new URL(server.url).origin);
      await openDemo(page, server.url);
      await page.click('#tab-photo');
      // The second val portrait is one the bundled model gets wrong in places: its ground truth
      // plays the visitor's corrected mask.
      const id = (await valIds(2))[1]!;
      await page.setInputFiles('#photo-file', sharedPath(...EG1800, 'images', `${id}.jpg`));
      await page.waitForSelector('body[data-photo="done"]', { timeout: 60_000 });
      await page.click('#tab-playground');
      await page.setInputFiles('#mask-file', sharedPath(...EG1800, 'masks', `${id}.png`));
      await expect.poll(() => page.locator('#augment-grid canvas').count()).toBe(8);
      await expect.poll(() => page.getAttribute('#band', 'data-band-pixels')).not.toBeNull();
      const band5 = Number(await page.getAttribute('#band', 'data-band-pixels'));
      await page.selectOption('#band-kernel', '15');
      await expect.poll(async () => Number(await page.getAttribute('#band', 'data-band-pixels'))).toBeGreaterThan(band5);
      expect(band5).toBeGreaterThan(0);
      await page.click('#tab-finetune');
      await page.click('#ft-add');
      await page.fill('#ft-steps', '12');
      expect(await page.textContent('#ft-engine')).toMatch(/^the wasm backend/);
      const untunedMask = await page.evaluate(() => Array.from((window as unknown as DemoWindow).sinetDemo.photo.result!.mask));
      // Started from the keyboard: the focus moves to Stop, not to the page body.
      await page.focus('#ft-run');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('ft-stop');
      await expect.poll(() => page.textContent('#ft-result'), { timeout: 120_000 }).toMatch(/person IoU on the 1 photo it trained on \(not a measure on new photos\): [\d.]+ → [\d.]+ after 12 steps/);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('ft-run');
      // The loss chart has been drawn.
      const inked = await page.evaluate(() => {
        const c = document.getElementById('ft-chart') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
      expect(inked).toBeGreaterThan(100);
      const report = await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.finetune.lastReport!);
      // Its axes are labelled (loss range up, steps across), and a screen reader hears the same numbers.
      expect(await page.getAttribute('#ft-chart', 'aria-label')).toBe(`Training loss per step: ${report.losses[0]!.toFixed(3)} at step 1, ${report.losses.at(-1)!.toFixed(3)} at step 12 (lowest ${Math.min(...report.losses).toFixed(3)})`);
      const axisInk = await page.evaluate(() => {
        const c = document.getElementById('ft-chart') as HTMLCanvasElement;
        // The left margin holds the y axis's labels, the bottom one the steps; the curve stays inside.
        const d = c.getContext('2d')!.getImageData(0, 0, 44, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
      expect(axisInk).toBeGreaterThan(50);
      expect(report.losses.every(Number.isFinite)).toBe(true);
      console.log(`fine-tune in the page (12 steps on wasm, ground-truth mask): IoU ${report.before.toFixed(3)} -> ${report.after.toFixed(3)}, losses ${report.losses.map((l) => l.toFixed(3)).join(' ')}`);
      // Trained on the corrected mask, the model fits it better: at least 40% of its error on it goes.
      const fitted = report.before + 0.4 * (1 - report.before);
      expect(report.after).toBeGreaterThan(fitted);
      // The photo is re-segmented with the tuned weights once fine-tuning ends.
      await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.whenIdle());
      const truth = await groundTruth(id);
      const tunedMask = await page.evaluate(() => Array.from((window as unknown as DemoWindow).sinetDemo.photo.result!.mask));
      expect(iou(tunedMask, truth.mask)).toBeGreaterThan(fitted);
      // The tuned model downloads as model.json (with its SINet metadata) and its weights.
      const downloads: string[] = [];
      page.on('download', (d) => downloads.push(d.suggestedFilename()));
      await page.click('#ft-download');
      await expect.poll(() => downloads.sort()).toEqual(['sinet-finetuned.json', 'sinet-finetuned.weights.bin']);
      // Reset brings the loaded weights back: the photo's mask is the one from before tuning.
      await page.click('#ft-reset');
      await expect.poll(() => page.textContent('#ft-result')).toBe('reset to the loaded model');
      await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.whenIdle());
      const resetMask = await page.evaluate(() => Array.from((window as unknown as DemoWindow).sinetDemo.photo.result!.mask));
      expect(iou(resetMask, untunedMask)).toBe(1);
      expect(seen.errors).toEqual([]);
      await page.close();
    });
  });
});

describe.runIf(run && haveShared('the live-camera test with real portraits', EG1800))('live mode on a fake camera of real portraits', () => {
  let server: StaticServer;
  let browser: Browser;
  let video: string;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const ids = await valIds(6);
    video = path.join(freshDir('sinet-y4m-'), 'portraits.y4m');
    await photosToY4m(ids.map((id) => sharedPath(...EG1800, 'images', `${id}.jpg`)), video, { width: 640, height: 480, framesEach: 30, fps: 30 });
    server = await serveStatic(dist);
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The result video's box against the viewport: all of it must be in view. */
  const resultBox = (page: Page) =>
    page.evaluate(() => {
      const r = document.getElementById('live-output')!.getBoundingClientRect();
      return { top: Math.round(r.top), bottom: Math.round(r.bottom), left: Math.round(r.left), right: Math.round(r.right), width: Math.round(r.width), viewport: [innerWidth, innerHeight] };
    });
  const inView = (box: Awaited<ReturnType<typeof resultBox>>) => box.top >= 0 && box.left >= 0 && box.right <= box.viewport[0]! && box.bottom <= box.viewport[1]! && box.width > 100;
  const liveStats = (page: Page) => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.stats);
  /** Mean RGB of the result's top corners (background in these portraits), as the visitor sees them. */
  const topCorners = (page: Page) =>
    page.evaluate(() => {
      const video = document.getElementById('live-output') as HTMLVideoElement;
      const canvas = Object.assign(document.createElement('canvas'), { width: video.videoWidth, height: video.videoHeight });
      const c = canvas.getContext('2d', { willReadFrequently: true })!;
      c.drawImage(video, 0, 0);
      const patch = (x: number) => Array.from(c.getImageData(x, 4, 24, 24).data);
      const mean = (d: number[]) => [0, 1, 2].map((k) => d.filter((_, i) => i % 4 === k).reduce((a, b) => a + b, 0) / (d.length / 4));
      return [mean(patch(4)), mean(patch(canvas.width - 28))];
    });

  it('runs the camera through the background processor: the whole result in view, effect chips, plain status, a quiet page', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const seen = watch(page, new URL(server.url).origin);
    const ortRequests: string[] = [];
    page.on('request', (r) => /\/ort[.-][^/]*\.(mjs|wasm)$/.test(r.url()) && ortRequests.push(r.url()));
    await openDemo(page, server.url, 'backend=wasm');
    expect(await page.textContent('#status')).toBe('Ready: start the camera or choose a photo.');
    const clicked = Date.now();
    await page.click('#camera-start');
    await expect.poll(async () => ((await liveStats(page))?.masks ?? 0) > 0 && ((await liveStats(page))?.framesOut ?? 0) > 0, { timeout: 30_000, interval: 50 }).toBe(true);
    const firstFrameMs = Date.now() - clicked;
    expect(firstFrameMs).toBeLessThan(3000);
    // The network runs in the processor's worker, on wasm; the page says what is done in words.
    expect((await liveStats(page))!.backend).toMatch(/^wasm/);
    expect(await page.textContent('#status')).toBe('Your background is blurred.');
    const box = await resultBox(page);
    expect({ box, inView: inView(box) }).toEqual({ box, inView: true });
    // 'auto' runs the 4:3 landscape camera at 192 x 256 (height x width).
    expect(await page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.inputSize)).toEqual([192, 256]);
    // Effect chips: one pressed, only its controls shown, switched on the running track.
    const pressed = () => page.$$eval('#panel-live [aria-pressed="true"]', (chips) => chips.map((c) => c.textContent));
    expect(await pressed()).toEqual(['Blur']);
    expect([await page.isVisible('#blur'), await page.isVisible('#colour')]).toEqual([true, false]);
    await page.click('#panel-live [data-effect="colour"]');
    expect(await pressed()).toEqual(['Colour']);
    expect([await page.isVisible('#blur'), await page.isVisible('#colour')]).toEqual([false, true]);
    expect(await page.textContent('#status')).toBe('Your background is replaced by a colour.');
    // The default colour #2f6f4f is what the visitor sees behind the person.
    const near = (rgb: number[]) => Math.max(...rgb.map((v, i) => Math.abs(v - [47, 111, 79][i]!)));
    await expect.poll(async () => Math.min(...(await topCorners(page)).map(near)), { timeout: 10_000 }).toBeLessThan(24);
    await page.click('#panel-live [data-background="sunset"]');
    expect(await pressed()).toEqual(['Sunset']);
    await expect.poll(() => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.effect)).toBe('image');
    expect(await page.textContent('#status')).toBe('Your background is replaced by the sunset picture.');
    // The built-in picture: its violet sky at the top, no longer the colour.
    await expect.poll(async () => Math.min(...(await topCorners(page)).map(near)), { timeout: 10_000 }).toBeGreaterThan(40);
    await page.click('#panel-live [data-effect="none"]');
    await expect.poll(() => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.effect)).toBe('none');
    expect(await page.textContent('#status')).toBe('The camera is shown as it is.');
    await page.click('#panel-live [data-effect="blur"]');
    await expect.poll(() => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.effect)).toBe('blur');
    // The page does no per-frame work: its tensor count stays where it was while frames flow.
    const tensors = () => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.tf.memory().numTensors);
    const before = { stats: (await liveStats(page))!, tensors: await tensors(), time: Date.now() };
    await page.waitForTimeout(5000);
    const after = { stats: (await liveStats(page))!, tensors: await tensors(), time: Date.now() };
    expect(after.tensors).toBe(before.tensors);
    // The camera's engine, chosen by timing on this camera; the winner remembered for the next visit.
    await expect.poll(async () => (await liveStats(page))!.engineTrial?.decided, { timeout: 60_000 }).toBe(true);
    const chosen = (await liveStats(page))!;
    const tfjsMs = chosen.engineTrial!.medianMs['tfjs-wasm']!;
    if (tfjsMs > ENGINE_FAST_ENOUGH_MS) {
      // tfjs slow enough here for onnxruntime-web to be loaded (from this site) and timed.
      expect(ortRequests.length).toBeGreaterThan(0);
      const onnxMs = chosen.engineTrial!.medianMs['onnxruntime-web']!;
      expect(chosen.engine).toBe(onnxMs * ENGINE_MIN_SPEEDUP <= tfjsMs ? 'onnxruntime-web' : 'tfjs-wasm');
      expect(await page.textContent('#camera-engine')).toMatch(/^camera: .+, chosen by timing \(onnxruntime-web [\d.]+ ms, tfjs [\d.]+ ms a mask\)$/);
    }
    expect(await page.evaluate((key) => JSON.parse(localStorage.getItem(key)!)['192x256'], CAMERA_ENGINE_STORAGE_KEY)).toBe(chosen.engine);
    console.log(`demo camera engine: ${await page.textContent('#camera-engine')}`);
    const seconds = (after.time - before.time) / 1000;
    const fps = (after.stats.framesOut - before.stats.framesOut) / seconds;
    const masks = (after.stats.masks - before.stats.masks) / seconds;
    expect(masks).toBeGreaterThan(0);
    const report = `demo live (processor, wasm worker, camera 640x480 at 30 FPS, network 192x256) in headless Chromium: first masked frame ${firstFrameMs} ms after Start, output ${fps.toFixed(1)} FPS, ${masks.toFixed(1)} masks/s, inference ${after.stats.inferenceMs?.toFixed(1)} ms`;
    console.log(report);
    await fs.writeFile(path.join(artifacts, 'live-fps.txt'), `${report}\n`);
    await page.screenshot({ path: path.join(artifacts, 'live-mode.png') });
    await expect.poll(() => page.textContent('#fps')).toMatch(/^\d/);
    // A snapshot downloads the result as a PNG; the camera picker lists the (fake) camera.
    const snapshot = page.waitForEvent('download');
    await page.click('#snapshot');
    expect((await snapshot).suggestedFilename()).toMatch(/^sinet-snapshot-.+\.png$/);
    expect(await page.locator('#camera-device option').count()).toBeGreaterThanOrEqual(1);
    // What the network sees, on the page's engine: drawn, then its tensors freed once off.
    const settled = await tensors();
    await page.check('#show-inside');
    await expect.poll(() => page.locator('#live-inside canvas').count(), { timeout: 30_000 }).toBe(3);
    await page.uncheck('#show-inside');
    await page.waitForTimeout(1500);
    expect(await tensors()).toBe(settled);
    // Another tab rests the network (frames pass through); back, the effect returns.
    await page.click('#tab-photo');
    await expect.poll(() => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.effect)).toBe('none');
    await page.click('#tab-live');
    await expect.poll(() => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.effect)).toBe('blur');
    // A new input size moves the running camera to a new processor.
    await openAdvanced(page);
    await page.selectOption('#input-size', '224');
    await expect.poll(() => page.evaluate(() => (window as unknown as DemoWindow).sinetDemo.live.inputSize), { timeout: 60_000 }).toEqual([224, 224]);
    const moved = (await liveStats(page))!.masks;
    await expect.poll(async () => (await liveStats(page))!.masks, { timeout: 30_000 }).toBeGreaterThan(moved);
    await page.click('#camera-stop');
    expect(await page.textContent('#status')).toBe('Camera stopped.');
    expect(await liveStats(page)).toBeNull();
    expect(seen.errors).toEqual([]);
    expect(seen.foreign).toEqual([]);
    await page.close();
    // On a phone, too, all of the result is in view once the camera runs.
    // On a phone where tfjs won before, onnxruntime-web is not even fetched.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phoneOrt: string[] = [];
    phone.on('request', (r) => /\/ort[.-][^/]*\.(mjs|wasm)$/.test(r.url()) && phoneOrt.push(r.url()));
    await openDemo(phone, server.url, 'backend=wasm');
    await phone.evaluate((key) => localStorage.setItem(key, JSON.stringify({ '192x256': 'tfjs-wasm', '256x192': 'tfjs-wasm', '224x224': 'tfjs-wasm' })), CAMERA_ENGINE_STORAGE_KEY);
    await phone.click('#camera-start');
    await expect.poll(async () => ((await liveStats(phone))?.masks ?? 0) > 20, { timeout: 30_000 }).toBe(true);
    expect(await liveStats(phone)).toMatchObject({ engine: 'tfjs-wasm', engineTrial: null });
    expect(phoneOrt).toEqual([]);
    const phoneBox = await resultBox(phone);
    expect({ phoneBox, inView: inView(phoneBox) }).toEqual({ phoneBox, inView: true });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    await phone.click('#camera-stop');
    await phone.close();
  });
});
