/**
 * Model folders, URLs and picked files as a hostile publisher would craft them: each ends
 * quickly with one clear error naming the file and the reason, and nothing outside the model
 * folder is opened.
 */
import * as tf from '@tensorflow/tfjs';
import { freshDir } from '@sinet/test-utils';
import { execFileSync } from 'node:child_process';
import { promises as fsp, writeFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModelFromFiles, loadModelFromUrl, MODEL_LIMITS } from '../model-files.js';
import { untrainedModel } from '../test-support.js';
import { loadModel, saveModel } from './model-io.js';
import { loadSegmenter } from './index.js';

let good: { json: Record<string, unknown>; weights: Buffer; weightsName: string };

beforeAll(async () => {
  await tf.setBackend('cpu');
  const dir = freshDir('sinet-good-model');
  const model = untrainedModel({ inputSize: [64, 64] });
  const saved = await saveModel(model, dir);
  model.dispose();
  good = { json: JSON.parse(await fsp.readFile(saved.modelJson, 'utf8')), weights: await fsp.readFile(saved.weightsFile), weightsName: path.basename(saved.weightsFile) };
});

/** A model folder with the good model's files, `edit` applied to model.json; returns its path. */
function craft(edit: (json: Record<string, unknown>) => void = () => {}, weights: Buffer | null = good.weights): string {
  const dir = freshDir('sinet-hostile-model');
  const json = structuredClone(good.json);
  edit(json);
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  if (weights) writeFileSync(path.join(dir, good.weightsName), weights);
  return dir;
}

const manifestPaths = (json: Record<string, unknown>, paths: string[]) => {
  (json.weightsManifest as { paths: string[] }[])[0]!.paths = paths;
};
const metadata = (json: Record<string, unknown>) => (json.userDefinedMetadata as { sinet: Record<string, unknown> }).sinet;

/** Files opened or read through node:fs promises during `fn`. */
async function openedDuring(fn: () => Promise<unknown>): Promise<{ opened: string[]; error: unknown }> {
  const opened: string[] = [];
  const [open0, readFile0] = [fsp.open, fsp.readFile];
  const open = vi.spyOn(fsp, 'open').mockImplementation(((file: string, ...rest: unknown[]) => (opened.push(path.resolve(String(file))), (open0 as (...a: unknown[]) => unknown).call(fsp, file, ...rest))) as typeof fsp.open);
  const readFile = vi.spyOn(fsp, 'readFile').mockImplementation(((file: string, ...rest: unknown[]) => (opened.push(path.resolve(String(file))), (readFile0 as (...a: unknown[]) => unknown).call(fsp, file, ...rest))) as typeof fsp.readFile);
  let error: unknown = null;
  try {
    await fn();
  } catch (e) {
    error = e;
  } finally {
    open.mockRestore();
    readFile.mockRestore();
  }
  return { opened, error };
}

afterEach(() => vi.restoreAllMocks());

describe('a model folder from someone else', () => {
  it('loads when it is what it claims (the checks pass a real model)', async () => {
    const dir = craft();
    const before = tf.memory().numTensors;
    const model = await loadModel(dir, { requireSINet: true });
    expect(model.countParams()).toBeGreaterThan(80_000);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  const outside = () => {
    const dir = freshDir('sinet-outside');
    const file = path.join(dir, 'secret.bin');
    writeFileSync(file, good.weights);
    return file;
  };

  const cases: { name: string; make: () => string; reason: RegExp }[] = [
    { name: 'a weights path climbing out (..)', make: () => craft((j) => manifestPaths(j, [`../${path.basename(path.dirname(outside()))}/secret.bin`])), reason: /weights path ".*" leaves the model folder/ },
    { name: 'an absolute weights path', make: () => craft((j) => manifestPaths(j, [outside()])), reason: /is absolute/ },
    { name: 'a URL as weights path', make: () => craft((j) => manifestPaths(j, ['file:///etc/passwd'])), reason: /is absolute/ },
    {
      name: 'a symlink out of the folder',
      make: () => {
        const dir = craft((j) => manifestPaths(j, ['link.bin']), null);
        symlinkSync(outside(), path.join(dir, 'link.bin'));
        return dir;
      },
      reason: /weights file 'link.bin' leads outside the model folder/,
    },
    {
      name: 'a symlink to a device that never ends (/dev/zero)',
      make: () => {
        const dir = craft((j) => manifestPaths(j, ['zero.bin']), null);
        symlinkSync('/dev/zero', path.join(dir, 'zero.bin'));
        return dir;
      },
      reason: /leads outside the model folder/,
    },
    {
      name: 'a FIFO as weights file (opening it would block)',
      make: () => {
        const dir = craft((j) => manifestPaths(j, ['fifo.bin']), null);
        execFileSync('mkfifo', [path.join(dir, 'fifo.bin')]);
        return dir;
      },
      reason: /weights file 'fifo.bin'.*not a regular file/,
    },
    {
      name: 'a model.json symlinked out of the folder',
      make: () => {
        const dir = freshDir('sinet-hostile-model');
        const elsewhere = path.join(path.dirname(outside()), 'model.json');
        writeFileSync(elsewhere, JSON.stringify(good.json));
        symlinkSync(elsewhere, path.join(dir, 'model.json'));
        return dir;
      },
      reason: /model.json leads outside the model folder/,
    },
    { name: 'a weights file larger than the manifest', make: () => craft(undefined, Buffer.concat([good.weights, Buffer.alloc(4096)])), reason: /bytes, more than the \d+ bytes allowed/ },
    { name: 'a weights file smaller than the manifest', make: () => craft(undefined, good.weights.subarray(0, good.weights.length - 16)), reason: /weights hold \d+ bytes, the manifest needs \d+/ },
    { name: 'a missing weights file', make: () => craft(undefined, null), reason: /weights file '.*' is missing/ },
    {
      name: 'an oversized model.json',
      make: () => {
        const dir = craft();
        // Sparse: the size says it all, nothing is written.
        execFileSync('truncate', ['-s', String(MODEL_LIMITS.modelJsonBytes + 1), path.join(dir, 'model.json')]);
        return dir;
      },
      reason: /model.json: \d+ bytes, more than the 16777216 bytes allowed/,
    },
    { name: 'a manifest declaring 10 GB of weights', make: () => craft((j) => ((j.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights[0]!.shape = [50_000, 50_000])), reason: /more than 256 MiB of weights/ },
    { name: 'a weight of an unknown dtype', make: () => craft((j) => ((j.weightsManifest as { weights: { dtype: string }[] }[])[0]!.weights[0]!.dtype = 'complex64')), reason: /unsupported dtype/ },
    { name: 'not JSON', make: () => craft((j) => Object.assign(j, { modelTopology: undefined })), reason: /not a tfjs layers model \(no modelTopology\)/ },
    { name: 'std of 0 (a division by zero)', make: () => craft((j) => ((metadata(j).preprocessing as { std: number[] }).std = [0, 1, 1])), reason: /'preprocessing.std' must be between 0.001 and 10000/ },
    { name: 'one class name', make: () => craft((j) => (metadata(j).classNames = ['person'])), reason: /'classNames' must be 2 non-empty names/ },
    { name: 'a giant input size', make: () => craft((j) => ((metadata(j).config as { inputSize: number[] }).inputSize = [1_048_576, 1_048_576])), reason: /'inputSize\[0\]' must be at most 4096/ },
    { name: 'an input size off the stride', make: () => craft((j) => ((metadata(j).config as { inputSize: number[] }).inputSize = [200, 224])), reason: /'inputSize\[0\]' must be a multiple of 32/ },
    { name: 'a million classes', make: () => craft((j) => ((metadata(j).config as { classes: number }).classes = 1_000_000)), reason: /'classes' must be at most 256/ },
    { name: 'a person class out of range', make: () => craft((j) => (metadata(j).personClass = 7)), reason: /'personClass' must be a class index from 0 to 1/ },
    { name: 'a megabyte of licence text', make: () => craft((j) => (metadata(j).license = { name: 'MIT', holder: 'x', text: 'x'.repeat(2 ** 20) })), reason: /'license.text' must be text of at most 65536 characters/ },
    { name: 'weights named for another network', make: () => craft((j) => ((j.weightsManifest as { weights: { name: string }[] }[])[0]!.weights[0]!.name = 'evil/kernel')), reason: /weights lack 'encoder.level1\/kernel'/ },
  ];

  it.each(cases)('refuses $name with one clear error, opening nothing outside the folder', async ({ make, reason }) => {
    const dir = make();
    const started = performance.now();
    const before = tf.memory().numTensors;
    const { opened, error } = await openedDuring(() => loadModel(dir, { requireSINet: true }));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(reason);
    expect(message).toContain(dir);
    expect(message.split('\n')).toHaveLength(1);
    const real = await fsp.realpath(dir);
    for (const file of opened) expect(file.startsWith(dir) || file.startsWith(real), `opened ${file}`).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses the JSON value 1e400 (Infinity) as a mean', async () => {
    const dir = craft();
    const file = path.join(dir, 'model.json');
    await fsp.writeFile(file, (await fsp.readFile(file, 'utf8')).replace('"mean":[107.304565', '"mean":[1e400'));
    await expect(loadModel(dir, { requireSINet: true })).rejects.toThrow(/'preprocessing.mean' must be three finite numbers/);
  });

  it('loadSegmenter refuses a non-SINet tfjs model and leaves no tensors behind', async () => {
    const dir = freshDir('sinet-not-sinet');
    const dense = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    await saveModel(dense, dir);
    dense.dispose();
    const before = tf.memory().numTensors;
    await expect(loadSegmenter(dir)).rejects.toThrow(new RegExp(`${dir}/model.json: not a SINet model`));
    expect(tf.memory().numTensors).toBe(before);
    // The plain loader still loads it (deserialised by tfjs) when SINet is not required.
    const loaded = await loadModel(dir);
    expect(loaded.countParams()).toBe(8);
    loaded.dispose();
  });
});

describe('a model.json URL from someone else', () => {
  const site = 'https://models.example/sinet/';
  /** A fake fetch serving `files` (URL -> bytes); records every URL asked for. */
  function server(files: Record<string, Uint8Array | string>, headers: Record<string, Record<string, string>> = {}) {
    const asked: string[] = [];
    const fetch = (async (input: string) => {
      asked.push(input);
      const body = files[input];
      if (body === undefined) return new Response('not found', { status: 404 });
      return new Response(typeof body === 'string' ? body : new Blob([new Uint8Array(body)]), { headers: headers[input] });
    }) as unknown as typeof globalThis.fetch;
    return { fetch, asked };
  }
  const jsonWith = (edit: (json: Record<string, unknown>) => void = () => {}) => {
    const json = structuredClone(good.json);
    edit(json);
    return JSON.stringify(json);
  };

  it('loads a SINet whose weights lie beside model.json', async () => {
    const { fetch, asked } = server({ [`${site}model.json`]: jsonWith(), [`${site}${good.weightsName}`]: good.weights });
    const model = await loadModelFromUrl(`${site}model.json`, { fetch });
    expect(asked).toEqual([`${site}model.json`, `${site}${good.weightsName}`]);
    model.dispose();
  });

  it.each([
    ['../other/w.bin', /weights path "..\/other\/w.bin" leaves the model folder/],
    ['https://elsewhere.example/w.bin', /is absolute/],
    ['//elsewhere.example/w.bin', /is absolute/],
    ['a//b.bin', /leaves the model folder or has an empty segment/],
  ])('refuses weights at %s without fetching them', async (p, reason) => {
    const { fetch, asked } = server({ [`${site}model.json`]: jsonWith((j) => manifestPaths(j, [p])) });
    await expect(loadModelFromUrl(`${site}model.json`, { fetch })).rejects.toThrow(reason);
    expect(asked).toEqual([`${site}model.json`]);
  });

  it('stops reading a weights file past the bytes the manifest declares, whatever Content-Length says', async () => {
    const endless = new Uint8Array(good.weights.length * 4);
    const { fetch } = server({ [`${site}model.json`]: jsonWith(), [`${site}${good.weightsName}`]: endless });
    await expect(loadModelFromUrl(`${site}model.json`, { fetch })).rejects.toThrow(/more than the \d+ bytes allowed/);
    const lying = server({ [`${site}model.json`]: jsonWith() }, { [`${site}model.json`]: { 'content-length': String(10 ** 12) } });
    await expect(loadModelFromUrl(`${site}model.json`, { fetch: lying.fetch })).rejects.toThrow(/1000000000000 bytes, more than the 16777216 bytes allowed/);
  });

  it('picked files: refuses weights larger than the manifest and weights not picked', async () => {
    const json = new File([jsonWith()], 'model.json');
    await expect(loadModelFromFiles([json, new File([new Uint8Array(Buffer.concat([good.weights, Buffer.alloc(8)]))], good.weightsName)])).rejects.toThrow(/weights files hold more than the \d+ bytes the manifest needs/);
    await expect(loadModelFromFiles([json])).rejects.toThrow(new RegExp(`weights file '${good.weightsName}' was not picked with it`));
    const model = await loadModelFromFiles([json, new File([new Uint8Array(good.weights)], good.weightsName)]);
    model.dispose();
  });
});
