import { defineConfig } from 'vite';

// Cross-origin isolation lets onnxruntime-web use WASM threads; the CSP keeps every byte on this origin.
export const securityHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "img-src 'self' blob: data:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'self'",
  ].join('; '),
};

export default defineConfig(({ mode }) => ({
  publicDir: mode === 'lib' ? false : 'public',
  // Library assets (worker, .wasm) resolve next to histoscan.js wherever it is hosted.
  base: mode === 'lib' ? './' : '/',
  server: { headers: securityHeaders, strictPort: true },
  preview: { headers: securityHeaders, strictPort: true },
  // Pre-bundling onnxruntime-web makes the dev server re-optimise and reload mid-session.
  // Listing the rest up front keeps the dev server from discovering them later and reloading.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['lit', 'lit/directives/repeat.js', 'comlink'] },
  worker: { format: 'es' },
  build:
    mode === 'lib'
      ? {
          // The component as one ES module (+ its worker and onnxruntime's .wasm as files). Vite's
          // lib mode would inline the 28 MB .wasm into the worker as base64, so this is a plain
          // build of the library entry that keeps its exports.
          outDir: 'dist-lib',
          target: 'es2022',
          rollupOptions: {
            input: { histoscan: 'src/ui/index.ts' },
            preserveEntrySignatures: 'strict' as const,
            output: { entryFileNames: '[name].js', format: 'es' as const },
          },
        }
      : { outDir: 'dist', target: 'es2022' },
}));
