import { describe, expect, it } from 'vitest';
import { fitGauss, MIN_PROTOTYPE_ROWS, gaussChoice, gaussDim, gaussFeatures, gaussFeaturizer, GaussAccumulator, GAUSS_SHARE, gaussStats, mergeGauss, PROTOTYPE_SHARE, ROWS_PER_PROTOTYPE } from '../../src/core/gauss.ts';
import { FeatureSample, kMeans, Prototypes } from '../../src/core/prototypes.ts';
import { buildProfile } from '../../src/core/profile.ts';
import { decodeProfile, encodeProfile, profileDigest } from '../../src/core/hsp.ts';
import { mergeProfiles } from '../../src/core/merge.ts';
import { ProfileError } from '../../src/core/errors.ts';
import { histogramPValueFn, partNames, scanOf, scoreImage } from '../../src/core/score.ts';
import { rng } from '../../src/core/rng.ts';
import { reduceLayer } from '../../src/model/reduce.ts';
import type { LayerLayout } from '../../src/types.ts';

// Two layers; the last is a [4 channels, 3x3] map: features are its 4 channel means.
const layers: LayerLayout[] = [
  { name: 'a', shape: [5], nodes: 5 },
  { name: 'b', shape: [4, 3, 3], nodes: 36 },
];
const nodes = 41;
const classes = 3;

function rows(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * nodes);
  const labels = Array.from({ length: n }, () => Math.floor(r() * classes));
  for (let i = 0; i < n; i++) {
    const shared = r();
    for (let j = 0; j < nodes; j++) x[i * nodes + j] = labels[i] * (j % 4) + shared * (1 + (j % 3)) + r();
  }
  return { x, labels };
}

/** Reference: the same model from the rows themselves (two-pass means, direct covariance, Gauss-Jordan inverse). */
function reference(x: Float32Array, labels: number[], test: Float64Array, features = (row: Float32Array) => gaussFeatures(row, layers), groups = classes, near = (_: number) => true): number {
  const n = labels.length;
  const F = Array.from({ length: n }, (_, i) => Array.from(features(x.subarray(i * nodes, (i + 1) * nodes))));
  const d = F[0].length;
  const means = Array.from({ length: groups }, (_, c) => {
    const mine = F.filter((_, i) => labels[i] === c);
    if (mine.length === 0) return null;
    return Array.from({ length: d }, (_, k) => mine.reduce((a, f) => a + f[k], 0) / mine.length);
  });
  const W = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => F.reduce((s, f, i) => s + (f[a] - means[labels[i]]![a]) * (f[b] - means[labels[i]]![b]), 0) / n));
  const sd = W.map((row, a) => Math.sqrt(row[a]));
  const R = W.map((row, a) => row.map((v, b) => v / (sd[a] * sd[b])));
  const tr = R.reduce((s, row, a) => s + row[a], 0);
  const tr2 = R.flat().reduce((s, v) => s + v * v, 0);
  const rho = Math.min(1, ((1 - 2 / d) * tr2 + tr * tr) / ((n + 1 - 2 / d) * (tr2 - (tr * tr) / d)));
  const S = R.map((row, a) => row.map((v, b) => (1 - rho) * v + (a === b ? (rho * tr) / d : 0)));
  // Inverse by Gauss-Jordan.
  const A = S.map((row, a) => [...row, ...Array.from({ length: d }, (_, b) => (a === b ? 1 : 0))]);
  for (let c = 0; c < d; c++) {
    const p = A[c][c];
    for (let k = 0; k < 2 * d; k++) A[c][k] /= p;
    for (let r = 0; r < d; r++) if (r !== c) {
      const f = A[r][c];
      for (let k = 0; k < 2 * d; k++) A[r][k] -= f * A[c][k];
    }
  }
  const inv = A.map((row) => row.slice(d));
  return Math.min(
    ...means.filter((m, c) => m !== null && near(c)).map((m) => {
      const z = m!.map((v, k) => (test[k] - v) / sd[k]);
      return z.reduce((s, za, a) => s + za * z.reduce((t, zb, b) => t + inv[a][b] * zb, 0), 0);
    }),
  );
}

describe('the Gaussian part (Mahalanobis statistics in the profile)', () => {
  const { x, labels } = rows(400, 1);
  const acc = new GaussAccumulator(layers, classes);
  acc.add(x, 400, labels);
  const stats = acc.finish();

  it('features are the last layer channel means', () => {
    const f = gaussFeatures(x.subarray(0, nodes), layers);
    expect(f).toHaveLength(4);
    for (let c = 0; c < 4; c++) expect(f[c]).toBeCloseTo(x.subarray(5 + 9 * c, 5 + 9 * c + 9).reduce((a, v) => a + v, 0) / 9, 5);
  });

  it('a layer with its features last ([tokens, features], [H, W, C]) gives each feature\'s mean, per element or pooled', () => {
    const r = rng(21);
    // (A pool grid that divides the map, so the cells' mean is the map's mean.)
    for (const [shape, reduction] of [[[5, 4], 'element'], [[3, 4, 6], 'element'], [[4, 4, 6], 'pool2']] as const) {
      const axis = shape.length - 1;
      const raw = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r());
      const values = reduceLayer(raw, shape, reduction, axis);
      const layer: LayerLayout = { name: 'x', shape: [...shape], channelAxis: axis, reduction, nodes: values.length };
      const want = reduceLayer(raw, shape, 'channel-mean', axis);
      const got = gaussFeatures(values, [layer]);
      expect(got).toHaveLength(shape[axis]);
      want.forEach((v, c) => expect(got[c]).toBeCloseTo(v, 6));
    }
  });

  it('with two layers, features are the first layer\'s nodes then the last layer\'s channel means', () => {
    const one = x.subarray(0, nodes);
    const f = gaussFeatures(one, layers, { layers: 2 });
    expect(gaussDim(layers, { layers: 2 })).toBe(9);
    expect(Array.from(f.subarray(0, 5))).toEqual(Array.from(one.subarray(0, 5)));
    expect(Array.from(f.subarray(5))).toEqual(Array.from(gaussFeatures(one, layers)));
  });

  it('reads both ends, the first and the latest layers, until their channels fill what its share of the budget holds, projecting past it', () => {
    const holding = (d: number) => (8 * (d * (d + 1)) / 2) / GAUSS_SHARE;
    const read = (l: LayerLayout[], budget: number) => {
      const g = gaussChoice(l, budget, 400);
      return g && { layers: g.layers, first: g.first, d: g.d };
    };
    expect(read(layers, holding(9))).toEqual({ layers: 2, d: 9 });
    expect(read(layers, holding(8))).toEqual({ layers: 2, d: 8 });
    expect(read(layers, holding(3))).toEqual({ layers: 2, d: 3 }); // the last layer, then the first: all
    expect(read(layers, holding(1) - 1)).toBeNull();
    // Six layers of 4 channels: room for 6 features reads the first 2 and the last 2 (8 channels, projected to 6).
    const six: LayerLayout[] = Array.from({ length: 6 }, (_, i) => ({ name: `l${i}`, shape: [4, 2, 2], nodes: 16 }));
    expect(read(six, holding(6))).toEqual({ layers: 2, first: 2, d: 6 });
    expect(read(six, holding(12))).toEqual({ layers: 6, d: 12 }); // the ends meet: every layer, once
  });

  it('reading the first layers too: their channel means come first, from where they sit in the row', () => {
    const five: LayerLayout[] = Array.from({ length: 5 }, (_, i) => ({ name: `l${i}`, shape: [2, 1, 2], nodes: 4 }));
    const row = Float32Array.from({ length: 20 }, (_, i) => i);
    // Layer i holds 4i..4i+3: channel means 4i + 0.5 and 4i + 2.5.
    expect(Array.from(gaussFeatures(row, five, { first: 2, layers: 1 }))).toEqual([0.5, 2.5, 4.5, 6.5, 16.5, 18.5]);
    expect(gaussDim(five, { first: 2, layers: 1 })).toBe(6);
  });

  it('a projection is a fixed ±1/√d sign matrix on the channel means, and scores equal a direct fit on the projected rows', () => {
    const choice = { layers: 2, d: 6 };
    const unit = new Float32Array(nodes);
    unit[2] = 1; // channel means: the unit vector of feature 2
    const column = Array.from(gaussFeaturizer(layers, choice)(unit));
    column.forEach((v) => expect(Math.abs(v)).toBeCloseTo(1 / Math.sqrt(6), 12));
    expect(Array.from(gaussFeaturizer(layers, choice)(unit))).toEqual(column);
    const acc = new GaussAccumulator(layers, classes, choice);
    acc.add(x, 400, labels);
    const projected = acc.finish();
    expect(projected.d).toBe(6);
    const features = (row: Float32Array) => Float64Array.from(gaussFeaturizer(layers, choice)(row));
    const fit = fitGauss(projected);
    const test = rows(10, 3);
    for (let i = 0; i < 10; i++) {
      const f = features(test.x.subarray(i * nodes, (i + 1) * nodes));
      expect(fit.score(f)).toBeCloseTo(reference(x, labels, f, features), 6);
    }
  });

  it('scores equal a direct fit on the rows (class means, covariance, OAS shrinkage, inverse)', () => {
    const fit = fitGauss(stats);
    const test = rows(20, 2);
    for (let i = 0; i < 20; i++) {
      const f = gaussFeatures(test.x.subarray(i * nodes, (i + 1) * nodes), layers);
      expect(fit.score(f)).toBeCloseTo(reference(x, labels, f), 6);
    }
  });

  it('a feature that never moves (a channel held at ReLU6\'s 6) is dead, not rounding noise blown up into a covariance that is not positive definite', () => {
    // Channel 1 of the last layer at 6 on every image: its spread is only the rounding of Σx² − nμ².
    const held = Float32Array.from(x);
    for (let i = 0; i < 400; i++) for (let k = 0; k < 9; k++) held[i * nodes + 5 + 9 + k] = 6;
    const a = new GaussAccumulator(layers, classes);
    a.add(held, 400, labels);
    const fit = fitGauss(a.finish());
    const without = new GaussAccumulator(layers, classes);
    without.add(x, 400, labels);
    const test = rows(10, 3);
    for (let i = 0; i < 10; i++) {
      const f = gaussFeatures(test.x.subarray(i * nodes, (i + 1) * nodes), layers);
      f[1] = 6;
      const s = fit.score(f);
      expect(Number.isFinite(s)).toBe(true);
      // The held feature off its value is far out; on it, the score ranks like the fit without it.
      f[1] = 6.5;
      expect(fit.score(f)).toBeGreaterThan(s + 1);
    }
    // Every feature held (a model whose head ignores its input): no throw, one finite score for all.
    const flat = new GaussAccumulator(layers, 1);
    flat.add(Float32Array.from({ length: 50 * nodes }, (_, k) => 0.1 + (k % nodes) * 0.37), 50, new Array(50).fill(0));
    const all = fitGauss(flat.finish());
    expect(all.shrinkage).toBe(1);
    expect(Number.isFinite(all.score(gaussFeatures(Float32Array.from({ length: nodes }, (_, k) => 0.1 + k * 0.37), layers)))).toBe(true);
  });

  it('statistics of shards merge to those of the whole', () => {
    const parts = [[0, 150], [150, 400]].map(([from, to]) => {
      const g = new GaussAccumulator(layers, classes);
      g.add(x.subarray(from * nodes, to * nodes), to - from, labels.slice(from, to));
      return g.finish();
    });
    const merged = mergeGauss(parts);
    expect(merged.counts).toEqual(stats.counts);
    merged.sums.forEach((v, i) => expect(v).toBeCloseTo(stats.sums[i], 8));
    merged.scatter.forEach((v, i) => expect(v).toBeCloseTo(stats.scatter[i], 6));
  });

  it('travels in the .hsp header, counts in the digest, merges with the profile, and is a calibrated part', () => {
    const p = buildProfile(x, 400, { layers, bins: 8, strategy: 'tail', tail: 'both' }, { fingerprint: 'f', reduction: 'element', scan: { aMax: 0.5, tail: 'both', pointP: 'mid' } });
    const withG = { ...p, header: { ...p.header, gauss: stats } };
    expect(decodeProfile(encodeProfile(withG)).header.gauss).toEqual(stats);
    expect(profileDigest(withG)).not.toBe(profileDigest(p));
    const again = { ...withG, header: { ...withG.header, count: withG.header.count + 1 } }; // another shard of the same statistics
    expect(mergeProfiles([withG, again]).header.gauss!.counts).toEqual(stats.counts.map((c) => 2 * c));
    expect(() => mergeProfiles([withG, p])).toThrow(ProfileError);
    const bad = { ...withG, header: { ...withG.header, gauss: { ...stats, scatter: stats.scatter.slice(1) } } };
    expect(() => encodeProfile(bad)).toThrow(/Gaussian part/);
    // Version 2 keeps them as float64 in the payload: 8 bytes a number, against about 20 as JSON in version 1.
    const v2 = encodeProfile(withG);
    expect(new DataView(v2.buffer).getUint16(4, true)).toBe(2);
    expect(new DataView(encodeProfile(p).buffer).getUint16(4, true)).toBe(1);
    expect(v2.length - encodeProfile(p).length).toBeLessThan(8 * (stats.sums.length + stats.scatter.length) + 200);
    const two = new GaussAccumulator(layers, classes, { layers: 2, d: 9 });
    two.add(x, 400, labels);
    const withTwo = { ...p, header: { ...p.header, gauss: two.finish() } };
    expect(decodeProfile(encodeProfile(withTwo)).header.gauss!.layers).toBe(2);
    expect(() => mergeProfiles([withG, withTwo])).toThrow(/another Gaussian part/);
    const wrongCount = { ...withTwo, header: { ...withTwo.header, gauss: { ...withTwo.header.gauss!, layers: 1 } } };
    expect(() => decodeProfile(encodeProfile(wrongCount))).toThrow(/9 features, more than the channels/);
    expect(scoreImage(histogramPValueFn(withTwo), x.subarray(0, nodes), scanOf(withTwo), 'hc', [0, 1, 0]).parts[2]).toBeCloseTo(fitGauss(withTwo.header.gauss!).score(gaussFeatures(x.subarray(0, nodes), layers, { layers: 2 })), 12);
    const scan = scanOf(withG);
    expect(partNames(scan, nodes)).toEqual(['upper', 'lower', 'gauss']);
    const one = x.subarray(0, nodes);
    const s = scoreImage(histogramPValueFn(withG), one, scan, 'hc', [0, 1, 0]);
    expect(s.parts[2]).toBeCloseTo(fitGauss(stats).score(gaussFeatures(one, layers)), 12);
  });

  it('k-means prototypes: well-separated modes each get their own, deterministically; nearest is the closest in standardised units', () => {
    // Four tight modes in 3-d, the third feature on a 1000x larger scale (standardising keeps it from deciding alone).
    const r = rng(5);
    const centres = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [10, 10, 5000]];
    const n = 200;
    const data = new Float64Array(n * 3);
    const truth = Array.from({ length: n }, (_, i) => i % 4);
    truth.forEach((m, i) => centres[m].forEach((c, j) => (data[i * 3 + j] = c + (r() - 0.5) * (j === 2 ? 100 : 0.1))));
    const p = kMeans(data, n, 3, 4);
    const found = truth.map((_, i) => p.nearest(data.subarray(i * 3, i * 3 + 3)));
    for (let m = 0; m < 4; m++) expect(new Set(found.filter((_, i) => truth[i] === m)).size).toBe(1);
    expect(new Set(found).size).toBe(4);
    expect(kMeans(data, n, 3, 4).nearest([10, 10, 5000])).toBe(p.nearest([10, 10, 5000]));
    // nearest() against brute force over the centroids, in the units of the spread it was given.
    const c = Float64Array.from({ length: 15 }, () => r() * 4);
    const scale = Float64Array.of(1, 2, 0.5);
    const protos = new Prototypes(c, 3, scale);
    for (let t = 0; t < 50; t++) {
      const f = [r() * 4, r() * 4, r() * 4];
      const dist = (k: number) => f.reduce((a, v, j) => a + ((v - c[k * 3 + j]) / scale[j]) ** 2, 0);
      const best = [0, 1, 2, 3, 4].reduce((a, k) => (dist(k) < dist(a) ? k : a), 0);
      expect(protos.nearest(f)).toBe(best);
    }
  });

  it('grouped by prototypes, scores equal a direct fit on the rows with each row labelled by its nearest prototype', () => {
    const choice = { layers: 1, d: 4, prototypes: 6 };
    const sample = new FeatureSample(gaussFeaturizer(layers, choice), choice.d, choice.prototypes);
    sample.add(x, 400);
    const protos = sample.prototypes();
    const g = gaussStats(layers, choice, x, 400);
    expect(g.groups).toBe('prototypes');
    expect(g.counts).toHaveLength(6);
    expect(g.counts.reduce((a, b) => a + b, 0)).toBe(400);
    const assigned = Array.from({ length: 400 }, (_, i) => protos.nearest(gaussFeatures(x.subarray(i * nodes, (i + 1) * nodes), layers)));
    const fit = fitGauss(g);
    const test = rows(10, 4);
    for (let i = 0; i < 10; i++) {
      const f = gaussFeatures(test.x.subarray(i * nodes, (i + 1) * nodes), layers);
      expect(fit.score(f)).toBeCloseTo(reference(x, assigned, f, undefined, 6), 6);
    }
  });

  it('shards grouped by the first profile\'s prototypes merge; a class-grouped part does not merge with them', () => {
    const choice = { layers: 1, d: 4, prototypes: 5 };
    const first = gaussStats(layers, choice, x.subarray(0, 200 * nodes), 200);
    const shard = new GaussAccumulator(layers, Prototypes.of(first), choice);
    shard.add(x.subarray(200 * nodes), 200);
    const merged = mergeGauss([first, shard.finish()]);
    expect(merged.groups).toBe('prototypes');
    expect(merged.counts.reduce((a, b) => a + b, 0)).toBe(400);
    // The shard's rows go where the first profile's means are nearest: its own rows would mostly stay put.
    const again = new GaussAccumulator(layers, Prototypes.of(first), choice);
    again.add(x.subarray(0, 200 * nodes), 200);
    const moved = again.finish().counts.reduce((a, c, k) => a + Math.abs(c - first.counts[k]), 0);
    expect(moved).toBeLessThan(40);
    const p = buildProfile(x, 400, { layers, bins: 8, strategy: 'tail', tail: 'both' }, { fingerprint: 'f', reduction: 'element', scan: { aMax: 0.5, tail: 'both', pointP: 'mid' } });
    const byProto = { ...p, header: { ...p.header, gauss: merged } };
    expect(decodeProfile(encodeProfile(byProto)).header.gauss).toEqual(merged);
    const byClass = { ...p, header: { ...p.header, gauss: { ...stats } } };
    expect(() => mergeProfiles([byProto, byClass])).toThrow(/another Gaussian part/);
    const bad = { ...byProto, header: { ...byProto.header, gauss: { ...merged, groups: 'clusters' as 'prototypes' } } };
    expect(() => decodeProfile(encodeProfile(bad))).toThrow(/Gaussian part statistics malformed/);
  });

  it('a prototype per ROWS_PER_PROTOTYPE background rows, as many as PROTOTYPE_SHARE of the budget holds, at least one', () => {
    const budget = 1e6;
    const g = (count: number) => gaussChoice(layers, budget, count)!;
    expect(g(400).prototypes).toBe(Math.floor(400 / ROWS_PER_PROTOTYPE));
    expect(g(5).prototypes).toBe(1);
    const cap = Math.floor((PROTOTYPE_SHARE * budget) / (8 * g(400).d + 6));
    expect(g(1e9).prototypes).toBe(cap);
    expect(gaussChoice(layers, budget, 1)).toBeNull();
  });
  it('a prototype of fewer than MIN_PROTOTYPE_ROWS rows is no mean to be near; its rows still shape the covariance', () => {
    // 40 prototypes on 100 rows: k-means leaves groups of 1-4 rows.
    const choice = { layers: 1, d: 4, prototypes: 40 };
    const sample = new FeatureSample(gaussFeaturizer(layers, choice), choice.d, choice.prototypes);
    sample.add(x, 100);
    const protos = sample.prototypes();
    const acc = new GaussAccumulator(layers, protos, choice);
    acc.add(x.subarray(0, 100 * nodes), 100);
    const g = acc.finish();
    expect(g.counts.some((c) => c > 0 && c < MIN_PROTOTYPE_ROWS)).toBe(true);
    expect(g.counts.some((c) => c >= MIN_PROTOTYPE_ROWS)).toBe(true);
    const assigned = Array.from({ length: 100 }, (_, i) => protos.nearest(gaussFeatures(x.subarray(i * nodes, (i + 1) * nodes), layers)));
    const fit = fitGauss(g);
    const test = rows(10, 6);
    for (let i = 0; i < 10; i++) {
      const f = gaussFeatures(test.x.subarray(i * nodes, (i + 1) * nodes), layers);
      expect(fit.score(f)).toBeCloseTo(reference(x.subarray(0, 100 * nodes), assigned, f, undefined, 40, (c) => g.counts[c] >= MIN_PROTOTYPE_ROWS), 6);
    }
  });
});
