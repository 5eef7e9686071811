// The element as a guest in other people's pages: relative URLs, moves in the DOM, paste scope,
// FPR changes, its state attribute, its events, and the "not calibrated" verdict.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { el, openDemo, openEmbed, paste, rows, waitDone } from './helpers.ts';

type Ev = { type: string; error?: string | null };
const events = (page: Page) => page.evaluate(() => (window as unknown as { events: Ev[] }).events);

test('relative model, spec and profile URLs resolve against the page, not the worker', async ({ page }) => {
  await page.goto('/e2e/fixtures/sub/relative.html');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00003.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'done');
  expect((await events(page)).filter((e) => e.type === 'histoscan-error')).toEqual([]);
});

test('moved in the DOM mid-batch, the element keeps its worker and finishes the batch; removed, it lets it go', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles(Array.from({ length: 30 }, (_, i) => `data/clean/${String(200 + i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} tr.row[data-state="done"]`)).not.toHaveCount(0);
  // A move is a removal and an insertion in one task: the model stays loaded (no second start).
  const kept = await page.evaluate(async () => {
    const det = document.querySelector('histoscan-detector')!;
    const before = det.client.worker;
    document.querySelector('footer')!.append(det);
    await new Promise((r) => setTimeout(r, 50));
    return before !== null && det.client.worker === before && det.getAttribute('state') !== 'loading';
  });
  expect(kept).toBe(true);
  await expect(page.locator(`footer ${el}`)).toHaveCount(1);
  await waitDone(page, 30);
  await expect(page.locator(`${el} tr.row[data-state="done"]`)).toHaveCount(30);
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  const thumbs = await page.locator(`${el} tr.row img`).evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src).filter((s) => s.startsWith('blob:')));
  expect(thumbs.length).toBeGreaterThan(0);
  // Removed and re-inserted later: the old worker was disposed, a new one answers.
  await page.evaluate(async () => {
    const det = document.querySelector('histoscan-detector')!;
    det.remove();
    (window as unknown as { kept: Element }).kept = det;
    await new Promise((r) => setTimeout(r, 0));
  });
  expect(await page.evaluate(() => (window as unknown as { kept: { client: { worker: unknown } } }).kept.client.worker)).toBeNull();
  // Out of the page nothing loads: its state says so (a spinner drawn on "loading" would spin for ever).
  await expect.poll(() => page.evaluate(() => (window as unknown as { kept: Element }).kept.getAttribute('state'))).toBe('idle');
  // Nor can the page read its images back by their thumbnails' URLs.
  expect(await page.evaluate((urls) => Promise.all(urls.map((u) => fetch(u).then(() => 'read', () => 'gone'))), thumbs)).toEqual(thumbs.map(() => 'gone'));
  await page.evaluate(() => document.querySelector('.card')!.append((window as unknown as { kept: Element }).kept));
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  // Back in the page, its rows draw their thumbnails again.
  await expect(page.locator(`${el} tr.row img[src^="blob:"]`).first()).toBeVisible();
  expect(thumbs).not.toContain(await page.locator(`${el} tr.row img[src^="blob:"]`).first().getAttribute('src'));
  await page.locator(`${el} #files`).setInputFiles(['data/pgd-0.1/00004.png']);
  await waitDone(page, 31);
});

test('an element removed after its model loaded and checked an image is collected (an app that mounts it again and again)', async ({ page }) => {
  await openEmbed(page);
  const png = [...readFileSync('data/clean/00003.png')];
  const mounts = 4;
  await page.evaluate(
    async ({ png, mounts }) => {
      document.getElementById('det')!.remove();
      const file = new File([new Uint8Array(png)], 'a.png', { type: 'image/png' });
      for (let i = 0; i < mounts; i++) {
        const det = document.createElement('histoscan-detector');
        const done = new Promise((r) => det.addEventListener('histoscan-batch-done', r, { once: true }));
        const ready = new Promise((r) => det.addEventListener('histoscan-ready', r, { once: true }));
        Object.assign(det, { profile: '/profiles/fashion-cnn.hsp', model: '/models/fashion-cnn.onnx' });
        document.body.append(det);
        await ready;
        det.addFiles([file]);
        await done;
        det.remove();
      }
      await new Promise((r) => setTimeout(r, 100));
    },
    { png, mounts },
  );
  // Live instances of the element's class after a full collection (DevTools' queryObjects).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const proto = await cdp.send('Runtime.evaluate', { expression: "customElements.get('histoscan-detector').prototype" });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId! });
  const count = await cdp.send('Runtime.callFunctionOn', { objectId: objects.objectId!, functionDeclaration: 'function () { return this.length; }', returnByValue: true });
  expect(count.result.value).toBe(0);
});

test('an element removed while its model loads ends that worker at once, not when the download would end', async ({ page, context }) => {
  await openEmbed(page);
  // The model's download never ends here: only dispose can end the worker that waits for it.
  let asked = false;
  await context.route('**/slow/fashion-cnn.onnx', () => void (asked = true));
  await page.evaluate(() => {
    const w = window as unknown as { terminated: number };
    w.terminated = 0;
    const end = Worker.prototype.terminate;
    Worker.prototype.terminate = function (this: Worker) {
      w.terminated++;
      return end.call(this);
    };
    const det = document.createElement('histoscan-detector');
    Object.assign(det, { profile: '/profiles/fashion-cnn.hsp', model: '/slow/fashion-cnn.onnx', id: 'slow' });
    document.body.append(det);
  });
  await expect.poll(() => asked, { timeout: 30_000 }).toBe(true);
  await page.evaluate(() => document.getElementById('slow')!.remove());
  await expect.poll(() => page.evaluate(() => (window as unknown as { terminated: number }).terminated), { timeout: 5_000 }).toBe(1);
});

test('driven from code: state is current inside its events, non-files are refused in words, an unset model lets its worker go', async ({ page }) => {
  await page.goto('/e2e/fixtures/embed.html');
  // Before its first update: idle out of the page and with no model, loading once in the page with one.
  expect(
    await page.evaluate(async () => {
      await customElements.whenDefined('histoscan-detector');
      const det = document.createElement('histoscan-detector');
      const before = det.state;
      det.model = '/models/fashion-cnn.onnx';
      const named = det.state;
      document.body.append(det);
      const placed = det.state;
      det.remove();
      return [before, named, placed];
    }),
  ).toEqual(['idle', 'idle', 'loading']);
  await page.evaluate(() => {
    const det = document.getElementById('det') as HTMLElement & { state: string };
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    for (const type of ['histoscan-ready', 'histoscan-batch-done'] as const) det.addEventListener(type, () => w.seen.push(`${type}:${det.state}:${det.getAttribute('state')}`));
  });
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  const png = [...readFileSync('data/clean/00003.png')];
  await page.evaluate((png) => {
    const det = document.getElementById('det')! as HTMLElement & { addFiles(f: unknown[]): void };
    det.addFiles([new File([new Uint8Array(png)], 'a.png'), { name: 'fake.png' }, 'str.png', new File([new Uint8Array(png)], 'b.png')]);
    // An input's FileList as it comes.
    const list = new DataTransfer();
    list.items.add(new File([new Uint8Array(png)], 'c.png'));
    det.addFiles(list.files as unknown as unknown[]);
  }, png);
  await waitDone(page, 3);
  await expect.poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['histoscan-ready:ready:ready', 'histoscan-batch-done:ready:ready']);
  const errors = (await events(page)).filter((e) => e.type === 'histoscan-error').map((e) => e.error);
  expect(errors).toEqual([
    'fake.png: addFiles takes File or Blob objects (from an input, a drop or fetch), not a plain object.',
    'str.png: addFiles takes File or Blob objects (from an input, a drop or fetch), not string.',
  ]);
  // A cleared binding: the worker goes, images wait, and the next model checks them.
  await page.evaluate(() => ((document.getElementById('det') as HTMLElement & { model: string | null }).model = null));
  await expect(page.locator(el)).toHaveAttribute('state', 'idle');
  await expect(page.locator(`${el} .notice`)).toContainText('No model is set: images wait until one is.');
  expect(await page.evaluate(() => (document.getElementById('det') as HTMLElement & { client: { worker: unknown } }).client.worker)).toBeNull();
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00004.png']);
  await page.waitForTimeout(500);
  await expect(page.locator(`${el} tr.row[data-state="queued"]`)).toHaveCount(1);
  await page.evaluate(() => ((document.getElementById('det') as HTMLElement & { model: string }).model = '/models/fashion-cnn.onnx'));
  await waitDone(page, 4);
  // A model without a profile is ready too, and its detail says there is none (profileBytes 0); an image waits for one.
  await page.evaluate(() => {
    const det = document.getElementById('det') as HTMLElement & { profile: string };
    const w = window as unknown as { profileBytes: number[] };
    w.profileBytes = [];
    det.addEventListener('histoscan-ready', (e) => w.profileBytes.push((e as CustomEvent<{ profileBytes: number }>).detail.profileBytes));
    det.profile = '';
  });
  await expect.poll(() => page.evaluate(() => (window as unknown as { profileBytes: number[] }).profileBytes), { timeout: 60_000 }).toEqual([0]);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00005.png']);
  await page.waitForTimeout(500);
  await expect(page.locator(`${el} tr.row[data-state="queued"]`)).toHaveCount(1);
  await expect(page.locator(`${el} [data-no-profile]`)).toHaveText('no profile yet');
  // Waiting for a profile is no work under way: a page's spinner on "busy" would spin with nothing running.
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
});

test('another model loading: the rows checked with the one before say so until it is ready, then go', async ({ page, context }) => {
  await openEmbed(page);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00003.png']);
  await waitDone(page, 1);
  // Another profile (the same file at another address), held until let through.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  await context.route('**/held/fashion-cnn.hsp', async (route) => {
    await held;
    await route.fulfill({ body: readFileSync('public/profiles/fashion-cnn.hsp'), contentType: 'application/octet-stream' });
  });
  await page.evaluate(() => ((document.getElementById('det') as HTMLElement & { profile: string }).profile = '/held/fashion-cnn.hsp'));
  await expect(page.locator(el)).toHaveAttribute('state', 'loading');
  await expect(page.locator(`${el} .notice`)).toHaveText('The 1 row below was checked with the model before this one, and is cleared once it is ready.');
  await expect(rows(page)).toHaveCount(1);
  release();
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await expect(rows(page)).toHaveCount(0);
  await expect(page.locator(`${el} .notice`)).toHaveText('The 1 row checked with the model before was cleared.');
});

test("an embedded element takes a paste only while it has focus; the demo page hands it a paste from anywhere", async ({ page }) => {
  const bytes = readFileSync('data/clean/00005.png');
  await openEmbed(page);
  await page.locator('p').first().click();
  await paste(page, bytes, 'outside.png');
  await page.locator(`${el} .drop`).focus();
  await paste(page, bytes, 'inside.png');
  await waitDone(page, 1);
  // Both pastes were dispatched synchronously before the row appeared: the outside one was ignored.
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute('data-name', 'inside.png');
  // The demo page is the element's: a paste with focus on its text is checked too.
  await openDemo(page);
  await page.locator('#intro').click();
  await paste(page, bytes, 'outside.png');
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-name', 'outside.png');
});

test('changing fpr relabels finished rows from their stored q, without checking again', async ({ page }) => {
  await openEmbed(page);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png', 'data/pgd-0.1/00000.png', 'data/pgd-0.1/00001.png']);
  await waitDone(page, 3);
  const results = (await events(page)).filter((e) => e.type === 'histoscan-result').length;
  const qs = await rows(page).evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-q'))));
  await page.evaluate(() => {
    const w = window as unknown as { relabels: unknown[] };
    w.relabels = [];
    document.querySelector('histoscan-detector')!.addEventListener('histoscan-relabel', (e) => w.relabels.push(e.detail));
  });
  // An FPR above every q flags every row; one below the smallest attainable q says "not calibrated".
  const high = Math.min(0.5, Math.max(...qs) + 1e-6);
  await page.evaluate((f) => (document.querySelector('histoscan-detector')!.fpr = f), high);
  await expect(page.locator(`${el} tr.row[data-verdict="unusual"]`)).toHaveCount(3);
  // An app that keeps the verdicts hears the new ones' counts (histoscan-result is not sent again).
  expect(await page.evaluate(() => (window as unknown as { relabels: unknown[] }).relabels)).toEqual([
    { fpr: high, summary: { total: 3, done: 3, unusual: 3, typical: 0, uncalibrated: 0, errors: 0, cancelled: 0, lossyUnusual: 0 } },
  ]);
  await expect(rows(page).first().locator('.verdict')).toContainText('Unusual at FPR');
  await page.evaluate(() => (document.querySelector('histoscan-detector')!.fpr = 1e-6));
  await expect(page.locator(`${el} tr.row[data-verdict="uncalibrated"]`)).toHaveCount(3);
  await expect(rows(page).first().locator('.verdict')).toContainText('Not calibrated');
  await page.evaluate(() => (document.querySelector('histoscan-detector')!.fpr = 0.05));
  const flagged = await rows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-verdict')));
  expect(flagged).toEqual(qs.map((q) => (q <= 0.05 ? 'unusual' : 'typical')));
  expect((await events(page)).filter((e) => e.type === 'histoscan-result').length).toBe(results);
  // A refused value falls back to the FPR in use, and a number's text is that number: neither relabels.
  await page.evaluate(() => (document.querySelector('histoscan-detector')!.fpr = 5));
  await page.evaluate(() => ((document.querySelector('histoscan-detector') as unknown as { fpr: string }).fpr = '0.05'));
  await page.evaluate(() => new Promise(requestAnimationFrame));
  expect(await page.evaluate(() => (window as unknown as { relabels: { fpr: number }[] }).relabels.map((r) => r.fpr))).toEqual([high, 1e-6, 0.05]);
});

test('changing scoring checks the finished rows again under it', async ({ page }) => {
  await openEmbed(page);
  const files = ['data/clean/00001.png', 'data/pgd-0.1/00000.png'];
  await page.locator(`${el} #files`).setInputFiles(files);
  await waitDone(page, 2);
  const scores = async () => (await events(page)).filter((e) => e.type === 'histoscan-result').map((e) => (e as Ev & { score: number }).score);
  const hc = await scores();
  await page.evaluate(() => (document.querySelector('histoscan-detector')!.scoring = 'bj'));
  await expect.poll(async () => (await scores()).length).toBe(4);
  await waitDone(page, 2);
  // Berk-Jones scores differ from Higher Criticism's on the attacked image (both 0 on a typical one is possible).
  const bj = (await scores()).slice(2);
  expect(bj[1]).not.toBeCloseTo(hc[1], 3);
  await expect(page.locator(`${el} tr.row[data-verdict="unusual"]`)).toHaveCount(1);
});

test('an fpr or scoring the verdict cannot use is refused with an error event, and the default used', async ({ page }) => {
  await openEmbed(page);
  await page.evaluate(() => {
    const d = document.querySelector('histoscan-detector')!;
    d.setAttribute('fpr', '5%');
    d.scoring = 'nope' as never;
    d.setAttribute('provider', 'gpu');
  });
  await expect.poll(async () => (await events(page)).filter((e) => e.type === 'histoscan-error').map((e) => e.error)).toEqual([
    'fpr must be a rate between 0 and 1, such as 0.05, not the string "5%": using 0.05.',
    'provider must be one of auto, webgpu, wasm, cpu, not "gpu": using auto.',
    'scoring must be one of bj, hc, ks, not "nope": using hc.',
  ]);
  await page.locator(`${el} #files`).setInputFiles(['data/pgd-0.1/00000.png']);
  await waitDone(page, 1);
  await expect(rows(page).first().locator('.verdict')).toContainText('Unusual at FPR 5%');
});

test('a samples manifest it cannot use, or a budget or threads it cannot, is said and the element keeps checking; Clear clears the note', async ({ page }) => {
  await openEmbed(page);
  await page.evaluate(() => {
    const d = document.querySelector('histoscan-detector')!;
    d.setAttribute('samples', '/e2e/fixtures/bad-samples.json');
    d.setAttribute('budget', '8 MB');
    d.setAttribute('threads', '-2');
  });
  await expect.poll(async () => (await events(page)).filter((e) => e.type === 'histoscan-error').map((e) => e.error)).toEqual([
    'budget must be a positive number of MB, such as 8, not "8 MB": using 8.',
    'threads must be a whole number, 0 for automatic, not -2: using 0.',
    expect.stringMatching(/^The samples manifest .*bad-samples\.json: 3 of 3 entries name no file; left out\.$/),
  ]);
  await page.evaluate(() => document.querySelector('histoscan-detector')!.setAttribute('samples', '/e2e/fixtures/no-such-manifest.json'));
  await expect(page.locator(`${el} .notice`)).toContainText(/no-such-manifest\.json could not be used \((HTTP 404|it is not JSON)\); no samples are shown/);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00003.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'done');
  await page.evaluate(() => document.querySelector('histoscan-detector')!.clear());
  await expect(page.locator(`${el} .notice`)).toBeEmpty();
  // Samples unset (the demo's choice of a model without them): the gallery goes in the same update, not in one after it.
  const warnings: string[] = [];
  page.on('console', (m) => void (m.type() === 'warning' && warnings.push(m.text())));
  await page.evaluate(() => document.querySelector('histoscan-detector')!.setAttribute('samples', '/samples/manifest.json'));
  await expect(page.locator(`${el} .gallery`)).toBeVisible();
  await page.evaluate(() => document.querySelector('histoscan-detector')!.removeAttribute('samples'));
  await expect(page.locator(`${el} .gallery`)).toHaveCount(0);
  expect(warnings.filter((w) => w.includes('scheduled an update'))).toEqual([]);
});

test('state attribute: loading, ready, busy during a batch, error for a bad model; one batch-done event', async ({ page }) => {
  await page.goto('/e2e/fixtures/embed.html');
  await page.evaluate(() => {
    const det = document.querySelector('histoscan-detector')!;
    const w = window as unknown as { states: string[]; done: unknown[] };
    w.states = [det.getAttribute('state') ?? ''];
    w.done = [];
    new MutationObserver(() => w.states.push(det.getAttribute('state') ?? '')).observe(det, { attributes: true, attributeFilter: ['state'] });
    det.addEventListener('histoscan-batch-done', (e) => w.done.push(e.detail));
  });
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(Array.from({ length: 12 }, (_, i) => `data/clean/${String(300 + i).padStart(5, '0')}.png`));
  await waitDone(page, 12);
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  const w = await page.evaluate(() => {
    const { states, done } = window as unknown as { states: string[]; done: { total: number; done: number; errors: number }[] };
    return { states, done };
  });
  expect(w.states).toContain('busy');
  expect(w.states.indexOf('busy')).toBeGreaterThan(w.states.indexOf('ready'));
  expect(w.done).toHaveLength(1);
  expect(w.done[0]).toMatchObject({ total: 12, done: 12, errors: 0 });
  await page.goto('/e2e/fixtures/embed.html?model=/e2e/fixtures/embed.html');
  await expect(page.locator(el)).toHaveAttribute('state', 'error', { timeout: 60_000 });
});

for (const [n, reason, loaded] of [
  [8, /no calibration/, 'it has no calibration'],
  [30, /6 calibration images cannot flag at FPR 0.05: at least 19 are needed/, '6 calibration images, where 19 are needed'],
] as const) {
  test(`a profile built from ${n} images cannot flag: rows say "Not calibrated", never "Typical"`, async ({ page }) => {
    await openDemo(page);
    await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: n }, (_, i) => `data/calibration/${String(400 + i).padStart(5, '0')}.png`));
    await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built', { timeout: 60_000 });
    // The bundled profile, which can flag, stays in use; the built one is used where the user loads it.
    await expect(page.locator(`${el} [data-build]`)).toContainText('but not put in use');
    const download = page.waitForEvent('download');
    await expect(page.locator(`${el} [data-download]`)).toHaveText(`Download the profile built from ${n} images (.hsp)`);
    await page.locator(`${el} [data-download]`).click();
    await page.locator(`${el} #hsp`).setInputFiles((await (await download).path())!);
    // Loaded by the user's own choice, it is used, and says at once that it cannot flag.
    await expect(page.locator(`${el} [data-build]`)).toContainText(`. It cannot flag at FPR 5%: ${loaded}, so verdicts read "Not calibrated".`);
    await page.locator(`${el} #files`).setInputFiles(['data/clean/00007.png', 'data/background/00001.png']);
    await waitDone(page, 2);
    await expect(page.locator(`${el} tr.row[data-verdict="uncalibrated"]`)).toHaveCount(2);
    for (const v of await page.locator(`${el} tr.row .verdict`).allInnerTexts()) {
      expect(v).toContain('Not calibrated');
      expect(v).not.toMatch(/typical/i);
    }
    await expect(page.locator(`${el} [data-summary]`)).toContainText('2 not calibrated');
    await rows(page).first().locator('button.open').press('Enter');
    await expect(page.locator(`${el} #detail [data-reason]`)).toContainText(reason);
    await expect(page.locator(`${el} #detail h2`)).not.toContainText(/typical/i);
  });
}

test("under a host page's strict CSP (no 'unsafe-inline' styles), the element checks an image and draws its detail as without one", async ({ page }) => {
  const policy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; img-src 'self' blob:; style-src 'self'";
  const violations: string[] = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  await page.route('**/csp-host.html', (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: { 'Content-Security-Policy': policy },
      body: `<!doctype html><html lang="en"><head><title>strict host</title><script type="module" src="/dist-lib/histoscan.js"></script></head>
        <body><histoscan-detector model="/models/fashion-cnn.onnx" profile="/profiles/fashion-cnn.hsp"></histoscan-detector></body></html>`,
    }),
  );
  await page.goto('/csp-host.html');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(['data/pgd-0.1/00000.png']);
  await waitDone(page, 1);
  await rows(page).first().locator('button.open').click();
  // Each part's bar is as long as its q says (set through the CSSOM, which the policy allows), not full.
  const widths = await page.locator(`${el} #detail .parts .bar > span`).evaluateAll((spans) => spans.map((s) => (s as HTMLElement).style.width));
  expect(widths.length).toBeGreaterThan(1);
  expect(widths.every((w) => /^\d+%$/.test(w))).toBe(true);
  expect(new Set(widths).size).toBeGreaterThan(1);
  expect(await page.locator(`${el} #detail hs-pvalue-map .bar`).first().evaluate((b) => (b as HTMLElement).style.background)).toContain('linear-gradient');
  expect(violations).toEqual([]);
});
