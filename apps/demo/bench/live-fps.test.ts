/**
 * `pnpm --filter demo bench`: the demo's live camera (output FPS, masks a second, main-thread busy share), and MediaPipe's selfie
 * segmenter (its npm package ships its model and wasm; benchmark only, never shipped) in the same
 * Chromium on the same fake-camera frames (EG1800 val portraits, 640 x 480 at 30 FPS). Medians,
 * with the CPU named; results in bench-results/live-fps.json.
 */
import { EG1800, freshDir, haveShared, sharedPath } from '@sinet/test-utils';
import { cpSync, existsSync, mkdirSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { haveChromium, launchChromium, photosToY4m, serveStatic, type StaticServer } from '@sinet/test-utils/browser';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(appDir, 'dist');
const MEASURE_MS = Number(process.env.SINET_BENCH_MS ?? 8000);
const WARM_FRAMES = 10;

interface Row {
  engine: string;
  /** Frames the visitor sees a second. */
  fps: number;
  /** Masks (network runs) a second; equal to fps where each frame waits for its mask. */
  masksPerSecond: number;
  /** Share of wall time the page's main thread ran tasks (Chromium's TaskDuration). */
  mainThreadBusy: number;
  medianLatencyMs: number;
  inputSize: string;
}

interface Reading {
  frames: number;
  masks: number;
  latencyMs: number[];
}

/** Frames, masks and main-thread task time over MEASURE_MS, after WARM_FRAMES. */
async function measure(page: Page, read: () => Promise<Reading>): Promise<Omit<Row, 'engine' | 'inputSize'>> {
  const deadline = Date.now() + 120_000;
  while ((await read()).frames < WARM_FRAMES) {
    if (Date.now() > deadline) throw new Error('no frames within 2 minutes');
    await page.waitForTimeout(200);
  }
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const task = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
  const start = { ...(await read()), task: await task(), time: Date.now() };
  await page.waitForTimeout(MEASURE_MS);
  const end = { ...(await read()), task: await task(), time: Date.now() };
  await cdp.detach();
  const seconds = (end.time - start.time) / 1000;
  const latencies = [...end.latencyMs].sort((a, b) => a - b);
  return {
    fps: (end.frames - start.frames) / seconds,
    masksPerSecond: (end.masks - start.masks) / seconds,
    mainThreadBusy: (end.task - start.task) / seconds,
    medianLatencyMs: latencies[Math.floor(latencies.length / 2)] ?? NaN,
  };
}

const run = haveChromium() && existsSync(path.join(dist, 'index.html')) && haveShared('the live benchmark (EG1800 portraits as camera frames)', EG1800);

describe.runIf(run)('live FPS per engine, and MediaPipe selfie segmentation', () => {
  let site: StaticServer;
  let benchSite: StaticServer;
  let browser: Browser;
  const rows: Row[] = [];
  beforeAll(async () => {
    const ids = (await fs.readFile(sharedPath(...EG1800, 'val.txt'), 'utf8')).trim().split('\n').slice(0, 6);
    const video = path.join(freshDir('sinet-bench-y4m-'), 'portraits.y4m');
    await photosToY4m(ids.map((id) => sharedPath(...EG1800, 'images', `${id}.jpg`)), video, { width: 640, height: 480, framesEach: 30, fps: 30 });
    site = await serveStatic(dist);
    // MediaPipe's files beside its page, from the installed package (never from the network).
    const root = freshDir('sinet-bench-mp-');
    cpSync(path.join(appDir, 'bench'), root, { recursive: true });
    const mp = path.dirname(createRequire(import.meta.url).resolve('@mediapipe/selfie_segmentation/selfie_segmentation.js'));
    mkdirSync(path.join(root, 'mp'));
    cpSync(mp, path.join(root, 'mp'), { recursive: true });
    benchSite = await serveStatic(root, '/bench/');
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await benchSite?.close();
    if (!rows.length) return;
    const cpu = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`;
    const lines = [`live camera in headless Chromium (${cpu}; software WebGL), camera 640 x 480 at 30 FPS, ${MEASURE_MS / 1000} s each:`, ...rows.map((r) => `  ${r.engine.padEnd(52)} ${r.fps.toFixed(1).padStart(5)} FPS  ${r.masksPerSecond.toFixed(1).padStart(5)} masks/s  main thread ${(100 * r.mainThreadBusy).toFixed(0).padStart(3)}% busy  latency ${r.medianLatencyMs.toFixed(1).padStart(6)} ms  (input ${r.inputSize})`)];
    console.log(lines.join('\n'));
    const out = path.join(appDir, 'bench-results');
    mkdirSync(out, { recursive: true });
    await fs.writeFile(path.join(out, 'live-fps.json'), JSON.stringify({ cpu, measureMs: MEASURE_MS, rows }, null, 2));
  });

  it('demo (BackgroundProcessor: network and compositing in workers)', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}?backend=wasm`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    await page.click('#camera-start');
    const read = () =>
      page.evaluate(() => {
        const live = (window as unknown as { sinetDemo: { live: { stats: { framesOut: number; masks: number; inferenceMs: number | null } | null } } }).sinetDemo.live;
        const s = live.stats;
        return { frames: s?.framesOut ?? 0, masks: s?.masks ?? 0, latencyMs: s?.inferenceMs == null ? [] : [s.inferenceMs] };
      });
    const result = await measure(page, read);
    const inputSize = await page.evaluate(() => String((window as unknown as { sinetDemo: { live: { inputSize: number[] } } }).sinetDemo.live.inputSize.join(' x ')));
    const backend = await page.evaluate(() => (window as unknown as { sinetDemo: { live: { stats: { backend: string; renderer: string } } } }).sinetDemo.live.stats);
    rows.push({ engine: `SINet.js demo, ${backend.backend} worker, ${backend.renderer}`, inputSize, ...result });
    await page.click('#camera-stop');
    await page.close();
  });

  it('MediaPipe selfie segmentation (landscape model)', async () => {
    const page = await browser.newPage();
    await page.goto(`${benchSite.url}mediapipe.html`);
    const read = () => page.evaluate(() => {
      const b = (window as unknown as { bench: { frames: number; latencies: number[]; error: string | null } }).bench;
      if (b.error) throw new Error(`MediaPipe: ${b.error}`);
      // One frame in flight, on the main thread: every frame shown waits for its mask.
      return { frames: b.frames, masks: b.frames, latencyMs: [...b.latencies] };
    });
    const result = await measure(page, read);
    rows.push({ engine: 'MediaPipe selfie segmentation (wasm)', inputSize: '144 x 256', ...result });
    await page.close();
  });
});
