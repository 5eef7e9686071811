// How images get in: real drops of files and folders from disk (Chromium's DevTools drag events, as a
// person's drag from a file manager arrives), links and text dropped from other pages, and the names rows show.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { el, openDemo, rows, waitDone } from './helpers.ts';

/** A drag from the file manager of these paths, let go at the centre of `selector`. */
async function dropFromDisk(page: Page, paths: string[], selector: string): Promise<void> {
  await page.locator(selector).first().scrollIntoViewIfNeeded(); // the drag's point is in the viewport's coordinates
  const box = (await page.locator(selector).first().boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const at = { x: box.x + box.width / 2, y: box.y + Math.min(box.height / 2, 20), data: { items: [], files: paths, dragOperationsMask: 1 } };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, ...at });
}

/** A drop of text data (as dragged from another page, or a thumbnail's address) on the drop zone of the element `host`. */
async function dropData(page: Page, data: Record<string, string>, host = el): Promise<void> {
  await page.evaluate(([sel, d]) => {
    const dt = new DataTransfer();
    for (const [type, value] of Object.entries(d)) dt.setData(type, value);
    document.querySelector(sel)!.shadowRoot!.querySelector('.drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
  }, [host, data] as const);
}

test('a dropped folder names each image by its path in it, and an empty folder, text or an image of another site each say why nothing came', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'histoscan-drop-'));
  try {
    const tree = join(dir, 'tree');
    for (const d of ['cat', 'dog', '.cache', '../empty']) mkdirSync(join(tree, d), { recursive: true });
    copyFileSync('data/clean/00003.png', join(tree, 'cat/001.png'));
    copyFileSync('data/fgsm-0.1/00000.png', join(tree, 'dog/001.png'));
    copyFileSync('data/clean/00004.png', join(tree, '.cache/x.png'));
    writeFileSync(join(tree, 'notes.txt'), 'not an image');
    await openDemo(page);

    await dropFromDisk(page, [tree], `${el} .drop p`);
    await waitDone(page, 2);
    // Two files of one name in two subfolders are two rows that say which is which (the hidden folder is passed over).
    expect(await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')))).toEqual(['tree/cat/001.png', 'tree/dog/001.png']);
    await expect(page.locator(`${el} .notice`)).toHaveText('Skipped 1 non-image file in the dropped folder.');

    // What the last drop brought is what the note speaks of: an empty folder says so, and the old note goes.
    await dropFromDisk(page, [join(dir, 'empty')], `${el} .drop p`);
    await expect(page.locator(`${el} .notice`)).toHaveText('The dropped folder holds no images.');

    // A file let go beside the zone (on the table) is checked, and the page stays where it is.
    const url = page.url();
    await dropFromDisk(page, [join(tree, 'cat/001.png')], `${el} table`);
    await waitDone(page, 3);
    expect(page.url()).toBe(url);
    await expect(page.locator(`${el} .notice`)).toBeEmpty();

    await dropData(page, { 'text/plain': 'histoscan' });
    await expect(page.locator(`${el} .notice`)).toHaveText('Only image files and folders can be dropped here.');
    await dropData(page, { 'text/uri-list': 'http://127.0.0.1:9/cat.png', 'text/html': '<img src="http://127.0.0.1:9/cat.png">' });
    await expect(page.locator(`${el} .notice`)).toHaveText('Images from other sites are not fetched here: save the image, then drop the file.');
    await dropData(page, { 'text/uri-list': 'http://[broken' });
    await expect(page.locator(`${el} .notice`)).toHaveText('Images from other sites are not fetched here: save the image, then drop the file.');
    await expect(rows(page)).toHaveCount(3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a row's thumbnail dragged back is checked again, and names show whole characters, right-to-left words in order and hidden controls as escapes", async ({ page }) => {
  await openDemo(page);
  const names = ['a😀mage.png', 'تقرير 2024 نهائي.png', 'x\u202Egnp.exe.png'];
  const bytes = [...readFileSync('data/clean/00005.png')];
  await page.evaluate(
    ([sel, names, bytes]) => {
      const files = names.map((n) => new File([new Uint8Array(bytes)], n, { type: 'image/png' }));
      (document.querySelector(sel) as HTMLElement & { addFiles(f: File[]): void }).addFiles(files);
    },
    [el, names, bytes] as const,
  );
  await waitDone(page, 3);
  const shown = await page.locator(`${el} tr.row button.open`).evaluateAll((bs) => bs.map((b) => [b.textContent, b.querySelector('bdi') ? 'isolated' : 'split']));
  expect(shown).toEqual([
    ['a😀mage.png', 'split'],
    ['تقرير 2024 نهائي.png', 'isolated'],
    ['x\\u202egnp.exe.png', 'split'],
  ]);
  // The page's CSP allows no fetch of blob: URLs: the thumbnail's row gives its file instead.
  await dropData(page, { 'text/uri-list': (await page.locator(`${el} tr.row img`).first().getAttribute('src'))! });
  await waitDone(page, 4);
  await expect(rows(page).nth(3)).toHaveAttribute('data-name', names[0]);
  await expect(page.locator(`${el} .notice`)).toBeEmpty();
});

test("a row's thumbnail dragged onto another element on the page is checked there; a narrow column gets the compact table", async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00005.png']);
  await waitDone(page, 1);
  // A second element in a 300 px column of this wide page.
  await page.evaluate(() => {
    const box = Object.assign(document.createElement('div'), { style: 'width: 300px' });
    const two = Object.assign(document.createElement('histoscan-detector'), { id: 'two' });
    for (const [k, v] of Object.entries({ model: 'models/fashion-cnn.onnx', profile: 'profiles/fashion-cnn.hsp', spec: 'models/fashion-cnn.json' })) two.setAttribute(k, v);
    box.append(two);
    document.body.append(box);
  });
  const two = page.locator('#two');
  await expect(two).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await dropData(page, { 'text/uri-list': (await page.locator(`${el} tr.row img`).first().getAttribute('src'))! }, '#two');
  await expect(two.locator('tr.row[data-state="done"]')).toHaveCount(1, { timeout: 60_000 });
  await expect(two.locator('tr.row')).toHaveAttribute('data-name', '00005.png');
  // The element's own width decides: the verdict is within its 300 px, the columns it hides are not shown.
  const [box, verdict] = [await two.boundingBox(), await two.locator('tr.row .verdict').boundingBox()];
  expect(verdict!.x + verdict!.width).toBeLessThanOrEqual(box!.x + box!.width + 1);
  await expect(two.locator('tr.row td.hide-sm').first()).toBeHidden();
  await expect(page.locator(`${el} tr.row td.hide-sm`).first()).toBeVisible();
  // As a flex item beside a page's own panel it keeps its width (size containment on the host made it 0 px wide).
  await page.evaluate(() => {
    const row = Object.assign(document.createElement('div'), { style: 'display: flex; gap: 1rem' });
    const panel = Object.assign(document.createElement('div'), { style: 'width: 300px', textContent: 'a page of its own' });
    document.body.append(row);
    row.append(panel, document.querySelector('#two')!);
  });
  expect((await two.boundingBox())!.width).toBeGreaterThan(300);
});
