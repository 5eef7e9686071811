import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Detector } from '../src/detector/index.ts';
import { decodeImage } from '../src/model/decode-node.ts';
import { toTensor } from '../src/model/preprocess.ts';
import { parseSpec } from '../src/model/spec.ts';
import { InstrumentedModel } from '../src/model/session.ts';

const MODEL = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const spec = parseSpec(JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8')));

// Accuracy, sha256 and labels are checked engine-free in model-accuracy.test.ts; these go through
// histoscan's own instrumentation and detector.
describe('the default model through the engine', () => {
  it('intermediate activations equal the torch reference within 1e-4', async () => {
    const ref = JSON.parse(readFileSync('tests/fixtures/reference-activations.json', 'utf8'));
    const names = Object.keys(ref.tensors);
    expect(names).toEqual(['/relu1/Relu_output_0', '/relu2/Relu_output_0', '/relu3/Relu_output_0']);
    const model = await InstrumentedModel.create(MODEL, { layers: names });
    const input = new Float32Array(4 * 784);
    for (const [i, f] of (ref.images as string[]).entries()) input.set(toTensor(await decodeImage(readFileSync(`data/clean/${f}`)), spec), i * 784);
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
    // It names the model the profile was built for, and why the same network exported again does not take it (a probe: opset 11 and 14 exports).
    await expect(Detector.create({ model: other, spec: { ...spec, height: 10, width: 10 }, profile })).rejects.toThrow(/built for another model, fashion-cnn\.onnx \(profile fingerprint .*exported again \(another opset\) or retrained is another model/);
    // Other reductions of the same layers are read the profile's way; other layers are refused.
    const d = await Detector.create({ model: MODEL, spec, reduction: 'channel-mean' });
    d.useProfile(profile);
    expect(d.features.layers.map((l) => l.nodes)).toEqual(profile.header.layers.map((l) => l.nodes));
    d.release();
    const two = await Detector.create({ model: MODEL, spec, layers: ['/relu1/Relu_output_0', '/relu2/Relu_output_0'] });
    expect(() => two.useProfile(profile)).toThrow(/monitors other layers/);
    two.release();
  });

  it('a reduction the API does not know (from plain JavaScript) is refused, not read as another', async () => {
    const reduction = 'none' as unknown as 'element';
    await expect(Detector.create({ model: MODEL, spec, reduction })).rejects.toThrow(/Unknown reduction "none" \(one of element, pool4, pool2, channel-mean, channel-max\)/);
  });
});
