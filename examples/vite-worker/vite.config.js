import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  // A module worker that imports chunks of its own: Vite's default worker format (iife) cannot split it.
  worker: { format: 'es' },
  build: { target: 'es2022' },
  // tfjs-backend-wasm locates its binaries itself (setWasmPaths): Vite must not pre-bundle it.
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
});
