import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The example runs the package as built (dist), as an app that installed it would.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { alias: { '@sinet/track-processor': fileURLToPath(new URL('../dist/index.js', import.meta.url)) } },
  worker: { format: 'es' },
  build: { target: 'es2022', assetsInlineLimit: 0, chunkSizeWarningLimit: 2500, emptyOutDir: true },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  logLevel: 'warn',
});
