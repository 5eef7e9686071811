import { describe, expect, it } from 'vitest';
import { payloadBytes, UsageError } from '../../src/core/index.ts';
import { rng } from '../../src/core/rng.ts';
import { bytesPerNode, planProfile, planReductions, type LayerShape, type PlanBudget } from '../../src/model/plan.ts';
import { gaussBytes, gaussChoice } from '../../src/core/gauss.ts';
import { layerNodeCount } from '../../src/model/reduce.ts';

const MB = 1e6;
const at = (budget: number, count = 10_000): PlanBudget => ({ budget, bins: 16, strategy: 'tail', count });

// The default model's auto layers (public/models/fashion-cnn.onnx).
const FASHION: LayerShape[] = [
  { name: 'relu1', shape: [16, 28, 28] },
  { name: 'relu2', shape: [32, 14, 14] },
  { name: 'relu3', shape: [128] },
];

/** The ReLU6 outputs of a 224×224 MobileNetV2 (expand and depthwise of each inverted residual), plus the penultimate features. */
function mobileNetV2(): LayerShape[] {
  const out: LayerShape[] = [{ name: 'stem', shape: [32, 112, 112] }];
  let [c, h] = [32, 112];
  for (const [t, co, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]) {
    for (let k = 0; k < n; k++) {
      const e = c * t;
      if (t !== 1) out.push({ name: `b${out.length}.expand`, shape: [e, h, h] });
      if (k === 0) h /= s;
      out.push({ name: `b${out.length}.dw`, shape: [e, h, h] });
      c = co;
    }
  }
  out.push({ name: 'head', shape: [1280, 7, 7] }, { name: 'features', shape: [1280] });
  return out;
}

describe('byte-budget planner', () => {
  it('keeps the default model per element: 18,944 nodes, the payload payloadBytes counts, under 8 MB', () => {
    const plan = planReductions(FASHION, at(8 * MB));
    expect(plan.layers.map((l) => l.reduction)).toEqual(['element', 'element', 'element']);
    expect(plan.nodes).toBe(18_944);
    expect(plan.bytes).toBe(payloadBytes(18_944, 'tail', 16, 10_000));
    expect(plan.bytes).toBe(2_045_952);
    expect(plan.fits).toBe(true);
    expect(plan.dropped).toEqual([]);
  });

  it('coarsens the costliest layer first, one rung at a time, and stops at the first fit', () => {
    const per = bytesPerNode(at(0));
    // relu1 alone moves to pool4 when the budget is just below the all-element total.
    const p1 = planReductions(FASHION, at(18_944 * per - 1));
    expect(p1.layers.map((l) => l.reduction)).toEqual(['pool4', 'element', 'element']);
    // With room for relu2 per element beside a pooled relu1, relu2 stays per element.
    const p2 = planReductions(FASHION, at((256 + 6272 + 128) * per + 4));
    expect(p2.layers.map((l) => l.reduction)).toEqual(['pool4', 'element', 'element']);
    const p3 = planReductions(FASHION, at((256 + 6272 + 128) * per - 1));
    expect(p3.layers.map((l) => l.reduction)).toEqual(['pool4', 'pool4', 'element']);
  });

  it('a 224x224 MobileNetV2 gets a plan under 8 MB that uses the budget', () => {
    const layers = mobileNetV2();
    const per = bytesPerNode(at(0));
    const elements = layers.reduce((s, l) => s + layerNodeCount(l.shape, 'element'), 0);
    const means = layers.reduce((s, l) => s + layerNodeCount(l.shape, 'channel-mean'), 0);
    expect(elements * per).toBeGreaterThan(500 * MB);
    const plan = planReductions(layers, at(8 * MB));
    expect(plan.bytes).toBeLessThanOrEqual(8 * MB);
    expect(plan.fits).toBe(true);
    expect(plan.dropped).toEqual([]);
    expect(plan.layers).toHaveLength(layers.length);
    // Finer than channel means everywhere: the budget buys spatial detail.
    expect(plan.nodes).toBeGreaterThan(4 * means);
    expect(plan.layers.at(-1)!.reduction).toBe('element');
    expect(plan.layers.some((l) => l.reduction === 'pool4' || l.reduction === 'pool2')).toBe(true);
  });

  it('never exceeds the budget, and a larger budget never gets a coarser plan', () => {
    const r = rng(21);
    for (let trial = 0; trial < 60; trial++) {
      const layers: LayerShape[] = Array.from({ length: 1 + Math.floor(r() * 8) }, (_, i) => {
        const rank = r() < 0.2 ? 1 : r() < 0.1 ? 2 : 3;
        const c = 1 + Math.floor(r() * 64);
        const h = 1 + Math.floor(r() * 40);
        return { name: `l${i}`, shape: rank === 1 ? [c * h] : rank === 2 ? [c, h] : [c, h, 1 + Math.floor(r() * 40)] };
      });
      const count = [50, 1000, 70_000][trial % 3];
      const bins = 4 + Math.floor(r() * 30);
      const strategy = trial % 2 ? 'tail' : 'uniform';
      let last = -1;
      for (const budget of [2e3, 1e4, 5e4, 2e5, 1e6, 5e6].map((b) => b * (0.5 + r()))) {
        let plan;
        try {
          plan = planReductions(layers, { budget, bins, strategy, count });
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          continue;
        }
        expect(plan.bytes).toBeLessThanOrEqual(budget);
        expect(plan.bytes).toBe(payloadBytes(plan.nodes, strategy, bins, count));
        if (plan.dropped.length === 0) {
          expect(plan.bytes).toBeGreaterThanOrEqual(last);
          last = plan.bytes;
        }
      }
    }
  });

  it('ties go to the earlier layer; rungs that keep the node count are skipped; dense layers stay whole', () => {
    const per = bytesPerNode(at(0));
    const twins = [{ name: 'a', shape: [8, 8, 8] }, { name: 'b', shape: [8, 8, 8] }];
    expect(planReductions(twins, at((512 + 128) * per + 4)).layers.map((l) => l.reduction)).toEqual(['pool4', 'element']);
    // A 4x4 map gains nothing from pool4: it goes to pool2.
    expect(planReductions([{ name: 'small', shape: [8, 4, 4] }], at(128 * per - 1)).layers[0].reduction).toBe('pool2');
    // A rank-2 layer has no grid: element, then channel-mean.
    expect(planReductions([{ name: 'tokens', shape: [10, 50] }], at(500 * per - 1)).layers[0].reduction).toBe('channel-mean');
    // The dense layer cannot shrink, so the conv layer pays.
    const plan = planReductions([{ name: 'conv', shape: [4, 8, 8] }, { name: 'fc', shape: [4096] }], at((4096 + 64) * per + 4));
    expect(plan.layers.map((l) => l.reduction)).toEqual(['pool4', 'element']);
  });

  it('drops the earliest layers when even channel means do not fit, says so, and refuses a budget for none', () => {
    const per = bytesPerNode(at(0));
    const layers = [{ name: 'big', shape: [512, 56, 56] }, { name: 'mid', shape: [256, 28, 28] }, { name: 'fc', shape: [100] }];
    const plan = planReductions(layers, at((256 + 100) * per + 4));
    expect(plan.dropped.map((l) => l.name)).toEqual(['big']);
    expect(plan.layers.map((l) => [l.name, l.reduction])).toEqual([['mid', 'channel-mean'], ['fc', 'element']]);
    expect(plan.notes.join(' ')).toMatch(/left out the 1 earliest layer .*"big"/);
    // Once a layer is dropped the rest are planned afresh from per-element.
    const wide = [{ name: 'wide', shape: [2048, 56, 56] }, { name: 'mid', shape: [64, 28, 28] }, { name: 'fc', shape: [100] }];
    const roomy = planReductions(wide, at((1024 + 100) * per + 4));
    expect(roomy.dropped.map((l) => l.name)).toEqual(['wide']);
    expect(roomy.layers.map((l) => l.reduction)).toEqual(['pool4', 'element']);
    expect(() => planReductions(layers, at(50 * per))).toThrow(/holds no layer/);
  });

  it('a budget too small for any pooled histogram names only what the plan holds beside them', () => {
    const small = [{ name: 'a', shape: [8, 16, 16] }, { name: 'fc', shape: [4] }];
    const plan = (count: number, classLayers: 'auto' | 'last') => () => planProfile(small, { ...at(1000, count), gauss: true, classLayers }, 10);
    // 21 images: too few for class histograms, so the room goes to the Gaussian part and the header alone.
    expect(plan(21, 'auto')).toThrow(/^A budget of 1\.0 kB holds no pooled histograms beside [\d.]+ kB of Gaussian statistics and header\. Raise/);
    expect(plan(10_000, 'last')).toThrow(/beside [\d.]+ kB of class histograms, Gaussian statistics and header\. Raise/);
  });

  it('class histograms: none, last, all, or auto (the last, then earlier layers while they fit what the pooled plan left)', () => {
    const o = { ...at(8 * MB), gauss: true };
    const perClass = 10 * 16 * 2; // 10 classes x 16 bins x 2-byte counts per node
    const gauss = gaussBytes(176, 339); // all 3 layers' channel means, 339 prototypes
    expect(planProfile(FASHION, { ...o, classLayers: 'none' }, 10).classLayers).toBe(0);
    expect(planProfile(FASHION, { ...o, classLayers: 'last' }, 10).classLayers).toBe(1);
    // The default model: relu2 and relu3 fit beside the pooled histograms (2.05 + 2.05 MB); relu1 (4.01 MB more) does not.
    const auto = planProfile(FASHION, { ...o, classLayers: 'auto' }, 10);
    expect(auto.classLayers).toBe(2);
    expect(auto.layers.map((l) => l.reduction)).toEqual(['element', 'element', 'element']);
    expect(auto.bytes + (6272 + 128) * perClass + gauss).toBeLessThanOrEqual(8 * MB);
    expect(auto.bytes + 18_944 * perClass + gauss).toBeGreaterThan(8 * MB);
    expect(auto.notes.join(' ')).toMatch(/for the last 2 layers \("relu2", "relu3"\): 2,048,000 bytes more/);
    // A model without classes (no logits) gets none, whatever was asked.
    expect(planProfile(FASHION, { ...o, classLayers: 'auto' }, 0).classLayers).toBe(0);
    // Nor one with a single output (a binary score, a detector's map): every image is its class 0.
    for (const which of ['auto', 'last', 'all'] as const) {
      const one = planProfile(FASHION, { ...o, classLayers: which }, 1);
      expect(one.classLayers).toBe(0);
      expect(one.notes.join(' ')).toMatch(/no histograms per predicted class: the model has a single output/);
    }
    // Nor does a background smaller than one class needs (each class would fall back to the pooled histograms).
    const few = planProfile(FASHION, { ...o, count: 49, classLayers: 'auto' }, 10);
    expect(few.classLayers).toBe(0);
    expect(few.notes.join(' ')).toMatch(/a class needs 50 background images, and there are 49/);
    expect(planProfile(FASHION, { ...o, count: 50, classLayers: 'auto' }, 10).classLayers).toBeGreaterThan(0);
    // 'all' prices every node with its class blocks, so the table's bytes include them and fit.
    const all = planProfile(FASHION, { ...o, classLayers: 'all' }, 10);
    expect(all.classLayers).toBe(3);
    // A plan far under its budget says why it still coarsened: what per element would have cost.
    const coarse = planReductions(FASHION, at(1e5, 60));
    expect(coarse.notes.join(' ')).toMatch(/^2 of 3 layers reduced below per-element nodes to fit 100\.0 kB \(per element they would take 1\.73 MB, beside the [\d.]+ kB of the other layer\)\.$/);
    // Every layer is "all 3", not "the last 3"; and the note says what a class needs to get its own.
    expect(all.notes.join(' ')).toMatch(/histograms per predicted class \(10 classes\) for all 3 layers \(.*\): .* used where a class gets the 50 background images its histograms need \(a class with fewer is scored on the pooled histograms; where none does, the build leaves them out\)\./);
    // Where the images cannot give every class 50, the plan says the build may leave them out (a probe: a plan for 100 images read as a promise the build broke).
    expect(planProfile(FASHION, { ...at(8 * MB, 100), classLayers: 'all' }, 10).notes.join(' ')).toContain('where none does, the build leaves them out, as it may with 100 images in 10 classes).');
    expect(all.bytes).toBe(payloadBytes(all.nodes, 'tail', 16, 10_000) + all.nodes * perClass);
    expect(all.bytes + gauss).toBeLessThanOrEqual(8 * MB);
  });

  it('the Gaussian part: every layer of a small model; the first layers and a large head, projected to what its share holds, inside the budget', () => {
    const small = planProfile(FASHION, { ...at(8 * MB), gauss: true }, 10);
    // 339 prototypes of 176 features fill PROTOTYPE_SHARE (0.06) of 8 MB before 10,000 / 10 rows would.
    expect(small.notes.join(' ')).toMatch(/603,954 bytes more for the Gaussian part \(176 channel means of all layers; 339 prototypes\)/);
    expect(small.gauss).toEqual({ layers: 3, d: 176, prototypes: 339 });
    const big = planProfile(mobileNetV2(), { ...at(8 * MB), gauss: true, classLayers: 'auto' }, 5);
    expect(big.gauss).toEqual({ layers: 1, first: 5, d: 282, prototypes: 212 });
    expect(gaussChoice(big.layers, 8 * MB, 10_000)).toEqual(big.gauss);
    expect(big.notes.join(' ')).toMatch(/Gaussian part \(1680 channel means of the first 5 and the last layer, projected to 282; 212 prototypes\)/);
    const classBytes = big.layers.slice(-big.classLayers).reduce((a, l) => a + l.nodes, 0) * 5 * 16 * 2; // 5 classes x 16 bins x 2-byte counts
    expect(big.bytes + classBytes + gaussBytes(282, 212)).toBeLessThanOrEqual(8 * MB);
    // A small background: a prototype per 10 images.
    expect(planProfile(FASHION, { ...at(8 * MB), gauss: true, count: 500 }, 10).gauss?.prototypes).toBe(50);
  });

  it('auto class layers never take the profile over the budget, and never coarsen a pooled layer', () => {
    const r = rng(5);
    const layers = mobileNetV2();
    let fellBack = 0;
    for (const budget of [0.5, 1, 2, 4, 8, 16, 64].map((b) => b * MB * (0.8 + 0.4 * r()))) {
      for (const classes of [2, 10, 80]) {
        const o = { ...at(budget), gauss: false };
        const auto = planProfile(layers, { ...o, classLayers: 'auto' }, classes);
        let last;
        try {
          last = planProfile(layers, { ...o, classLayers: 'last' }, classes);
        } catch (e) {
          // No room even for the last layer's: auto falls back to pooled histograms and says so.
          expect(e).toBeInstanceOf(UsageError);
          expect(auto.classLayers).toBe(0);
          expect(auto.notes.join(' ')).toMatch(/no room for histograms per predicted class/);
          expect(auto.bytes).toBeLessThanOrEqual(budget);
          fellBack++;
          continue;
        }
        expect(auto.layers.map((l) => l.reduction)).toEqual(last.layers.map((l) => l.reduction));
        const extra = auto.layers.slice(-auto.classLayers).reduce((s, l) => s + l.nodes, 0) * classes * 16 * 2;
        expect(auto.bytes + extra).toBeLessThanOrEqual(budget);
        expect(auto.classLayers).toBeGreaterThanOrEqual(1);
        // One more layer would not have fit beside the header.
        expect(auto.file).toBeLessThanOrEqual(budget);
        if (auto.classLayers < auto.layers.length) {
          expect(auto.file! + auto.layers.at(-1 - auto.classLayers)!.nodes * classes * 16 * 2).toBeGreaterThan(budget);
        }
      }
    }
    expect(fellBack).toBeGreaterThan(0);
  });
  it('leaves out a layer planned as channel means when another monitored layer is its spatial mean (the same nodes twice)', () => {
    // A ResNet-like head: the last activation, then GlobalAveragePool -> Flatten as the penultimate features.
    const layers: LayerShape[] = [
      { name: 'early', shape: [256, 56, 56] },
      { name: 'head', shape: [2048, 7, 7] },
      { name: 'features', shape: [2048], meanOf: 'head' },
    ];
    const roomy = planProfile(layers, at(8 * MB), 10);
    expect(roomy.layers.map((l) => l.name)).toEqual(['early', 'head', 'features']);
    expect(roomy.layers[1].reduction).not.toBe('channel-mean');
    // So tight that the head falls to channel means: left out, said, and its bytes go to the others.
    // (Beside the header, its 4-byte key of each of the 10,000 background images in base64: 53,336 bytes.)
    const budget = bytesPerNode(at(0)) * (256 + 2048 + 2048) + 5_000 + 53_336;
    const plain = planProfile(layers.map(({ meanOf, ...l }) => l), at(budget), 10);
    expect(plain.layers.map((l) => l.reduction)).toEqual(['channel-mean', 'channel-mean', 'element']);
    const tight = planProfile(layers, at(budget), 10);
    expect(tight.layers.map((l) => l.name)).toEqual(['early', 'features']);
    expect(tight.dropped.map((l) => l.name)).toEqual(['head']);
    expect(tight.notes[0]).toBe('left out "head": its channel means are "features", monitored already.');
    expect(tight.bytes).toBeLessThanOrEqual(budget);
    expect(tight.layers[0].reduction).toBe('pool2');
    // A mean of another size (not per channel) is no copy.
    const other = planProfile(layers.map((l) => (l.meanOf ? { ...l, shape: [1024] } : l)), at(budget), 10);
    expect(other.layers.map((l) => l.name)).toEqual(['early', 'head', 'features']);
  });
  it('leaves out a layer that only moves or picks values of another monitored layer and holds as many (the same nodes twice)', () => {
    // A pooled token [1, 64] taken out of its size-1 axis by a Gather, and a transpose of an early layer.
    const layers: LayerShape[] = [
      { name: 'early', shape: [16, 8, 8] },
      { name: 'moved', shape: [8, 8, 16], copyOf: ['early'] },
      { name: 'token', shape: [1, 64] },
      { name: 'picked', shape: [64], copyOf: ['token'] },
    ];
    const plan = planProfile(layers, at(8 * MB), 10);
    expect(plan.layers.map((l) => l.name)).toEqual(['early', 'token']);
    expect(plan.dropped.map((l) => l.name).sort()).toEqual(['moved', 'picked']);
    expect(plan.notes).toContain('left out "picked": it holds the values of "token", monitored already.');
    expect(plan).toEqual({ ...planProfile([layers[0], layers[2]], at(8 * MB), 10), dropped: plan.dropped, notes: plan.notes });
    // Fewer values (one token of several), or the layer it comes from not monitored: kept.
    const some = planProfile([{ name: 'tokens', shape: [5, 64] }, { name: 'first', shape: [64], copyOf: ['tokens'] }], at(8 * MB), 10);
    expect(some.layers.map((l) => l.name)).toEqual(['tokens', 'first']);
    expect(planProfile([layers[3]], at(8 * MB), 10).layers.map((l) => l.name)).toEqual(['picked']);
  });
});
