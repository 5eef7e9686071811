// `npm run bench:browser`: per-image stage times of the real component in headless Chromium
// (Debian's), over 200 images, for WASM with 1 and 2 threads (cross-origin isolated) and WebGPU on
// Chromium's software adapter. A benchmark, not a test: it prints a table and writes JSON.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';

const N = Number(process.env.BENCH_IMAGES ?? 200);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const baseArgs = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const allConfigs = [
  { name: 'WASM, 1 thread', query: 'provider=wasm&threads=1', args: ['--disable-gpu'] },
  { name: 'WASM, 2 threads', query: 'provider=wasm&threads=2', args: ['--disable-gpu'] },
  { name: 'WebGPU (SwiftShader)', query: 'provider=webgpu', args: ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-features=Vulkan'] },
];
// BENCH_CONFIGS=wasm1,wasm2,webgpu picks configurations; BENCH_PORT keeps parallel runs apart.
const keys = ['wasm1', 'wasm2', 'webgpu'];
const pick = process.env.BENCH_CONFIGS?.split(',');
const configs = allConfigs.filter((_, i) => !pick || pick.includes(keys[i]));
const PORT = Number(process.env.BENCH_PORT ?? 5188);

const server = await createServer({ server: { port: PORT, strictPort: true }, logLevel: 'error' });
await server.listen();
// Another model: BENCH_MODEL and BENCH_PROFILE (URL paths under the project root, e.g. the photo
// model's /.cache/photo-model/model.onnx) with BENCH_DIR, the folder its images come from.
const MODEL = process.env.BENCH_MODEL;
const PROFILE = process.env.BENCH_PROFILE;
const DIR = process.env.BENCH_DIR;
if (!MODEL !== !PROFILE || !MODEL !== !DIR) throw new Error('BENCH_MODEL, BENCH_PROFILE and BENCH_DIR go together.');
const model = MODEL ? `&model=${encodeURIComponent(MODEL)}&profile=${encodeURIComponent(PROFILE!)}` : '';
// data/clean holds 1,001 images; larger runs take background images.
const inDir = DIR ? readdirSync(DIR).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => `${DIR}/${f}`) : [];
// Warm-up images are not among the measured ones (the element caches results by file). One by
// default (WebGPU compiles its shaders on the first run); BENCH_WARMUP=200 measures the steady
// state, once V8 has tiered up onnxruntime's WASM and the page's JS (a first batch pays for that).
const WARM = Math.max(1, Number(process.env.BENCH_WARMUP ?? 1));
const warmUp = DIR ? inDir.slice(0, WARM) : Array.from({ length: WARM }, (_, i) => (WARM === 1 ? 'data/clean/00999.png' : `data/background/${String(9999 - i).padStart(5, '0')}.png`));
const files = DIR
  ? inDir.slice(WARM, WARM + N)
  : Array.from({ length: N }, (_, i) => (N <= 1000 ? `data/clean/${String(i).padStart(5, '0')}.png` : `data/background/${String(i).padStart(5, '0')}.png`));
const stages = ['decode', 'preprocess', 'inference', 'pvalues', 'scan', 'render', 'total'] as const;
type Row = { config: string; provider: string; imagesPerSecond: number; renders: number; renderMs: number } & Record<(typeof stages)[number], { median: number; p95: number }>;
const out: Row[] = [];

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

for (const c of configs) {
  const browser = await chromium.launch({ executablePath, args: [...baseArgs, ...c.args] });
  const page = await browser.newPage();
  await page.goto(`http://localhost:${PORT}/e2e/fixtures/embed.html?${c.query}${model}`);
  await page.waitForFunction(() => (window as unknown as { events: { type: string }[] }).events.some((e) => e.type === 'histoscan-ready'), null, { timeout: 120_000 });
  // Warm-up image (WebGPU compiles its shaders on the first run), then the measured batch.
  await page.evaluate(() => {
    const w = window as unknown as { timings: Record<string, number>[]; renders: number; renderMs: number };
    w.timings = [];
    const det = document.querySelector('histoscan-detector') as unknown as HTMLElement & { updateComplete: Promise<unknown>; update: (c: unknown) => void };
    // Main-thread cost of the element's renders: how many, and how long in all (load on other cores barely changes the count).
    w.renders = 0;
    w.renderMs = 0;
    const update = det.update.bind(det);
    det.update = (c: unknown) => {
      const t = performance.now();
      update(c);
      w.renderMs += performance.now() - t;
      w.renders++;
    };
    det.addEventListener('histoscan-result', async (e) => {
      const t = (e as CustomEvent).detail.timings;
      const t0 = performance.now();
      await det.updateComplete;
      await new Promise(requestAnimationFrame);
      w.timings.push({ ...t, render: performance.now() - t0, at: performance.now() });
    });
  });
  await page.locator('histoscan-detector #files').setInputFiles(warmUp);
  await page.waitForFunction((n) => (window as unknown as { timings: unknown[] }).timings.length === n, warmUp.length, { timeout: 600_000 });
  const start = await page.evaluate(() => {
    const w = window as unknown as { renders: number; renderMs: number };
    w.renders = 0;
    w.renderMs = 0;
    return performance.now();
  });
  await page.locator('histoscan-detector #files').setInputFiles(files);
  await page.waitForFunction((n) => (window as unknown as { timings: unknown[] }).timings.length === n, warmUp.length + files.length, { timeout: 600_000 });
  const timings = (await page.evaluate(() => (window as unknown as { timings: Record<string, number>[] }).timings)).slice(warmUp.length);
  const provider = await page.evaluate(() => (window as unknown as { events: { type: string; provider: string }[] }).events.find((e) => e.type === 'histoscan-ready')!.provider);
  const wall = (Math.max(...timings.map((t) => t.at)) - start) / 1000;
  const renders = await page.evaluate(() => {
    const w = window as unknown as { renders: number; renderMs: number };
    return { renders: w.renders, renderMs: w.renderMs };
  });
  const row = { config: c.name, provider, imagesPerSecond: files.length / wall, ...renders } as Row;
  for (const s of stages) {
    const xs = timings.map((t) => (s === 'total' ? t.decode + t.preprocess + t.inference + t.pvalues + t.scan + t.render : t[s]));
    row[s] = { median: q(xs, 0.5), p95: q(xs, 0.95) };
  }
  out.push(row);
  await browser.close();
}
await server.close();

const f = (v: { median: number; p95: number }) => `${v.median.toFixed(2)} / ${v.p95.toFixed(2)}`;
const lines = [
  `| configuration (provider used) | ${stages.join(' | ')} | images/s | p-values + scan vs inference | element renders (main-thread ms) |`,
  `|---|${stages.map(() => '---:').join('|')}|---:|---:|---:|`,
  ...out.map((r) => `| ${r.config} (${r.provider}) | ${stages.map((s) => f(r[s])).join(' | ')} | ${r.imagesPerSecond.toFixed(1)} | ${((100 * (r.pvalues.median + r.scan.median)) / r.inference.median).toFixed(0)}% | ${r.renders} (${r.renderMs.toFixed(0)}) |`),
];
const what = MODEL ? `${DIR}, ${MODEL} with ${PROFILE}` : 'Fashion-MNIST clean set, default profile';
console.log(`\nper-image milliseconds, median / p95, over ${files.length} images (${what})\n`);
console.log(lines.join('\n'));
mkdirSync('bench/results', { recursive: true });
const name = MODEL ? 'browser-' + MODEL.split('/').slice(-2, -1)[0] : 'browser';
writeFileSync(`bench/results/${name}.json`, JSON.stringify({ date: new Date().toISOString(), images: files.length, model: MODEL ?? '/models/fashion-cnn.onnx', profile: PROFILE ?? '/profiles/fashion-cnn.hsp', rows: out }, null, 2));
writeFileSync(`bench/results/${name}.md`, `${files.length} images: ${what}\n\n${lines.join('\n')}\n`);
