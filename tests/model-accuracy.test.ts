// The committed default model against the committed data sets, with plain onnxruntime-web and pngjs
// only (no histoscan code), so that a bug in the engine cannot hide a broken model or data set.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

ort.env.wasm.numThreads = 1;

const MODEL_PATH = 'public/models/fashion-cnn.onnx';
const stats = JSON.parse(readFileSync('data/stats.json', 'utf8'));
const spec = JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8'));
const ATTACKS = ['fgsm-0.05', 'fgsm-0.1', 'pgd-0.05', 'pgd-0.1'];
const BATCH = 250;

/** 28x28 8-bit grayscale PNG → the model input (pixel / 255). pngjs gives RGBA: take R. */
function pixels(path: string): Float32Array {
  const png = PNG.sync.read(readFileSync(path));
  if (png.width !== 28 || png.height !== 28) throw new Error(`${path}: ${png.width}x${png.height}, expected 28x28`);
  const out = new Float32Array(784);
  for (let i = 0; i < 784; i++) out[i] = png.data[4 * i] / 255;
  return out;
}

function loadSet(set: string): { files: string[]; labels: number[] } {
  const files = readdirSync(`data/${set}`).filter((f) => f.endsWith('.png')).sort();
  const labels: number[] = JSON.parse(readFileSync(`data/${set}/labels.json`, 'utf8')).labels;
  return { files: files.map((f) => `data/${set}/${f}`), labels };
}

let session: ort.InferenceSession;

async function logits(files: string[]): Promise<Float32Array> {
  const input = new Float32Array(files.length * 784);
  files.forEach((f, i) => input.set(pixels(f), i * 784));
  const out = await session.run({ [spec.inputName]: new ort.Tensor('float32', input, [files.length, 1, 28, 28]) });
  return out[spec.outputName].data as Float32Array;
}

const argmax = (row: Float32Array): number => row.indexOf(Math.max(...row));

async function predictions(set: string): Promise<{ pred: number[]; labels: number[] }> {
  const { files, labels } = loadSet(set);
  expect(files.length, set).toBe(labels.length);
  const pred: number[] = [];
  for (let s = 0; s < files.length; s += BATCH) {
    const l = await logits(files.slice(s, s + BATCH));
    for (let i = 0; i < l.length / 10; i++) pred.push(argmax(l.subarray(i * 10, i * 10 + 10)));
  }
  return { pred, labels };
}

const accuracy = ({ pred, labels }: { pred: number[]; labels: number[] }): number =>
  pred.filter((p, i) => p === labels[i]).length / pred.length;

beforeAll(async () => {
  session = await ort.InferenceSession.create(new Uint8Array(readFileSync(MODEL_PATH)));
});
afterAll(async () => {
  await session?.release();
});

describe('default model (onnxruntime-web, Node) on the committed data sets', () => {
  it('the model bytes match the sha256 file', () => {
    const line = readFileSync(`${MODEL_PATH}.sha256`, 'utf8');
    expect(line).toMatch(/^[0-9a-f]{64} [ *]fashion-cnn\.onnx\n$/);
    expect(createHash('sha256').update(readFileSync(MODEL_PATH)).digest('hex')).toBe(line.slice(0, 64));
  });

  it('is a plain model: one input "input" and one output "logits"', () => {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logits']);
  });

  let cleanAccuracy: Promise<number> | undefined;
  const clean = () => (cleanAccuracy ??= predictions('clean').then(accuracy));

  it('every set has one label per PNG, in range', () => {
    const sizes: Record<string, number> = { background: 10000, calibration: 2000, clean: 1000, synth: 1000, 'ood-mnist': 1000 };
    for (const set of [...Object.keys(sizes), ...ATTACKS]) {
      const { files, labels } = loadSet(set);
      expect(files.length, set).toBe(sizes[set] ?? 1000);
      expect(labels.length, set).toBe(files.length);
      expect(labels.every((l) => Number.isInteger(l) && l >= 0 && l < 10), set).toBe(true);
    }
  });

  it('clean accuracy is within 0.01 of data/stats.json', async () => {
    const acc = await clean();
    expect(Math.abs(acc - stats.clean.accuracy)).toBeLessThanOrEqual(0.01);
    expect(acc).toBeGreaterThanOrEqual(0.89);
  });

  for (const set of ATTACKS) {
    it(`${set}: accuracy within 0.01 of data/stats.json and clearly below clean`, async () => {
      const acc = accuracy(await predictions(set));
      expect(Math.abs(acc - stats[set].accuracy)).toBeLessThanOrEqual(0.01);
      expect(acc).toBeLessThanOrEqual((await clean()) - 0.1);
    });
  }

  it('logits of the first clean images equal the torch reference', async () => {
    const ref = JSON.parse(readFileSync('tests/fixtures/reference-activations.json', 'utf8'));
    const l = await logits(ref.images.map((f: string) => `data/clean/${f}`));
    expect([ref.images.length, 10]).toEqual(ref.logits.shape);
    let maxErr = 0;
    for (let i = 0; i < l.length; i++) maxErr = Math.max(maxErr, Math.abs(l[i] - ref.logits.data[i]));
    expect(maxErr).toBeLessThan(1e-4);
  });
});
