/** Switching a test to the cpu or wasm backend (wasm files loaded from the package folder). */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let wasmReady = false;

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm' && !wasmReady) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    wasmReady = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
}
