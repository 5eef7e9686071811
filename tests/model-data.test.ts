import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Detector } from '../src/detector.ts';
import { decodeImage } from '../src/model/decode-node.ts';
import { parseSpec, toTensor } from '../src/model/preprocess.ts';
import { InstrumentedModel } from '../src/model/session.ts';

const MODEL = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const spec = parseSpec(JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8')));
const stats = JSON.parse(readFileSync('data/stats.json', 'utf8'));
const load = (set: string) => {
  const files = readdirSync(`data/${set}`).filter((f) => f.endsWith('.png')).sort();
  const labels: number[] = JSON.parse(readFileSync(`data/${set}/labels.json`, 'utf8')).labels;
  return { files: files.map((f) => `data/${set}/${f}`), labels };
};

async function accuracy(model: InstrumentedModel, set: string): Promise<number> {
  const { files, labels } = load(set);
  let correct = 0;
  for (let s = 0; s < files.length; s += 250) {
    const batch = files.slice(s, s + 250);
    const input = new Float32Array(batch.length * 784);
    batch.forEach((f, i) => input.set(toTensor(decodeImage(readFileSync(f)), spec), i * 784));
    const { logits } = await model.run(input, [batch.length, 1, 28, 28]);
    for (let i = 0; i < batch.length; i++) {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === labels[s + i]) correct++;
    }
  }
  return correct / files.length;
}

describe('the committed default model and data sets', () => {
  it('match the recorded sha256', () => {
    const recorded = readFileSync('public/models/fashion-cnn.onnx.sha256', 'utf8').split(/\s+/)[0];
    expect(createHash('sha256').update(MODEL).digest('hex')).toBe(recorded);
  });

  it('clean accuracy is within 1% of the recorded figure; every attack lowers it as recorded', async () => {
    const model = await InstrumentedModel.create(MODEL, { layers: [] });
    const clean = await accuracy(model, 'clean');
    expect(Math.abs(clean - stats.clean.accuracy)).toBeLessThanOrEqual(0.01);
    expect(clean).toBeGreaterThanOrEqual(0.89);
    for (const set of ['fgsm-0.05', 'fgsm-0.1', 'pgd-0.05', 'pgd-0.1']) {
      const acc = await accuracy(model, set);
      expect(Math.abs(acc - stats[set].accuracy), set).toBeLessThanOrEqual(0.01);
      expect(acc, set).toBeLessThan(clean - 0.3);
    }
    model.release();
  });

  it('intermediate activations equal the torch reference within 1e-4', async () => {
    const ref = JSON.parse(readFileSync('tests/fixtures/reference-activations.json', 'utf8'));
    const names = Object.keys(ref.tensors);
    expect(names).toEqual(['/relu1/Relu_output_0', '/relu2/Relu_output_0', '/relu3/Relu_output_0']);
    const model = await InstrumentedModel.create(MODEL, { layers: names });
    const input = new Float32Array(4 * 784);
    ref.images.forEach((f: string, i: number) => input.set(toTensor(decodeImage(readFileSync(`data/clean/${f}`)), spec), i * 784));
    const out = await model.run(input, [4, 1, 28, 28]);
    let maxErr = 0;
    for (const a of out.activations) {
      const r = ref.tensors[a.name];
      expect(a.dims).toEqual(r.shape);
      for (let i = 0; i < r.data.length; i++) maxErr = Math.max(maxErr, Math.abs(a.data[i] - r.data[i]));
    }
    for (let i = 0; i < ref.logits.data.length; i++) maxErr = Math.max(maxErr, Math.abs(out.logits[i] - ref.logits.data[i]));
    expect(maxErr).toBeLessThan(1e-4);
    model.release();
  });

  it('a profile for another model, or for other layers, is refused with its message', async () => {
    const { decodeProfile } = await import('../src/core/index.ts');
    const profile = decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));
    const other = new Uint8Array(readFileSync('tests/fixtures/models/gray-opset21.onnx'));
    await expect(Detector.create({ model: other, spec: { ...spec, height: 10, width: 10 }, profile })).rejects.toThrow(/built for another model/);
    const d = await Detector.create({ model: MODEL, spec, reduction: 'channel-mean' });
    expect(() => d.useProfile(profile)).toThrow(/monitors other layers/);
    d.release();
  });
});
