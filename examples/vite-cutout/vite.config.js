import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  // Top-level await in main.js.
  build: { target: 'es2022' },
  // tfjs-backend-wasm locates its binaries itself (setWasmPaths): Vite must not pre-bundle it.
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
});
