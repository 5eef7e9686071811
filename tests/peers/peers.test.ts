import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.ts';
import { rng } from '../../src/core/rng.ts';
import { checkPeers, cholesky, energy, fitKnn, fitMahalanobis, fitPeer, forwardSolve, ledoitWolf, MIN_SHRINKAGE, msp, peerFeatures } from '../../src/peers/index.ts';

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const randomRows = (n: number, d: number, seed: number) => {
  const r = rng(seed);
  return Float64Array.from({ length: n * d }, () => gauss(r));
};

describe('msp and energy', () => {
  it('equal the direct formulas', () => {
    const l = [0.3, -1.2, 2.5, 0.9];
    const e = l.map(Math.exp);
    const sum = e.reduce((a, b) => a + b, 0);
    expect(msp(l)).toBeCloseTo(1 - Math.max(...e) / sum, 12);
    expect(energy(Float32Array.from(l))).toBeCloseTo(-Math.log(Float32Array.from(l).reduce((a, v) => a + Math.exp(v), 0)), 6);
  });
  it('stay finite where exp overflows', () => {
    expect(energy([1000, 1000])).toBeCloseTo(-(1000 + Math.log(2)), 9);
    expect(msp([1000, 1000])).toBeCloseTo(0.5, 12);
    expect(msp([1000, -1000])).toBe(0);
  });
  it('rank a single output (a binary score) by its sigmoid, not by a softmax of 1 for every image', () => {
    expect(msp([0])).toBeCloseTo(0.5, 12);
    expect(msp([2])).toBeCloseTo(1 - 1 / (1 + Math.exp(-2)), 12);
    expect(msp([-2])).toBeCloseTo(msp([2]), 12);
    expect(msp([0.5])).toBeGreaterThan(msp([3]));
    expect(msp([1000])).toBe(0);
  });
});

describe('Cholesky', () => {
  it('factors a positive definite matrix and solves L y = b', () => {
    const a = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3];
    const L = cholesky(a, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += L[i * 3 + k] * L[j * 3 + k];
      expect(s).toBeCloseTo(a[i * 3 + j], 12);
    }
    const y = forwardSolve(L, 3, [1, 2, 3]);
    for (let i = 0; i < 3; i++) expect(L[i * 3] * y[0] + L[i * 3 + 1] * y[1] + L[i * 3 + 2] * y[2]).toBeCloseTo([1, 2, 3][i], 12);
  });
  it('refuses a singular matrix', () => {
    expect(() => cholesky([1, 1, 1, 1], 2)).toThrow(/positive definite/);
  });
});

describe('Mahalanobis', () => {
  it('equals a distance computed by hand on a 2-D example', () => {
    // Class 0 around (0,0), class 1 around (10,0); residuals (±1,0), (0,±2) in each:
    // S = diag(0.5, 2), μ = 1.25; shrinkage 0.5 gives diag(0.875, 1.625).
    const pts = [[1, 0], [-1, 0], [0, 2], [0, -2], [11, 0], [9, 0], [10, 2], [10, -2]];
    const m = fitMahalanobis(Float64Array.from(pts.flat()), 8, 2, [0, 0, 0, 0, 1, 1, 1, 1], { shrinkage: 0.5, standardise: false });
    expect(m.classes).toEqual([0, 1]);
    expect(m.score([2, 1])).toBeCloseTo(32 / 7 + 8 / 13, 12); // nearest mean (0,0)
    expect(m.score([9, -1])).toBeCloseTo(1 / 0.875 + 1 / 1.625, 12); // nearest mean (10,0)
  });

  it('equals the direct formula with a full 2x2 inverse and Ledoit-Wolf from its definition', () => {
    const n = 40;
    const x = randomRows(n, 2, 7);
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    for (let i = 0; i < n; i++) {
      x[2 * i] = 2 * x[2 * i] + 5 * labels[i]; // correlated features of different scales, class-dependent means
      x[2 * i + 1] = 0.05 * x[2 * i + 1] + 0.04 * x[2 * i];
    }
    const means = [0, 1, 2].map((c) => {
      const rows = [...Array(n).keys()].filter((i) => labels[i] === c);
      return [0, 1].map((j) => rows.reduce((a, i) => a + x[2 * i + j], 0) / rows.length);
    });
    const res = [...Array(n).keys()].map((i) => [x[2 * i] - means[labels[i]][0], x[2 * i + 1] - means[labels[i]][1]]);
    // Ledoit-Wolf from its definition: β = (1/n²) Σ ‖r rᵀ − S‖²_F / d,  δ = ‖S − μI‖²_F / d,  s = min(β, δ)/δ.
    const lw = (rs: number[][]) => {
      const S = [0, 1, 2, 3].map((k) => rs.reduce((a, r) => a + r[k >> 1] * r[k & 1], 0) / n);
      const mu = (S[0] + S[3]) / 2;
      const beta = rs.reduce((a, r) => a + [0, 1, 2, 3].reduce((b, k) => b + (r[k >> 1] * r[k & 1] - S[k]) ** 2, 0), 0) / n / n / 2;
      const delta = ((S[0] - mu) ** 2 + 2 * S[1] ** 2 + (S[3] - mu) ** 2) / 2;
      return { S, mu, s: Math.min(beta, delta) / delta };
    };
    expect(ledoitWolf(Float64Array.from(res.flat()), n, 2).shrinkage).toBeCloseTo(lw(res).s, 12);
    // Quadratic form of the shrunk matrix via the closed-form 2x2 inverse, in coordinates divided by sd.
    const check = (standardise: boolean) => {
      const sd = standardise ? [0, 1].map((j) => Math.sqrt(res.reduce((a, r) => a + r[j] ** 2, 0) / n)) : [1, 1];
      const { S, mu, s } = lw(res.map((r) => [r[0] / sd[0], r[1] / sd[1]]));
      const [a, b, c] = [(1 - s) * S[0] + s * mu, (1 - s) * S[1], (1 - s) * S[3] + s * mu];
      const det = a * c - b * b;
      const dist = (p: number[], m: number[]) => {
        const [u, v] = [(p[0] - m[0]) / sd[0], (p[1] - m[1]) / sd[1]];
        return (c * u * u - 2 * b * u * v + a * v * v) / det;
      };
      const m = fitMahalanobis(x, n, 2, labels, { standardise });
      expect(m.shrinkage).toBeCloseTo(s, 12);
      for (const p of [[0, 0], [3, -0.2], [12, 0.9], [-4, 0.4]]) expect(m.score(p)).toBeCloseTo(Math.min(...means.map((mm) => dist(p, mm))), 6);
    };
    check(true);
    check(false);
    // Standardised is the default, and on features of such different scales it is not the same fit.
    const [def, std, raw] = [{}, { standardise: true }, { standardise: false }].map((o) => fitMahalanobis(x, n, 2, labels, o).score([3, -0.2]));
    expect(def).toBe(std);
    expect(Math.abs(std - raw) / raw).toBeGreaterThan(0.01);
  });

  it('stays invertible when the background is smaller than the dimension', () => {
    const n = 6;
    const d = 20;
    const x = randomRows(n, d, 3);
    const labels = Array(n).fill(0);
    const lw = ledoitWolf(x.map((v, i) => v - x.filter((_, k) => k % d === i % d).reduce((a, w) => a + w, 0) / n), n, d);
    expect(() => cholesky(lw.cov, d)).toThrow(); // rank ≤ n − 1 < d: the plain covariance is singular
    expect(lw.shrinkage).toBeGreaterThan(0.05);
    for (const shrinkage of ['ledoit-wolf', 0] as const) {
      const m = fitMahalanobis(x, n, d, labels, { shrinkage });
      expect(m.shrinkage).toBeGreaterThanOrEqual(MIN_SHRINKAGE);
      const score = m.score(randomRows(1, d, 4));
      expect(Number.isFinite(score) && score > 0).toBe(true);
    }
  });

  it('refuses a feature dimension whose covariance would not fit', () => {
    expect(() => fitMahalanobis(new Float64Array(2 * 5000), 2, 5000, [0, 0])).toThrow(/5000x5000 covariance/);
  });

  it('gives a dead unit a definite variance and flags a row that wakes it', () => {
    const n = 200;
    const x = randomRows(n, 3, 5);
    for (let i = 0; i < n; i++) x[3 * i + 2] = 0; // never active on the background
    const m = fitMahalanobis(x, n, 3, Array(n).fill(0));
    expect(Number.isFinite(m.score([0, 0, 0]))).toBe(true);
    // A unit step in the dead unit costs far more than a unit step in a live one (variance ~1).
    expect(m.score([0, 0, 1])).toBeGreaterThan(10 * m.score([1, 0, 0]));
  });
});

describe('k-NN', () => {
  it('equals the k-th smallest distance of a brute-force sort on normalised rows', () => {
    const n = 60;
    const d = 5;
    const x = randomRows(n, d, 11);
    const unit = (v: ArrayLike<number>) => {
      const s = Math.hypot(...Array.from(v));
      return Array.from(v, (t) => t / s);
    };
    for (const k of [1, 10]) {
      const knn = fitKnn(x, n, d, k);
      for (let t = 0; t < 5; t++) {
        const q = randomRows(1, d, 100 + t).map((v) => v * 7);
        const uq = unit(q);
        const dists = [...Array(n).keys()].map((r) => Math.hypot(...unit(x.subarray(r * d, (r + 1) * d)).map((v, j) => v - uq[j]))).sort((a, b) => a - b);
        expect(knn.score(q)).toBeCloseTo(dists[k - 1], 5); // the bank is float32
      }
    }
  });
  it('refuses a background smaller than k', () => {
    expect(() => fitKnn(randomRows(5, 2, 1), 5, 2, 10)).toThrow(/at least 10/);
  });
});

describe('peer features and fitPeer', () => {
  // Two layers: a [2, 2, 2] tensor kept per element (8 nodes), then a dense [3] layer.
  const layers = [{ shape: [2, 2, 2], nodes: 8 }, { shape: [3], nodes: 3 }];
  const row = [1, 2, 3, 4, 10, 20, 30, 40, 7, 8, 9];
  it('penultimate = the last layer; channel-means = every layer pooled per channel', () => {
    expect(Array.from(peerFeatures(Float32Array.from(row), 1, layers, 'penultimate').values)).toEqual([7, 8, 9]);
    expect(Array.from(peerFeatures(Float32Array.from(row), 1, layers, 'channel-means').values)).toEqual([2.5, 25, 7, 8, 9]);
    // A spatial last layer is pooled; a layer already reduced to channels is taken as it is.
    expect(Array.from(peerFeatures(Float32Array.from(row.slice(0, 8)), 1, [layers[0]]).values)).toEqual([2.5, 25]);
    expect(Array.from(peerFeatures(Float32Array.from([5, 6]), 1, [{ shape: [2, 2, 2], nodes: 2 }]).values)).toEqual([5, 6]);
  });

  it('a pooled layer gives its channel means, not its grid cells (a budget-planned profile pools large layers)', () => {
    // [2, 4, 4] pooled to a 2×2 grid: 8 nodes in [C, g, g] order; each channel's mean is its cells' mean.
    const pooled = [1, 2, 3, 6, 10, 10, 20, 40];
    const two = Float32Array.from([...pooled, ...pooled.map((v) => -v)]);
    const f = peerFeatures(two, 2, [{ shape: [2, 4, 4], nodes: 8 }], 'channel-means');
    expect(f.d).toBe(2);
    expect(Array.from(f.values)).toEqual([3, 20, -3, -20]);
  });

  it('Mahalanobis takes its classes from the model\'s predictions', () => {
    const r = rng(9);
    const rows = 100;
    const values = new Float32Array(rows * 11);
    const logits = [];
    for (let i = 0; i < rows; i++) {
      const c = i % 2;
      for (let j = 8; j < 11; j++) values[i * 11 + j] = 20 * c + gauss(r);
      logits.push(c ? [0, 5] : [5, 0]);
    }
    const set = { rows, values, logits };
    const m = fitPeer('mahalanobis', set, layers);
    const probe = (v: number) => ({ rows: 1, values: Float32Array.from([...Array(8).fill(0), v, v, v]), logits: [[0, 0]] });
    // Both class means are typical; the midpoint between them is far from each.
    expect(m.score(probe(0))[0]).toBeLessThan(m.score(probe(10))[0]);
    expect(m.score(probe(20))[0]).toBeLessThan(m.score(probe(10))[0]);
    expect(fitPeer('msp', set, layers).score(set)).toHaveLength(rows);
  });

  it('fits on several sets as on their rows in one set (eval\'s background and the images it held out to calibrate)', () => {
    const r = rng(4);
    const make = (rows: number) => ({ rows, values: Float32Array.from({ length: rows * 11 }, () => gauss(r)), logits: Array.from({ length: rows }, (_, i) => (i % 3 ? [1, 0] : [0, 1])) });
    const [a, b, probe] = [make(30), make(12), make(5)];
    const whole = { rows: 42, values: Float32Array.from([...a.values, ...b.values]), logits: [...a.logits, ...b.logits] };
    for (const name of ['mahalanobis', 'knn'] as const) {
      for (const features of ['penultimate', 'channel-means'] as const) {
        expect(fitPeer(name, [a, b], layers, { features, k: 3 }).score(probe)).toEqual(fitPeer(name, whole, layers, { features, k: 3 }).score(probe));
      }
    }
  });

  it('refuses Mahalanobis on too many features before any image is read (checkPeers), naming the flag that helps', () => {
    const wide = [{ shape: [5000, 2, 2], nodes: 5000 }];
    expect(() => checkPeers(['histogram', 'mahalanobis'], wide, { features: 'channel-means' })).toThrow(/5000 features .* \(--peer-features penultimate\)/);
    // A usage error: the CLI says it without pointing to a stack (no "DEBUG=1 shows where").
    expect(() => checkPeers(['mahalanobis'], wide, { features: 'channel-means' })).toThrow(UsageError);
    expect(() => checkPeers(['histogram', 'knn'], wide, { features: 'channel-means' })).not.toThrow();
    expect(() => checkPeers(['mahalanobis'], layers)).not.toThrow();
  });
});
