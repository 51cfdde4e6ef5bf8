import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  // The processor's two module workers import chunks of their own: Vite's default worker format (iife) cannot split them.
  worker: { format: 'es' },
  build: { target: 'es2022' },
  // tfjs-backend-wasm locates its binaries itself (wasmPaths): Vite must not pre-bundle it.
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
});
