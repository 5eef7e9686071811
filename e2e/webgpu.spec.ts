import { execSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { el, rows, shot, waitDone } from './helpers.ts';

type Result = { provider: string; q: number | null; top: { index: number }[]; layers: { values: Float32Array }[] };

async function run(page: Page, provider: string): Promise<Result[]> {
  await page.goto(`/e2e/fixtures/embed.html?provider=${provider}`);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00000.png', 'data/pgd-0.1/00000.png']);
  await waitDone(page, 2);
  return page.evaluate(() =>
    (window as unknown as { results: Result[] }).results.map((r) => ({ provider: r.provider, q: r.q, top: r.top, layers: r.layers.map((l) => ({ values: Array.from(l.values) as unknown as Float32Array })) })),
  );
}

// Runs in the "webgpu" project: Chromium with --enable-unsafe-webgpu gives a SwiftShader (CPU)
// adapter, so onnxruntime-web's real WebGPU execution provider runs the model.
test('the WebGPU execution provider runs the model and agrees with WASM, verdict included', async ({ page }) => {
  const gpu = await run(page, 'webgpu');
  await expect(page.locator(`${el} [data-provider]`)).toHaveAttribute('data-provider', 'webgpu');
  await expect(rows(page).first().locator('td').nth(6)).toContainText('webgpu');
  await shot(page, 'webgpu');
  const cpu = await run(page, 'wasm');
  expect(gpu.map((r) => r.provider)).toEqual(['webgpu', 'webgpu']);
  expect(cpu.map((r) => r.provider)).toEqual(['wasm', 'wasm']);
  // 'cpu' asks for the CPU: in a browser that is WASM, even where a WebGPU adapter exists.
  expect((await run(page, 'cpu')).map((r) => r.provider)).toEqual(['wasm', 'wasm']);
  // 'auto' passes over a software adapter (this one), which is slower than WASM, and says so.
  expect((await run(page, 'auto')).map((r) => r.provider)).toEqual(['wasm', 'wasm']);
  await expect(page.locator(el)).toContainText('The only WebGPU adapter here is a software one');
  for (let i = 0; i < 2; i++) {
    expect(gpu[i].top[0].index).toBe(cpu[i].top[0].index);
    // Same activations up to float rounding of a different backend.
    let maxDiff = 0;
    gpu[i].layers.forEach((l, li) => (l.values as unknown as number[]).forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - (cpu[i].layers[li].values as unknown as number[])[k])))));
    expect(maxDiff).toBeLessThan(1e-3);
    // And the same verdict: p-values read a node's value to within 1e-5 of its scale (core/pvalues.ts
    // EDGE_TOL), so another backend's last bits do not move an atom's mass (identical q here).
    expect(Math.abs(gpu[i].q! - cpu[i].q!)).toBeLessThanOrEqual(0.01);
  }
});

/** The half-precision fixture from disk, a profile built in the page, one image checked: its result. */
async function runHalf(page: Page, provider: string): Promise<Result> {
  await page.goto(`/e2e/fixtures/embed.html?provider=${provider}`);
  await page.locator(`${el} #own-model`).setInputFiles(['tests/fixtures/models/rgb-fp16.onnx']);
  await expect(page.locator(`${el} [data-local-model]`)).toContainText('rgb-fp16.onnx');
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 40 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00002.png']);
  await waitDone(page, 1);
  return page.evaluate(() => {
    const r = (window as unknown as { results: Result[] }).results.at(-1)!;
    return { provider: r.provider, q: r.q, top: r.top, layers: r.layers.map((l) => ({ values: Array.from(l.values) as unknown as Float32Array })) };
  });
}

test('a half-precision model (float16 input, weights and output) runs on WebGPU where the adapter has float16 shaders, else on WASM and says why', async ({ page }) => {
  const gpu = await runHalf(page, 'webgpu');
  const f16 = await page.evaluate(async () => !!(await (navigator as unknown as { gpu: { requestAdapter(): Promise<{ features: Set<string> }> } }).gpu.requestAdapter()).features.has('shader-f16'));
  // SwiftShader has none: without them onnxruntime's WebGPU backend ran this model to zeros.
  if (!f16) await expect(page.locator(el)).toContainText('no float16 shaders (shader-f16)');
  await shot(page, 'half-precision-model');
  const cpu = await runHalf(page, 'wasm');
  expect([gpu.provider, cpu.provider]).toEqual([f16 ? 'webgpu' : 'wasm', 'wasm']);
  // The node values WASM decodes (read as bits they would be about 1e4), to the backends' half-precision rounding.
  const a = gpu.layers.flatMap((l) => l.values as unknown as number[]);
  const b = cpu.layers.flatMap((l) => l.values as unknown as number[]);
  expect(Math.max(...b.map(Math.abs))).toBeLessThan(100);
  expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(0);
  expect(Math.max(...a.map((v, k) => Math.abs(v - b[k])))).toBeLessThan(0.02);
});

test('a lost GPU device ends the worker, which starts again and checks the images after it, saying why', async ({ page }) => {
  await page.goto('/e2e/fixtures/embed.html?provider=webgpu');
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00000.png']);
  await waitDone(page, 1);
  await expect(page.locator(`${el} [data-provider]`)).toHaveAttribute('data-provider', 'webgpu');
  // A real loss: this browser's GPU process ends (as on a driver update or a crash). Before, every later
  // check stayed "checking…" for ever: onnxruntime's runs on a lost device never settle.
  const ps = execSync('ps -eo pid,ppid,args').toString().trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  const parent = new Map(ps.map(([pid, ppid]) => [Number(pid), Number(ppid)]));
  const ours = (pid: number) => {
    for (let p = pid, i = 0; p && i < 12; p = parent.get(p) ?? 0, i++) if (p === process.pid) return true;
    return false;
  };
  const gpu = ps.find((r) => r.includes('--type=gpu-process') && ours(Number(r[0])));
  expect(gpu, 'the GPU process of this test browser').toBeDefined();
  process.kill(Number(gpu![0]), 'SIGKILL');
  await page.waitForTimeout(2000);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png', 'data/pgd-0.1/00000.png']);
  await waitDone(page, 3);
  await expect(page.locator(`${el} tr.row[data-state="done"]`)).toHaveCount(3);
  await expect(page.locator(`${el} .notice`)).toContainText(/The detector worker stopped unexpectedly \(.*GPU device was lost.*\); it was restarted/);
});
