/**
 * The one place that picks the TensorFlow.js backend in Node, for every package and CLI:
 * tfjs-node where its native library loads, else wasm (SIMD, from the package's own files, with
 * the kernels of @sinet/wasm-kernels so it can train fast), else the pure-JS cpu backend.
 * The choice, and every kernel it adds or replaces, is logged once. Importing this module
 * registers nothing: backends and kernels load when `initBackend` runs.
 */
import * as tf from '@tensorflow/tfjs-core';
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
  /** Kernels (and gradients: 'Prelu gradient', ...) @sinet/wasm-kernels added or replaced, process-wide, on wasm. */
  kernels: string[];
  /** Of those, tfjs-wasm's own kernels it replaced. */
  replaced: string[];
}

export interface InitBackendOptions {
  /** Where the one-line notice goes; default stderr. Pass null to stay silent. */
  log?: ((line: string) => void) | null;
  /**
   * On wasm, register @sinet/wasm-kernels (`registerWasmTrainingKernels`): the gradient kernels
   * tfjs-wasm lacks, and faster versions of seven of its kernels and of Prelu's gradient, for
   * every model in the process. Default true (training needs them; inference gets faster);
   * false keeps tfjs-wasm exactly as it ships (then models cannot train on wasm).
   */
  wasmKernels?: boolean;
}

export class BackendError extends ModelError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'BACKEND', options);
  }
}

const require = createRequire(import.meta.url);
let current: { choice: BackendChoice; withKernels: boolean; info: Promise<BackendInfo> } | null = null;
let wasmPathsSet = false;

async function tryTensorflow(): Promise<string> {
  // A variable specifier keeps bundlers and TypeScript from requiring the optional package.
  const specifier = '@tensorflow/tfjs-node';
  await importPeer(specifier, () => import(specifier));
  if (!tf.findBackend('tensorflow')) {
    throw new BackendError('@tensorflow/tfjs-node loaded but registered no backend with this copy of @tensorflow/tfjs (version mismatch?)');
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError('the tensorflow backend failed to initialise');
  return 'tensorflow (libtensorflow via @tensorflow/tfjs-node)';
}

/** An optional peer dependency, imported when needed; its absence is said in one line. */
async function importPeer<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    // Node says ERR_MODULE_NOT_FOUND; bundlers and test runners word it their way, naming the package.
    const message = String((e as Error)?.message);
    const missing = (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (/Cannot find (package|module)|Could not resolve|Failed to (load|resolve)/.test(message) && message.includes(name));
    if (missing) throw new BackendError(`${name} is not installed (npm install ${name})`, { cause: e });
    throw e;
  }
}

async function tryWasm(withKernels: boolean): Promise<{ description: string; kernels: string[]; replaced?: string[] }> {
  const wasm = await importPeer('@tensorflow/tfjs-backend-wasm', () => import('@tensorflow/tfjs-backend-wasm'));
  if (!wasmPathsSet) {
    // Node loads the .wasm files from the package folder itself: no network, no bundler.
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dir);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new BackendError('the wasm backend failed to initialise');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = `${wasm.getThreadsCount()} thread${wasm.getThreadsCount() === 1 ? '' : 's'}`;
  if (!withKernels) return { description: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads}; tfjs-wasm's own kernels only: no training)`, kernels: [] };
  // tfjs-backend-wasm 4.22 lacks the gradient kernels training needs and runs others slowly.
  // Without @sinet/wasm-kernels, wasm still infers (faster than cpu): say what is missing.
  const kernelsModule = await importPeer('@sinet/wasm-kernels', () => import('@sinet/wasm-kernels')).catch((e: unknown) => {
    if (e instanceof BackendError) return null;
    throw e;
  });
  if (!kernelsModule) return { description: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads}; inference only: npm install @sinet/wasm-kernels to train)`, kernels: [] };
  const { loadSimdKernels, registerWasmTrainingKernels } = kernelsModule;
  const builtIn = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  const kernels = registerWasmTrainingKernels();
  const simdKernels = await loadSimdKernels();
  return { description: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads}${simdKernels ? '' : ', gradient kernels without SIMD'})`, kernels, replaced: kernels.filter((k) => builtIn.has(k)) };
}

async function tryCpu(): Promise<string> {
  // The last resort everywhere; registered only when chosen.
  await importPeer('@tensorflow/tfjs-backend-cpu', () => import('@tensorflow/tfjs-backend-cpu'));
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the cpu backend failed to initialise');
  // Our own notice already says cpu is slow; skip tfjs's multi-line "install tfjs-node" banner.
  const cpu = tf.backend() as unknown as { firstUse?: boolean };
  if (cpu.firstUse === true) cpu.firstUse = false;
  return 'cpu (pure JavaScript, slow)';
}

const LOADERS: Record<Exclude<BackendChoice, 'auto'>, (withKernels: boolean) => Promise<{ description: string; kernels: string[]; replaced?: string[] }>> = {
  tensorflow: async () => ({ description: await tryTensorflow(), kernels: [] }),
  wasm: tryWasm,
  cpu: async () => ({ description: await tryCpu(), kernels: [] }),
};

function parseChoice(value: string | undefined): BackendChoice {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === 'node' || v === 'tfjs-node') return 'tensorflow';
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) {
    throw new BackendError(`unknown backend '${value}': use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return v as BackendChoice;
}

/** Why 'auto' passed over the faster backends, worded so that an optional package reads as optional. */
function skipNote(skipped: string[]): string {
  if (skipped.length === 0) return '';
  const notes = skipped.map((s) => (/^tensorflow: .*tfjs-node.* is not installed/.test(s) ? '@tensorflow/tfjs-node (optional, native) is not installed' : `tried first: ${s}`));
  return ` (${notes.join('; ')})`;
}

async function select(choice: BackendChoice, log: ((line: string) => void) | null, withKernels: boolean): Promise<BackendInfo> {
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const { description, kernels, replaced = [] } = await LOADERS[name](withKernels);
      await tf.ready();
      log?.(`sinet: backend ${description}${choice === 'auto' ? skipNote(skipped) : ''}`);
      if (kernels.length) {
        // Counts only: the kernels themselves are in BackendInfo (and `sinet info`).
        const gradients = kernels.filter((k) => k.endsWith(' gradient')).length;
        log?.(`sinet: training kernels of @sinet/wasm-kernels in place: ${kernels.length - replaced.length - gradients} added, ${replaced.length} of tfjs-wasm's replaced, ${gradients} gradients fused`);
      }
      return { name, description, skipped, kernels, replaced };
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
 * On wasm it also registers @sinet/wasm-kernels unless `wasmKernels: false` (see there).
 */
export function initBackend(choice?: BackendChoice | string, options: InitBackendOptions = {}): Promise<BackendInfo> {
  let resolved: BackendChoice;
  try {
    resolved = parseChoice(choice ?? process.env.SINET_BACKEND);
  } catch (e) {
    return Promise.reject(e);
  }
  const withKernels = options.wasmKernels ?? true;
  if (current && current.choice === resolved && current.withKernels === withKernels) return current.info;
  const log = options.log === undefined ? (line: string) => process.stderr.write(`${line}\n`) : options.log;
  const info = select(resolved, log, withKernels);
  current = { choice: resolved, withKernels, info };
  info.catch(() => {
    if (current?.info === info) current = null;
  });
  return info;
}
