// The production build (`npm run build`), served by `vite preview` on a port of its own: the page
// carries its CSP in a meta tag (a static host may send no headers), the privacy check holds there
// too, and the policy really blocks other origins.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { expectStrictCsp, nothingLeaves } from './fixtures/privacy.ts';
import { compressing, preview, type Served } from './fixtures/serve.ts';
import { watchStatus } from './helpers.ts';
import { securityHeaders } from '../vite.config.ts';

let served: Served | undefined;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  served = await preview('.', Number(process.env.E2E_PORT || 5174) + 2);
});

test.afterAll(() => served?.stop());

test('the build carries the CSP in index.html and all three headers in _headers', () => {
  const html = readFileSync('dist/index.html', 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  expect(meta).not.toBeNull();
  // Before anything the policy must cover.
  expect(html.indexOf('http-equiv="Content-Security-Policy"')).toBeLessThan(Math.min(html.indexOf('<script'), html.indexOf('<style'), html.indexOf('<link')));
  const policy = meta![1].replaceAll('&#39;', "'");
  expectStrictCsp(policy);
  expect(policy).toBe(securityHeaders['Content-Security-Policy']);
  const headers = readFileSync('dist/_headers', 'utf8');
  expect(headers).toMatch(/^\/\*$/m);
  expect(headers).toContain('Cross-Origin-Opener-Policy: same-origin');
  expect(headers).toContain('Cross-Origin-Embedder-Policy: require-corp');
  expect(headers).toContain(`Content-Security-Policy: ${securityHeaders['Content-Security-Policy']}`);
});

test('nothing leaves the device from the production build, with the CSP from the meta tag alone', async ({ page }) => {
  test.setTimeout(300_000);
  // Drop the CSP header from the page itself so that only the meta tag can enforce it.
  await page.route(
    (url) => url.pathname === '/' || url.pathname === '/index.html',
    async (route) => {
      const res = await route.fetch();
      const headers = { ...res.headers() };
      delete headers['content-security-policy'];
      await route.fulfill({ response: res, headers });
    },
  );
  await nothingLeaves(page, served!.url);
  // Another origin (this machine under another name, nothing leaves it): the policy refuses it
  // before any request is made.
  const other = served!.url.replace('localhost', '127.0.0.1');
  const outcome = await page.evaluate(async (u) => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    const fetched = await fetch(`${u}/models/fashion-cnn.json`).then(
      () => 'fetched',
      () => 'refused',
    );
    const img = await new Promise<string>((resolve) => {
      const i = new Image();
      i.onload = () => resolve('loaded');
      i.onerror = () => resolve('refused');
      i.src = `${u}/samples/clean-00000.png`;
    });
    // Violation reports are dispatched as tasks after the refusals: wait for them, not for a time.
    for (let i = 0; i < 100 && violations.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    return { fetched, img, violations };
  }, other);
  expect(outcome.fetched).toBe('refused');
  expect(outcome.img).toBe('refused');
  expect(outcome.violations).toEqual(expect.arrayContaining([expect.stringMatching(/^connect-src /), expect.stringMatching(/^img-src /)]));
});

test('the build works under a subpath, as a project page is hosted, and says so where its script does not load', async ({ page }) => {
  test.setTimeout(300_000);
  const sub = await preview('.', Number(process.env.E2E_PORT || 5174) + 3, 'dist', undefined, '/histoscan/');
  try {
    const missing: string[] = [];
    page.on('response', (r) => r.status() >= 400 && missing.push(r.url()));
    await page.goto(`${sub.url}/`);
    await expect(page.locator('histoscan-detector')).toHaveAttribute('state', 'ready', { timeout: 120_000 });
    await page.locator('histoscan-detector .gallery button').first().click();
    await expect(page.locator('histoscan-detector tr.row[data-state="done"]')).toHaveCount(1, { timeout: 120_000 });
    expect(missing).toEqual([]);
  } finally {
    sub.stop();
  }
  // Opened from disk, the module script is refused: the element's own words say what to do.
  await page.goto(`file://${process.cwd()}/dist/index.html`);
  await expect(page.getByText('The checker did not load. Opened as a file from disk?')).toBeVisible({ timeout: 10_000 });
});

test('a host that compresses every file, the .wasm among them, as docs/embedding.md advises: the page starts, saying the bytes so far, and checks', async ({ page }) => {
  test.setTimeout(300_000);
  const host = await compressing('dist', securityHeaders);
  try {
    // About 4 MB/s: the compressed downloads (9.3 MB) take about 2.5 s, the line read each frame.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 4e6, uploadThroughput: 4e6 });
    const said = await watchStatus(page);
    const sizes: number[] = [];
    page.context().on('response', (r) => r.url().endsWith('.wasm') && sizes.push(Number(r.headers()['content-length'])));
    await page.goto(`${host.url}/`);
    await expect(page.locator('histoscan-detector')).toHaveAttribute('state', 'ready', { timeout: 120_000 });
    // The .wasm came compressed (28.3 MB as it is): no share of a length that is not the file's.
    expect(sizes.length).toBe(1);
    expect(sizes[0]).toBeLessThan(10e6);
    const lines = [...new Set(said)].join(' | ');
    expect(said.some((t) => /^Downloading the model, profile and runtime: \d+(\.\d)? MB so far…$/.test(t)), lines).toBe(true);
    expect(said.some((t) => t.includes('%')), lines).toBe(false);
    await page.locator('histoscan-detector .gallery button').first().click();
    await expect(page.locator('histoscan-detector tr.row[data-state="done"]')).toHaveCount(1, { timeout: 120_000 });
  } finally {
    host.stop();
  }
});
