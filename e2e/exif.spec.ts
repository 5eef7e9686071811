// A phone photo stored sideways with EXIF orientation 6 reaches the model upright both on the page
// and in the CLI (model/decode-jpeg.ts applies it for both), so both give one score; and a JPEG gets
// the same pixels in both (the page decodes JPEGs of up to 1 MP with the CLI's decoder).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { encodeJpeg, enlarge, readPng, rotateCcw, withOrientation } from '../tests/fixtures/exif-jpeg.ts';
import { el, rows, shot } from './helpers.ts';

const cliScore = (file: string): number =>
  JSON.parse(
    execFileSync(process.execPath, ['bin/histoscan.js', 'score', '--model', 'public/models/fashion-cnn.onnx', '--profile', 'public/profiles/fashion-cnn.hsp', '--json', file], { encoding: 'utf8' }),
  ).results[0].score;

test('a JPEG with EXIF orientation 6 gets the same score in the browser and in the CLI', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'histoscan-exif-'));
  // 112x112 (the model shrinks it to 28x28 by box averaging, which evens out the two JPEG decoders' rounding).
  const stored = encodeJpeg(rotateCcw(enlarge(readPng('data/clean/00000.png'), 4)));
  const phone = join(dir, 'phone.jpg');
  const sideways = join(dir, 'sideways.jpg');
  writeFileSync(phone, withOrientation(stored, 6));
  writeFileSync(sideways, stored);

  await page.goto('/e2e/fixtures/embed.html');
  const events = () => page.evaluate(() => (window as unknown as { events: { type: string; file: string | null; score: number | null }[] }).events);
  await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 60_000 }).toContain('histoscan-ready');
  await page.locator(`${el} #files`).setInputFiles([phone, sideways]);
  await expect.poll(async () => (await events()).filter((e) => e.type === 'histoscan-result').length, { timeout: 60_000 }).toBe(2);
  const browser = Object.fromEntries((await events()).filter((e) => e.type === 'histoscan-result').map((e) => [e.file, e.score!]));

  const cli = { phone: cliScore(phone), sideways: cliScore(sideways) };
  test.info().annotations.push({ type: 'scores', description: JSON.stringify({ browser, cli }) });
  // Turned the wrong way the picture scores far away; the page gives the CLI's score.
  expect(Math.abs(cli.phone - cli.sideways)).toBeGreaterThan(0.5);
  // Equal but for the runtimes' float rounding (WASM here, the CLI's native runtime).
  expect(Math.abs(browser['phone.jpg'] - cli.phone)).toBeLessThan(1e-6 * Math.max(1, cli.phone));
  expect(Math.abs(browser['sideways.jpg'] - cli.sideways)).toBeLessThan(1e-6 * Math.max(1, cli.sideways));
});

test("a colour JPEG with chroma at half resolution (4:2:0, as cameras write them) gets the CLI's pixels in the page, and its score", async ({ page }) => {
  await page.goto('/e2e/fixtures/embed.html');
  const events = () => page.evaluate(() => (window as unknown as { events: { type: string; file: string | null; score: number | null }[] }).events);
  await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 60_000 }).toContain('histoscan-ready');
  // The browser's own decoder upsampled its chroma smoothly: up to 17 levels from jpeg-js's pixels, enough to flip a verdict.
  await page.locator(`${el} #files`).setInputFiles(['e2e/fixtures/photo.jpg']);
  await expect.poll(async () => (await events()).filter((e) => e.type === 'histoscan-result').length, { timeout: 60_000 }).toBe(1);
  const browser = (await events()).find((e) => e.type === 'histoscan-result')!.score!;
  const cli = cliScore('e2e/fixtures/photo.jpg');
  expect(Math.abs(browser - cli)).toBeLessThan(1e-6 * Math.max(1, cli));
});

test('a JPEG of up to 1 MP gets the CLI\'s pixels, and a stream the CLI refuses is refused in the page too', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'histoscan-jpeg-'));
  // 1000×1000 of noise at quality 100: 1 MP, the most the page decodes as the CLI does.
  const w = 1000;
  const data = new Uint8Array(4 * w * w);
  for (let i = 0, s = 7; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const big = encodeJpeg({ width: w, height: w, data });
  const bigFile = join(dir, 'big.jpg');
  writeFileSync(bigFile, big);
  // A scan cut short and closed with an end marker: browsers show its first rows; jpeg-js refuses it.
  const photo = encodeJpeg(enlarge(readPng('data/clean/00000.png'), 4));
  const cut = join(dir, 'cut-scan.jpg');
  writeFileSync(cut, Buffer.concat([photo.subarray(0, Math.floor(photo.length * 0.6)), Buffer.from([0xff, 0xd9])]));
  await page.goto('/e2e/fixtures/embed.html');
  const events = () => page.evaluate(() => (window as unknown as { events: { type: string; file: string | null; score: number | null; error?: string }[] }).events);
  await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 60_000 }).toContain('histoscan-ready');
  await page.locator(`${el} #files`).setInputFiles([bigFile, cut]);
  await expect.poll(async () => (await events()).filter((e) => e.type === 'histoscan-result' || (e.type === 'histoscan-error' && e.file)).length, { timeout: 120_000 }).toBe(2);
  const all = await events();
  const score = all.find((e) => e.type === 'histoscan-result' && e.file === 'big.jpg')!.score!;
  const cli = cliScore(bigFile);
  expect(Math.abs(score - cli)).toBeLessThan(1e-6 * Math.max(1, cli));
  expect(all.find((e) => e.type === 'histoscan-error' && e.file === 'cut-scan.jpg')?.error).toMatch(/^cut-scan\.jpg: the JPEG is corrupt or truncated/);
  expect(() => cliScore(cut)).toThrow();
});

test("an unusual JPEG's detail says its compression alone may be why; an unusual PNG's does not", async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'histoscan-coding-'));
  const attacked = join(dir, 'attacked.jpg');
  writeFileSync(attacked, encodeJpeg(readPng('data/pgd-0.1/00002.png'), 90));
  await page.goto('/e2e/fixtures/embed.html');
  const events = () => page.evaluate(() => (window as unknown as { events: { type: string; file: string | null }[] }).events);
  await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 60_000 }).toContain('histoscan-ready');
  await page.locator(`${el} #files`).setInputFiles([attacked, 'data/pgd-0.1/00002.png']);
  await expect.poll(async () => (await events()).filter((e) => e.type === 'histoscan-result').length, { timeout: 60_000 }).toBe(2);
  // The batch says it too, for the rows a user may not open.
  await expect(page.locator(`${el} [data-summary] ~ [data-coding]`)).toContainText('1 of the 2 unusual images are lossy-coded (JPEG or lossy WebP)');
  await rows(page).nth(0).click();
  await expect(page.locator(`${el} #detail [data-verdict]`)).toHaveAttribute('data-verdict', 'unusual');
  // The bundled profile records that all its background images were losslessly coded (an older profile's note is conditional: tests/model/coding.test.ts).
  await expect(page.locator(`${el} #detail [data-coding]`)).toHaveText(
    "This image is a JPEG, where all 10,000 of the profile's background images were losslessly coded: compression alone can make a clean image unusual. Build the profile from images coded as the ones you check (some of them saved as JPEG too).",
  );
  await shot(page, 'coding-note');
  await page.locator(`${el} #detail button.back`).click();
  await rows(page).nth(1).click();
  await expect(page.locator(`${el} #detail [data-verdict]`)).toHaveAttribute('data-verdict', 'unusual');
  await expect(page.locator(`${el} #detail [data-coding]`)).toHaveCount(0);
});
