// Models that close with a Softmax (as Keras-style photo classifiers ship) output probabilities:
// histoscan reads the logits before it, so energy, the class ranking and the shown confidences
// are those of the logits, and the profile records where they came from.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile, mergeProfiles } from '../../src/core/index.ts';
import { buildDefaults } from '../../src/defaults.ts';
import { Detector } from '../../src/detector/index.ts';
import { inspectModel } from '../../src/model/onnx.ts';
import { ort } from '../../src/model/runtime.ts';
import { InstrumentedModel } from '../../src/model/session.ts';
import { rng } from '../../src/core/rng.ts';
import { noiseImages } from './noise-images.ts';

const MODEL = new Uint8Array(readFileSync('tests/fixtures/models/softmax-nhwc-rgb.onnx'));
const softmax = (z: ArrayLike<number>) => {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const images = (seed: number, count: number) => noiseImages(seed, count, 12);

describe('a model whose output is a softmax (or a class index first)', () => {
  it('inspect finds the Softmax input; the session reads it, and its softmax is the model output', async () => {
    const info = inspectModel(MODEL);
    expect(info.beforeSoftmax).toEqual({ logits: '/Mul_output_0' });
    // Models without a closing Softmax read their output as before.
    expect(inspectModel(new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'))).beforeSoftmax).toEqual({});

    const r = rng(5);
    const data = Float32Array.from({ length: 2 * 12 * 12 * 3 }, () => r());
    const dims = [2, 12, 12, 3];
    ort.env.wasm.numThreads = 1;
    const plain = await ort.InferenceSession.create(MODEL);
    const probs = (await plain.run({ input: new ort.Tensor('float32', data, dims) })).logits.data as Float32Array;
    const model = await InstrumentedModel.create(MODEL, { provider: 'wasm' });
    expect([model.outputName, model.logitsName]).toEqual(['logits', '/Mul_output_0']);
    const out = await model.run(data, dims);
    expect(out.logitDims).toEqual([2, 5]);
    for (let i = 0; i < 2; i++) {
      const z = out.logits.subarray(i * 5, i * 5 + 5);
      // Logits, not probabilities: they do not sum to 1, but their softmax is the model's output.
      expect(Math.abs(z.reduce((a, b) => a + b, 0) - 1)).toBeGreaterThan(1e-3);
      softmax(z).forEach((p, k) => expect(p).toBeCloseTo(probs[i * 5 + k], 6));
    }
    model.release();
  });

  it('a model whose first output is the predicted class (int64) reads the logits behind its probabilities', async () => {
    const bytes = new Uint8Array(readFileSync('tests/fixtures/models/classes-first.onnx'));
    const model = await InstrumentedModel.create(bytes, { provider: 'wasm' });
    expect([model.outputName, model.logitsName]).toEqual(['probabilities', 'z']);
    const r = rng(9);
    const data = Float32Array.from({ length: 3 * 8 * 8 }, () => r());
    const out = await model.run(data, [1, 3, 8, 8]);
    const plain = await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor('float32', data, [1, 3, 8, 8]) });
    softmax(out.logits).forEach((p, k) => expect(p).toBeCloseTo((plain.probabilities.data as Float32Array)[k], 6));
    expect(softmax(out.logits).indexOf(Math.max(...softmax(out.logits)))).toBe(Number((plain.classes.data as BigInt64Array)[0]));
    model.release();
  });

  it('the profile records where the logits came from; the shown confidence is the model\'s; a profile built on the probabilities is refused', async () => {
    const d = await Detector.create({ model: MODEL, provider: 'wasm' });
    const settings = buildDefaults({ bins: 8, batchSize: 8 });
    const built = await d.build(images(1, 40), images(2, 20), settings);
    const profile = decodeProfile(encodeProfile(built.profile));
    expect(profile.header.logitsFrom).toBe('/Mul_output_0');
    d.useProfile(profile);

    const img = await images(3, 1).load(0);
    const res = await d.check(img, 'x');
    const plain = await ort.InferenceSession.create(MODEL);
    const input = d.features.input(img);
    const probs = Array.from((await plain.run({ input: new ort.Tensor('float32', input, [1, 12, 12, 3]) })).logits.data as Float32Array);
    const best = probs.indexOf(Math.max(...probs));
    expect(res.top[0].index).toBe(best);
    expect(res.top[0].prob).toBeCloseTo(probs[best], 5);

    // A profile that read the probabilities as logits (one built before histoscan looked behind
    // the Softmax) would apply a calibration of other numbers: refused, with the way out.
    const { logitsFrom: _, ...older } = profile.header;
    expect(() => d.useProfile({ ...profile, header: older })).toThrow(/logits from "logits".*"\/Mul_output_0".*Softmax.*Rebuild the profile/);
    // Shards merge with it; a shard that read other numbers does not.
    expect(mergeProfiles([profile, { ...profile, header: { ...profile.header, count: profile.header.count + 1 } }]).header.logitsFrom).toBe('/Mul_output_0');
    expect(() => mergeProfiles([profile, { ...profile, header: older }])).toThrow(/logits from another tensor/);
    d.release();
  });
});
