// `npm run bench:first-visit`: how long a first visit to the demo page waits before it can check an
// image, on a throttled connection, from the production build (`vite build`, served by `vite preview`
// with the page's headers), the cache off: the moment the element is ready, and when each of its large
// downloads (model, profile, onnxruntime's .wasm) started and ended. A benchmark, not a test.
//
//   BENCH_MBPS=20,100 BENCH_RUNS=2 npm run bench:first-visit
import { mkdirSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { build, preview } from 'vite';

const PORT = Number(process.env.BENCH_PORT ?? 5188);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const SPEEDS = (process.env.BENCH_MBPS ?? '20,100').split(',').map(Number);
const LARGE = /\.(onnx|hsp|wasm)$/;

await build({ logLevel: 'error' });
const server = await preview({ preview: { port: PORT, strictPort: true }, logLevel: 'error' });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
type Run = { mbps: number; readyMs: number; files: { file: string; bytes: number; startMs: number; endMs: number }[]; said: string[] };
const runs: Run[] = [];
for (const mbps of SPEEDS) {
  for (let r = 0; r < RUNS; r++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40, downloadThroughput: (mbps * 1e6) / 8, uploadThroughput: (mbps * 1e6) / 8 });
    const t0 = Date.now();
    const files: Run['files'] = [];
    // The context's events see the worker's requests too (the page's CDP session does not).
    ctx.on('requestfinished', async (q) => {
      if (!LARGE.test(new URL(q.url()).pathname)) return;
      const timing = q.timing();
      const sizes = await q.sizes().catch(() => ({ responseBodySize: 0 }));
      files.push({ file: new URL(q.url()).pathname.split('/').pop()!, bytes: sizes.responseBodySize, startMs: timing.startTime - t0, endMs: Date.now() - t0 });
    });
    const said: string[] = [];
    await page.exposeFunction('sawStatus', (t: string) => said.at(-1) !== t && said.push(t));
    // As text: tsx's transform would wrap a function's inner names in a helper the page does not have.
    await page.addInitScript(`{
      const look = () => {
        const el = document.querySelector('histoscan-detector');
        if (el?.getAttribute('state') === 'ready') return;
        const s = el?.shadowRoot?.querySelector('[part=status]')?.textContent?.trim();
        if (s) window.sawStatus(s.replace(/\\d+%/, 'N%'));
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    }`);
    await page.goto(`http://localhost:${PORT}/`);
    await page.waitForFunction(() => document.querySelector('histoscan-detector')?.getAttribute('state') === 'ready', null, { timeout: 600_000, polling: 50 });
    runs.push({ mbps, readyMs: Date.now() - t0, files: files.sort((a, b) => a.startMs - b.startMs), said });
    await ctx.close();
  }
}
await browser.close();
await new Promise<void>((done) => server.httpServer.close(() => done()));

const s = (ms: number) => (ms / 1000).toFixed(1);
const lines = [
  '| connection | ready after (s) | downloads: file, MB, start–end (s) | what the page said while it waited |',
  '|---|---:|---|---|',
  ...runs.map((r) => `| ${r.mbps} Mbit/s, 40 ms | ${s(r.readyMs)} | ${r.files.map((f) => `${f.file} ${(f.bytes / 1e6).toFixed(1)}, ${s(f.startMs)}–${s(f.endMs)}`).join('; ')} | ${[...new Set(r.said)].join(' → ')} |`),
];
console.log(lines.join('\n'));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/first-visit.json', JSON.stringify(runs, null, 2));
writeFileSync('bench/results/first-visit.md', `${lines.join('\n')}\n`);
