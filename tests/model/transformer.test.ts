// Transformers: `auto` finds the GELU of each block (exported as Erf arithmetic, also behind
// quantized MatMuls) and reads a [tokens, features] tensor per feature, so channel means, the plan and
// the Gaussian part average a hidden unit over the tokens, as they average a convolution channel over
// its map. Hugging Face exports leave the size symbolic: their preprocessor_config.json gives it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile } from '../../src/core/index.ts';
import { gaussFeatures } from '../../src/core/gauss.ts';
import { erfc } from '../../src/core/pvalues.ts';
import { rng } from '../../src/core/rng.ts';
import { buildDefaults } from '../../src/defaults.ts';
import { Detector } from '../../src/detector/index.ts';
import { inspectModel } from '../../src/model/onnx.ts';
import { classNamesFromConfig, fromPreprocessorConfig, specSource } from '../../src/model/spec.ts';
import { InstrumentedModel } from '../../src/model/session.ts';
import { noiseImages } from './noise-images.ts';

const MODEL = new Uint8Array(readFileSync('tests/fixtures/models/tiny-vit.onnx'));
const GELU = '/act/Mul_1_output_0';
const FC1 = '/fc1/Add_output_0';
const [TOKENS, HIDDEN] = [10, 16];

const images = (seed: number, count: number) => noiseImages(seed, count, 12);

describe('a vision transformer', () => {
  it('auto monitors the GELU (x·Φ(x) of the first MLP layer) and the class token, not the Erf inside it', async () => {
    const info = inspectModel(MODEL);
    expect(info.autoLayers).toEqual([GELU, '/Gather_1_output_0']);
    // Its features are on the last axis (a MatMul wrote them), a convolution's on the first.
    expect([info.featureAxis[GELU], info.featureAxis['/embed/Conv_output_0']]).toEqual(['last', 'first']);
    // The picked tensor is the activation itself: x·Φ(x) of the dense layer before it, element for element.
    const model = await InstrumentedModel.create(MODEL, { provider: 'wasm', layers: [FC1, GELU] });
    const r = rng(3);
    const out = await model.run(Float32Array.from({ length: 144 }, () => r()), [1, 1, 12, 12]);
    const [x, y] = [FC1, GELU].map((n) => out.activations.find((a) => a.name === n)!);
    expect(y.dims).toEqual([1, TOKENS, HIDDEN]);
    x.data.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v * 0.5 * erfc(-v / Math.SQRT2), 5));
    model.release();
  });

  it('offers no tensor of shapes as a layer, and refuses attention scores whose heads share the batch axis', async () => {
    const info = inspectModel(MODEL);
    // Shape, and the integers computed from it (Gather, Unsqueeze, Concat into a Reshape's target), vary with no pixel.
    expect(info.candidates.filter((c) => c.opType === 'Shape' || c.name.startsWith('/attn/Shape'))).toEqual([]);
    expect(info.candidates.map((c) => c.name)).toContain('/attn/Softmax_output_0');
    await expect(Detector.create({ model: MODEL, provider: 'wasm', layers: ['/attn/Shape_output_0'] })).rejects.toThrow(/is computed from the model's weights or an input's shape alone/);
    // [heads, tokens, tokens] for one image: refused from the first run, not halfway through a build.
    await expect(Detector.create({ model: MODEL, provider: 'wasm', layers: ['/attn/Softmax_output_0'] })).rejects.toThrow(/Layer "\/attn\/Softmax_output_0" is \[2, 10, 10\] for one image and no axis of it counts images/);
  });

  it('a dynamically quantized export (MatMulInteger, as transformers.js ships q8 models) is monitored at the same GELU', async () => {
    const q8 = new Uint8Array(readFileSync('tests/fixtures/models/tiny-vit-q8.onnx'));
    const info = inspectModel(q8);
    expect(info.autoLayers).toEqual([GELU, '/Gather_1_output_0']);
    expect(info.featureAxis[GELU]).toBe('last');
    // Its GELU runs in onnxruntime-web and stays close to the float model's (8-bit weights and inputs).
    const r = rng(8);
    const x = Float32Array.from({ length: 144 }, () => r());
    const gelu = async (bytes: Uint8Array) => {
      const m = await InstrumentedModel.create(bytes, { provider: 'wasm', layers: [GELU] });
      const out = (await m.run(x, [1, 1, 12, 12])).activations[0].data;
      m.release();
      return out;
    };
    const [a, b] = [await gelu(MODEL), await gelu(q8)];
    const scale = Math.max(...Array.from(a, Math.abs));
    a.forEach((v, i) => expect(Math.abs(b[i] - v)).toBeLessThan(0.02 * scale));
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('a quantized head reads its features through DynamicQuantizeLinear: the float tensor before it is the penultimate', async () => {
    const bytes = new Uint8Array(readFileSync('tests/fixtures/models/dense-q8.onnx'));
    // Not the uint8 tensor the head's MatMulInteger reads: the Relu it was quantized from.
    expect(inspectModel(bytes).autoLayers).toEqual(['h']);
    const d = await Detector.create({ model: bytes, provider: 'wasm' });
    const built = await d.build(images(6, 40), images(7, 20), buildDefaults({ bins: 8, batchSize: 8 }));
    d.useProfile(built.profile);
    expect((await d.check(await images(8, 1).load(0), 'x')).q).toBeGreaterThan(0);
    d.release();
  });

  it('reads [tokens, features] per feature: channel means over the tokens, in the plan, the profile and the Gaussian part', async () => {
    const d = await Detector.create({ model: MODEL, provider: 'wasm', layers: [GELU], reduction: 'channel-mean' });
    expect(d.features.layers).toEqual([{ name: GELU, shape: [TOKENS, HIDDEN], channelAxis: 1, reduction: 'channel-mean', nodes: HIDDEN }]);
    const img = await images(4, 1).load(0);
    const means = (await d.features.nodeValues([img])).nodes;
    d.release();

    // Reference: the raw [tokens, features] tensor, averaged per feature by hand.
    const whole = await Detector.create({ model: MODEL, provider: 'wasm', layers: [GELU], reduction: 'element' });
    const raw = (await whole.features.nodeValues([img])).nodes;
    const ref = Array.from({ length: HIDDEN }, (_, c) => Array.from({ length: TOKENS }, (_, t) => raw[t * HIDDEN + c]).reduce((a, b) => a + b, 0) / TOKENS);
    ref.forEach((v, c) => expect(means[c]).toBeCloseTo(v, 6));
    // The Gaussian part reads the same means from the element-wise nodes.
    const layer = whole.features.layers[0];
    expect(layer.channelAxis).toBe(1);
    Array.from(gaussFeatures(raw, [layer])).forEach((v, c) => expect(v).toBeCloseTo(ref[c], 6));
    whole.release();
  });

  it('builds and checks with the default plan; a profile that read the tokens as channels is refused', async () => {
    const d = await Detector.create({ model: MODEL, provider: 'wasm' });
    const built = await d.build(images(1, 40), images(2, 20), buildDefaults({ bins: 8, batchSize: 8 }));
    const profile = decodeProfile(encodeProfile(built.profile));
    expect(profile.header.layers.map((l) => [l.name, l.channelAxis])).toEqual([[GELU, 1], ['/Gather_1_output_0', undefined]]);
    expect(profile.header.gauss?.d).toBe(HIDDEN + 8);
    d.useProfile(profile);
    const res = await d.check(await images(5, 1).load(0), 'x');
    expect(res.q).toBeGreaterThan(0);

    // As histoscan before this version wrote it: no channel axis, so channel means were per token.
    const old = decodeProfile(encodeProfile(built.profile));
    delete old.header.layers[0].channelAxis;
    expect(() => d.useProfile(old)).toThrow(/on axis 0, this version on axis 1.*Rebuild the profile/);
    d.release();
  });
});

describe('a Hugging Face export with a symbolic height and width', () => {
  const DYNAMIC = new Uint8Array(readFileSync('tests/fixtures/models/tiny-vit-dynamic.onnx'));
  const config = JSON.parse(readFileSync('tests/fixtures/models/tiny-vit-hf/preprocessor_config.json', 'utf8'));

  it('its preprocessor_config.json gives the size and scaling; the model gives input, channels and layout', async () => {
    await expect(Detector.create({ model: DYNAMIC, provider: 'wasm' })).rejects.toThrow(/size is not fixed.*preprocessor_config\.json/);
    const d = await Detector.create({ model: DYNAMIC, provider: 'wasm', ...specSource(config) });
    expect(d.features.spec).toEqual({ inputName: 'input', height: 12, width: 12, channels: 1, layout: 'nchw', scale: 255, mean: [0.5], std: [0.5], resize: 'stretch' });
    // The same logits as the static-size model fed the same normalised pixels.
    const img = await images(9, 1).load(0);
    const plain = await Detector.create({ model: MODEL, provider: 'wasm', spec: d.features.spec });
    const [a, b] = [(await d.features.nodeValues([img])).logits[0], (await plain.features.nodeValues([img])).logits[0]];
    expect(Array.from(a)).toEqual(Array.from(b));
    // A size the model does not take: the error says which input was fed, and where a size comes from.
    await expect(Detector.create({ model: DYNAMIC, provider: 'wasm', spec: { ...d.features.spec, height: 32, width: 32 } })).rejects.toThrow(/fed an input of \[1, 1, 32, 32\]: is that the shape this model takes\? Give it with --size, --channels and --layout or a spec/);
    d.release();
    plain.release();
  });

  it('reads the size forms image processors use, and says when there is none', () => {
    // Resized to 256, then 224 cropped: the middle 0.875 of the centred square.
    expect(fromPreprocessorConfig({ size: { shortest_edge: 256 }, do_center_crop: true, crop_size: { height: 224, width: 224 }, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] })).toEqual({
      height: 224, width: 224, scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop', crop: 0.875,
    });
    expect(fromPreprocessorConfig({ size: { shortest_edge: 224 }, do_center_crop: true, crop_size: 224 })).toMatchObject({ height: 224, resize: 'center-crop' });
    expect(fromPreprocessorConfig({ size: { shortest_edge: 224 }, do_center_crop: true, crop_size: 224 }).crop).toBeUndefined();
    // ConvNeXt's crop_pct: under 384 the short side goes to size / crop_pct and size is cropped; from 384 the image is warped.
    expect(fromPreprocessorConfig({ size: { shortest_edge: 224 }, crop_pct: 0.875 })).toMatchObject({ height: 224, width: 224, resize: 'center-crop', crop: 0.875 });
    expect(fromPreprocessorConfig({ size: { shortest_edge: 384 }, crop_pct: 0.875 })).toMatchObject({ height: 384, width: 384, resize: 'stretch' });
    expect(fromPreprocessorConfig({ size: 384, do_rescale: false, do_normalize: false, image_mean: [0.5] })).toEqual({ height: 384, width: 384, scale: 1, mean: [0], std: [1], resize: 'stretch' });
    expect(() => fromPreprocessorConfig({ image_processor_type: 'X', image_mean: [0.5] })).toThrow(/gives no size/);
    // Class names from a config.json's id2label (merged into the config), every index or none.
    expect(specSource({ image_mean: [0.5], size: 12, id2label: { 0: 'cat', 1: 'dog' } }).spec?.classNames).toEqual(['cat', 'dog']);
    expect(classNamesFromConfig({ id2label: { 0: 'cat', 2: 'dog' } })).toBeUndefined();
    // A histoscan spec is still one.
    expect(specSource({ inputName: 'x', height: 8, width: 8, channels: 3, layout: 'nchw', scale: 255 })).toHaveProperty('spec');
  });
});

// PyTorch's nn.TransformerEncoder without batch_first runs [tokens, batch, features]: the image axis is the second.
describe('a tokens-first transformer (nn.TransformerEncoder as PyTorch builds it by default)', () => {
  const model = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/models/${name}.onnx`));
  const [DYNAMIC, FIXED] = [model('tokens-first'), model('tokens-first-fixed')];
  const RELU = '/enc/layers.0/Relu_output_0';

  /**
   * The nodes of three images run together, after checking that they are what each image gives alone
   * and what the same weights exported with the batch fixed to 1 (run one image at a time) give.
   */
  async function batchChecked(d: Detector, fixedModel: Uint8Array, seed: number): Promise<Float32Array> {
    const imgs = await Promise.all([0, 1, 2].map((i) => images(seed, 3).load(i)));
    const together = (await d.features.nodeValues(imgs)).nodes;
    const N = d.features.nodes;
    for (let i = 0; i < 3; i++) expect(Array.from(together.subarray(i * N, (i + 1) * N))).toEqual(Array.from((await d.features.nodeValues([imgs[i]])).nodes));
    const f = await Detector.create({ model: fixedModel, provider: 'wasm' });
    (await f.features.nodeValues(imgs)).nodes.forEach((v, k) => expect(v).toBeCloseTo(together[k], 5));
    f.release();
    return together;
  }

  it('reads its [tokens, N, features] layers per image: a batch gives what each image gives alone, and what the batch-1 export gives', async () => {
    const d = await Detector.create({ model: DYNAMIC, provider: 'wasm' });
    expect(d.features.layers.map((l) => [l.name, l.shape, l.channelAxis])).toEqual([[RELU, [9, 16], 1], ['/ReduceMean_output_0', [8], undefined]]);
    const together = await batchChecked(d, FIXED, 6);
    // Reference: the raw tensor of one image, [9, 1, 16] as the model gives it, is that image's nodes in order.
    const raw = await InstrumentedModel.create(DYNAMIC, { provider: 'wasm', layers: [RELU] });
    const out = await raw.run(d.features.input(await images(6, 3).load(1)), [1, 1, 12, 12]);
    expect(out.activations[0].dims).toEqual([9, 1, 16]);
    const N = d.features.nodes;
    expect(Array.from(together.subarray(N, N + 144))).toEqual(Array.from(out.activations[0].data));
    raw.release();
    d.release();
  });

  it('finds the image axis among several of size 1: a gate per token [tokens, N, 1], one pooled token [1, N, features]', async () => {
    const d = await Detector.create({ model: model('tokens-first-gated'), provider: 'wasm' });
    // The head's input takes the pooled token out of its size-1 axis (Gather): the same 8 values, left out by the plan.
    expect(d.features.layers.map((l) => [l.name, l.shape])).toEqual([[RELU, [9, 16]], ['/Sigmoid_output_0', [9, 1]], ['/Relu_output_0', [1, 8]]]);
    expect(d.features.plan!.dropped.map((l) => l.name)).toEqual(['/Gather_output_0']);
    expect(d.features.plan!.notes[0]).toBe('left out "/Gather_output_0": it holds the values of "/Relu_output_0", monitored already.');
    await batchChecked(d, model('tokens-first-gated-fixed'), 7);
    d.release();
    // Reference: both read when asked for by name (no plan), the pooled token's ReLU equals the Gather of it, image by image.
    const both = await Detector.create({ model: model('tokens-first-gated'), provider: 'wasm', layers: ['/Relu_output_0', '/Gather_output_0'], reduction: 'element' });
    const N = both.features.nodes;
    expect(N).toBe(16);
    const values = (await both.features.nodeValues(await Promise.all([0, 1, 2].map((i) => images(7, 3).load(i))))).nodes;
    for (let i = 0; i < 3; i++) expect(Array.from(values.subarray(i * N, i * N + 8))).toEqual(Array.from(values.subarray(i * N + 8, i * N + 16)));
    both.release();
  });

  it('builds with the default plan and checks; a tensor whose size-1 axis does not count images stays refused', async () => {
    const d = await Detector.create({ model: DYNAMIC, provider: 'wasm' });
    const built = await d.build(images(1, 40), images(2, 20), buildDefaults({ bins: 8, batchSize: 8 }));
    d.useProfile(decodeProfile(encodeProfile(built.profile)));
    const res = await d.check(await images(5, 1).load(0), 'x');
    expect(res.q).toBeGreaterThan(0);
    d.release();
    // Attention scores [N · heads, tokens, tokens]: [2, 9, 9] for one image, no axis counts images.
    await expect(Detector.create({ model: DYNAMIC, provider: 'wasm', layers: ['/enc/layers.0/self_attn/Softmax_output_0'] })).rejects.toThrow(/is \[2, 9, 9\] for one image and no axis of it counts images/);
  });
});
