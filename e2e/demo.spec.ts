// A demo that teaches: the detail view shows what the model received; a model from disk can be used.
import { existsSync, readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { decodeProfile, encodeProfile } from '../src/core/hsp.ts';
import type { WitnessFields } from '../src/core/witnesses.ts';
import { decodeImage } from '../src/model/decode-node.ts';
import { fromHalf, toHalf } from '../src/model/half.ts';
import { inspectModel } from '../src/model/onnx.ts';
import { toTensor } from '../src/model/preprocess.ts';
import { specFromModel } from '../src/model/spec.ts';
import { ort } from '../src/model/runtime.ts';
import { el, openDemo, rows, shot, waitDone, watchStatus } from './helpers.ts';

test('the page says what the default model knows', async ({ page }) => {
  await openDemo(page);
  await expect(page.locator('#model-world')).toContainText('28×28 grayscale');
  await expect(page.locator('#model-world')).toContainText('clothing');
});

test('the detail view shows the image as dropped and exactly as the model received it', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles(['e2e/fixtures/photo.jpg', 'data/clean/00001.png', 'e2e/fixtures/formats/clean-animated.webp']);
  await waitDone(page, 3);
  // A colour photo becomes a 28×28 gray image.
  await rows(page).nth(0).locator('button.open').click();
  await expect(page.locator(`${el} #detail [data-model-input]`)).toContainText('28×28 gray');
  await expect(page.locator(`${el} #detail .inputs img`)).toBeVisible();
  // Which evidence: every calibrated part with its own q, strongest first; a photo is far out in some.
  const parts = page.locator(`${el} #detail [data-parts] tbody tr`);
  // Six parts, the upper scan's quiet look, and the parts' joint look.
  await expect(parts).toHaveCount(8);
  await expect(page.locator(`${el} #detail [data-parts] tr[data-part="joint"]`)).toContainText('The parts together');
  // The score is the parts' combination, the subset one scan's.
  await expect(page.locator(`${el} #detail`)).toContainText("the parts' q below combined");
  await expect(page.locator(`${el} #detail`)).toContainText(/nodes form the anomalous subset \(marked in red\), which the most unusual scan \(HC, α = /);
  await expect(page.locator(`${el} #detail [data-parts] tr.strong`).first()).toBeVisible();
  await expect(page.locator(`${el} #detail .hint`).filter({ hasText: 'combines all 6 parts' })).toContainText('the 4 scans and the upper one read from below (the "quiet" row) as one witness, then that witness and the other 2 parts, and how unusual the parts are together');
  await shot(page, 'detail-model-input');
  // A 28×28 gray PNG reaches the model unchanged: the drawn pixels are the file's pixels.
  await rows(page).nth(1).locator('button.open').click();
  await expect(page.locator(`${el} #detail h2`)).toContainText('00001.png');
  await expect(page.locator(`${el} #detail [data-model-input]`)).toContainText('28×28 gray');
  const drawn = await page.locator(`${el} #detail canvas.model-input`).evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data));
  const png = await decodeImage(readFileSync('data/clean/00001.png'));
  const expected = Array.from({ length: png.width * png.height }, (_, i) => png.data[i * 4]);
  expect(drawn.filter((_, i) => i % 4 === 0)).toEqual(expected);
  // An animation is checked on its first frame, and the view says so.
  await rows(page).nth(2).locator('button.open').click();
  await expect(page.locator(`${el} #detail [data-model-input]`)).toContainText('28×28 gray: the first of 2 frames');
});

/** Loads the bundled model with its profile, the calibration's witness choice changed to `choice`, as the user's own, and opens the detail of a digit. */
async function openWithChoice(page: Page, choice: WitnessFields, name: string): Promise<void> {
  await openDemo(page);
  const p = decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));
  const { gaussAlone: _, joint: __, hedged: ___, ...cal } = p.header.calibration!;
  const changed = Buffer.from(encodeProfile({ ...p, header: { ...p.header, calibration: { ...cal, ...choice } } }));
  await page.locator(`${el} #own-model`).setInputFiles([
    { name: 'fashion-cnn.onnx', mimeType: 'application/octet-stream', buffer: readFileSync('public/models/fashion-cnn.onnx') },
    { name: `${name}.hsp`, mimeType: 'application/octet-stream', buffer: changed },
    { name: 'fashion-cnn.json', mimeType: 'application/json', buffer: readFileSync('public/models/fashion-cnn.json') },
  ]);
  await expect(page.locator(`${el} [data-local-model]`)).toContainText(`${name}.hsp`);
  await page.locator(`${el} #files`).setInputFiles(['data/ood-mnist/00002.png']);
  await waitDone(page, 1);
  await rows(page).first().locator('button.open').click();
}

test("a profile whose calibration chose the Gaussian part alone says so beside the parts, and its verdict is that part's q", async ({ page }) => {
  await openWithChoice(page, { gaussAlone: ['hc'] }, 'fashion-cnn-alone');
  const hint = page.locator(`${el} #detail .hint`).filter({ hasText: "The verdict's q is the distance to known-good images in feature space alone" });
  await expect(hint).toContainText('better than all 6 parts together');
  // The verdict's q shown in the row is the Gaussian part's row of the table.
  const gaussQ = await page.locator(`${el} #detail [data-parts] tr[data-part="gauss"] td`).nth(2).textContent();
  await expect(page.locator(`${el} #detail`)).toContainText(new RegExp(`q = (\\d+/[\\d,]+ = )?${gaussQ!.trim().replace(/[.]/g, '\\.')}[,)]`));
  await expect(page.locator(`${el} #detail`)).toContainText('the part this profile\'s verdict follows');
  await shot(page, 'detail-gauss-alone');
});

test('a profile whose calibration weighs every witness with the Gaussian part alone says so beside the parts', async ({ page }) => {
  await openWithChoice(page, { joint: ['hc'], hedged: ['hc'] }, 'fashion-cnn-hedged');
  const hint = page.locator(`${el} #detail .hint`).filter({ hasText: "The verdict's q combines all 6 parts" });
  await expect(hint).toContainText("so the verdict weighs both: that q and the Gaussian part's own, by Fisher's sum");
  await expect(page.locator(`${el} #detail [data-parts] tr[data-part="joint"]`)).toHaveCount(1);
  await shot(page, 'detail-hedged');
});

test('"Use your own model" loads an .onnx with its .hsp and spec from disk and checks with it', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #files`).setInputFiles(['data/pgd-0.1/00003.png']);
  await waitDone(page, 1);
  const before = await rows(page).first().locator('[data-score]').getAttribute('data-score');
  await page.locator(`${el} #own-model`).setInputFiles(['public/models/fashion-cnn.onnx', 'public/profiles/fashion-cnn.hsp', 'public/models/fashion-cnn.json']);
  await expect(page.locator(`${el} [data-local-model]`)).toContainText('fashion-cnn.onnx + fashion-cnn.hsp + fashion-cnn.json');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  // The bundled samples are the bundled model's: not offered beside a model from this device.
  await expect(page.locator(`${el} .gallery`)).toHaveCount(0);
  // The rows of the model before are gone with it, and the page says so.
  await expect(rows(page)).toHaveCount(0);
  await expect(page.locator(`${el} .notice`)).toContainText('The 1 row checked with the model before was cleared.');
  await page.locator(`${el} #files`).setInputFiles(['data/pgd-0.1/00003.png']);
  await waitDone(page, 1);
  // The same model and profile from disk give the same score.
  expect(await rows(page).first().locator('[data-score]').getAttribute('data-score')).toBe(before);
  // The page's model choice shows it, so that choosing the bundled model again loads it again.
  await expect(page.locator('#model-choice')).toHaveValue('own');
  await page.locator('#model-choice').selectOption('0');
  await expect(page.locator(`${el} [data-local-model]`)).toHaveCount(0);
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  await expect(page.locator(`${el} .gallery`)).toHaveCount(1);
  // Wrong picks say what is wrong, naming the files.
  const notice = page.locator(`${el} .notice`);
  await page.locator(`${el} #own-model`).setInputFiles(['public/profiles/fashion-cnn.hsp']);
  await expect(notice).toContainText('Choose an .onnx model');
  await page.locator(`${el} #own-model`).setInputFiles(['public/models/fashion-cnn.onnx', 'tests/fixtures/models/rgb-opset11.onnx', 'public/profiles/fashion-cnn.hsp']);
  await expect(notice).toContainText('Choose one model (.onnx): fashion-cnn.onnx, rgb-opset11.onnx were picked.');
  await page.locator(`${el} #own-model`).setInputFiles([
    { name: 'fashion-cnn.onnx', mimeType: 'application/octet-stream', buffer: readFileSync('public/models/fashion-cnn.onnx') },
    { name: 'cut.json', mimeType: 'application/json', buffer: Buffer.from('{"mean": [0.5') },
  ]);
  await expect(notice).toContainText('cut.json is not valid JSON');
  // A pair that does not start (a profile for another model) leaves the model in use, and its rows, as they were.
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00004.png']);
  await waitDone(page, 1);
  // The model in use keeps its worker, so nothing loads again.
  await page.evaluate(() => ((window as unknown as { inUse: unknown }).inUse = document.querySelector('histoscan-detector')!.client.worker));
  await page.locator(`${el} #own-model`).setInputFiles(['tests/fixtures/models/rgb-opset11.onnx', 'public/profiles/fashion-cnn.hsp']);
  await expect(notice).toContainText('rgb-opset11.onnx + fashion-cnn.hsp: This profile was built for another model');
  await expect(notice).toContainText('The model in use before is still in use.');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  expect(await page.evaluate(() => document.querySelector('histoscan-detector')!.client.worker === (window as unknown as { inUse: unknown }).inUse)).toBe(true);
  await expect(rows(page)).toHaveCount(1);
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00005.png']);
  await waitDone(page, 2);
  await expect(page.locator(`${el} .status.error`)).toHaveCount(0);
  // A pick made while another loads overtakes it: the last one decides, whichever finishes first.
  const own = page.locator(`${el} #own-model`);
  await own.setInputFiles(['public/models/fashion-cnn.onnx', 'public/profiles/fashion-cnn.hsp', 'public/models/fashion-cnn.json']);
  await own.setInputFiles(['tests/fixtures/models/rgb-opset11.onnx', 'public/profiles/fashion-cnn.hsp']);
  await expect(notice).toContainText('rgb-opset11.onnx + fashion-cnn.hsp: This profile was built for another model');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  await own.setInputFiles(['tests/fixtures/models/rgb-opset11.onnx', 'public/profiles/fashion-cnn.hsp']);
  await own.setInputFiles(['public/models/fashion-cnn.onnx', 'public/profiles/fashion-cnn.hsp', 'public/models/fashion-cnn.json']);
  await expect(page.locator(`${el} [data-local-model]`)).toContainText('fashion-cnn.onnx + fashion-cnn.hsp + fashion-cnn.json');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  await expect(notice).not.toContainText('another model');
  await page.locator(`${el} #own-model`).setInputFiles(['public/models/fashion-cnn.onnx']);
  // Said once: what to do, and what was picked.
  await expect(notice).toContainText('No profile for this model yet: build one from known-good images below, or load a .hsp; images wait for it. No .hsp profile was picked with fashion-cnn.onnx.');
  await shot(page, 'own-model-no-profile');
});

test("a model from disk whose spec maps every pixel into a sliver of the input is used, and the page says what to give", async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #own-model`).setInputFiles([
    { name: 'softmax-nhwc-rgb.onnx', mimeType: 'application/octet-stream', buffer: readFileSync('tests/fixtures/models/softmax-nhwc-rgb.onnx') },
    { name: 'softmax-nhwc-rgb.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ mean: [127.5], std: [127.5] })) },
  ]);
  await expect(page.locator(el)).toHaveAttribute('state', 'ready');
  await expect(page.locator(`${el} .notice`)).toContainText('The preprocessing maps pixels 0 to 255 to [-1.000, -0.992]: the model sees nearly the same value in every pixel.');
  await expect(page.locator(`${el} .notice`)).toContainText('give mean 0.5 and std 0.5');
});

test('a slow download shows how far it is, the runtime among it, then the model starting', async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  // About 4 MB/s: the bundled model and profile (5.8 MB) with onnxruntime's .wasm (28.3 MB) take about 8 s.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 4e6, uploadThroughput: 4e6 });
  const said = await watchStatus(page);
  await page.goto('/e2e/fixtures/embed.html');
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 120_000 });
  expect(said.some((t) => /^Downloading the model, profile and runtime: \d+% of 3\d\.\d MB…$/.test(t)), [...new Set(said)].join(' | ')).toBe(true);
  expect(said).toContain('Starting the model…');
});

test('images added while no model runs each get the reason; those waiting when another model starts are checked by it', async ({ page }) => {
  await page.goto('/e2e/fixtures/embed.html?profile=/profiles/missing.hsp');
  await expect(page.locator(el)).toHaveAttribute('state', 'error', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'error');
  await expect(rows(page).first()).toContainText('Not checked: the model did not start (Could not load the profile from');
  // A profile that exists: the model starts and checks the image no model could, then a new one.
  await page.evaluate(() => (document.querySelector('histoscan-detector')!.profile = '/profiles/fashion-cnn.hsp'));
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00002.png']);
  await waitDone(page, 2);
  await expect(page.locator(`${el} tr.row[data-state="done"]`)).toHaveCount(2);
  await expect(rows(page).first()).toHaveAttribute('data-name', '00001.png');
  // Images added while another model loads wait for it.
  await page.evaluate(() => (document.querySelector('histoscan-detector')!.model = '/models/fashion-cnn.onnx?again'));
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00003.png']);
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-name', '00003.png');
  await expect(rows(page).first()).toHaveAttribute('data-state', 'done');
});

test('a download that fails halfway names its file, and "Try again" starts the model', async ({ page }) => {
  let failures = 1;
  await page.route('**/profiles/fashion-cnn.hsp', (route) => (failures-- > 0 ? route.abort('connectionreset') : route.continue()));
  await page.goto('/e2e/fixtures/embed.html');
  await expect(page.locator(el)).toHaveAttribute('state', 'error', { timeout: 60_000 });
  await expect(page.locator(`${el} [part=status]`)).toContainText(/Could not start: Could not download the profile from \S+\/profiles\/fashion-cnn\.hsp \(.+\): check the connection, then try again\./);
  // An image given meanwhile says it was not checked, and the model that then starts checks it.
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png']);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'error');
  await expect(rows(page).first()).toContainText('Not checked: the model did not start');
  await page.locator(`${el} [part=status] button.retry`).click();
  await expect(page.locator(el)).toHaveAttribute('state', 'ready', { timeout: 60_000 });
  await expect(rows(page).first()).toHaveAttribute('data-state', 'done');
  await expect(page.locator(`${el} .notice`)).not.toContainText('model before');
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00002.png']);
  await waitDone(page, 2);
  await expect(rows(page).nth(1)).toHaveAttribute('data-state', 'done');
});

/**
 * A fixture model from disk, a profile built in the page on 80 background images, one image checked;
 * then the model's own output on the same pixels (a PNG: the page decodes the file's own pixels), run here.
 */
async function checkOwnModel(page: Page, model: string, run: (s: ort.InferenceSession, input: Float32Array) => Promise<number[]>): Promise<number[]> {
  await openDemo(page);
  await page.locator(`${el} #own-model`).setInputFiles([model]);
  await expect(page.locator(`${el} [data-local-model]`)).toContainText(model.split('/').pop()!);
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 80 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built', { timeout: 60_000 });
  const image = 'data/clean/00002.png';
  await page.locator(`${el} #files`).setInputFiles([image]);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'done');
  const bytes = new Uint8Array(readFileSync(model));
  return run(await ort.InferenceSession.create(bytes), toTensor(await decodeImage(readFileSync(image)), specFromModel(inspectModel(bytes))));
}

test('a model from disk with no profile: images wait for one, a build checks them, and the batch\'s cancel or clear leaves a build running', async ({ page }) => {
  await openDemo(page);
  await page.locator(`${el} #own-model`).setInputFiles(['tests/fixtures/models/rgb-opset11.onnx']);
  await expect(page.locator(`${el} [data-no-profile]`)).toHaveText('no profile yet');
  await expect(page.locator(el)).toContainText('No profile for this model yet');
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00002.png', 'data/clean/00003.png']);
  await expect(rows(page)).toHaveCount(2);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'queued'); // waiting, not failed with "No profile loaded"
  const background = Array.from({ length: 80 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`);
  await page.locator(`${el} #calib-files`).setInputFiles(background);
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built', { timeout: 60_000 });
  await waitDone(page, 2);
  for (const r of await rows(page).all()) await expect(r).toHaveAttribute('data-state', 'done');
  await expect(page.locator(el)).not.toContainText('No profile for this model yet');
  // A second build: the batch's cancel and clear stop checks, not the build (they shared the worker's one signal).
  await page.locator(`${el} #calib-files`).setInputFiles(background);
  await expect(page.locator(`${el} [data-build-stage]`)).toBeVisible();
  await page.locator(el).evaluate((d: HTMLElement & { cancel(): void; clear(): void }) => (d.cancel(), d.clear()));
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built', { timeout: 60_000 });
});

/** The row's "Model says" cell for these probabilities (a model without class names: "class 3", not a bare number beside a percentage). */
const says = (probs: number[]) => {
  const best = probs.indexOf(Math.max(...probs));
  return `class ${best} ${(100 * probs[best]).toFixed(0)}%`;
};

test('a model from disk that closes with a Softmax (NHWC, ReLU6, 5 classes): a profile built in the page, and rows show the model\'s own confidence', async ({ page }) => {
  const probs = await checkOwnModel(page, 'tests/fixtures/models/softmax-nhwc-rgb.onnx', async (s, input) =>
    Array.from((await s.run({ input: new ort.Tensor('float32', input, [1, 12, 12, 3]) })).logits.data as Float32Array),
  );
  await expect(rows(page).first().locator('td').nth(2)).toHaveText(says(probs));
});

test('a half-precision model from disk (float16 input, weights and output): a profile built in the page, and rows show its own confidence', async ({ page }) => {
  // Run in half precision: its logits come as bits, decoded, then softmax.
  const probs = await checkOwnModel(page, 'tests/fixtures/models/rgb-fp16.onnx', async (s, input) => {
    const logits = Array.from(fromHalf((await s.run({ input: new ort.Tensor('float16', toHalf(input), [1, 3, 12, 12]) })).logits.data as Uint16Array));
    const exp = logits.map((v) => Math.exp(v - Math.max(...logits)));
    return exp.map((e) => e / exp.reduce((x, y) => x + y));
  });
  await expect(rows(page).first().locator('td').nth(2)).toHaveText(says(probs));
});

test('a vision transformer from disk, sized by its preprocessor_config.json: the page builds its profile on the blocks\' GELU and shows their [tokens × features] p-values', async ({ page }) => {
  // A symbolic height and width, as Hugging Face exports have them: the config gives the size.
  const files = ['tests/fixtures/models/tiny-vit-dynamic.onnx', 'tests/fixtures/models/tiny-vit-hf/preprocessor_config.json', 'tests/fixtures/models/tiny-vit-hf/config.json'];
  await openDemo(page);
  await page.locator(`${el} #own-model`).setInputFiles(files);
  await expect(page.locator(`${el} [data-local-model]`)).toContainText('tiny-vit-dynamic.onnx + preprocessor_config.json + config.json');
  await page.locator(`${el} #calib-files`).setInputFiles(Array.from({ length: 80 }, (_, i) => `data/background/${String(i).padStart(5, '0')}.png`));
  await expect(page.locator(`${el} [data-build]`)).toContainText('Profile built', { timeout: 60_000 });
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00002.png', 'data/ood-mnist/00000.png']);
  await waitDone(page, 2);
  await expect(rows(page).nth(1)).toHaveAttribute('data-state', 'done');
  // The class names come from config.json's id2label.
  await expect(rows(page).nth(1).locator('td').nth(2)).toHaveText(/^(circle|square|triangle) \d+%$/);
  await rows(page).nth(1).locator('button.open').click();
  await expect(page.locator(`${el} #detail [data-model-input]`)).toContainText('12×12 gray');
  // The GELU output of the block (what auto monitors) with its tokens and features, then the class token.
  const maps = page.locator(`${el} #detail hs-pvalue-map`);
  await expect(maps).toHaveCount(2);
  // Named as the views name layers (layerLabel), the tensor's full name on hover.
  await expect(maps.nth(0).locator('strong[title="/act/Mul_1_output_0"]')).toHaveText('act/Mul_1');
  await expect(maps.nth(0)).toContainText('160 nodes [10×16]');
  await expect(maps.nth(0).locator('canvas')).toHaveAttribute('aria-label', /one 10×16 grid of tokens by features/);
  await maps.nth(0).locator('canvas').focus();
  await expect(maps.nth(0)).toContainText('Node 0 (token 0, feature 0)');
  // The most anomalous nodes name their token and feature too.
  await expect(page.locator(`${el} #detail .nodes button`).first()).toHaveText(/^(act\/Mul_1 token \d+, feature \d+|Gather_1 #\d) · p /);
  await shot(page, 'detail-transformer');
});

const photoModel = '/models/extra/photo-model/';
const built = existsSync(`public${photoModel}model.onnx`);

test('a model the page offers but this server lacks: the page says how to build it and keeps the model in use', async ({ page }) => {
  await page.route(`**${photoModel}**`, (r) => r.fulfill({ status: 404 }));
  await openDemo(page);
  await page.locator('#model-choice').selectOption({ label: 'Photo model: MobileNetV3, 80 COCO classes, 224×224' });
  await expect(page.locator('#model-note')).toContainText('bash tools/photo-model/demo.sh');
  await expect(page.locator('#model-choice')).toHaveValue('0');
  await expect(page.locator('#model-world')).toContainText('28×28 grayscale');
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'done');
});

test('choosing another model restarts the detector on that model\'s files and says what it knows', async ({ page }) => {
  // Whatever this server holds, the chosen model's URLs answer with the bundled model's files: this checks the switch.
  const asked: string[] = [];
  const bundled: Record<string, string> = { 'model.onnx': 'public/models/fashion-cnn.onnx', 'model.json': 'public/models/fashion-cnn.json', 'profile.hsp': 'public/profiles/fashion-cnn.hsp' };
  await page.route(`**${photoModel}**`, (r) => {
    const file = r.request().url().split('/').pop()!;
    asked.push(`${r.request().method()} ${file}`);
    return r.fulfill({ path: bundled[file], contentType: 'application/octet-stream' });
  });
  await openDemo(page);
  await page.locator('#model-choice').selectOption({ index: 1 });
  await expect(page.locator('#model-world')).toContainText('everyday photos');
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
  expect(asked).toEqual(expect.arrayContaining(['HEAD model.onnx', 'GET model.onnx', 'GET model.json', 'GET profile.hsp']));
  await page.locator(`${el} #files`).setInputFiles(['data/clean/00001.png']);
  await waitDone(page, 1);
  await expect(rows(page).first()).toHaveAttribute('data-state', 'done');
  // And back.
  await page.locator('#model-choice').selectOption({ index: 0 });
  await expect(page.locator('#model-world')).toContainText('28×28 grayscale');
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
});

test('the photo model, where tools/photo-model/demo.sh put it on this server: a photo meets a model that knows photos', async ({ page }) => {
  test.skip(!built, 'the photo model is not built here (bash tools/photo-model/demo.sh)');
  test.setTimeout(180_000);
  await openDemo(page);
  await page.locator('#model-choice').selectOption({ index: 1 });
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true', { timeout: 120_000 });
  await page.locator(`${el} #files`).setInputFiles(['e2e/fixtures/photo.jpg', 'data/ood-mnist/00000.png']);
  await waitDone(page, 2);
  await expect(rows(page).nth(0)).toHaveAttribute('data-state', 'done');
  await rows(page).nth(0).locator('button.open').click();
  await expect(page.locator(`${el} #detail [data-model-input]`)).toContainText('224×224');
  // A flagged image whose witnesses are each above q 0.02 scores only the tie-break: shown as such, not "0.0".
  const score = rows(page).nth(0).locator('[data-score]');
  if (Number(await score.getAttribute('data-score')) < 0.05) {
    await expect(score).toHaveText(/e-/);
    await expect(page.locator(`${el} #detail`)).toContainText('no witness reaches q 0.02 on its own');
  }
  await shot(page, 'photo-model');
});
