import { describe, expect, it } from 'vitest';
import { alphaGrid, groupScan, individualScan, radixSortPositive, scoring, subsetAt } from '../../src/core/scan.ts';
import { rng } from '../../src/core/rng.ts';
import { nodesByLayer } from '../../src/core/layout.ts';
import type { LayerLayout, ScoringName } from '../../src/types.ts';

const names: ScoringName[] = ['bj', 'hc', 'ks'];

/** Every non-empty subset S and every threshold a among the distinct p <= aMax. */
function exhaustive(p: Float32Array, name: ScoringName, aMax: number): number {
  const f = scoring[name];
  const alphas = [...new Set(Array.from(p).filter((v) => v <= aMax))];
  let best = 0;
  for (let mask = 1; mask < 1 << p.length; mask++) {
    for (const a of alphas) {
      let n = 0;
      let nA = 0;
      for (let j = 0; j < p.length; j++) {
        if (mask & (1 << j)) {
          n++;
          if (p[j] <= a) nA++;
        }
      }
      best = Math.max(best, f(nA, n, a));
    }
  }
  return best;
}

describe('individual scan', () => {
  it('equals an exhaustive search over all subsets and alphas (N <= 12), each scoring function', () => {
    const r = rng(21);
    for (let trial = 0; trial < 150; trial++) {
      const N = 1 + Math.floor(r() * 12);
      // Lattice p-values k/(n+1) make ties common, as histogram p-values do.
      const p = Float32Array.from({ length: N }, () => (r() < 0.3 ? Math.ceil(r() * 8) / 21 : r()));
      for (const name of names) {
        const aMax = trial % 3 === 0 ? 0.2 : 0.5;
        const fast = individualScan(p, { scoring: name, aMax });
        expect(fast.score).toBeCloseTo(exhaustive(p, name, aMax), 10);
        // The subset it returns scores what it says.
        if (fast.score > 0) {
          const subset = subsetAt(p, fast);
          const nA = Array.from(subset).filter((j) => p[j] <= fast.alpha).length;
          expect(scoring[name](nA, subset.length, fast.alpha)).toBeCloseTo(fast.score, 10);
        }
      }
    }
  });

  it('scores zero without small p-values and finds planted nodes', () => {
    expect(individualScan(new Float32Array([0.9, 0.7, 0.6]), { scoring: 'bj', aMax: 0.5 }).score).toBe(0);
    const p = new Float32Array(1000).fill(0.8);
    for (const j of [3, 50, 700]) p[j] = 0.0001;
    const s = individualScan(p, { scoring: 'bj', aMax: 0.5 });
    expect(Array.from(subsetAt(p, s))).toEqual([3, 50, 700]);
    expect(Array.from(subsetAt(p, s, 10))).toEqual([13, 60, 710]);
    expect(s.alpha).toBeCloseTo(0.0001, 6);
  });

  it('equals the scan over every sorted p-value on large images (the bucket bounds skip nothing)', () => {
    // The reference: sort all p <= a_max, evaluate F at each distinct value, keep the first maximum.
    const reference = (p: Float32Array, name: ScoringName, aMax: number) => {
      const sorted = Array.from(p).filter((v) => v <= aMax).sort((a, b) => a - b);
      let best = 0;
      let alpha = aMax;
      sorted.forEach((a, i) => {
        if (sorted[i + 1] === a) return;
        const s = scoring[name](i + 1, i + 1, a);
        if (s > best) [best, alpha] = [s, a];
      });
      return { score: best, alpha };
    };
    const r = rng(5);
    for (let trial = 0; trial < 60; trial++) {
      const N = [10, 1000, 20000][trial % 3];
      const n = [50, 1600, 10000][Math.floor(trial / 3) % 3];
      // Histogram mid-p on a background of n, uniform or with a planted block, zeros and tiny values now and then.
      const p = Float32Array.from({ length: N }, () => (Math.floor(r() * (n + 1)) + (r() < 0.5 ? 0.5 : 1)) / (n + 1));
      for (let j = 0; j < N * r() * 0.05; j++) p[Math.floor(r() * N)] = trial % 4 === 0 ? 0 : r() < 0.5 ? 1e-40 : (1 + Math.floor(r() * 3)) / (n + 1);
      for (const name of names) {
        const aMax = trial % 5 === 0 ? 0.1 : 0.5;
        expect(individualScan(p, { scoring: name, aMax })).toEqual(reference(p, name, aMax));
      }
    }
  });
});

describe('group scan', () => {
  function planted(seed: number) {
    const r = rng(seed);
    const images = 30;
    const nodes = 40;
    // p-values on the grid a background of n = 1,000 gives (mid-p), the block at the smallest one.
    const n = 1000;
    const P = Float32Array.from({ length: images * nodes }, () => (Math.floor(r() * n) + 1.5) / (n + 1));
    const badImages = [2, 7, 11, 19, 25];
    const badNodes = [0, 5, 6, 13, 22, 31, 39];
    for (const i of badImages) for (const j of badNodes) P[i * nodes + j] = 1 / (n + 1);
    return { P, images, nodes, badImages, badNodes };
  }

  it('recovers a planted anomalous block, deterministically for a seed', () => {
    const { P, images, nodes, badImages, badNodes } = planted(4);
    for (const name of names) {
      const g = groupScan(P, images, nodes, { scoring: name, aMax: 0.5, seed: 1 });
      for (const i of badImages) expect(g.images).toContain(i);
      for (const j of badNodes) expect(g.nodes).toContain(j);
      expect(groupScan(P, images, nodes, { scoring: name, aMax: 0.5, seed: 1 })).toEqual(g);
    }
  });

  it('returns a subset that scores what it reports, never above the exhaustive optimum', () => {
    const r = rng(8);
    for (let trial = 0; trial < 20; trial++) {
      const images = 4;
      const nodes = 4;
      const P = Float32Array.from({ length: 16 }, () => (r() < 0.3 ? r() * 0.05 : r()));
      const alphas = Array.from(alphaGrid(P, 0.5, 1000));
      const f = scoring.bj;
      let best = 0;
      for (let mi = 1; mi < 16; mi++) {
        for (let mj = 1; mj < 16; mj++) {
          for (const a of alphas) {
            let n = 0;
            let nA = 0;
            for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (mi & (1 << i) && mj & (1 << j)) {
              n++;
              if (P[i * 4 + j] <= a) nA++;
            }
            best = Math.max(best, f(nA, n, a));
          }
        }
      }
      const g = groupScan(P, images, nodes, { scoring: 'bj', aMax: 0.5, maxAlphas: 1000 });
      expect(g.score).toBeLessThanOrEqual(best + 1e-9);
      expect(g.score).toBeGreaterThanOrEqual(0.8 * best);
      let nA = 0;
      for (const i of g.images) for (const j of g.nodes) if (P[i * 4 + j] <= g.alpha) nA++;
      expect(f(nA, g.images.length * g.nodes.length, g.alpha)).toBeCloseTo(g.score, 9);
    }
  });
});

describe('group scan with the production threshold grid', () => {
  it('finds a planted block of the smallest p-values, scoring within 1% of the full grid', () => {
    // 100 images x 2,000 nodes of mid-p-like values on a background of n = 1,000: far more
    // distinct values than the grid holds, so the production grid (64) must thin them.
    const r = rng(21);
    const n = 1000;
    const images = 100;
    const nodes = 2000;
    const P = Float32Array.from({ length: images * nodes }, () => (Math.floor(r() * n) + 1.5) / (n + 1));
    const badImages = Array.from({ length: 15 }, (_, k) => 3 + 6 * k);
    const badNodes = Array.from({ length: 40 }, (_, k) => 11 + 37 * k);
    for (const i of badImages) for (const j of badNodes) P[i * nodes + j] = 1 / (n + 1);
    expect(alphaGrid(P, 0.5, 64)[0]).toBeCloseTo(1 / (n + 1), 9); // the smallest threshold is kept
    const production = groupScan(P, images, nodes, { scoring: 'bj', aMax: 0.5, seed: 7 });
    const full = groupScan(P, images, nodes, { scoring: 'bj', aMax: 0.5, seed: 7, maxAlphas: 1e6 });
    expect(production.score).toBeGreaterThanOrEqual(0.99 * full.score);
    for (const i of badImages) expect(production.images).toContain(i);
    for (const j of badNodes) expect(production.nodes).toContain(j);
  });
});

describe('radix sort of p-values', () => {
  it('sorts like Float32Array.prototype.sort, with zeros, ties and subnormals', () => {
    const r = rng(77);
    for (const n of [0, 1, 2, 100, 5000]) {
      const v = Float32Array.from({ length: n }, () => (r() < 0.1 ? 0 : r() < 0.1 ? 1e-40 : r() < 0.2 ? 0.25 : r()));
      expect(Array.from(radixSortPositive(v.slice()))).toEqual(Array.from(v.slice().sort()));
    }
  });
});

describe("a subset's nodes by layer", () => {
  it('are each layer its own indices, in any order given, layers without a node left out', () => {
    const layers = [{ name: 'a', nodes: 3 }, { name: 'b', nodes: 2 }, { name: 'c', nodes: 4 }] as LayerLayout[];
    expect(nodesByLayer(layers, [8, 0, 2, 5])).toEqual([
      { layer: 'a', indices: [0, 2] },
      { layer: 'c', indices: [0, 3] },
    ]);
    expect(nodesByLayer(layers, [])).toEqual([]);
  });
});
