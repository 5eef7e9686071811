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
  server: { headers: securityHeaders, strictPort: true },
  preview: { headers: securityHeaders, strictPort: true },
  // Pre-bundling onnxruntime-web makes the dev server re-optimise and reload mid-session.
  // Listing the rest up front keeps the dev server from discovering them later and reloading.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['lit', 'lit/directives/repeat.js', 'comlink'] },
  worker: { format: 'es' },
  build:
    mode === 'lib'
      ? {
          outDir: 'dist-lib',
          lib: { entry: 'src/ui/index.ts', formats: ['es'], fileName: 'histoscan' },
          rollupOptions: { external: [] },
        }
      : { outDir: 'dist', target: 'es2022' },
}));
