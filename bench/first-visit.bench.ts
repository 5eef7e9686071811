// `npm run bench:first-visit`: how long a first visit to the demo page waits before it can check an
// image, on a throttled connection, from the production build, the cache off: the moment the element is
// ready, and when each of its large downloads (model, profile, onnxruntime's .wasm) started and ended.
// Two hosts side by side: `vite preview` (which compresses the profile, not the model or the .wasm) and
// a host that gzips every file, as docs/embedding.md advises. A benchmark, not a test.
//
//   BENCH_MBPS=20,100 BENCH_RUNS=2 npm run bench:first-visit
import { mkdirSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { build, preview } from 'vite';
import { compressing } from '../e2e/fixtures/serve.ts';
import { securityHeaders } from '../vite.config.ts';

const PORT = Number(process.env.BENCH_PORT ?? 5188);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const SPEEDS = (process.env.BENCH_MBPS ?? '20,100').split(',').map(Number);
const LARGE = /\.(onnx|hsp|wasm)$/;

await build({ logLevel: 'error' });
const server = await preview({ preview: { port: PORT, strictPort: true }, logLevel: 'error' });
const gzip = await compressing('dist', securityHeaders);
const HOSTS = [['vite preview', `http://localhost:${PORT}`], ['gzip', gzip.url]] as const;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
type Run = { host: string; mbps: number; readyMs: number; files: { file: string; bytes: number; startMs: number; endMs: number }[]; said: string[] };
const runs: Run[] = [];
for (const mbps of SPEEDS) {
  for (let r = 0; r < RUNS; r++) for (const [host, url] of HOSTS) {
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
        if (s) window.sawStatus(s.replace(/\\d+%/, 'N%').replace(/[\\d.]+ [kMG]?B so far/, 'X so far'));
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    }`);
    await page.goto(`${url}/`);
    await page.waitForFunction(() => document.querySelector('histoscan-detector')?.getAttribute('state') === 'ready', null, { timeout: 600_000, polling: 50 });
    runs.push({ host, mbps, readyMs: Date.now() - t0, files: files.sort((a, b) => a.startMs - b.startMs), said });
    await ctx.close();
  }
}
await browser.close();
await new Promise<void>((done) => server.httpServer.close(() => done()));
gzip.stop();

const s = (ms: number) => (ms / 1000).toFixed(1);
const lines = [
  '| host | connection | ready after (s) | downloads: file, MB sent, start–end (s) | what the page said while it waited |',
  '|---|---|---:|---|---|',
  ...runs.map((r) => `| ${r.host} | ${r.mbps} Mbit/s, 40 ms | ${s(r.readyMs)} | ${r.files.map((f) => `${f.file} ${(f.bytes / 1e6).toFixed(1)}, ${s(f.startMs)}–${s(f.endMs)}`).join('; ')} | ${[...new Set(r.said)].join(' → ')} |`),
];
// Side by side: each connection's mean ready time on the gzip host against vite preview's.
const mean = (host: string, mbps: number) => { const r = runs.filter((x) => x.host === host && x.mbps === mbps); return r.reduce((a, x) => a + x.readyMs, 0) / r.length; };
for (const mbps of SPEEDS) lines.push('', `At ${mbps} Mbit/s the gzip host is ready in ${s(mean('gzip', mbps))} s against ${s(mean('vite preview', mbps))} s (× ${(mean('gzip', mbps) / mean('vite preview', mbps)).toFixed(2)}).`);
console.log(lines.join('\n'));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/first-visit.json', JSON.stringify(runs, null, 2));
writeFileSync('bench/results/first-visit.md', `${lines.join('\n')}\n`);
