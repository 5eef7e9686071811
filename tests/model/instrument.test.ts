import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectModel, instrumentModel, ModelError, resolveLayers } from '../../src/model/onnx.ts';
import { ort } from '../../src/model/runtime.ts';
import { InstrumentedModel } from '../../src/model/session.ts';
import { specFromModel } from '../../src/model/preprocess.ts';
import { rng } from '../../src/core/rng.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/models/${name}`));
const models = ['constant-weights.onnx', 'resnetish-nhwc-rgb.onnx', 'rgb-opset11.onnx', 'gray-opset21.onnx'];
const all = [...models.map((m) => [m, fixture(m)] as const), ['fashion-cnn.onnx', new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'))] as const];

function randomInput(bytes: Uint8Array, batch: number) {
  const spec = specFromModel(inspectModel(bytes));
  const dims = spec.layout === 'nchw' ? [batch, spec.channels, spec.height, spec.width] : [batch, spec.height, spec.width, spec.channels];
  const r = rng(3);
  return { spec, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r()) };
}

describe('model instrumentation', () => {
  it.each(all)('%s: instrumented logits equal the plain model, original outputs first', async (_name, bytes) => {
    const info = inspectModel(bytes);
    const layers = resolveLayers(info, 'auto');
    expect(layers.length).toBeGreaterThan(0);
    const { spec, dims, data } = randomInput(bytes, 3);
    ort.env.wasm.numThreads = 1;
    const plain = await ort.InferenceSession.create(bytes);
    const ref = (await plain.run({ [spec.inputName]: new ort.Tensor('float32', data, dims) }))[info.outputs[0].name].data as Float32Array;
    const instrumented = inspectModel(instrumentModel(bytes, layers));
    expect(instrumented.outputs.map((o) => o.name)).toEqual([info.outputs[0].name, ...layers]);
    const model = await InstrumentedModel.create(bytes, { layers: 'auto' });
    const out = await model.run(data, dims);
    expect(Array.from(out.logits)).toEqual(Array.from(ref));
    expect(out.activations.map((a) => a.name)).toEqual(layers);
    for (const a of out.activations) expect(a.dims[0]).toBe(3);
    model.release();
  });

  it('auto layers are the activations of conv/dense blocks plus the penultimate features', () => {
    const pick = (m: string) => inspectModel(fixture(m)).autoLayers.map((n) => inspectModel(fixture(m)).candidates.find((c) => c.name === n)!.opType);
    expect(pick('constant-weights.onnx')).toEqual(['Relu', 'Flatten']);
    expect(pick('resnetish-nhwc-rgb.onnx')).toEqual(['Relu', 'Relu', 'ReduceMean']); // stem, residual block, pooled features
    expect(pick('rgb-opset11.onnx')).toEqual(['Relu', 'Sigmoid']);
    expect(pick('gray-opset21.onnx')).toEqual(['LeakyRelu', 'Sigmoid']);
    expect(inspectModel(fixture('gray-opset21.onnx')).opset).toBe(21);
    expect(inspectModel(fixture('constant-weights.onnx')).opset).toBe(9);
    const fashion = inspectModel(new Uint8Array(readFileSync('public/models/fashion-cnn.onnx')));
    expect(fashion.autoLayers).toEqual(['/relu1/Relu_output_0', '/relu2/Relu_output_0', '/relu3/Relu_output_0']);
  });

  it('refuses what is not an ONNX image model, with typed errors', async () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        return (e as ModelError).code;
      }
      return 'no error';
    };
    expect(code(() => inspectModel(new TextEncoder().encode('this is a text file, not a model')))).toBe('not-onnx');
    const r = rng(9);
    expect(code(() => inspectModel(Uint8Array.from({ length: 5000 }, () => Math.floor(r() * 256))))).toBe('not-onnx');
    expect(code(() => inspectModel(new Uint8Array(0)))).toBe('not-onnx');
    expect(code(() => specFromModel(inspectModel(fixture('no-image-input.onnx'))))).toBe('no-image-input');
    expect(code(() => resolveLayers(inspectModel(fixture('rgb-opset11.onnx')), ['nope']))).toBe('unknown-layer');
    const nan = await InstrumentedModel.create(fixture('nan.onnx'));
    await expect(nan.run(new Float32Array(36).fill(0.5), [1, 1, 6, 6])).rejects.toMatchObject({ code: 'nan-activation' });
  });

  it('random mutations of a model give typed errors only, never a crash or hang (seeded fuzz)', async () => {
    const base = fixture('rgb-opset11.onnx');
    const r = rng(11);
    const t0 = Date.now();
    let typed = 0;
    for (let i = 0; i < 300 && Date.now() - t0 < 20_000; i++) {
      const bad = base.slice(0, r() < 0.3 ? Math.floor(r() * base.length) : base.length);
      for (let k = 0; k < 1 + Math.floor(r() * 6); k++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      try {
        const info = inspectModel(bad);
        instrumentModel(bad, info.autoLayers);
        const m = await InstrumentedModel.create(bad);
        m.release();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(10);
  });
});
