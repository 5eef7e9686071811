import { expect, test } from '@playwright/test';
import { el, openDemo, rows, shot, waitDone } from './helpers.ts';

test('demo page is served cross-origin isolated with a same-origin CSP', async ({ page }) => {
  const response = await page.goto('/');
  const headers = response!.headers();
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
  expect(headers['content-security-policy']).toContain("connect-src 'self'");
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});

test('checks dropped files and shows the verdict with the WASM fallback', async ({ page }) => {
  await openDemo(page);
  await expect(page.locator(`${el} [data-provider]`)).toHaveAttribute('data-provider', 'wasm');
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png', 'data/pgd-0.1/00000.png', 'data/fgsm-0.1/00003.png']);
  await waitDone(page, 3);
  await shot(page, 'results');
  await rows(page).nth(1).click();
  await expect(page.locator(`${el} #detail hs-pvalue-map`)).toHaveCount(3);
  await page.locator(`${el} .nodes button`).first().click();
  await expect(page.locator(`${el} hs-node-histogram`)).toBeVisible();
  // Every bar is seen: an atom's bin (this node's class holds all its images in one narrow bin) is a spike right of the axis, not a hairline under it.
  const bars = await page.locator(`${el} hs-node-histogram rect.bar`).evaluateAll((rs) => rs.map((r) => ({ x: Number(r.getAttribute('x')), w: Number(r.getAttribute('width')), h: Number(r.getAttribute('height')) })));
  const tallest = bars.reduce((a, b) => (b.h > a.h ? b : a));
  expect(tallest.w).toBeGreaterThanOrEqual(3);
  for (const b of bars.filter((b) => b.h > 0)) expect(b.w >= 2.5 && (b.w > 3 || b.x > 40), JSON.stringify(b)).toBe(true);
  await shot(page, 'detail');
  // The last layer's p-values are read from the predicted class's histograms: the one drawn says so.
  const maps = page.locator(`${el} #detail hs-pvalue-map canvas`);
  const caption = page.locator(`${el} hs-node-histogram p`);
  for (const [map, text] of [[maps.first(), /[\d,]+ background images( ·|$)/], [maps.last(), /[\d,]+ background images the model called \S/]] as const) {
    await map.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await expect(caption).toHaveText(text);
  }
  await shot(page, 'detail-class');
});
