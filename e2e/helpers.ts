import { expect, type Page } from '@playwright/test';

export const el = 'histoscan-detector';

/** Open the demo page and wait until the detector reports ready. */
export async function openDemo(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
}

/** The element alone on a page (the embedding fixture), ready to check. */
export async function openEmbed(page: Page): Promise<void> {
  await page.goto('/e2e/fixtures/embed.html');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
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

/** A paste of one image file, fired where a real Ctrl+V would land: on the focused element (shadow roots included). */
export async function paste(page: Page, bytes: Buffer, name: string): Promise<void> {
  await page.evaluate(
    ({ b, name }) => {
      let target: Element | null = document.activeElement;
      while (target?.shadowRoot?.activeElement) target = target.shadowRoot.activeElement;
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], name, { type: 'image/png' }));
      (target ?? document.body).dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, composed: true }));
    },
    { b: [...bytes], name },
  );
}

/** Every status line the element shows until it is ready (read each frame from the next page load on). */
export async function watchStatus(page: Page): Promise<string[]> {
  const said: string[] = [];
  await page.exposeFunction('sawStatus', (t: string) => said.push(t));
  await page.addInitScript(() => {
    const look = () => {
      const s = document.querySelector('histoscan-detector')?.shadowRoot?.querySelector('[part=status]')?.textContent?.trim();
      if (s) (window as unknown as { sawStatus(t: string): void }).sawStatus(s);
      if (document.querySelector('histoscan-detector')?.getAttribute('state') !== 'ready') requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
  return said;
}
