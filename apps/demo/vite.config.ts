import { defineConfig, type Plugin } from 'vite';

/**
 * The page's Content-Security-Policy: scripts, wasm, models and fetches from this origin only
 * ('wasm-unsafe-eval' lets WebAssembly compile), camera streams and blobs local. Added to the
 * build only: the dev server needs inline styles and a websocket.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' blob: data:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'sinet-demo-csp',
    apply: 'build',
    transformIndexHtml: (html) => html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`),
  };
}

export default defineConfig({
  // Relative asset paths: the build works from any sub-path of any static host.
  base: './',
  plugins: [contentSecurityPolicy()],
  // The camera processor's workers are ES modules.
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    target: 'es2022',
    // The wasm binaries and model weights stay files of their own.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2500,
  },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  preview: { port: 4173, strictPort: true },
});
