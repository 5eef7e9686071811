import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ActivationError } from '../../src/core/errors.ts';
import { Detector, FeatureExtractor, type ImageSource } from '../../src/detector/index.ts';
import type { ModelSpec, RgbaImage } from '../../src/types.ts';

// x = pixel/255 - 0.5, and the monitored layer is log(x): NaN for a dark image, finite for a bright one.
const model = new Uint8Array(readFileSync('tests/fixtures/models/nan-some.onnx'));
const spec: ModelSpec = { inputName: 'x', height: 2, width: 2, channels: 1, layout: 'nchw', scale: 255, mean: [0.5], std: [1], resize: 'stretch' };
const gray = (v: number): RgbaImage => ({ width: 2, height: 2, data: Uint8Array.from({ length: 16 }, (_, i) => (i % 4 === 3 ? 255 : v)) });
const source = (values: number[]): ImageSource => ({ count: values.length, name: (i) => `img${i}`, load: async (i) => gray(values[i]) });

describe('a model that gives NaN for one image of a batch', () => {
  it('names that image with a typed error; the other images of the batch keep their values', async () => {
    const f = await FeatureExtractor.create({ model, spec, layers: ['logx'], reduction: 'element', provider: 'wasm' });
    const batch = await f.nodeValues([gray(250), gray(10), gray(200)]);
    expect([...batch.errors.keys()]).toEqual([1]);
    expect(batch.errors.get(1)).toBeInstanceOf(ActivationError);
    expect(batch.errors.get(1)!.code).toBe('non-finite');
    expect(batch.errors.get(1)!.message).toMatch(/layer "logx" at node 0/);
    for (const r of [0, 2]) for (const v of batch.nodes.subarray(r * 4, r * 4 + 4)) expect(Number.isFinite(v)).toBe(true);

    // Run in slices of one image (as a model too large for its whole batch in one run is): the same values and errors.
    const sliced = await FeatureExtractor.create({ model, spec, layers: ['logx'], reduction: 'element', provider: 'wasm', maxRunValues: 1 });
    const runs: number[] = [];
    const run = sliced.model.run.bind(sliced.model);
    sliced.model.run = (input, dims) => (runs.push(dims[0]), run(input, dims));
    const again = await sliced.nodeValues([gray(250), gray(10), gray(200)]);
    expect(runs).toEqual([1, 1, 1]);
    expect([...again.errors.keys()]).toEqual([1]);
    for (const r of [0, 2]) expect([...again.nodes.subarray(r * 4, r * 4 + 4)]).toEqual([...batch.nodes.subarray(r * 4, r * 4 + 4)]);
    expect(again.logits.map((l) => [...l])).toEqual(batch.logits.map((l) => [...l]));
    // Progress moves per session run, not per batch of 32: a large model on a slow backend would look stalled.
    const steps: number[] = [];
    const kept: number[] = [];
    await sliced.eachBatch(source([250, 10, 200]), (_, loaded) => kept.push(...loaded), { batchSize: 32, onBatch: (n) => steps.push(n) });
    expect(steps).toEqual([1, 1, 1]);
    expect(kept).toEqual([0, 2]);
    sliced.release();

    // Runs sized by the pace of the first image: a slow source (150 ms an image) moves in steps of at most 3 (about 500 ms), a fast one in large runs.
    const slow: number[] = [];
    const slowSource: ImageSource = { ...source(Array(8).fill(250)), load: (i) => new Promise((r) => setTimeout(() => r(gray(250 - i)), 150)) };
    await f.eachBatch(slowSource, () => {}, { batchSize: 32, onBatch: (n) => slow.push(n) });
    expect(slow[0]).toBe(1);
    expect(Math.max(...slow)).toBeLessThanOrEqual(3);
    expect(slow.reduce((a, b) => a + b, 0)).toBe(8);
    const fast: number[] = [];
    await f.eachBatch(source(Array(40).fill(250)), () => {}, { batchSize: 32, onBatch: (n) => fast.push(n) });
    expect(fast[0]).toBe(1);
    expect(fast.length).toBeLessThan(10);

    const seen: number[] = [];
    const skip = new Map<number, Error>();
    await f.eachBatch(source([250, 10, 200, 5, 240]), (nodes, loaded) => seen.push(...loaded), { batchSize: 5, skip });
    expect(seen).toEqual([0, 2, 4]);
    expect([...skip.keys()]).toEqual([1, 3]);
    f.release();
  });

  it('in a profile build, a calibration and a check: the bad image is reported, the others counted and checked', async () => {
    const d = await Detector.create({ model, spec, layers: ['logx'], provider: 'wasm' });
    const bright = Array.from({ length: 30 }, (_, i) => 140 + 3 * i);
    // Calibration images of other grey levels: one the background holds would be left out of it (tests/cli-habits.test.ts).
    const held = Array.from({ length: 20 }, (_, i) => 141 + 3 * i);
    const built = await d.build(source([...bright.slice(0, 10), 3, ...bright.slice(10)]), source([...held, 7]), {
      bins: 4, strategy: 'tail', tail: 'both', pointP: 'mid', aMax: 0.5, classConditional: 'none', conditional: 'mixed', combine: 'fisher', logits: 'none', gauss: false, budget: 8e6, batchSize: 8, fpr: 0.05, generator: 'test',
    });
    expect(built.profile.header.count).toBe(30);
    expect(built.profile.header.calibration!.count).toBe(20);
    expect(built.skipped.map((s) => s.file)).toEqual(['img10', 'img20']);
    d.useProfile(built.profile);
    await expect(d.check(gray(20), 'dark.png')).rejects.toMatchObject({ code: 'non-finite' });
    const ok = await d.check(gray(180), 'bright.png');
    expect(Number.isFinite(ok.score)).toBe(true);
    d.release();
  });
});
