// How a user's own model and spec meet the pipeline: a spec that gives some fields (the model says
// the rest), a typo refused, the class output chosen among several, a batch fixed above one, a size
// the model fixes otherwise, and a profile used with preprocessing other than its own.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDefaults } from '../../src/defaults.ts';
import { oneClassCalibrationWarning, oneClassWarning, otherClassNote, smallBackgroundWarning } from '../../src/detector/build-notes.ts';
import { scoreLine } from '../../src/cli/output.ts';
import { Detector } from '../../src/detector/index.ts';
import { classOutput, inspectModel } from '../../src/model/onnx.ts';
import { InstrumentedModel } from '../../src/model/session.ts';
import { parseSpec, parseSpecFields, pixelRangeWarning, resolveSpec, specFromModel } from '../../src/model/spec.ts';
import { ort } from '../../src/model/runtime.ts';
import { noiseImage, noiseImages } from './noise-images.ts';

const model = (f: string) => new Uint8Array(readFileSync(`tests/fixtures/models/${f}`));
const RGB = model('rgb-opset11.onnx');

describe('a spec that gives some fields', () => {
  it('is completed from the model, and a field name it does not know is refused', () => {
    const info = inspectModel(RGB);
    const spec = resolveSpec(info, { spec: parseSpecFields({ mean: [0.5], std: [0.5], classNames: ['a', 'b', 'c', 'd'] }) });
    expect(spec).toMatchObject({ ...specFromModel(info), mean: [0.5], std: [0.5], classNames: ['a', 'b', 'c', 'd'] });
    // Names for other classes than the output's would label every result wrongly.
    expect(() => resolveSpec(info, { spec: { classNames: ['a', 'b'] } })).toThrow(/names 2 classes \("classNames"\), but the model's output "logits" \[batch, 4\] gives 4 per image/);
    expect(() => parseSpecFields({ mean: [0.5], resise: 'center-crop' })).toThrow(/no field "resise"/);
    expect(() => parseSpecFields({ resize: 'strech' })).toThrow(/resize must be "stretch", "center-crop", "pad"/);
    expect(() => parseSpecFields({ mean: [0.5, 0.5] })).toThrow(/mean must have 1 or 3 values/);
  });

  it('a size, channel count or layout the model fixes otherwise is refused before any run, naming both', () => {
    const info = inspectModel(RGB); // [N, 3, 12, 12]
    expect(() => resolveSpec(info, { overrides: { height: 16, width: 16 } })).toThrow(/fixed at \[batch, 3, 12, 12\], but the spec feeds \[N, 3, 16, 16\]/);
    expect(() => resolveSpec(info, { overrides: { layout: 'nhwc' } })).toThrow(/but the spec feeds \[N, 12, 12, 3\]/);
  });
});

describe('the class output', () => {
  it('is the per-image vector named like scores, not an embedding listed before it; a spec may name another', async () => {
    const M = model('embedding-first.onnx');
    expect(classOutput(inspectModel(M))).toBe('logits');
    const d = await Detector.create({ model: M, provider: 'wasm' });
    expect([d.features.model.outputName, d.features.classes]).toEqual(['logits', 6]);
    d.release();
    // The model's bytes as an ArrayBuffer (what fetch gives) do as well as a Uint8Array.
    const e = await Detector.create({ model: M.slice().buffer, provider: 'wasm', spec: { outputName: 'embedding' } });
    expect(e.features.classes).toBe(4);
    e.release();
  });
});

describe('a map of class scores (a segmentation output)', () => {
  it('is read as each class\'s mean over its positions: one score per class and image', async () => {
    const M = model('segmentation-map.onnx');
    const d = await Detector.create({ model: M, provider: 'wasm' });
    expect(d.features.classes).toBe(3);
    const img = noiseImage(7, 8);
    const { logits } = await d.features.nodeValues([img]);
    ort.env.wasm.numThreads = 1;
    const plain = await (await ort.InferenceSession.create(M)).run({ x: new ort.Tensor('float32', d.features.input(img), [1, 3, 8, 8]) });
    const map = plain.scores.data as Float32Array;
    const means = [0, 1, 2].map((c) => map.subarray(64 * c, 64 * (c + 1)).reduce((a, b) => a + b, 0) / 64);
    Array.from(logits[0]).forEach((v, c) => expect(v).toBeCloseTo(means[c], 5));
    d.release();
  });

  it('ranks its classes by those means, and a result says so rather than name one class the model predicts', async () => {
    for (const [file, ofMean] of [['segmentation-map.onnx', true], ['rgb-opset11.onnx', false]] as const) {
      const d = await Detector.create({ model: model(file), provider: 'wasm' });
      const { profile } = await d.build(noiseImages(11, 30, 8), null, buildDefaults({ bins: 8, batchSize: 16 }));
      d.useProfile(profile);
      const r = await d.check(noiseImage(7, 8), 'x');
      expect(r.topOfMean, file).toBe(ofMean || undefined);
      expect(scoreLine(r).top.startsWith('mean: '), file).toBe(ofMean);
      d.release();
    }
  });
});

describe('the probabilities shown for the model\'s classes', () => {
  it('are the outputs themselves where a Sigmoid closes the model (multi-label), and a sigmoid of a single logit', async () => {
    const img = noiseImage(9, 8);
    ort.env.wasm.numThreads = 1;
    for (const [file, how] of [['multi-label.onnx', 'as-is'], ['single-logit.onnx', 'sigmoid']] as const) {
      const M = model(file);
      const d = await Detector.create({ model: M, provider: 'wasm' });
      expect(d.features.model.classProbabilities).toBe(how);
      const { profile } = await d.build(noiseImages(11, 30, 8), null, buildDefaults({ bins: 8, batchSize: 16 }));
      d.useProfile(profile);
      const r = await d.check(img, 'x');
      const plain = await (await ort.InferenceSession.create(M)).run({ x: new ort.Tensor('float32', d.features.input(img), [1, 3, 8, 8]) });
      const out = Array.from(Object.values(plain)[0].data as Float32Array);
      const want = how === 'as-is' ? Math.max(...out) : 1 / (1 + Math.exp(-out[0]));
      expect(r.top[0].prob).toBeCloseTo(want, 5);
      d.release();
    }
  });

  it("follow a spec's probabilities: a multi-label model's logits each through a sigmoid; a bad value is refused", async () => {
    const img = noiseImage(9, 12);
    const M = model('softmax-nhwc-rgb.onnx');
    const plainD = await Detector.create({ model: M, provider: 'wasm' });
    const d = await Detector.create({ model: M, provider: 'wasm', spec: { probabilities: 'sigmoid' } });
    expect([plainD.features.model.classProbabilities, d.features.model.classProbabilities]).toEqual(['softmax', 'sigmoid']);
    const { profile } = await d.build(noiseImages(11, 30, 12), null, buildDefaults({ bins: 8, batchSize: 16 }));
    // The spec's probabilities change what is shown, not the preprocessing: the profile fits both detectors.
    d.useProfile(profile);
    plainD.useProfile(profile);
    const [r, p] = [await d.check(img, 'x'), await plainD.check(img, 'x')];
    expect(r.score).toBe(p.score);
    const { logits } = await d.features.nodeValues([img]);
    const sig = Array.from(logits[0], (z) => 1 / (1 + Math.exp(-z)));
    expect(r.top.map((t) => t.prob)).toEqual(r.top.map((t) => expect.closeTo(sig[t.index], 6)));
    expect(r.top[0].index).toBe(p.top[0].index);
    expect(p.top.reduce((a, t) => a + t.prob, 0)).toBeLessThanOrEqual(1 + 1e-6);
    d.release();
    plainD.release();
    await expect(Detector.create({ model: M, provider: 'wasm', spec: { probabilities: 'relu' as 'sigmoid' } })).rejects.toThrow('probabilities must be "softmax" (one class per image) or "sigmoid" (each class its own: multi-label), not "relu"');
  });
});

describe('a batch fixed above one', () => {
  it('is filled with blank images, and each image gets the logits the plain model gives it in a full batch', async () => {
    const M = model('fixed-batch4-rgb.onnx');
    const d = await Detector.create({ model: M, provider: 'wasm' });
    const imgs = Array.from({ length: 6 }, (_, i) => noiseImage(100 + i, 12)); // one full batch of 4, then 2 filled up
    const { logits } = await d.features.nodeValues(imgs);
    const input = new Float32Array(8 * 3 * 144);
    imgs.forEach((img, i) => input.set(d.features.input(img), i * 3 * 144));
    ort.env.wasm.numThreads = 1;
    const plain = await ort.InferenceSession.create(M);
    const name = plain.outputNames[0];
    const want: number[] = [];
    for (const at of [0, 4]) {
      const out = await plain.run({ [plain.inputNames[0]]: new ort.Tensor('float32', input.slice(at * 432, (at + 4) * 432), [4, 3, 12, 12]) });
      want.push(...(out[name].data as Float32Array));
    }
    expect(logits.flatMap((l) => Array.from(l))).toEqual(want.slice(0, 6 * logits[0].length));
    const built = await d.build(noiseImages(2, 30, 12), noiseImages(3, 10, 12), buildDefaults({ bins: 8, batchSize: 8 }));
    d.useProfile(built.profile);
    expect(Number.isFinite((await d.check(noiseImage(4, 12), 'x')).score)).toBe(true);
    d.release();
  });
});

describe('a profile used with other preprocessing than its own', () => {
  it('is refused, naming the fields; the same preprocessing given again is fine', async () => {
    const d = await Detector.create({ model: RGB, provider: 'wasm' });
    const { profile } = await d.build(noiseImages(5, 30, 12), null, buildDefaults({ bins: 8, batchSize: 16 }));
    d.release();
    await expect(Detector.create({ model: RGB, provider: 'wasm', profile, overrides: { mean: [0.5], std: [0.5] } })).rejects.toThrow(
      /preprocessed otherwise than these would be \(mean 0, 0, 0 in the profile, 0.5, 0.5, 0.5 now; std 1, 1, 1 in the profile, 0.5, 0.5, 0.5 now\)/,
    );
    const same = await Detector.create({ model: RGB, provider: 'wasm', profile, overrides: { mean: [0, 0, 0], scale: 255 } });
    expect(same.profile).toBe(profile);
    same.release();
  });
});

describe('a background the model puts in one class', () => {
  it('is named with a hint to check how images are fed, from 90% of 20 or more images in one of three or more classes', () => {
    const counts = (...n: number[]) => new Map(n.map((c, i) => [i, c]));
    expect(oneClassWarning(counts(1, 1, 38), 10, ['a', 'b', 'c'])[0]).toMatch(/puts 38 of 40 background images \(95%\) in one class \(c\)\. If they are of several kinds, check how images are fed \(scale, mean, std, channel order and size: the model.s spec, or the command line.s --scale/);
    expect(oneClassWarning(counts(5, 5, 30), 10)).toEqual([]); // 75%
    expect(oneClassWarning(counts(0, 19), 10)).toEqual([]); // too few to say
    expect(oneClassWarning(counts(0, 40), 2)).toEqual([]); // two classes: a background of one kind is common
    // ... and a note says what that means for the other class's images.
    expect(otherClassNote(counts(1, 39), 2, ['upright', 'upside-down'])).toEqual([
      'the model puts 39 of 40 background images in one of its two classes (upside-down): images it puts in the other (upright) are measured against images of upside-down, and often read as unusual; if they are known-good inputs too, put some in the background.',
    ]);
    expect(otherClassNote(counts(10, 30), 2)).toEqual([]); // 75%
    expect(otherClassNote(counts(0, 19), 2)).toEqual([]); // too few to say
    expect(otherClassNote(counts(0, 40), 3)).toEqual([]); // three classes: oneClassWarning speaks
    expect(otherClassNote(counts(40), 2, undefined, true)).toEqual([]); // a map's means
  });

  it("is not named where the classes are a map's means (a text recogniser's CTC blank, a segmentation background), the same class for well-fed images", async () => {
    const counts = (...n: number[]) => new Map(n.map((c, i) => [i, c]));
    expect(oneClassWarning(counts(40), 6625, undefined, true)).toEqual([]);
    expect(oneClassCalibrationWarning(counts(30), 6625, undefined, undefined, true)).toEqual([]);
    for (const [file, map] of [['paddle-ctc.onnx', true], ['segmentation-map.onnx', true], ['rgb-opset11.onnx', false], ['single-logit.onnx', false]] as const) {
      const m = await InstrumentedModel.create(model(file), { provider: 'wasm' });
      expect(m.classMap, file).toBe(map);
      m.release();
    }
  });
});

describe('a calibration set the model puts in one class', () => {
  it('is named where the background is not of that class (or, without its counts, among three or more classes)', () => {
    const counts = (...n: number[]) => new Map(n.map((c, i) => [i, c]));
    expect(oneClassCalibrationWarning(counts(0, 28, 2), 3, [300, 100, 600], ['a', 'b', 'c'])[0]).toMatch(/^the model puts 28 of 30 calibration images \(93%\) in one class \(b\), where it puts 10% of the background: /);
    expect(oneClassCalibrationWarning(counts(0, 28, 2), 3, [100, 600, 300])).toEqual([]); // the background's own kind
    expect(oneClassCalibrationWarning(counts(0, 25, 5), 3, [300, 100, 600])).toEqual([]); // 83%
    expect(oneClassCalibrationWarning(counts(0, 19), 3, [300, 100, 600])).toEqual([]); // too few to say
    expect(oneClassCalibrationWarning(counts(30), 10)[0]).toMatch(/puts 30 of 30 calibration images \(100%\) in one class \(class 0\): the verdict/);
    expect(oneClassCalibrationWarning(counts(30), 2)).toEqual([]); // two classes, no background counts: common
  });
});

describe('a small background', () => {
  it('is named with the smallest p-value it allows, below 100 images; a shard of a larger build is not', () => {
    expect(smallBackgroundWarning(42, false)[0]).toMatch(/^only 42 background images: no node's p-value can go below 1\/43 \(2\.3%\)/);
    expect(smallBackgroundWarning(99, false)).toHaveLength(1);
    expect(smallBackgroundWarning(100, false)).toEqual([]);
    expect(smallBackgroundWarning(20, true)).toEqual([]);
  });
});

describe('pixelRangeWarning', () => {
  const spec = (o: object) => parseSpec({ inputName: 'x', height: 8, width: 8, channels: 3, layout: 'nchw', scale: 255, mean: [0], std: [1], resize: 'stretch', ...o });
  it('speaks where every pixel lands in a sliver of the input, on any channel, and not for the usual ranges', () => {
    for (const ok of [{}, { mean: [0.5], std: [0.5] }, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, { scale: 1 }, { scale: 1, mean: [123.68, 116.78, 103.94] }, { scale: 127.5, mean: [1], std: [1] }]) {
      expect(pixelRangeWarning(spec(ok)), JSON.stringify(ok)).toBeUndefined();
    }
    expect(pixelRangeWarning(spec({ mean: [127.5], std: [127.5] }))).toMatch(/^the preprocessing maps pixels 0 to 255 to \[-1\.000, -0\.992\]/);
    // One channel in another unit is enough.
    expect(pixelRangeWarning(spec({ mean: [0.485, 0.456, 104], std: [0.229, 0.224, 57] }))).toMatch(/to \[-1\.825, -1\.807\]/);
  });
});

describe('an open size that the model cannot take', () => {
  it("fails naming the size fed and the multiples that a feature pyramid's downsampling needs", async () => {
    const fpn = model('open-fpn.onnx'); // downsamples by 4, then adds an upsampled map to the half-size one
    await expect(Detector.create({ model: fpn, provider: 'wasm', spec: { height: 42, width: 42 } })).rejects.toThrow(
      /fed an input of \[1, 3, 42, 42\]: is that the shape this model takes\? Give it with --size, --channels and --layout or a spec; a convolutional model whose size is open often takes only sides that its downsampling divides \(multiples of 32 for many detectors\), which 42 and 42 are not\)/,
    );
    const ok = await Detector.create({ model: fpn, provider: 'wasm', spec: { height: 32, width: 64 } });
    expect(ok.features.spec).toMatchObject({ height: 32, width: 64 });
    ok.release();
  });
});
