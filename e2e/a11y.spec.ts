// Accessibility: axe-core finds no serious or critical violation on the page and the detail view,
// in light and dark schemes; the element is usable from the keyboard; errors are announced once.
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { el, openDemo, rows, shot, waitDone } from './helpers.ts';

async function seriousViolations(page: Page) {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** The focused element, inside shadow roots. */
const deepFocus = (page: Page) =>
  page.evaluate(() => {
    let a: Element | null = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a ? { tag: a.tagName.toLowerCase(), type: a.getAttribute('type'), cls: a.className, outline: getComputedStyle(a).outlineStyle } : null;
  });

for (const scheme of ['light', 'dark'] as const) {
  test(`axe: no serious or critical violations on the page and the detail view (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await openDemo(page);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png', 'data/pgd-0.1/00000.png', 'data/ood-mnist/00000.png']);
    await waitDone(page, 3);
    await rows(page).nth(1).locator('button.open').focus();
    await page.keyboard.press('Enter');
    await expect(page.locator(`${el} #detail hs-pvalue-map`)).toHaveCount(3);
    await page.locator(`${el} .nodes button`).first().click();
    await expect(page.locator(`${el} hs-node-histogram`)).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, scheme === 'dark' ? 'dark' : 'light');
  });
}

test('theme="dark" forces the dark scheme under a light preference, and page colours can override it', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await openDemo(page);
  const bg = () => page.locator(el).evaluate((e) => getComputedStyle(e).backgroundColor);
  const light = await bg();
  await page.locator(el).evaluate((e) => e.setAttribute('theme', 'dark'));
  const dark = await bg();
  expect(dark).not.toBe(light);
  await page.addStyleTag({ content: `${el} { --histoscan-bg: rgb(1, 2, 3); }` });
  expect(await bg()).toBe('rgb(1, 2, 3)');
});

test('keyboard: tab order skips hidden inputs; Enter and Space on a row open its detail; nodes open their histogram', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png', 'data/pgd-0.1/00001.png']);
  await waitDone(page, 2);
  await page.locator('#intro').click();
  const seen: NonNullable<Awaited<ReturnType<typeof deepFocus>>>[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await deepFocus(page);
    if (f) seen.push(f);
  }
  expect(seen.filter((f) => f.tag === 'input')).toEqual([]);
  expect(seen.some((f) => f.cls.includes('drop'))).toBe(true);
  const rowButtons = seen.filter((f) => f.cls.includes('open'));
  expect(rowButtons.length).toBeGreaterThanOrEqual(2);
  expect(rowButtons.every((f) => f.outline !== 'none')).toBe(true); // visible focus
  await rows(page).nth(1).locator('button.open').focus();
  await page.keyboard.press('Space');
  await expect(page.locator(`${el} #detail h2`)).toContainText('00001.png');
  await rows(page).nth(0).locator('button.open').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator(`${el} #detail h2`)).toContainText('00001.png');
  await expect(rows(page).nth(0).locator('button.open')).toHaveAttribute('aria-current', 'true');
  // A node of the p-value map, from the keyboard: focus the map, move, Enter.
  const map = page.locator(`${el} #detail hs-pvalue-map canvas`).first();
  await map.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await expect(page.locator(`${el} hs-node-histogram`)).toBeVisible();
});

test('from the detail of a row far down a long list, "Back to the list" and Esc return to that row', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles(Array.from({ length: 90 }, (_, i) => `data/clean/${String(i).padStart(5, '0')}.png`));
  await waitDone(page, 50); // the first page of rows
  await page.locator(`${el} button.more`).last().click();
  await waitDone(page, 90);
  const row = rows(page).nth(12).locator('button.open');
  await row.focus();
  await page.keyboard.press('Enter');
  const detail = page.locator(`${el} #detail`);
  await expect(detail.locator('h2')).toContainText('00012.png');
  await expect(detail.locator('h2')).toBeInViewport();
  await expect(row).not.toBeInViewport(); // the detail is drawn below all 90 rows
  await page.keyboard.press('Escape');
  await expect(row).toBeInViewport();
  await expect(row).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(row).not.toBeInViewport();
  await detail.getByRole('button', { name: 'Back to the list' }).click();
  await expect(row).toBeInViewport();
  await expect(row).toBeFocused();
});

test('errors are announced once per batch in one live region, not as an alert per row', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles([
    { name: 'a.png', mimeType: 'image/png', buffer: Buffer.from('not an image') },
    { name: 'b.png', mimeType: 'image/png', buffer: Buffer.from('nor this') },
    { name: '00002.png', mimeType: 'image/png', buffer: readFileSync('data/clean/00002.png') },
  ]);
  await waitDone(page, 3);
  await expect(page.locator(`${el} [role="alert"]`)).toHaveCount(0);
  const live = page.locator(`${el} [aria-live]`).filter({ hasText: 'Batch finished' });
  await expect(live).toHaveCount(1);
  await expect(live).toHaveText('Batch finished: 1 checked, 0 unusual, 2 could not be read.');
  await expect(page.locator(`${el} [data-state="error"]`)).toHaveCount(2);
});
