/**
 * `pnpm --filter @sinet/track-processor bench`: the call page against MediaPipe's selfie
 * segmenter (its npm package ships its model and wasm; benchmark only, never shipped) in one
 * Chromium without a GPU, on one fake 640 x 480 camera at 30 FPS (a still EG1800 portrait with
 * +-3 levels of sensor noise): output FPS, main-thread busy share (Chromium's TaskDuration),
 * first frame after Start, soft band, flicker and person IoU against the photo's ground truth.
 * Rounds alternate the engines; medians, with the CPU named; results in bench-results/call-page.json.
 */
import { EG1800, freshDir, haveShared, sharedPath } from '@sinet/test-utils';
import { haveChromium, launchChromium, photosToY4m, serveStatic, type StaticServer } from '@sinet/test-utils/browser';
import { cpSync, mkdirSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { afterAll, beforeAll, describe, it } from 'vitest';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MEASURE_MS = Number(process.env.SINET_BENCH_MS ?? 8000);
const ROUNDS = Number(process.env.SINET_BENCH_ROUNDS ?? 3);
const QUALITY_FRAMES = 30;

interface Row {
  engine: string;
  fps: number;
  busy: number;
  firstFrameMs: number;
  inferenceMs: number;
  band: number;
  flicker: number;
  iou: number;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Frames presented and main-thread task seconds over MEASURE_MS. */
async function measureLoad(page: Page, presented: () => Promise<number>): Promise<{ fps: number; busy: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const task = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN);
  const start = { frames: await presented(), task: await task(), time: Date.now() };
  await page.waitForTimeout(MEASURE_MS);
  const end = { frames: await presented(), task: await task(), time: Date.now() };
  await cdp.detach();
  const seconds = (end.time - start.time) / 1000;
  return { fps: (end.frames - start.frames) / seconds, busy: (end.task - start.task) / seconds };
}

function iou(truth: Uint8Array, mask: number[]): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    inter += truth[i] & mask[i];
    union += truth[i] | mask[i];
  }
  return inter / union;
}

const run = haveChromium() && haveShared('the call-page benchmark (an EG1800 portrait as the camera)', EG1800);

describe.runIf(run)('call page: SINet.js BackgroundProcessor and MediaPipe selfie segmentation', () => {
  let browser: Browser;
  let site: StaticServer;
  let truth: Uint8Array;
  const rows: Row[] = [];

  beforeAll(async () => {
    const dir = freshDir('track-processor-bench');
    const root = path.join(dir, 'site');
    await build({ configFile: path.join(packageDir, 'example', 'vite.config.ts'), build: { outDir: root }, logLevel: 'error' });
    cpSync(path.join(packageDir, 'bench'), root, { recursive: true, filter: (f) => !f.endsWith('.ts') });
    const mp = path.dirname(createRequire(import.meta.url).resolve('@mediapipe/selfie_segmentation/selfie_segmentation.js'));
    mkdirSync(path.join(root, 'mp'));
    cpSync(mp, path.join(root, 'mp'), { recursive: true });
    site = await serveStatic(root, '/call/');
    const id = (await fs.readFile(sharedPath(...EG1800, 'val.txt'), 'utf8')).trim().split('\n')[0];
    const video = path.join(dir, 'camera.y4m');
    await photosToY4m([sharedPath(...EG1800, 'images', `${id}.jpg`)], video, { width: 640, height: 480, framesEach: 90, fps: 30, noiseLevels: 3 });
    const { data } = await sharp(sharedPath(...EG1800, 'masks', `${id}.png`)).greyscale().resize(640, 480, { fit: 'cover' }).raw().toBuffer({ resolveWithObject: true });
    truth = Uint8Array.from(data, (v) => (v > 127 ? 1 : 0));
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (!rows.length) return;
    const cpu = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`;
    const engines = [...new Set(rows.map((r) => r.engine))];
    const summary = engines.map((engine) => {
      const of = rows.filter((r) => r.engine === engine);
      const m = (k: keyof Omit<Row, 'engine'>) => median(of.map((r) => r[k]));
      return { engine, rounds: of.length, fps: m('fps'), busy: m('busy'), firstFrameMs: m('firstFrameMs'), inferenceMs: m('inferenceMs'), band: m('band'), flicker: m('flicker'), iou: m('iou') };
    });
    const lines = [
      `call page in headless Chromium (${cpu}; software WebGL), camera 640 x 480 at 30 FPS, ${MEASURE_MS / 1000} s a round, medians of ${ROUNDS} rounds:`,
      `  ${'engine'.padEnd(44)} output FPS  main thread busy  first frame  inference  soft band  flicker/frame  person IoU`,
      ...summary.map((s) => `  ${s.engine.padEnd(44)} ${s.fps.toFixed(1).padStart(10)}  ${(100 * s.busy).toFixed(1).padStart(15)}%  ${s.firstFrameMs.toFixed(0).padStart(8)} ms  ${s.inferenceMs.toFixed(1).padStart(6)} ms  ${(100 * s.band).toFixed(2).padStart(8)}%  ${(100 * s.flicker).toFixed(3).padStart(12)}%  ${(100 * s.iou).toFixed(2).padStart(9)}`),
    ];
    console.log(lines.join('\n'));
    const out = path.join(packageDir, 'bench-results');
    mkdirSync(out, { recursive: true });
    await fs.writeFile(path.join(out, 'call-page.json'), JSON.stringify({ cpu, measureMs: MEASURE_MS, rounds: ROUNDS, summary, rows }, null, 2));
  });

  /** `engine` 'auto': measured once its trial has ended, on the engine it kept. */
  const sinet = async (round: number, engine: 'tfjs-wasm' | 'auto') => {
    const page = await browser.newPage();
    await page.goto(`${site.url}index.html`);
    type W = { callPage: { start(options: { engine: string }): Promise<void>; setEffect(e: unknown): Promise<void>; stop(): Promise<void>; presented: number; startedAt: number; firstFrameAt: number; processor: { stats: { inferenceMs: number; renderer: string; engine: string; engineTrial: { decided: boolean } | null } }; measureFrames(n: number): Promise<{ band: number[]; flips: number[]; lastMask: number[] }> } };
    await page.evaluate((e) => (window as unknown as W).callPage.start({ engine: e }), engine);
    if (engine === 'auto') await page.waitForFunction(() => (window as unknown as W).callPage.processor.stats.engineTrial?.decided !== false, undefined, { timeout: 60_000 });
    await page.waitForTimeout(1500);
    const load = await measureLoad(page, () => page.evaluate(() => (window as unknown as W).callPage.presented));
    const timing = await page.evaluate(() => {
      const p = (window as unknown as W).callPage;
      return { firstFrameMs: p.firstFrameAt - p.startedAt, inferenceMs: p.processor.stats.inferenceMs };
    });
    await page.evaluate(() => (window as unknown as W).callPage.setEffect({ kind: 'transparent' }));
    await page.waitForTimeout(500);
    const q = await page.evaluate((n) => (window as unknown as W).callPage.measureFrames(n), QUALITY_FRAMES);
    const { renderer, engine: ran } = await page.evaluate(() => (window as unknown as W).callPage.processor.stats);
    await page.evaluate(() => (window as unknown as W).callPage.stop());
    await page.close();
    rows.push({ engine: `SINet.js BackgroundProcessor (${engine === 'auto' ? `auto: ${ran}` : ran}, ${renderer})`, ...load, ...timing, band: mean(q.band), flicker: mean(q.flips), iou: iou(truth, q.lastMask) });
    console.log(`round ${round}: ${JSON.stringify(rows.at(-1))}`);
  };

  const mediapipe = async (round: number, modelSelection: 0 | 1) => {
    const page = await browser.newPage();
    await page.goto(`${site.url}mediapipe-call.html`);
    type M = { mp: { presented: number; latencies: number[]; ready: boolean; error: string | null; startedAt: number; firstFrameAt: number }; startMediapipe(m: number): Promise<void>; measureMediapipe(n: number): Promise<{ band: number[]; flips: number[]; lastMask: number[] }> };
    await page.evaluate((m) => (window as unknown as M).startMediapipe(m), modelSelection);
    await page.waitForFunction(() => (window as unknown as M).mp.firstFrameAt > 0 || (window as unknown as M).mp.error, undefined, { timeout: 60_000 });
    await page.waitForTimeout(1500);
    const load = await measureLoad(page, () => page.evaluate(() => (window as unknown as M).mp.presented));
    const timing = await page.evaluate(() => {
      const mp = (window as unknown as M).mp;
      if (mp.error) throw new Error(`MediaPipe: ${mp.error}`);
      const l = [...mp.latencies].sort((a, b) => a - b);
      return { firstFrameMs: mp.firstFrameAt - mp.startedAt, inferenceMs: l[Math.floor(l.length / 2)] };
    });
    const q = await page.evaluate((n) => (window as unknown as M).measureMediapipe(n), QUALITY_FRAMES);
    await page.close();
    rows.push({ engine: `MediaPipe selfie segmentation (${modelSelection ? 'landscape, 144 x 256' : 'general, 256 x 256'})`, ...load, ...timing, band: mean(q.band), flicker: mean(q.flips), iou: iou(truth, q.lastMask) });
    console.log(`round ${round}: ${JSON.stringify(rows.at(-1))}`);
  };

  it('alternates the engines', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      await sinet(round, 'tfjs-wasm');
      await sinet(round, 'auto');
      await mediapipe(round, 0);
      await mediapipe(round, 1);
    }
  }, 1_800_000);
});
