/**
 * onnxruntime-web as the network's runtime (the "onnxruntime-web" engine choice): loaded on demand,
 * its wasm binary served from this site. Without cross-origin isolation (COOP/COEP headers, which
 * static hosts such as GitHub Pages do not send) browsers give no SharedArrayBuffer, so it runs on
 * one thread; isolated, on up to four.
 */
import type { OnnxRuntimeModule } from '@sinet/model/onnx';

let loading: Promise<OnnxRuntimeModule> | null = null;

export function onnxRuntimeThreads(): number {
  return globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
}

export function onnxRuntimeWeb(): Promise<OnnxRuntimeModule> {
  loading ??= (async () => {
    const [ort, wasm] = await Promise.all([import('onnxruntime-web/wasm'), import('onnxruntime-web/ort-wasm-simd-threaded.wasm?url')]);
    ort.env.wasm.wasmPaths = { wasm: wasm.default };
    ort.env.wasm.numThreads = onnxRuntimeThreads();
    return ort as unknown as OnnxRuntimeModule;
  })();
  loading.catch(() => (loading = null));
  return loading;
}

/**
 * onnxruntime-web's files for the camera processor's worker, which loads them itself (and only
 * when tfjs is slow there): its self-contained wasm build and binary, served by this site.
 */
export async function onnxRuntimeUrls(): Promise<{ module: string; wasm: string }> {
  const [module, wasm] = await Promise.all([import('onnxruntime-web/wasm?url'), import('onnxruntime-web/ort-wasm-simd-threaded.wasm?url')]);
  return { module: module.default, wasm: wasm.default };
}
