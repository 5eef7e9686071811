// The p-value map of a layer whose channels are on its last axis (a MatMul's [H, W, C], as in ConvNeXt's
// blocks), drawn in real Chromium: each channel one H x W tile, as reduce.ts lays out and pools its nodes.
import { expect, test } from '@playwright/test';
import { openEmbed } from './helpers.ts';

test('a channels-last layer is drawn one tile per channel, with the right node under each cell', async ({ page }) => {
  await openEmbed(page);
  const [H, W, C] = [3, 4, 5];
  const out = await page.evaluate(async ([H, W, C]) => {
    const map = document.createElement('hs-pvalue-map') as HTMLElement & { layer: unknown; updateComplete: Promise<unknown> };
    document.body.append(map);
    // Node (y, x, c) sits at (y·W + x)·C + c; channel 3 alone has small p-values.
    const n = H * W * C;
    const p = Float32Array.from({ length: n }, (_, i) => (i % C === 3 ? 1e-4 : 1));
    map.layer = { name: 'gelu', shape: [H, W, C], channelAxis: 2, reduction: 'element', values: new Float32Array(n), pMin: p, pMax: p };
    await map.updateComplete;
    const canvas = map.shadowRoot!.querySelector('canvas')!;
    // Bright cells (the top of the cividis scale is yellow: red channel high), read in grid cells.
    const ctx = canvas.getContext('2d')!;
    const { width, height } = canvas;
    const img = ctx.getImageData(0, 0, width, height).data;
    return { label: canvas.getAttribute('aria-label'), width, height, bright: Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => (img[(y * width + x) * 4] > 200 ? 1 : 0))) };
  }, [H, W, C]);
  expect(out.label).toContain(`one ${H}×${W} tile per channel`);
  // The bright pixels fill one H x W tile (channel 3's), not a column of every tile.
  let [x0, y0, x1, y1, lit] = [Infinity, Infinity, -1, -1, 0];
  out.bright.forEach((row, y) => row.forEach((b, x) => { if (b) [x0, y0, x1, y1, lit] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y), lit + 1]; }));
  const [w, h] = [x1 - x0 + 1, y1 - y0 + 1];
  expect(lit / (w * h)).toBeGreaterThan(0.95);
  expect(w / h).toBeCloseTo(W / H, 1);
});
