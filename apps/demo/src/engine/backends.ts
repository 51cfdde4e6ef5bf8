/**
 * tfjs backends for the page: each is loaded on demand (their code and binaries are
 * separate files), the wasm binaries come from this site (CSP: nothing leaves the origin), and
 * the wasm backend gets @sinet/wasm-kernels so it can train as well as infer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AUTO_BACKEND_ORDER, type BackendName } from '../constants';
import { DemoError } from '../errors';

/** Where this site serves tfjs-backend-wasm's binaries: for the page's backend and the camera processor's worker. */
export async function wasmBinaryUrls(): Promise<Record<string, string>> {
  const [plain, simd, threaded] = await Promise.all([
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'),
  ]);
  return { 'tfjs-backend-wasm.wasm': plain.default, 'tfjs-backend-wasm-simd.wasm': simd.default, 'tfjs-backend-wasm-threaded-simd.wasm': threaded.default };
}

async function registerWasm(): Promise<void> {
  if (tf.findBackendFactory('wasm')) return;
  const [wasm, kernels, paths] = await Promise.all([import('@tensorflow/tfjs-backend-wasm'), import('@sinet/wasm-kernels'), wasmBinaryUrls()]);
  wasm.setWasmPaths(paths);
  kernels.registerWasmTrainingKernels();
  // The SIMD gradient kernels (a small .wasm of this site) for fine-tuning on wasm.
  await kernels.loadSimdKernels();
}

/** Whether a WebGPU adapter exists: `navigator.gpu` alone does not mean one does. Set by probeWebgpu. */
let webgpuAdapter = false;

/** Asks for a WebGPU adapter once, before the menu is filled. */
export async function probeWebgpu(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  try {
    webgpuAdapter = !!(gpu && (await gpu.requestAdapter()));
  } catch {
    webgpuAdapter = false;
  }
  return webgpuAdapter;
}

/** Software WebGL (SwiftShader, llvmpipe...) runs on the CPU, far slower than wasm there. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** The WebGL renderer's name where the browser says it, e.g. "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device...))". */
export function webglRenderer(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return typeof name === 'string' ? name : null;
}

export const isSoftwareRenderer = (renderer: string | null): boolean => renderer !== null && SOFTWARE_RENDERER.test(renderer);

async function registerWebgpu(): Promise<void> {
  if (tf.findBackendFactory('webgpu')) return;
  if (!webgpuAdapter) throw new DemoError('WebGPU has no adapter in this browser', 'BACKEND');
  await import('@tensorflow/tfjs-backend-webgpu');
}

async function registerWebgl(): Promise<void> {
  if (!tf.findBackendFactory('webgl')) await import('@tensorflow/tfjs-backend-webgl');
}

async function registerCpu(): Promise<void> {
  if (!tf.findBackendFactory('cpu')) await import('@tensorflow/tfjs-backend-cpu');
}

/** Whether the browser can plausibly run a backend (without initialising it). */
export function backendAvailable(name: BackendName): boolean {
  if (name === 'webgpu') return webgpuAdapter;
  if (name === 'webgl') {
    const canvas = document.createElement('canvas');
    return !!(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  }
  return name === 'wasm' ? typeof WebAssembly === 'object' : true;
}

/** Switches tfjs to `name`; tensors of the previous backend must be disposed by the caller first. */
export async function useBackend(name: BackendName): Promise<BackendName> {
  if (name === 'wasm') await registerWasm();
  if (name === 'webgpu') await registerWebgpu();
  if (name === 'webgl') {
    if (!backendAvailable('webgl')) throw new DemoError('WebGL is not available here', 'BACKEND');
    await registerWebgl();
  }
  if (name === 'cpu') await registerCpu();
  const ok = await tf.setBackend(name);
  if (!ok) throw new DemoError(`the ${name} backend failed to initialise`, 'BACKEND');
  await tf.ready();
  return name;
}

/**
 * The first backend of `order` that initialises and is worth it; reports each one skipped.
 * Software WebGL is skipped: on the CPU it runs SINet several times slower than wasm (0.9 FPS
 * against 6-8 measured on one machine), so the renderer decides before any inference does.
 */
export async function useBestBackend(order: BackendName[] = AUTO_BACKEND_ORDER, onSkip?: (name: BackendName, why: string) => void): Promise<BackendName> {
  for (const name of order) {
    if (name === 'webgl' && order.includes('wasm')) {
      const renderer = webglRenderer();
      if (isSoftwareRenderer(renderer)) {
        onSkip?.(name, `a software renderer (${renderer}), slower than wasm on this CPU`);
        continue;
      }
    }
    try {
      return await useBackend(name);
    } catch (e) {
      onSkip?.(name, (e as Error).message);
    }
  }
  throw new DemoError('no tfjs backend initialised (tried ' + order.join(', ') + ')', 'BACKEND');
}

/** e.g. "wasm (SIMD, 1 thread)": what the page actually runs on. */
export async function describeBackend(): Promise<string> {
  const name = tf.getBackend();
  if (name !== 'wasm') return name;
  const flag = async (f: string) => Boolean(await tf.env().getAsync(f).catch(() => false));
  return `wasm (${(await flag('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD'}, ${(await flag('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'threads' : '1 thread'})`;
}
