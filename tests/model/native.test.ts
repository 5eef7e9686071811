// Under Node the CLI runs models on onnxruntime-node's native CPU provider where that optional
// dependency installed, else on onnxruntime-web's WASM (model/runtime.ts). Both must give the same
// numbers within 1e-4: the default model on real images, and the small fixture models.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Detector } from '../../src/detector/index.ts';
import { fileSource, listImages } from '../../src/cli/io.ts';
import { parseSpec } from '../../src/model/spec.ts';
import { InstrumentedModel } from '../../src/model/session.ts';
import { rng } from '../../src/core/rng.ts';

const native = await import('onnxruntime-node').then(
  () => true,
  () => false,
);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.skipIf(!native)('native CPU runtime (onnxruntime-node) against WASM', () => {
  it('the default model: same logits and node values within 1e-4 on 64 real images (clean, attacked, digits)', async () => {
    const model = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
    const spec = parseSpec(JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8')));
    const files = ['clean', 'fgsm-0.1', 'ood-mnist', 'synth'].flatMap((s) => listImages([`data/${s}`]).slice(0, 16));
    const src = fileSource(files);
    const images = await Promise.all(files.map((_, i) => src.load(i)));
    const wasm = await Detector.create({ model, spec, provider: 'wasm' });
    const cpu = await Detector.create({ model, spec, provider: 'auto' });
    expect(wasm.features.provider).toBe('wasm');
    expect(cpu.features.provider).toBe('cpu');
    const a = await wasm.features.nodeValues(images);
    const b = await cpu.features.nodeValues(images);
    expect(maxDiff(a.nodes, b.nodes)).toBeLessThan(1e-4);
    for (let i = 0; i < images.length; i++) expect(maxDiff(a.logits[i], b.logits[i])).toBeLessThan(1e-4);
    // ReLU zeros are exact on both: the atoms the histograms pin.
    for (let i = 0; i < a.nodes.length; i++) if (a.nodes[i] === 0) expect(b.nodes[i]).toBe(0);
    wasm.release();
    cpu.release();
  });

  it('fixture models (NHWC, rank-3 gray, opset 11 and 21): same outputs within 1e-4', async () => {
    for (const name of ['resnetish-nhwc-rgb.onnx', 'rgb-opset11.onnx', 'gray-opset21.onnx', 'gray-rank3.onnx']) {
      const bytes = new Uint8Array(readFileSync(`tests/fixtures/models/${name}`));
      const w = await InstrumentedModel.create(bytes, { provider: 'wasm' });
      const c = await InstrumentedModel.create(bytes, { provider: 'auto' });
      expect(c.provider).toBe('cpu');
      const shape = w.info.inputs[0].shape.map((d) => (typeof d === 'number' && d > 0 ? d : 2));
      const dims = shape.length === 3 ? [shape[0], 1, shape[1], shape[2]] : shape;
      const r = rng(9);
      const x = Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => r());
      const [ow, oc] = [await w.run(x, dims), await c.run(x, dims)];
      expect(maxDiff(ow.logits, oc.logits), name).toBeLessThan(1e-4);
      ow.activations.forEach((act, k) => expect(maxDiff(act.data, oc.activations[k].data), `${name} ${act.name}`).toBeLessThan(1e-4));
      w.release();
      c.release();
    }
  });
});
