/**
 * The one place that picks the TensorFlow.js backend in Node, for every package and CLI:
 * tfjs-node where its native library loads, else wasm (SIMD, from the package's own files, with
 * the gradient kernels of @sinet/wasm-kernels so it can train), else the pure-JS cpu backend.
 * The choice is logged once.
 */
import * as tf from '@tensorflow/tfjs-core';
// The last resort everywhere; the union package used to register it for us.
import '@tensorflow/tfjs-backend-cpu';
import { loadSimdKernels, registerWasmTrainingKernels } from '@sinet/wasm-kernels';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ModelError } from '../errors.js';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Human-readable detail, e.g. 'wasm (SIMD, 1 thread)'. */
  description: string;
  /** Why earlier candidates were skipped in 'auto' mode. */
  skipped: string[];
}

export interface InitBackendOptions {
  /** Where the one-line notice goes; default stderr. Pass null to stay silent. */
  log?: ((line: string) => void) | null;
}

export class BackendError extends ModelError {
  constructor(message: string) {
    super(message, 'BACKEND');
  }
}

const require = createRequire(import.meta.url);
let current: { choice: BackendChoice; info: Promise<BackendInfo> } | null = null;
let wasmPathsSet = false;

async function tryTensorflow(): Promise<string> {
  // A variable specifier keeps bundlers and TypeScript from requiring the optional package.
  const specifier = '@tensorflow/tfjs-node';
  await import(specifier);
  if (!tf.findBackend('tensorflow')) {
    throw new Error('@tensorflow/tfjs-node loaded but registered no backend with this copy of @tensorflow/tfjs (version mismatch?)');
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend failed to initialise');
  return 'tensorflow (libtensorflow via @tensorflow/tfjs-node)';
}

async function tryWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    // Node loads the .wasm files from the package folder itself: no network, no bundler.
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dir);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  // tfjs-backend-wasm 4.22 lacks four gradient kernels that training needs (and runs a fifth slowly).
  registerWasmTrainingKernels();
  const simdKernels = await loadSimdKernels();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${wasm.getThreadsCount()} thread${wasm.getThreadsCount() === 1 ? '' : 's'}${simdKernels ? '' : ', gradient kernels without SIMD'})`;
}

async function tryCpu(): Promise<string> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  // Our own notice already says cpu is slow; skip tfjs's multi-line "install tfjs-node" banner.
  const cpu = tf.backend() as unknown as { firstUse?: boolean };
  if (cpu.firstUse === true) cpu.firstUse = false;
  return 'cpu (pure JavaScript, slow)';
}

const LOADERS: Record<Exclude<BackendChoice, 'auto'>, () => Promise<string>> = { tensorflow: tryTensorflow, wasm: tryWasm, cpu: tryCpu };

function parseChoice(value: string | undefined): BackendChoice {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === 'node' || v === 'tfjs-node') return 'tensorflow';
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) {
    throw new BackendError(`unknown backend '${value}': use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return v as BackendChoice;
}

async function select(choice: BackendChoice, log: ((line: string) => void) | null): Promise<BackendInfo> {
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const description = await LOADERS[name]();
      await tf.ready();
      log?.(`sinet: backend ${description}${choice === 'auto' && skipped.length ? ` [skipped: ${skipped.join('; ')}]` : ''}`);
      return { name, description, skipped };
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0];
      if (choice !== 'auto') throw new BackendError(`backend '${name}' is not available here: ${reason}`);
      skipped.push(`${name}: ${reason}`);
    }
  }
  throw new BackendError(`no TensorFlow.js backend could be initialised (${skipped.join('; ')})`);
}

/**
 * Selects the backend once per process. `choice` defaults to $SINET_BACKEND or 'auto'.
 * Calling again with the same choice returns the same result; another choice switches.
 */
export function initBackend(choice?: BackendChoice | string, options: InitBackendOptions = {}): Promise<BackendInfo> {
  let resolved: BackendChoice;
  try {
    resolved = parseChoice(choice ?? process.env.SINET_BACKEND);
  } catch (e) {
    return Promise.reject(e);
  }
  if (current && current.choice === resolved) return current.info;
  const log = options.log === undefined ? (line: string) => process.stderr.write(`${line}\n`) : options.log;
  const info = select(resolved, log);
  current = { choice: resolved, info };
  info.catch(() => {
    if (current?.info === info) current = null;
  });
  return info;
}
