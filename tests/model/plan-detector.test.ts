import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProfile, decodeProfile, encodeProfile, layerReductions, payloadBytes } from '../../src/core/index.ts';
import { buildDefaults, defaultPlan } from '../../src/defaults.ts';
import { Detector, type ImageSource } from '../../src/detector/index.ts';
import { decodeImage } from '../../src/model/decode-node.ts';
import { parseSpec } from '../../src/model/spec.ts';

const MODEL = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const spec = parseSpec(JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8')));
const images = (from: number, count: number): ImageSource => ({
  count,
  name: (i) => `${from + i}`,
  load: async (i) => decodeImage(readFileSync(`data/background/${String(from + i).padStart(5, '0')}.png`)),
});
const settings = buildDefaults({ bins: 8, batchSize: 16, strategy: 'uniform' as const, tail: 'upper' as const });

describe('per-layer reductions through the detector (default model)', () => {
  it('creates with the default plan, keeps a single reduction for every layer, and re-plans a build on one session', async () => {
    const d = await Detector.create({ model: MODEL, spec, provider: 'wasm' });
    expect(d.features.plan?.bytes).toBe(payloadBytes(18_944, 'tail', 16, 10_000));
    expect(d.features.layers.map((l) => l.reduction)).toEqual(['element', 'element', 'element']);

    const mean = await Detector.create({ model: MODEL, spec, provider: 'wasm', reduction: 'channel-mean' });
    expect(mean.features.layers.map((l) => l.nodes)).toEqual([16, 32, 128]);
    expect(mean.features.plan).toBeNull();
    mean.release();

    // A 40 kB budget for 30 images (1-byte counts, 8 uniform bins: 24 B/node) pools the conv layers.
    const plan = defaultPlan({ budget: 40_000, bins: 8, strategy: 'uniform', count: 30 });
    const session = d.features.model;
    const built = await d.build(images(0, 30), null, { ...settings, plan });
    expect(d.features.model).toBe(session);
    const h = built.profile.header;
    expect(layerReductions(h)).toEqual(['pool4', 'pool4', 'element']);
    expect(h.reduction).toBe('mixed');
    expect(h.nodes).toBe(256 + 512 + 128);
    expect(payloadBytes(h.nodes, h.strategy, h.bins, h.count)).toBeLessThanOrEqual(40_000);

    // The file carries the reductions: a new detector for it reduces the same way and scores.
    const back = decodeProfile(encodeProfile(built.profile));
    d.useProfile(back);
    const again = await Detector.create({ model: MODEL, spec, provider: 'wasm', profile: back });
    expect(again.features.layers.map((l) => l.reduction)).toEqual(['pool4', 'pool4', 'element']);
    const img = await images(40, 1).load(0);
    const [a, b] = [await d.check(img, 'x'), await again.check(img, 'x')];
    expect(a.score).toBe(b.score);
    again.release();

    // A detector reading the same layers otherwise takes the profile's reductions (same session), and scores as it.
    const element = await Detector.create({ model: MODEL, spec, provider: 'wasm', reduction: 'element' });
    const own = element.features.model;
    element.useProfile(back);
    expect(element.features.model).toBe(own);
    expect(element.features.layers.map((l) => l.reduction)).toEqual(['pool4', 'pool4', 'element']);
    expect((await element.check(img, 'x')).score).toBe(a.score);
    // Layers the session does not read are refused, saying where they differ.
    const one = await Detector.create({ model: MODEL, spec, provider: 'wasm', layers: [element.features.layers[2].name], reduction: 'element' });
    expect(() => one.useProfile(back)).toThrow(/monitors other layers than the model provides \(profile: 3 layers, 896 nodes; model: 1 layer, 128 nodes; layer 1: profile "[^"]+" \[256 pool4\], model "[^"]+" \[128 element\]; layer 2: profile "[^"]+" \[512 pool4\], model none; layer 3: .*model none\)\.$/);
    one.release();
    element.release();
    d.release();
  });

  it('plans a build again for the bins, classes and Gaussian part it writes, so its profile keeps to the budget as the CLI\'s does', async () => {
    const d = await Detector.create({ model: MODEL, spec, provider: 'wasm' });
    const built = await d.build(images(0, 30), null, { ...settings, bins: 255, budget: 200_000 });
    expect(built.profile.header.bins).toBe(255);
    expect(encodeProfile(built.profile).length).toBeLessThanOrEqual(200_000);
    d.release();
  });

  it('pools a map smaller than its grid without repeated rows, and names a profile made before that as one to rebuild', async () => {
    const gated = new Uint8Array(readFileSync('tests/fixtures/models/gated-acts.onnx'));
    const d = await Detector.create({ model: gated, provider: 'wasm', reduction: 'pool4' });
    // Its squeeze-and-excitation layers are [C, 1, 1]: one node per channel, not 16 copies of it.
    expect(d.features.layers.map((l) => [l.shape.join('x'), l.nodes])).toEqual([['6x12x12', 96], ['6x12x12', 96], ['8x12x12', 128], ['8x12x12', 128], ['4x1x1', 4], ['8x1x1', 8], ['8', 8]]);
    const old = d.features.layers.map((l) => ({ ...l, nodes: l.shape.length === 3 ? l.shape[0] * 16 : l.nodes }));
    const nodes = old.reduce((a, l) => a + l.nodes, 0);
    const profile = buildProfile(new Float32Array(20 * nodes).map((_, i) => i % 7), 20, { layers: old, bins: 4, strategy: 'uniform', tail: 'upper' }, { fingerprint: d.features.fingerprint, reduction: 'pool4', scan: { aMax: 0.5, tail: 'upper', pointP: 'mid' } });
    expect(() => d.useProfile(profile)).toThrow(/monitors other layers.*built by a version before 0\.4\.5, which repeated the rows of a map smaller than its pooling grid; rebuild it/);
    d.release();
  });
});

