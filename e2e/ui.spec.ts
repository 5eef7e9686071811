import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { PNG } from 'pngjs';
import { decodeProfile } from '../src/core/index.ts';
import { Detector } from '../src/detector/index.ts';
import { decodeImage } from '../src/model/decode-node.ts';
import { parseSpec } from '../src/model/spec.ts';
import { el, openDemo, paste, rows, shot, waitDone } from './helpers.ts';
import { readWitnessNote, witnessNoteAgrees } from '../tests/fixtures/witness-note.ts';

const manifest: { file: string; kind: string; set: string }[] = JSON.parse(readFileSync('public/samples/manifest.json', 'utf8'));

async function nodeScore(path: string): Promise<number> {
  const d = await Detector.create({
    model: new Uint8Array(readFileSync('public/models/fashion-cnn.onnx')),
    spec: parseSpec(JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8'))),
    profile: decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp')),
  });
  const r = await d.check(await decodeImage(readFileSync(path)), path);
  d.release();
  return r.score;
}

test('gallery samples get the expected verdicts, with the same score as the Node CLI', async ({ page }) => {
  await openDemo(page);
  const clean = manifest.find((m) => m.set === 'clean')!;
  const pgd = manifest.filter((m) => m.set === 'pgd-0.1');
  await page.locator(`${el} .gallery button[data-sample="${clean.file}"]`).click();
  for (const p of pgd) await page.locator(`${el} .gallery button[data-sample="${p.file}"]`).click();
  await waitDone(page, 1 + pgd.length);
  await expect(rows(page).nth(0)).toHaveAttribute('data-flagged', 'false');
  const flagged = await rows(page).evaluateAll((rs) => rs.slice(1).map((r) => r.getAttribute('data-flagged')));
  expect(flagged.filter((f) => f === 'true').length).toBeGreaterThanOrEqual(2);
  for (const [i, m] of [clean, ...pgd].entries()) {
    const browser = Number(await rows(page).nth(i).locator('[data-score]').getAttribute('data-score'));
    expect(browser).toBeCloseTo(await nodeScore(`public/samples/${m.file}`), 3);
  }
  await shot(page, 'gallery-verdicts');
});

test('folder upload, paste and cancel mid-batch', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #folder`).setInputFiles('public/samples');
  await waitDone(page, manifest.length);
  await expect(rows(page)).toHaveCount(manifest.length);
  // Paste an image from the clipboard while the drop zone has focus.
  await page.locator(`${el} .drop`).focus();
  await paste(page, readFileSync('public/samples/' + manifest[0].file), 'clipboard.png');
  await expect(page.locator(`${el} tr.row[data-name="clipboard.png"][data-state="done"]`)).toHaveCount(1);
  // Cancel: queue many, stop early; the rest are marked cancelled.
  await page.locator(`${el} #files`).setInputFiles(Array.from({ length: 150 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} tr.row[data-state="done"]`)).not.toHaveCount(manifest.length + 1);
  await page.locator(`${el} .batch button`, { hasText: 'Cancel' }).click();
  await expect(page.locator(`${el} [data-summary]`)).not.toHaveAttribute('data-cancelled', '0');
  const cancelled = Number(await page.locator(`${el} [data-summary]`).getAttribute('data-cancelled'));
  expect(cancelled).toBeGreaterThan(0);
  expect(cancelled).toBeLessThan(150);
  await expect(page.locator(`${el} [data-summary]`)).toContainText(`${cancelled} cancelled`);
  // An image pasted below the 50 rows shown is shown itself (from its row on), the rest behind a button.
  const before = manifest.length + 1 + 150;
  await page.locator(`${el} .drop`).focus();
  await paste(page, readFileSync('public/samples/' + manifest[0].file), 'late.png');
  await expect(page.locator(`${el} tr.row[data-name="late.png"][data-state="done"]`)).toBeVisible();
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first().locator('button.open')).toHaveAttribute('aria-label', `Details of late.png (row ${before + 1})`);
  await page.locator(`${el} button.more`, { hasText: `Show earlier rows (${before} not shown)` }).click();
  await expect(rows(page)).toHaveCount(51);
  await expect(rows(page).first().locator('button.open')).toHaveAttribute('aria-label', new RegExp(`\\(row ${before - 49}\\)$`));
});

test('a batch with far more unusual images than the FPR allows says so; a clean batch does not', async ({ page }) => {
  await openDemo(page);
  const files = (set: string) => Array.from({ length: 30 }, (_, i) => `data/${set}/${String(i).padStart(5, '0')}.png`);
  await page.locator(`${el} #files`).setInputFiles(files('clean'));
  await waitDone(page, 30);
  await expect(page.locator(`${el} [data-summary]`)).toHaveAttribute('data-done', '30');
  await expect(page.locator(`${el} [data-excess]`)).toHaveCount(0);
  // MNIST digits: images unlike the calibration set, most of them flagged.
  await page.locator(`${el} #files`).setInputFiles(files('ood-mnist'));
  // The table shows the first 50 rows; the summary counts them all.
  await expect(page.locator(`${el} [data-summary]`)).toHaveAttribute('data-done', '60', { timeout: 120_000 });
  await expect(page.locator(`${el} [data-excess]`)).toContainText(/of 60 images .* are unusual, far more than the 5%/);
  await shot(page, 'excess-note');
});

test('a build in the browser with enough calibration images chooses the witnesses on pseudo-anomalies, as the CLI does', async ({ page }) => {
  test.setTimeout(180_000);
  await openDemo(page);
  // 110 images: 88 background, 22 calibration, 21 of them made into 6 pseudo-anomalies each in the worker.
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 110 }, (_, i) => `data/calibration/${String(i).padStart(5, '0')}.png`));
  const build = page.locator(`${el} [data-build]`);
  await expect(build).toContainText('Profile built from 110 images (88 for the histograms, 22 to calibrate)', { timeout: 120_000 });
  await expect(build).toContainText(/126 pseudo-anomalies made from the calibration images/);
  // What the build says beyond its outcome is a list, a point each, and names the calibration image that sets a small calibration's bar.
  await expect(build.locator('li').filter({ hasText: /pseudo-anomalies made/ })).toHaveCount(1);
  await expect(build.locator('li').filter({ hasText: /^With 22 calibration images and \d calibrated parts .* The calibration image farthest out sets that bar: \S+\.png/ })).toHaveCount(1);
  await expect(page.locator('#model-about')).toContainText('built in this browser: per-node histograms of 88 images (and 22 to calibrate) you chose');
  const said = readWitnessNote((await build.textContent())!);
  expect(said).not.toBeNull();
  const download = page.waitForEvent('download');
  await page.locator(`${el} [data-download]`).click();
  const profile = decodeProfile(readFileSync((await (await download).path())!));
  expect(profile.header.calibration?.count).toBe(22);
  expect(witnessNoteAgrees(said!, profile.header.calibration)).toEqual([]);
});

test('builds a profile in the browser, downloads it and reuses it', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 36 }, (_, i) => `data/calibration/${String(i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built from 36 images (29 for the histograms, 7 to calibrate)', { timeout: 60_000 });
  // 7 calibration images (every 5th: half, 18, would not do either) cannot flag at 5%: the bundled profile, which can, stays in use.
  await expect(page.locator(`${el} [data-build]`)).toContainText('but not put in use: 7 calibration images cannot flag at FPR 5% (19 are needed: at least 38 images in all');
  await expect(page.locator(`${el} .chip`, { hasText: '10,000 images + 2,000 to calibrate' })).toBeVisible();
  await expect(page.locator('#model-about')).toContainText('10,000 Fashion-MNIST images it was not trained on');
  // And it is the one that checks: a verdict at FPR 5%, not the build's "Not calibrated".
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00010.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-verdict', /typical|unusual/);
  // Said once, not again in the build's own warning.
  await expect(page.locator(`${el} [data-build]`)).not.toContainText('it needs at least 19 calibration images');
  // Too few to make pseudo-anomalies from: the verdict keeps every witness, and says so.
  await expect(page.locator(`${el} [data-build]`)).toContainText('With 7 calibration images (fewer than 21) no pseudo-anomalies are made');
  const download = page.waitForEvent('download');
  await page.locator(`${el} [data-download]`).click();
  // Named after the model, not like the bundled profile a user may keep beside it.
  expect((await download).suggestedFilename()).toBe('fashion-cnn-built.hsp');
  const file = await (await download).path();
  const profile = decodeProfile(readFileSync(file!));
  expect(profile.header.count).toBe(29);
  expect(profile.header.calibration?.count).toBe(7);
  // As a CLI build records them: the model's file, how many images (no names), and how many were lossy-coded (PNGs: none).
  expect([profile.header.modelName, profile.header.source, profile.header.lossy]).toEqual(['fashion-cnn.onnx', '29 images built in the browser', 0]);
  await shot(page, 'profile-built');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
  await page.locator(`${el} #hsp`).setInputFiles(file!);
  await expect(page.locator(`${el} [data-build]`)).toContainText('Using profile');
  await expect(page.locator(`${el} .chip`, { hasText: '29 images' })).toBeVisible();
  // The page heard which profile is in use (histoscan-profile) and no longer speaks of the bundled one.
  await expect(page.locator('#model-about')).toHaveText(/^The profile in use is \S+, read in this browser: per-node histograms of 29 images \(and 7 to calibrate\)/);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00010.png']);
  await waitDone(page, 1);
});

test('a small set calibrates on the images the verdict needs to flag, and the profile is used', async ({ page }) => {
  await openDemo(page);
  // 60 images: every 5th would be 12, too few at FPR 5%; 19 of them calibrate, the other 41 make the histograms.
  // A file named as an image that is none takes no calibration place (4th of 61, where a split before decoding
  // held it out to calibrate on 18): skipped, and said.
  const images = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(5, '0')}.png`).map((name) => ({ name, mimeType: 'image/png', buffer: readFileSync(`data/calibration/${name}`) }));
  const broken = ['00002-broken.png', 'zz-1.png', 'zz-2.png', 'zz-3.png'].map((name) => ({ name, mimeType: 'image/png', buffer: Buffer.from('not an image') }));
  await page.locator(`${el} #calib-files`).setInputFiles([...images.slice(0, 3), broken[0], ...images.slice(3), ...broken.slice(1)]);
  const build = page.locator(`${el} [data-build]`);
  await expect(build).toContainText('Profile built from 60 images (41 for the histograms, 19 to calibrate) on this device', { timeout: 60_000 });
  // Four are each named; past four, the first three and a count.
  await expect(build).toContainText('4 files skipped (00002-broken.png: this is a text file, not an image');
  await expect(build).toContainText('zz-3.png: this is a text file');
  await expect(build).not.toContainText(/; and \d+ more\)/);
  await expect(build).toContainText('and in use now');
  await expect(page.locator(`${el} .chip`, { hasText: '41 images' })).toBeVisible();
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00010.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-verdict', /typical|unusual/);
});

test('a build from files none of which decode says why and keeps the profile in use; what is not named as an image is left out of any build before its split', async ({ page }) => {
  await openDemo(page);
  const notes = [1, 2, 3].map((i) => ({ name: `notes-${i}.png`, mimeType: 'image/png', buffer: Buffer.from(`not an image ${i}`) }));
  await page.locator(`${el} #calib-files`).setInputFiles(notes);
  await expect(page.locator(`${el} [data-build]`)).toContainText('None of the 3 background images could be read (notes-1.png: this is a text file, not an image', { timeout: 60_000 });
  // The bundled profile still checks images.
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00010.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-verdict', /typical|unusual/);
  // A folder's other files are left out of a build, and said so; a folder with no image at all says that.
  await page.locator(`${el} #calib`).setInputFiles('public/samples');
  await expect(page.locator(`${el} [data-build]`)).toContainText(/Profile built from 24 images .*; 1 non-image file in the folder left out/, { timeout: 60_000 });
  await page.locator(`${el} #calib`).setInputFiles('tests/fixtures/models');
  await expect(page.locator(`${el} [data-build]`)).toContainText(/No images in the chosen folder \(\d+ other files\)/);
  // Picked files are taken alike: what is not named as an image is left out before the split, so it cannot take a
  // calibration image's place.
  const picked = [...Array.from({ length: 40 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`), 'data/README.md', 'data/stats.json'];
  await page.locator(`${el} #calib-files`).setInputFiles(picked);
  await expect(page.locator(`${el} [data-build]`)).toContainText(/Profile built from 40 images \(.*, 19 to calibrate\).*; 2 non-image files left out/, { timeout: 60_000 });
});

test('the table shows only the unusual rows on request, and exports every row as CSV', async ({ page }) => {
  await openDemo(page);
  const files = [...[0, 1, 2, 3, 4, 5].map((i) => `data/clean/0000${i}.png`), ...[0, 1, 2, 3].map((i) => `data/pgd-0.1/0000${i}.png`)];
  await page.locator(`${el} #files`).setInputFiles(files);
  await waitDone(page, files.length);
  const flagged = Number(await page.locator(`${el} [data-summary]`).getAttribute('data-flagged'));
  expect(flagged).toBeGreaterThanOrEqual(4);
  const only = page.locator(`${el} [data-only-unusual]`);
  await expect(only).toHaveText(`Only the unusual (${flagged})`);
  await only.click();
  await expect(only).toHaveAttribute('aria-pressed', 'true');
  await expect(rows(page)).toHaveCount(flagged);
  await expect(page.locator(`${el} tr.row[data-verdict="unusual"]`)).toHaveCount(flagged);
  await shot(page, 'only-unusual');
  await only.click();
  await expect(rows(page)).toHaveCount(files.length);
  const download = page.waitForEvent('download');
  await page.locator(`${el} [data-export]`).click();
  const text = readFileSync((await (await download).path())!, 'utf8');
  expect((await download).suggestedFilename()).toBe('histoscan-results.csv');
  expect(text.startsWith('\uFEFF')).toBe(true); // a spreadsheet reads the names as UTF-8
  const csv = text.slice(1).trim().split('\r\n');
  expect(csv[0]).toBe('file,state,verdict,fpr,q,score,model says,probability,reason,provider,ms');
  expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(files.map((f) => f.split('/').pop()));
  expect(csv.filter((l) => l.split(',')[2] === 'unusual')).toHaveLength(flagged);
});

test('a build says its pace and time left, and a cancelled one keeps the profile in use without an error', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 600 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`));
  const stage = page.locator(`${el} [data-build-stage]`);
  await expect(stage).toContainText(/ of [\d,]+ image passes, [\d.]+ passes\/s, (under a minute|about \d+ min) left/, { timeout: 60_000 });
  // From the keyboard: the stage says so at once, and focus stays in the element (on the outcome) as the build ends.
  await page.locator(`${el} .build-progress button`, { hasText: 'Cancel' }).focus();
  await page.keyboard.press('Enter');
  const build = page.locator(`${el} [data-build]`);
  await expect(build).toContainText(/^Build cancelled after [\d,]+ of [\d,]+ image passes; the profile in use stays\.$/);
  expect(await page.evaluate(() => document.querySelector('histoscan-detector')!.shadowRoot!.activeElement?.hasAttribute('data-build'))).toBe(true);
  await expect(build).not.toHaveClass(/error/);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00010.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-verdict', /typical|unusual/);
});

test('the budget attribute bounds a profile built in the browser', async ({ page }) => {
  await openDemo(page);
  await page.locator(el).evaluate((d) => d.setAttribute('budget', '0.25'));
  await expect(page.locator(`${el} .calibrate`)).toContainText('within 0.25 MB');
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 60 }, (_, i) => `data/calibration/${String(i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built from 60 images (41 for the histograms, 19 to calibrate)', { timeout: 60_000 });
  const download = page.waitForEvent('download');
  await page.locator(`${el} [data-download]`).click();
  const bytes = readFileSync((await (await download).path())!);
  // The whole file fits, as the CLI's plan makes it fit: the 28x28 layer is pooled, not per element.
  expect(bytes.byteLength).toBeLessThanOrEqual(250_000);
  await expect(page.locator(`${el} [data-build]`)).toContainText(`(${(bytes.byteLength / 1e3).toFixed(1)} kB)`);
  const { header } = decodeProfile(bytes);
  expect(header.layers[0].reduction).not.toBe('element');
  expect(header.calibration?.count).toBe(19);
});

test('works embedded in a bare HTML page and fires its events', async ({ page }) => {
  await page.goto('/e2e/fixtures/embed.html');
  await expect.poll(() => page.evaluate(() => (window as unknown as { events: { type: string }[] }).events.map((e) => e.type))).toContain('histoscan-ready');
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00000.png', 'data/pgd-0.1/00001.png']);
  await page.locator(`${el} #files`).setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
  await expect.poll(() => page.evaluate(() => (window as unknown as { events: unknown[] }).events.length)).toBe(4);
  const events = await page.evaluate(() => (window as unknown as { events: { type: string; provider: string; error: string }[] }).events);
  expect(events[0]).toMatchObject({ type: 'histoscan-ready', provider: 'wasm' });
  expect(events.filter((e) => e.type === 'histoscan-result')).toHaveLength(2);
  expect(events.find((e) => e.type === 'histoscan-error')!.error).toMatch(/text file/);
});

test('WebGPU requested without an adapter falls back to WASM and says so', async ({ page }) => {
  await page.goto('/e2e/fixtures/embed.html?provider=webgpu');
  await expect(page.locator(`${el} [data-provider]`)).toHaveAttribute('data-provider', 'wasm', { timeout: 60_000 });
  await expect(page.locator(`${el} [data-note]`)).toContainText('no WebGPU adapter');
});

test('readable on a phone-sized viewport', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openDemo(page);
  await page.locator(`${el} .gallery button`).nth(8).click();
  await waitDone(page, 1);
  await rows(page).first().click();
  await expect(page.locator(`${el} #detail`)).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  // Long names that differ at the end: the cell cuts their start, so each row still reads apart ("h…53012.png").
  const png = readFileSync('data/clean/00001.png');
  await page.locator(`${el} #files`).setInputFiles(['153012', '153013'].map((n) => ({ name: `holiday-photos-IMG_20240812_${n}.png`, mimeType: 'image/png', buffer: png })));
  await waitDone(page, 3);
  for (const n of ['153012', '153013']) {
    const name = page.locator(`${el} tr.row[data-name="holiday-photos-IMG_20240812_${n}.png"] button.open`);
    await expect(name.locator('.tail')).toHaveText(`${n.slice(1)}.png`);
    await expect(name.locator('.tail')).toBeInViewport();
    expect(await name.locator('.head').evaluate((h) => h.scrollWidth > h.clientWidth)).toBe(true); // the start is what is cut
  }
  await shot(page, 'phone');
});

test('a strip too thin to show whole (10000×3) shows its middle in the row and the detail, and says so', async ({ page }) => {
  await openDemo(page);
  const strip = new PNG({ width: 10000, height: 3 });
  for (let i = 0; i < strip.data.length; i += 4) strip.data.set([200, 40, 40, 255], i);
  await page.locator(`${el} #files`).setInputFiles([{ name: 'strip.png', mimeType: 'image/png', buffer: PNG.sync.write(strip) }]);
  await waitDone(page, 1);
  await expect(rows(page).first().locator('img')).toHaveClass(/thin/);
  await rows(page).first().click();
  await expect(page.locator(`${el} #detail figcaption`).first()).toHaveText('As dropped: 10000×3 (its middle: too thin to show whole)');
  await expect(page.locator(`${el} #detail .inputs img`)).toHaveClass(/thin/);
  await shot(page, 'thin-strip');
});

test('the library build (dist-lib/histoscan.js) works from a bare page with one module script; a second copy of histoscan says it is not in use', async ({ page }) => {
  const warnings: string[] = [];
  page.on('console', (m) => void (m.type() === 'warning' && warnings.push(m.text())));
  await page.goto('/e2e/fixtures/embed.html?lib');
  await expect.poll(() => page.evaluate(() => (window as unknown as { events: { type: string }[] }).events.map((e) => e.type)), { timeout: 60_000 }).toContain('histoscan-ready');
  // The package's modules beside the bundle (an app that loads both): no error, the bundle's element stays, and the page hears why.
  await page.evaluate((url) => import(/* @vite-ignore */ url), '/src/ui/index.ts');
  await expect.poll(() => warnings.filter((w) => w.includes('are already defined by another copy of histoscan'))).toHaveLength(1);
  await page.locator(`${el} #files`).setInputFiles(['data/pgd-0.1/00002.png']);
  await expect.poll(() => page.evaluate(() => (window as unknown as { events: { type: string }[] }).events.map((e) => e.type))).toContain('histoscan-result');
});
