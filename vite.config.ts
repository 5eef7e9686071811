import { fileURLToPath } from 'node:url';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

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

// The package's unbundled build (mode 'esm') leaves these to the installer, so a page that already
// uses Lit loads it once and onnxruntime-web's .wasm is emitted by the installer's own bundler.
const packageDeps = [/^lit($|\/)/, /^@lit\//, /^comlink$/, /^onnxruntime-web($|\/)/, /^onnx-buf($|\/)/, /^@bufbuild\/protobuf($|\/)/, /^fast-png$/];

/**
 * The production build (`npm run build`) carries its CSP in the page itself, since a static host
 * sends no headers unless told to: a `<meta http-equiv>` first in <head>. COOP/COEP cannot be meta
 * tags and a meta CSP does not reach the worker, so `_headers` (the format of Netlify and
 * Cloudflare Pages; README has nginx/Apache lines) carries all three for hosts that read it.
 */
const productionHeaders: Plugin = {
  name: 'histoscan:production-headers',
  apply: 'build',
  transformIndexHtml: {
    order: 'pre',
    handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: securityHeaders['Content-Security-Policy'] }, injectTo: 'head-prepend' }],
  },
  generateBundle() {
    const lines = Object.entries(securityHeaders).map(([k, v]) => `  ${k}: ${v}`);
    this.emitFile({ type: 'asset', fileName: '_headers', source: `/*\n${lines.join('\n')}\n` });
  },
};

/**
 * Models built on this machine for the demo (public/models/extra: the photo model, whose weights' upstream states
 * no licence) are served by the dev server but left out of a build that may be published; a host that may
 * publish them copies the folder in itself.
 */
const leaveOutLocalModels = (): Plugin => {
  let outDir = 'dist';
  return {
    name: 'histoscan:leave-out-local-models',
    apply: 'build',
    configResolved: (c) => void (outDir = resolve(c.root, c.build.outDir)),
    closeBundle() {
      const extra = join(outDir, 'models', 'extra');
      if (!existsSync(extra)) return;
      rmSync(extra, { recursive: true, force: true });
      this.warn(`left out ${extra}: models built on this machine (public/models/extra) are not published with the demo; copy them in yourself where their licence allows`);
    },
  };
};

/**
 * In the unbundled build the worker must stay a plain `new Worker(new URL('../worker/worker.js',
 * import.meta.url), { type: 'module' })`: that is the pattern the installer's bundler recognises
 * to bundle the worker with the installer's own onnxruntime-web. Vite would otherwise rewrite it to
 * a URL of its own worker bundle that it hides from other bundlers (`@vite-ignore`).
 */
const WORKER_MARK = 'globalThis.__histoscanWorkerUrl__';
const keepWorkerUrl: Plugin = {
  name: 'histoscan:keep-worker-url',
  enforce: 'pre',
  transform(code, id) {
    if (!id.endsWith('/src/ui/client.ts')) return null;
    const re = /new URL\(\s*'\.\.\/worker\/worker\.ts'\s*,\s*import\.meta\.url\s*\)/;
    if (!re.test(code)) this.error('src/ui/client.ts no longer creates its worker with new URL(\'../worker/worker.ts\', import.meta.url)');
    return code.replace(re, WORKER_MARK);
  },
  renderChunk(code) {
    return code.includes(WORKER_MARK) ? code.replace(WORKER_MARK, `new URL('../worker/worker.js', import.meta.url)`) : null;
  },
};

/**
 * Vite wraps each dynamic import in its preload helper even with `modulePreload: false`; in the worker (no
 * `window`) the helper's error path turned a TIFF decoder that failed to load into "window is not defined", and
 * its `import.meta.resolve` made webpack warn. The unbundled build has nothing to preload: plain `import()`.
 */
const plainDynamicImports: Plugin = {
  name: 'histoscan:plain-dynamic-imports',
  generateBundle: {
    order: 'post', // after vite's own pass has filled in the preload lists
    handler(_, bundle) {
      for (const [name, chunk] of Object.entries(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.code.includes('__vitePreload')) continue;
        if (name.includes('preload-helper')) {
          delete bundle[name]; // the helper itself, imported by nothing once unwrapped
          continue;
        }
        chunk.code = chunk.code
          .replace(/import \{ __vitePreload \} from "[^"]+";\n/, '')
          // Its first argument is the importing function, whatever its body: called as it is.
          .replace(/__vitePreload\(([\s\S]*?), \[\], import\.meta\.url\)/g, '($1)()');
        if (chunk.code.includes('__vitePreload')) this.error(`${chunk.fileName}: a preload wrapper this plugin does not know how to unwrap`);
      }
    },
  },
};

/** src/defaults.ts reads the version from package.json: browsers get that field, not the scripts and devDependencies. */
const versionOnly: Plugin = {
  name: 'histoscan:version-only',
  enforce: 'pre',
  transform(code, id) {
    if (id.split('?')[0] !== fileURLToPath(new URL('./package.json', import.meta.url))) return null;
    return JSON.stringify({ version: (JSON.parse(code) as { version: string }).version });
  },
};

export default defineConfig(({ mode }) => ({
  plugins: [versionOnly, ...(mode === 'esm' ? [keepWorkerUrl, plainDynamicImports] : mode === 'lib' ? [] : [productionHeaders, leaveOutLocalModels()])],
  publicDir: mode === 'lib' || mode === 'esm' ? false : 'public',
  // Assets (worker, .wasm, the demo's model and samples) resolve next to the page or histoscan.js wherever it is
  // hosted: at a site's root or under a subpath (user.github.io/histoscan/).
  base: './',
  server: { headers: securityHeaders, strictPort: true },
  preview: { headers: securityHeaders, strictPort: true },
  // Pre-bundling onnxruntime-web makes the dev server re-optimise and reload mid-session.
  // Listing the rest up front keeps the dev server from discovering them later and reloading, which
  // wipes the page mid-test (seen with utif2, imported with the first TIFF a worker decodes).
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['lit', 'lit/directives/repeat.js', 'comlink', 'fast-png', 'utif2', '@bufbuild/protobuf', 'onnx-buf'] },
  worker: { format: 'es', plugins: () => [versionOnly] },
  build:
    mode === 'esm'
      ? {
          // One file per source module, dependencies as bare imports; the worker is its own file
          // (still found by the installer's bundler through `new Worker(new URL(…))`).
          outDir: 'dist-esm',
          target: 'es2022',
          minify: false,
          copyPublicDir: false,
          // Vite's preload helper wraps dynamic imports in code that reads `document`, which the
          // worker has not (its first TIFF failed with "document is not defined" in installers' apps).
          modulePreload: false,
          rolldownOptions: {
            input: { 'ui/index': 'src/ui/index.ts', 'core/index': 'src/core/index.ts', 'worker/worker': 'src/worker/worker.ts' },
            external: packageDeps,
            preserveEntrySignatures: 'strict' as const,
            output: { format: 'es' as const, preserveModules: true, preserveModulesRoot: 'src', entryFileNames: '[name].js' },
          },
        }
      : mode === 'lib'
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
