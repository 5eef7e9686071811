// The npm package as a user gets it: `npm pack` (prepack builds it), installed offline into an empty
// project, then used as installers do: the core and the Node API imported in Node with types checked by tsc,
// `npx histoscan`, and the element in a bare page built by the installer's vite, esbuild or webpack.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { writeConsumerProject } from './fixtures/consumer-project.ts';
import { dev, preview, type Served } from './fixtures/serve.ts';

const repo = resolve('.');
const IMAGE = resolve('data/pgd-0.1/00002.png');
const TIFF = resolve('e2e/fixtures/formats/clean.tif');
let work = '';
let served: Served | undefined;

const run = (cmd: string, args: string[], cwd = work) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** Output of a command that must fail (throws if it succeeds). */
function failing(cmd: string, args: string[]): string {
  try {
    run(cmd, args);
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}`;
  }
  throw new Error(`${cmd} ${args.join(' ')} succeeded`);
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(600_000);
  work = mkdtempSync(join(tmpdir(), 'histoscan-consumer-'));
  run('npm', ['pack', '--pack-destination', work, '--no-audit', '--no-fund'], repo);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  writeConsumerProject(work, tarball, ['vite', 'webpack', 'webpack-cli', 'typescript', '@types/node', '@types/react'], repo);
  // Offline: only the tarball and what `npm ci` of this repository left in npm's cache.
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund']);

  mkdirSync(join(work, 'public'));
  cpSync(join(work, 'node_modules/histoscan/public/models'), join(work, 'public/models'), { recursive: true });
  cpSync(join(work, 'node_modules/histoscan/public/profiles'), join(work, 'public/profiles'), { recursive: true });
  writeFileSync(
    join(work, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>consumer</title></head>
<body><histoscan-detector id="det" fpr="0.05"></histoscan-detector><script type="module" src="./main.js"></script></body></html>`,
  );
  writeFileSync(
    join(work, 'main.js'),
    `import 'histoscan';
window.events = [];
const det = document.getElementById('det');
for (const type of ['histoscan-ready', 'histoscan-result', 'histoscan-error']) {
  det.addEventListener(type, (e) => window.events.push({ type, file: e.detail?.file ?? null, score: e.detail?.score ?? null, error: e.detail?.error ?? null }));
}
det.profile = '/profiles/fashion-cnn.hsp';
det.model = '/models/fashion-cnn.onnx';
`,
  );
  // What the README asks of an installer's vite config: module workers (the worker loads code on demand).
  writeFileSync(join(work, 'vite.config.js'), `export default { worker: { format: 'es' }, optimizeDeps: { exclude: ['onnxruntime-web', 'histoscan'] } };\n`);
  run(process.execPath, ['node_modules/vite/bin/vite.js', 'build']);
  served = await preview(work, Number(process.env.E2E_PORT || 5174) + 1);
});

test.afterAll(() => served?.stop());

test('the tarball holds the builds and no data, tests or sources', () => {
  const files = run('tar', ['-tzf', readdirSync(work).find((f) => f.endsWith('.tgz'))!]).split('\n').filter(Boolean);
  expect(files).toContain('package/dist-esm/ui/index.js');
  expect(files).toContain('package/dist-esm/ui/index.d.ts');
  expect(files).toContain('package/dist-cli/cli/main.js');
  expect(files).toContain('package/dist-cli/node.d.ts');
  expect(files).toContain('package/dist-lib/histoscan.js');
  expect(files).toContain('package/custom-elements.json');
  expect(files).toContain('package/types/react.d.ts');
  // README's links to the guides resolve in node_modules/histoscan too.
  for (const guide of ['embedding', 'cli', 'method', 'evaluation', 'decisions']) expect(files).toContain(`package/docs/${guide}.md`);
  expect(files.filter((f) => /^package\/(data|tests|e2e|src|tools|eval|bench)\//.test(f))).toEqual([]);
  // Lit, comlink and onnxruntime-web are the installer's to resolve in the unbundled build.
  const element = readFileSync(join(work, 'node_modules/histoscan/dist-esm/ui/histoscan-detector.js'), 'utf8');
  expect(element).toMatch(/from "lit"/);
  expect(readFileSync(join(work, 'node_modules/histoscan/dist-esm/worker/worker.js'), 'utf8')).toMatch(/from "comlink"/);
  // Dynamic imports are plain: Vite's preload helper read `window` in the worker, so a decoder that failed to load said "window is not defined".
  expect(files.filter((f) => f.includes('preload-helper'))).toEqual([]);
  expect(readFileSync(join(work, 'node_modules/histoscan/dist-esm/worker/decode.js'), 'utf8')).toMatch(/await import\("\.\.\/model\/decode-tiff\.js"\)/);
  // histoscan/bundle is the prebuilt file for a <script> only: Node (server-side rendering) gets the modules, which import there.
  const resolved = run(process.execPath, ['--input-type=module', '-e', "await import('histoscan/bundle'); console.log(import.meta.resolve('histoscan/bundle'))"]).trim();
  expect(resolved).toMatch(/node_modules\/histoscan\/dist-esm\/ui\/index\.js$/);
  const manifest = JSON.parse(readFileSync(join(work, 'node_modules/histoscan/custom-elements.json'), 'utf8'));
  const decl = manifest.modules.flatMap((m: { declarations?: { tagName?: string }[] }) => m.declarations ?? []).find((d: { tagName?: string }) => d.tagName === 'histoscan-detector');
  expect(decl.attributes.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['model', 'profile', 'fpr']));
  // Typed as the d.ts types them, events with their detail; the element's controllers are not API.
  expect(decl.attributes.find((a: { name: string }) => a.name === 'fpr').type.text).toBe('number');
  expect(decl.events.find((e: { name: string }) => e.name === 'histoscan-result').type.text).toBe('CustomEvent<ImageResult>');
  expect(decl.members.map((m: { name: string }) => m.name)).not.toContain('client');
  // The reflected state is an attribute and a read-only property, with no field behind it for wrapper generators.
  expect(decl.attributes.find((a: { name: string }) => a.name === 'state')).toMatchObject({ type: { text: 'DetectorState' } });
  expect(decl.attributes.find((a: { name: string }) => a.name === 'state').fieldName).toBeUndefined();
  expect(decl.members.map((m: { name: string }) => m.name)).not.toContain('current');
  const map = manifest.modules.flatMap((m: { declarations?: { tagName?: string }[] }) => m.declarations ?? []).find((d: { tagName?: string }) => d.tagName === 'hs-pvalue-map');
  expect(map.attributes.map((a: { name: string }) => a.name)).toContain('n-max');
  expect(map.events.map((e: { name: string }) => e.name)).toEqual(['node-select']);
});

test('import in Node: the core API runs and its types resolve under tsc', () => {
  writeFileSync(
    join(work, 'check.ts'),
    `import { readFileSync } from 'node:fs';
import type { ImageResult, InitInfo } from 'histoscan';
import { calibrationNeeded, decodeProfile, verdictOf } from 'histoscan/core';
// The events are typed where a page listens for them as they bubble, and the ready detail has a name of its own.
export const listen = () => document.addEventListener('histoscan-ready', (e) => { const info: InitInfo = e.detail; return info.provider; });
export const listenAll = () => window.addEventListener('histoscan-result', (e) => e.detail.q);
const profile = decodeProfile(new Uint8Array(readFileSync('node_modules/histoscan/public/profiles/fashion-cnn.hsp')));
const verdict: ImageResult['verdict'] = verdictOf(0.001, 0.05, profile.header.calibration?.count ?? 0).state;
console.log(JSON.stringify({ nodes: profile.header.nodes, need: calibrationNeeded(0.05), verdict }));
`,
  );
  const tsconfig = { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], strict: true, types: ['node'], outDir: 'out', skipLibCheck: false } };
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['check.ts'] }));
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
  expect(JSON.parse(run(process.execPath, ['out/check.js']))).toEqual({ nodes: 18944, need: 19, verdict: 'unusual' });

  // The types are real, not `any`: a wrong use fails to compile.
  // The element's state is its own to set.
  writeFileSync(
    join(work, 'wrong.ts'),
    `import { verdictOf } from 'histoscan/core';\nimport type { HistoscanDetector } from 'histoscan';\nconst n: number = verdictOf(0.5, 0.05, 100);\nconsole.log(n);\nexport const set = (el: HistoscanDetector) => { el.state = 'ready'; };\n`,
  );
  writeFileSync(join(work, 'tsconfig.wrong.json'), JSON.stringify({ ...tsconfig, files: ['wrong.ts'] }));
  const wrong = failing(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.wrong.json']);
  expect(wrong).toMatch(/wrong\.ts.*not assignable to type 'number'/);
  expect(wrong).toMatch(/wrong\.ts.*Cannot assign to 'state' because it is a read-only property/);
});

test("React's JSX knows the element with histoscan/react: its settings and events typed, a wrong one refused", () => {
  const tsx = (body: string) => `import type {} from 'histoscan/react';\nexport const App = () => ${body};\n`;
  writeFileSync(
    join(work, 'app.tsx'),
    tsx(`<histoscan-detector model="/models/m.onnx" profile="/profiles/m.hsp" fpr={0.01} onhistoscan-result={(e) => e.detail.q.toFixed(3)} onhistoscan-batch-done={(e) => e.detail.unusual} onhistoscan-relabel={(e) => e.detail.summary.unusual} />`),
  );
  writeFileSync(join(work, 'wrong.tsx'), tsx(`<histoscan-detector fpr="high" onhistoscan-result={(e) => e.detail.nope} />`));
  const tsconfig = (file: string) => ({ compilerOptions: { module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom', 'dom.iterable'], jsx: 'react-jsx', strict: true, noEmit: true, types: [], skipLibCheck: false }, files: [file] });
  writeFileSync(join(work, 'tsconfig.jsx.json'), JSON.stringify(tsconfig('app.tsx')));
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.jsx.json']);
  writeFileSync(join(work, 'tsconfig.jsx-wrong.json'), JSON.stringify(tsconfig('wrong.tsx')));
  const wrong = failing(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.jsx-wrong.json']);
  expect(wrong).toMatch(/wrong\.tsx.*'string' is not assignable to type 'number'/);
  expect(wrong).toMatch(/wrong\.tsx.*Property 'nope' does not exist on type 'ImageResult'/);
});

test('the Node API (histoscan/node) checks an image as the CLI does, with types checked by tsc', () => {
  writeFileSync(
    join(work, 'check-node.ts'),
    `import { readFileSync } from 'node:fs';
import { HistoscanError as CoreError } from 'histoscan/core';
import { decodeImage, decodeProfile, Detector, UsageError, type ErrorCode, type ImageResult, type NodeRef, type ProfileHeader, type Progress, type Provider } from 'histoscan/node';
import type { LayerLayout, ProfileHeader as CoreHeader } from 'histoscan/core';
// Every type the API's signatures use can be named from the entry point that has them, without the DOM's types.
const layers = (h: ProfileHeader | CoreHeader): LayerLayout[] => h.layers;
const where = (n: NodeRef): string => n.layer;
export const onProgress = (p: Progress): number => p.done;
export const codeOf = (c: ErrorCode, p: Provider): string => c + p;
const d = await Detector.create({ model: new Uint8Array(readFileSync('public/models/fashion-cnn.onnx')), profile: decodeProfile(new Uint8Array(readFileSync('public/profiles/fashion-cnn.hsp'))) });
const r: ImageResult = await d.check(await decodeImage(new Uint8Array(readFileSync(process.argv[2])), 'x.png'), 'x.png');
if (!layers(d.profile!.header).length || !r.topNodes.every((n) => where(n))) throw new Error('no layers');
// What the Node API throws is an instance of histoscan/core's classes too (each entry point has its own copy).
const thrown = await d.check({ width: 0, height: 0, data: new Uint8Array(0) }, 'empty').catch((e: unknown) => e);
d.release();
console.log(JSON.stringify({ verdict: r.verdict, score: r.score, core: thrown instanceof CoreError, node: thrown instanceof UsageError }));
`,
  );
  const tsconfig = { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], strict: true, types: ['node'], outDir: 'out', skipLibCheck: false } };
  writeFileSync(join(work, 'tsconfig.node.json'), JSON.stringify({ ...tsconfig, files: ['check-node.ts'] }));
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.node.json']);
  const api = JSON.parse(run(process.execPath, ['out/check-node.js', IMAGE]));
  const cli = JSON.parse(run('npx', ['--offline', 'histoscan', 'score', '--model', 'public/models/fashion-cnn.onnx', '--profile', 'public/profiles/fashion-cnn.hsp', '--json', IMAGE])).results[0];
  expect(api.verdict).toBe(cli.verdict);
  expect([api.core, api.node]).toEqual([true, true]);
  expect(Math.abs(api.score - cli.score)).toBeLessThan(1e-6 * Math.max(1, Math.abs(cli.score)));
});

test('npx histoscan runs the compiled CLI', () => {
  expect(run('npx', ['--offline', 'histoscan', '--version']).trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  const out = JSON.parse(run('npx', ['--offline', 'histoscan', 'score', '--model', 'public/models/fashion-cnn.onnx', '--profile', 'public/profiles/fashion-cnn.hsp', '--json', IMAGE]));
  expect(out.results[0]).toMatchObject({ file: IMAGE, verdict: expect.stringMatching(/^(unusual|typical)$/) });
  // No TypeScript at run time: the installed package has no sources and no tsx.
  expect(failing(process.execPath, ['-e', "await import('tsx')"])).toMatch(/Cannot find (package|module) 'tsx'/);
  // The CLI is a command, not a module: importing it would run it and end the importer's process.
  expect(failing(process.execPath, ['-e', "await import('histoscan/cli')"])).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
});

test('the element, installed and bundled by the installer, checks an image in a bare page', async ({ page }) => {
  await page.goto(`${served!.url}/`);
  const events = () => page.evaluate(() => (window as unknown as { events: { type: string; file: string | null; score: number | null }[] }).events);
  await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 60_000 }).toContain('histoscan-ready');
  await page.locator('histoscan-detector #files').setInputFiles([IMAGE]);
  await expect.poll(async () => (await events()).map((e) => e.type)).toContain('histoscan-result');
  const browser = (await events()).find((e) => e.type === 'histoscan-result')!.score!;
  const cli = JSON.parse(run('npx', ['--offline', 'histoscan', 'score', '--model', 'public/models/fashion-cnn.onnx', '--profile', 'public/profiles/fashion-cnn.hsp', '--json', IMAGE])).results[0].score;
  expect(Math.abs(browser - cli)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cli)));
  // A TIFF's decoder is loaded by a dynamic import inside the worker, which has no document.
  await page.locator('histoscan-detector #files').setInputFiles([TIFF]);
  await expect.poll(async () => (await events()).filter((e) => e.type === 'histoscan-result' || e.type === 'histoscan-error').length).toBe(2);
  expect((await events()).at(-1)).toMatchObject({ type: 'histoscan-result', file: 'clean.tif' });
});

/** The page a bundler built into `dir` (of the consumer project), served: the element gets ready and checks a PNG and a TIFF, with no error. */
async function checksPngAndTiff(page: Page, dir: string): Promise<void> {
  const server = await preview(work, Number(process.env.E2E_PORT || 5174) + 3, dir);
  try {
    await page.goto(`${server.url}/`);
    const events = () => page.evaluate(() => (window as unknown as { events: { type: string; file: string | null; error: string | null }[] }).events);
    await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 60_000 }).toContain('histoscan-ready');
    await page.locator('histoscan-detector #files').setInputFiles([IMAGE, TIFF]);
    await expect.poll(async () => (await events()).filter((e) => e.type === 'histoscan-result').map((e) => e.file).sort()).toEqual(['00002.png', 'clean.tif']);
    expect((await events()).filter((e) => e.type === 'histoscan-error')).toEqual([]);
  } finally {
    server.stop();
  }
}

test('bundled by esbuild as docs/embedding.md says (the worker as its own entry, onnxruntime\'s .wasm beside it), the element checks an image', async ({ page }) => {
  // esbuild and Rollup leave `new Worker(new URL(…))` to the page: docs/embedding.md's steps build and place what it names.
  const out = join(work, 'esb');
  const esbuild = join(repo, 'node_modules/.bin/esbuild');
  run(esbuild, ['main.js', '--bundle', '--format=esm', '--outdir=esb/app']);
  run(esbuild, ['histoscan/worker', '--bundle', '--format=esm', '--outfile=esb/worker/worker.js']);
  cpSync(join(work, 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm'), join(out, 'worker/ort-wasm-simd-threaded.jsep.wasm'));
  cpSync(join(work, 'public'), out, { recursive: true });
  writeFileSync(join(out, 'index.html'), readFileSync(join(work, 'index.html'), 'utf8').replace('./main.js', './app/main.js'));
  await checksPngAndTiff(page, 'esb');
});

test('bundled by webpack 5 with no configuration, as README says, the element checks an image', async ({ page }) => {
  // webpack builds `new Worker(new URL(…))` into a worker file of its own and emits onnxruntime's .wasm under a hashed name.
  const out = join(work, 'wp');
  run(process.execPath, ['node_modules/webpack-cli/bin/cli.js', '--mode', 'production', '--entry', './main.js', '--output-path', out]);
  expect(readdirSync(out).filter((f) => f.endsWith('.wasm'))).toHaveLength(1);
  cpSync(join(work, 'public'), out, { recursive: true });
  writeFileSync(join(out, 'index.html'), readFileSync(join(work, 'index.html'), 'utf8'));
  await checksPngAndTiff(page, 'wp');
});

test("the element in the installer's vite dev server, where the optional native runtime did not install", async ({ page }) => {
  // npm leaves out an optional dependency whose install fails (onnxruntime-node fetches its binaries):
  // the dev server resolves every import a module names literally, and must not meet that one.
  rmSync(join(work, 'node_modules/onnxruntime-node'), { recursive: true, force: true });
  const server = await dev(work, Number(process.env.E2E_PORT || 5174) + 2);
  try {
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.goto(`${server.url}/`);
    const events = () => page.evaluate(() => (window as unknown as { events: { type: string; error: string | null }[] }).events);
    await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 120_000 }).toContain('histoscan-ready');
    await page.locator('histoscan-detector #files').setInputFiles([IMAGE]);
    await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 60_000 }).toContain('histoscan-result');
    expect(errors.filter((e) => /onnxruntime-node|Failed to resolve/.test(e))).toEqual([]);
  } finally {
    server.stop();
  }
});
