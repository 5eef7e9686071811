import { expect, type Page } from '@playwright/test';

export const el = 'histoscan-detector';

/** Open the demo page and wait until the detector reports ready. */
export async function openDemo(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
}

export function rows(page: Page) {
  return page.locator(`${el} tr.row`);
}

export async function waitDone(page: Page, count: number): Promise<void> {
  await expect(page.locator(`${el} tr.row[data-state="done"], ${el} tr.row[data-state="error"]`)).toHaveCount(count, { timeout: 120_000 });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}
