import { describe, expect, it } from 'vitest';
import {
  ActivationError,
  allocRanges,
  bruteEmpiricalPValues,
  buildProfile,
  histogramPValues,
  kdePValues,
  beyondRange,
  leastP,
  pointPValues,
  ProfileBuilder,
  silvermanBandwidths,
  sortedEmpiricalPValues,
  toBackground,
  type Profile,
} from '../../src/core/index.ts';
import { rng } from '../../src/core/rng.ts';
import type { Tail } from '../../src/types.ts';
import { layers1, reluRows } from './helpers.ts';

const tails: Tail[] = ['upper', 'lower', 'two'];

describe('histogram p-value ranges', () => {
  it('equal the empirical ranges exactly when every bin holds one distinct background value', () => {
    const r = rng(3);
    const n = 50;
    const nodes = 4;
    const rows = new Float32Array(n * nodes);
    for (let i = 0; i < rows.length; i++) rows[i] = Math.fround(r() * 10 - 5);
    const bg = toBackground(rows, n, nodes, true);
    // Edges at the sorted background values: bin k = [v_k, v_{k+1}) holds exactly v_k.
    const edges = new Float32Array(nodes * (n + 1));
    for (let j = 0; j < nodes; j++) {
      for (let k = 0; k < n; k++) edges[j * (n + 1) + k] = bg.values[j * n + k];
      edges[j * (n + 1) + n] = bg.values[j * n + n - 1];
    }
    const template = { header: { nodes, bins: n, strategy: 'tail' }, edges } as unknown as Profile;
    const b = new ProfileBuilder({ layers: layers1(nodes), bins: n, strategy: 'tail', edgesFrom: template });
    b.add(rows, n);
    const prof = b.finish({ fingerprint: 'x', reduction: 'element', scan: { aMax: 0.5, tail: 'upper', pointP: 'mid' } });
    for (let k = 0; k < prof.tails.length; k++) expect(prof.tails[k]).toBe(n - (k % n));

    for (const tail of tails) {
      // Every background value, and values beyond both ends.
      for (let i = -1; i <= n; i++) {
        const x = new Float32Array(nodes);
        for (let j = 0; j < nodes; j++) x[j] = i < 0 ? bg.values[j * n] - 1 : i === n ? bg.values[j * n + n - 1] + 1 : bg.values[j * n + i];
        const h = allocRanges(nodes);
        const e = allocRanges(nodes);
        histogramPValues(prof, x, h, tail);
        sortedEmpiricalPValues(bg, x, e, tail);
        expect(Array.from(h.pMin)).toEqual(Array.from(e.pMin));
        expect(Array.from(h.pMax)).toEqual(Array.from(e.pMax));
      }
    }
  });

  it('contain the empirical range for any x, on ReLU-like data with ties, for both strategies', () => {
    const n = 500;
    const nodes = 30;
    const rows = reluRows(n, nodes, 5);
    const bg = toBackground(rows, n, nodes, true);
    const test = reluRows(200, nodes, 6);
    for (const strategy of ['uniform', 'tail'] as const) {
      for (const tail of tails) {
        const prof = buildProfile(rows, n, { layers: layers1(nodes), bins: 16, strategy, tail });
        for (let t = 0; t < 200; t++) {
          const x = test.subarray(t * nodes, (t + 1) * nodes);
          const h = allocRanges(nodes);
          const e = allocRanges(nodes);
          histogramPValues(prof, x, h, tail);
          sortedEmpiricalPValues(bg, x, e, tail);
          for (let j = 0; j < nodes; j++) {
            expect(h.pMin[j]).toBeGreaterThanOrEqual(0);
            expect(h.pMin[j]).toBeLessThanOrEqual(e.pMin[j] + 1e-7);
            expect(h.pMax[j]).toBeGreaterThanOrEqual(e.pMax[j] - 1e-7);
            expect(h.pMax[j]).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });

  it('0 < p_min <= p_max <= 1 and p_max is non-increasing in x (upper tail)', () => {
    const n = 1000;
    const nodes = 20;
    const rows = reluRows(n, nodes, 9);
    for (const strategy of ['uniform', 'tail'] as const) {
      const prof = buildProfile(rows, n, { layers: layers1(nodes), bins: 32, strategy });
      let prev = allocRanges(nodes);
      prev.pMax.fill(1);
      for (let step = 0; step <= 400; step++) {
        const x = new Float32Array(nodes).fill(-1 + step * 0.05);
        const h = allocRanges(nodes);
        histogramPValues(prof, x, h);
        for (let j = 0; j < nodes; j++) {
          expect(h.pMin[j]).toBeGreaterThanOrEqual(0);
          expect(h.pMax[j]).toBeGreaterThan(0);
          expect(h.pMin[j]).toBeLessThanOrEqual(h.pMax[j]);
          expect(h.pMax[j]).toBeLessThanOrEqual(1);
          expect(h.pMax[j]).toBeLessThanOrEqual(prev.pMax[j]);
        }
        prev = h;
      }
    }
  });

  it('handles constant nodes, dead ReLUs and huge ranges', () => {
    const n = 100;
    const nodes = 3;
    const rows = new Float32Array(n * nodes);
    for (let i = 0; i < n; i++) {
      rows[i * nodes] = 2.5; // constant
      rows[i * nodes + 1] = i < 97 ? 0 : i; // dead ReLU: mostly exact zeros
      rows[i * nodes + 2] = i % 2 ? 1e30 * i : -1e30 * i; // huge range
    }
    const bg = toBackground(rows, n, nodes, true);
    for (const strategy of ['uniform', 'tail'] as const) {
      const prof = buildProfile(rows, n, { layers: layers1(nodes), bins: 8, strategy });
      for (const x of [
        [2.5, 0, 0],
        [3, 98, 1e31],
        [2, -1, -1e33],
        [2.5, 99, 9.9e31],
      ]) {
        const h = allocRanges(nodes);
        const e = allocRanges(nodes);
        histogramPValues(prof, Float32Array.from(x), h);
        sortedEmpiricalPValues(bg, Float32Array.from(x), e);
        for (let j = 0; j < nodes; j++) {
          expect(Number.isFinite(h.pMin[j]) && Number.isFinite(h.pMax[j])).toBe(true);
          expect(h.pMin[j]).toBeLessThanOrEqual(e.pMin[j] + 1e-7);
          expect(h.pMax[j]).toBeGreaterThanOrEqual(e.pMax[j] - 1e-7);
        }
      }
      // The constant node: equal to its value is p in [0, 1] (all n tie: #{b > x} = 0, #{b >= x} = n).
      const h = allocRanges(nodes);
      histogramPValues(prof, Float32Array.from([2.5, 0, 0]), h);
      expect([h.pMin[0], h.pMax[0]]).toEqual([0, 1]);
    }
  });

  it('rejects NaN and Infinity naming the layer and node', () => {
    const layers = [
      { name: 'conv1', shape: [2], nodes: 2 },
      { name: 'fc', shape: [3], nodes: 3 },
    ];
    const b = new ProfileBuilder({ layers, bins: 4, strategy: 'uniform' });
    const rows = Float32Array.from([0, 1, 2, 3, 4, 0, 1, 2, NaN, 4]);
    expect(() => b.observe(rows, 2)).toThrowError(ActivationError);
    expect(() => b.observe(rows, 2)).toThrowError(/layer "fc" at node 1/);
    const b2 = new ProfileBuilder({ layers, bins: 4, strategy: 'tail' });
    expect(() => b2.observe(Float32Array.from([0, Infinity, 2, 3, 4]), 1)).toThrowError(/layer "conv1" at node 1/);
  });
});

describe('empirical and KDE baselines', () => {
  it('sorted (binary search) equals brute-force counting, with ties, every tail', () => {
    const n = 300;
    const nodes = 25;
    const rows = reluRows(n, nodes, 11).map((v) => Math.round(v * 4) / 4);
    const sorted = toBackground(rows, n, nodes, true);
    const raw = toBackground(rows, n, nodes, false);
    const test = reluRows(50, nodes, 12).map((v) => Math.round(v * 4) / 4);
    for (const tail of tails) {
      for (let t = 0; t < 50; t++) {
        const x = test.subarray(t * nodes, (t + 1) * nodes);
        const a = allocRanges(nodes);
        const b = allocRanges(nodes);
        sortedEmpiricalPValues(sorted, x, a, tail);
        bruteEmpiricalPValues(raw, x, b, tail);
        expect(a).toEqual(b);
      }
    }
  });

  it('KDE tail mass matches numerical integration of the Gaussian mixture', () => {
    const n = 40;
    const rows = reluRows(n, 1, 13);
    const bg = toBackground(rows, n, 1, true);
    const h = silvermanBandwidths(bg);
    expect(h[0]).toBeGreaterThan(0);
    for (const x of [-1, 0, 0.3, 1, 3]) {
      const out = allocRanges(1);
      kdePValues(bg, h, Float32Array.from([x]), out);
      // Trapezoid integration of the density from x to far beyond the data.
      let mass = 0;
      const top = Math.max(...bg.values) + 12 * h[0];
      const steps = 40000;
      const dx = (top - x) / steps;
      const dens = (u: number) => {
        let s = 0;
        for (const b of bg.values) s += Math.exp(-0.5 * ((u - b) / h[0]) ** 2);
        return s / (n * h[0] * Math.sqrt(2 * Math.PI));
      };
      for (let i = 0; i <= steps; i++) mass += (i === 0 || i === steps ? 0.5 : 1) * dens(x + i * dx) * dx;
      expect(out.pMin[0]).toBeCloseTo(mass, 4);
      expect(out.pMax[0]).toBe(out.pMin[0]);
    }
  });
});

describe('tie-aware point p-values at point masses', () => {
  // Two nodes with atoms: a ReLU that is exactly 0 half the time, and a ReLU6 saturated at 6 on
  // 15% of inputs. Under the null (fresh draws from the same distribution) a valid p-value has
  // P(p <= a) <= a for every a; plain mid-p at an atom of mass f gives f/2 with probability f.
  // Inside one wide histogram bin every value gets the bin's midpoint, so the histogram is held
  // to this only where its tail bins are fine (a <= 0.1); the empirical twin at every level.
  const draw = (r: () => number, node: number) => {
    if (node === 0) return r() < 0.5 ? 0 : -Math.log(1 - r());
    return Math.min(6, 12 * r() * r());
  };
  const n = 2000;
  const m = 6000;
  const r = rng(31);
  const rows = Float32Array.from({ length: n * 2 }, (_, i) => draw(r, i % 2));
  const test = Float32Array.from({ length: m * 2 }, (_, i) => draw(r, i % 2));
  const bg = toBackground(rows, n, 2, true);
  const levels = { histogram: [0.01, 0.02, 0.05, 0.1], empirical: [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.49, 0.5] };

  for (const tail of ['upper', 'lower'] as const) {
    it(`are uniform or conservative under the null (${tail} tail; histogram and empirical)`, () => {
      const prof = buildProfile(rows, n, { layers: layers1(2), bins: 16, strategy: 'tail', tail: 'both' });
      const methods = {
        histogram: (x: Float32Array, out: ReturnType<typeof allocRanges>) => histogramPValues(prof, x, out, tail),
        empirical: (x: Float32Array, out: ReturnType<typeof allocRanges>) => sortedEmpiricalPValues(bg, x, out, tail),
      };
      for (const [name, pv] of Object.entries(methods) as [keyof typeof methods, (typeof methods)['histogram']][]) {
        const points = [new Float32Array(m), new Float32Array(m)];
        const plain = [new Float32Array(m), new Float32Array(m)];
        const out = allocRanges(2);
        for (let t = 0; t < m; t++) {
          pv(test.subarray(2 * t, 2 * t + 2), out);
          const pt = pointPValues(out, 'mid');
          for (let j = 0; j < 2; j++) {
            points[j][t] = pt[j];
            plain[j][t] = 0.5 * (out.pMin[j] + out.pMax[j]);
          }
        }
        for (let j = 0; j < 2; j++) {
          for (const a of levels[name]) {
            const share = points[j].filter((p) => p <= a).length / m;
            // 3 sigma of the test sample and of the background's own sampling error.
            expect(share).toBeLessThanOrEqual(a + 3 * Math.sqrt(a * (1 - a) * (1 / m + 1 / n)) + 1 / (n + 1));
          }
        }
        // Plain mid-p of the exact (empirical) range is not valid at the atoms: the zeros (lower tail),
        // the saturation (upper tail).
        const [j, a] = tail === 'lower' ? [0, 0.3] : [1, 0.1];
        if (name === 'empirical') expect(plain[j].filter((p) => p <= a).length / m).toBeGreaterThan(a + 0.04);
      }
    });
  }

  it('read a value a hair off an atom as at the atom: another runtime (last bits) must not look unusual', () => {
    // A ReLU node on blank input: 90% of the background at exactly a, zeros below, a spread above.
    const a = Math.fround(0.02016288);
    const r = rng(11);
    const n = 1000;
    const rows = Float32Array.from({ length: n }, (_, i) => (i < 50 ? 0 : i < 950 ? a : Math.fround(a + 0.01 + r())));
    const eps = 2e-7; // what WASM and the native CPU runtime differ by on the default model
    for (const strategy of ['tail', 'uniform'] as const) {
      for (const tail of tails) {
        const prof = buildProfile(rows, n, { layers: layers1(1), bins: 16, strategy, tail });
        const mid = (v: number) => {
          const out = allocRanges(1);
          histogramPValues(prof, Float32Array.of(v), out, tail);
          return pointPValues(out, 'mid')[0];
        };
        const at = mid(a);
        expect(at).toBeGreaterThan(0.05);
        // Either side of the atom the mid-p is at most one bin's mass (here the zeros' 5%) more
        // unusual than at it, where without the tolerance a hair below fell under all 90% of the
        // atom (lower-tail p about 0.03). It may be less unusual: the range covers both readings.
        for (const v of [Math.fround(a - eps), Math.fround(a + eps)]) expect(mid(v), `${strategy} ${tail} ${v}`).toBeGreaterThanOrEqual(at - 0.05 / 2 - 2 / n);
      }
    }
    // A constant node (every background value the same) reads a hair off as the constant.
    const flat = buildProfile(new Float32Array(100).fill(a), 100, { layers: layers1(1), bins: 16, strategy: 'tail', tail: 'upper' });
    const out = allocRanges(1);
    histogramPValues(flat, Float32Array.of(Math.fround(a + eps)), out, 'upper');
    expect(out.pMax[0]).toBe(1);
  });
});

describe('leastP (the most anomalous nodes)', () => {
  it("equals a full sort's first k, ties by the lower index, among every node or a subset in any order", () => {
    const r = rng(5);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(r() * 300);
      // Many ties: p-values on a coarse grid, half of them 1 (as for a clean image's nodes).
      const point = Float32Array.from({ length: n }, () => (r() < 0.5 ? 1 : Math.round(r() * 20) / 20));
      const among = Array.from({ length: n }, (_, i) => i).filter(() => r() < 0.4);
      for (let i = among.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [among[i], among[j]] = [among[j], among[i]];
      }
      for (const k of [0, 1, 10, n + 5]) {
        const sorted = (ids: number[]) => [...ids].sort((a, b) => point[a] - point[b] || a - b).slice(0, k);
        expect(leastP(point, k)).toEqual(sorted([...point.keys()]));
        expect(leastP(point, k, Uint32Array.from(among))).toEqual(sorted(among));
        // With a tie-break: equal p, the farther beyond the background range first.
        const beyond = Float32Array.from({ length: n }, () => Math.floor(r() * 3));
        const byBeyond = (ids: number[]) => [...ids].sort((a, b) => point[a] - point[b] || beyond[b] - beyond[a] || a - b).slice(0, k);
        expect(leastP(point, k, Uint32Array.from(among), beyond)).toEqual(byBeyond(among));
      }
    }
  });

  it('beyondRange: 0 inside a node\'s background range, the excess in units of the range outside it', () => {
    expect(Array.from(beyondRange([0.5, 3, -1, 2], [0, 0, 0, 2], [1, 1, 1, 2]))).toEqual([0, 2, 1, 0]);
  });
});
