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
  await expect(live).toHaveText('Batch finished: 1 checked, 0 unusual, 2 could not be checked.');
  await expect(page.locator(`${el} [data-state="error"]`)).toHaveCount(2);
});

test('focus stays with the user: Cancel becomes Clear under it, Clear and "Show more" hand it on, a build passes it to its Cancel and then its outcome', async ({ page }) => {
  await openDemo(page);
  // The element is a named region of the page (set by its ElementInternals, which the browser's own tree shows).
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { role?: { value: string }; name?: { value: string } }[] };
  expect(nodes.filter((n) => n.role?.value === 'region' && n.name?.value === 'histoscan image check')).toHaveLength(1);
  const focused = () => page.evaluate(() => {
    let a: Element | null = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a === document.body ? 'body' : `${a?.tagName.toLowerCase()}:${a?.textContent?.trim().slice(0, 40)}`;
  });
  await page.locator(`${el} #files`).setInputFiles(Array.from({ length: 60 }, (_, i) => `data/clean/${String(i).padStart(5, '0')}.png`));
  const batch = page.locator(`${el} .batch button`);
  await batch.focus();
  await expect(batch).toHaveText('Cancel');
  // The batch ends under the focused button: the same button now says Clear, and keeps focus.
  await waitDone(page, 50);
  await expect(batch).toHaveText('Clear', { timeout: 60_000 });
  expect(await focused()).toBe('button:Clear');
  // "Show 10 more rows" goes with the last rows it shows: focus is on the first of them.
  await page.locator(`${el} button.more`).focus();
  await page.keyboard.press('Enter');
  await expect(page.locator(`${el} button.more`)).toHaveCount(0);
  expect(await focused()).toBe('button:00050.png');
  // Clear takes the table away: focus goes to "Choose images".
  await batch.focus();
  await page.keyboard.press('Enter');
  await expect(rows(page)).toHaveCount(0);
  expect(await focused()).toBe('button:Choose images');
  // An error row has no detail to open: its name is text, not a button that does nothing.
  await page.locator(`${el} #files`).setInputFiles([{ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not an image') }]);
  await waitDone(page, 1);
  await expect(rows(page).first().locator('button.open')).toHaveCount(0);
  await expect(rows(page).first()).toContainText('broken.png');
  // A build started from the keyboard: its Cancel takes focus from the button it disabled, then its message.
  await page.locator(`${el} .calibrate button`, { hasText: '…or from images' }).focus();
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 40 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} .build-progress`)).toBeVisible();
  expect(await focused()).toBe('button:Cancel');
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built from 40 images', { timeout: 60_000 });
  expect(await focused()).toMatch(/^div:Profile built from 40 images/);
});

test('the detail view is no live region; the p-value map is a widget that takes keys; the shown node is pressed', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles(['data/pgd-0.1/00000.png']);
  await waitDone(page, 1);
  await rows(page).first().locator('button.open').click();
  await expect(page.locator(`${el} #detail`)).not.toHaveAttribute('aria-live', /./);
  await expect(page.locator(`${el} #detail hs-pvalue-map canvas`).first()).toHaveAttribute('role', 'application');
  const node = page.locator(`${el} .nodes button`).first();
  await expect(node).toHaveAttribute('aria-pressed', 'false');
  await node.click();
  await expect(node).toHaveAttribute('aria-pressed', 'true');
  // Its name is the text a voice user reads off the screen.
  expect(await node.evaluate((b) => b.getAttribute('aria-label'))).toBeNull();
});

test('the model list takes a choice made by keys on Enter, not at each arrow key (which would clear the table)', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #own-model`).setInputFiles(['public/models/fashion-cnn.onnx', 'public/profiles/fashion-cnn.hsp', 'public/models/fashion-cnn.json']);
  await expect(page.locator('#model-choice')).toHaveValue('own', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png', 'data/clean/00002.png']);
  await waitDone(page, 2);
  await page.locator('#model-choice').focus();
  await page.keyboard.press('Home');
  await page.waitForTimeout(1000);
  await expect(rows(page)).toHaveCount(2); // nothing taken yet
  await page.keyboard.press('Enter');
  await expect(page.locator(`${el} .notice`)).toContainText('were cleared', { timeout: 60_000 });
  await expect(rows(page)).toHaveCount(0);
});
