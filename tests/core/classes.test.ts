import { describe, expect, it } from 'vitest';
import {
  allocRanges,
  buildProfile,
  decodeProfile,
  encodeProfile,
  binOf,
  histogramPValueFn,
  histogramPValues,
  mergeProfiles,
  nodeHistogram,
  pointPValues,
  MIN_CLASS_COUNT,
  ProfileBuilder,
  ProfileError,
  scanOf,
  scanParts,
  shownOf,
  sortedEmpiricalPValues,
  toBackground,
} from '../../src/core/index.ts';
import { rng } from '../../src/core/rng.ts';
import { layers1, reluRows } from './helpers.ts';

const header = { fingerprint: 'abc', reduction: 'element' as const, scan: { aMax: 0.5, tail: 'both' as const, pointP: 'mid' as const } };
const n = 600;
const nodes = 8;
// Three classes with different activation scales on the class nodes [3, 8); class 2 is small.
const r = rng(4);
const labels = Int32Array.from({ length: n }, () => (r() < 0.03 ? 2 : r() < 0.5 ? 0 : 1));
const rows = reluRows(n, nodes, 8).map((v, i) => v * (1 + 2 * labels[Math.floor(i / nodes)]));
const classes = { count: 3, from: 3, to: 8 };

describe('class-conditional profiles', () => {
  it('give each class the ranges of its own background (within its bins), the pooled ones elsewhere and for small classes', () => {
    const p = buildProfile(rows, n, { layers: layers1(nodes), bins: 16, strategy: 'tail', tail: 'both', classes }, header, labels);
    expect(p.header.classes!.counts).toEqual([0, 1, 2].map((c) => labels.filter((l) => l === c).length));
    expect(p.header.classes!.counts[2]).toBeLessThan(MIN_CLASS_COUNT);
    const pooledBg = toBackground(rows, n, nodes, true);
    const test = reluRows(100, nodes, 9).map((v) => 2 * v);
    for (const cls of [0, 1, 2]) {
      const idx = Array.from(labels.keys()).filter((i) => labels[i] === cls);
      const classRows = new Float32Array(idx.length * nodes);
      idx.forEach((i, k) => classRows.set(rows.subarray(i * nodes, (i + 1) * nodes), k * nodes));
      const classBg = toBackground(classRows, idx.length, nodes, true);
      const usable = idx.length >= MIN_CLASS_COUNT;
      for (const tail of ['upper', 'lower'] as const) {
        for (let t = 0; t < 100; t++) {
          const x = test.subarray(t * nodes, (t + 1) * nodes);
          const h = allocRanges(nodes);
          const pooled = allocRanges(nodes);
          const own = allocRanges(nodes);
          histogramPValues(p, x, h, tail, cls);
          sortedEmpiricalPValues(pooledBg, x, pooled, tail);
          sortedEmpiricalPValues(classBg, x, own, tail);
          for (let j = 0; j < nodes; j++) {
            // The histogram range contains the exact empirical range of the background it uses.
            const e = usable && j >= classes.from ? own : pooled;
            expect(h.pMin[j]).toBeLessThanOrEqual(e.pMin[j] + 1e-6);
            expect(h.pMax[j]).toBeGreaterThanOrEqual(e.pMax[j] - 1e-6);
          }
        }
      }
    }
  });

  it('one sweep over both tails and a redo of the class nodes give the same ranges as a full pass per tail and class', () => {
    const p = buildProfile(rows, n, { layers: layers1(nodes), bins: 16, strategy: 'tail', tail: 'both', classes }, header, labels);
    const scan = scanOf(p);
    const test = reluRows(50, nodes, 10).map((v) => 1.5 * v);
    for (const cls of [-1, 0, 1, 2]) {
      for (let t = 0; t < 50; t++) {
        const x = test.subarray(t * nodes, (t + 1) * nodes);
        // What scoreImage uses: pooled tails in one sweep, then only the class nodes redone.
        const s = scanParts(histogramPValueFn(p), x, scan, ['hc'], cls);
        expect(s.pooled.ranges).toHaveLength(2);
        expect(!!s.classed).toBe(cls >= 0);
        const seen = allocRanges(nodes);
        const shown = shownOf(s);
        (['upper', 'lower'] as const).forEach((tail, i) => {
          const full = allocRanges(nodes);
          histogramPValues(p, x, full, tail, cls);
          // Pooled, with the class's nodes from the class-conditional vectors.
          for (const v of s.classed ? [s.pooled, s.classed] : [s.pooled])
            for (let j = v.from; j < v.to; j++) [seen.pMin[j], seen.pMax[j]] = [v.ranges[i].pMin[j], v.ranges[i].pMax[j]];
          expect(seen).toEqual(full);
          // What users see is the two-sided view of these.
          if (tail === 'upper') for (let j = 0; j < nodes; j++) expect(shown.ranges.pMin[j]).toBeLessThanOrEqual(Math.fround(2 * full.pMin[j]));
          // Every part scans the point p-values of its own vector.
          s.parts.forEach((part, k) => {
            if (part.tail === tail) expect(s.partPoints[k]).toEqual(pointPValues(full, 'mid').subarray(part.from, part.to));
          });
        });
      }
    }
  });

  it('round-trip, refuse a corrupted class count, and merge exactly from shards', () => {
    const edgeSample = buildProfile(rows.subarray(0, 200 * nodes), 200, { layers: layers1(nodes), bins: 16, strategy: 'tail', tail: 'both', classes }, header, labels.subarray(0, 200));
    const shard = (from: number, to: number) => {
      const b = new ProfileBuilder({ layers: layers1(nodes), bins: 16, strategy: 'tail', tail: 'both', edgesFrom: edgeSample });
      b.add(rows.subarray(from * nodes, to * nodes), to - from, labels.subarray(from, to));
      return b.finish(header);
    };
    const whole = shard(0, n);
    const bytes = encodeProfile(whole);
    const back = decodeProfile(bytes);
    expect(back.header.classes).toEqual(whole.header.classes);
    expect(back.tails).toEqual(whole.tails);
    const merged = mergeProfiles([shard(0, 100), shard(100, 450), shard(450, n)]);
    expect(encodeProfile({ ...merged, header: { ...merged.header, merged: undefined } })).toEqual(bytes); // but for the list of its shards
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true))));
    expect(() => decodeProfile(encodeProfile({ ...whole, header: { ...h, classes: { ...h.classes, counts: [1, 2, 3] } } }))).toThrow(ProfileError);
    // A class-conditional build needs every row's class.
    expect(() => new ProfileBuilder({ layers: layers1(nodes), bins: 4, strategy: 'uniform', classes, edgesFrom: edgeSample }).add(rows.subarray(0, nodes), 1)).toThrow(/predicted class/);
  });

  it("draw the histogram a node's p-value was read from: its class's where it has one, else the pooled one", () => {
    for (const strategy of ['tail', 'uniform'] as const) {
      const p = buildProfile(rows, n, { layers: layers1(nodes), bins: 16, strategy, tail: 'both', classes }, header, labels);
      for (const cls of [-1, 0, 1, 2]) {
        for (let j = 0; j < nodes; j++) {
          const h = nodeHistogram(p, j, cls);
          // Counted again from the rows that histogram stands for, in the profile's own bins.
          const own = cls >= 0 && j >= classes.from && p.header.classes!.counts[cls] >= MIN_CLASS_COUNT;
          const counts = new Array(16).fill(0);
          for (let i = 0; i < n; i++) if (!own || labels[i] === cls) counts[binOf(strategy, 16, p.edges, j, rows[i * nodes + j])]++;
          expect(h.counts).toEqual(counts);
          expect(h.count).toBe(own ? p.header.classes!.counts[cls] : n);
          expect(h.cls).toBe(own ? cls : undefined);
          expect(h.edges).toHaveLength(17);
          expect(h.edges[0]).toBeLessThanOrEqual(h.edges[16]);
          expect(h.index).toBe(j);
        }
      }
    }
  });
});
