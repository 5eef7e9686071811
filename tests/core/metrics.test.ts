import { describe, expect, it } from 'vitest';
import { auc, aucInterval, compareAuc, compareMeanAuc, costliest, normalTail, roc } from '../../src/core/metrics.ts';
import { combine } from '../../src/core/combine.ts';
import { rng } from '../../src/core/rng.ts';

describe('ROC and AUC', () => {
  it('AUC equals the Mann-Whitney U statistic (ties count one half)', () => {
    const r = rng(2);
    for (let t = 0; t < 50; t++) {
      const neg = Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 10));
      const pos = Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 12));
      let u = 0;
      for (const p of pos) for (const n of neg) u += p > n ? 1 : p === n ? 0.5 : 0;
      expect(auc(neg, pos)).toBeCloseTo(u / (pos.length * neg.length), 12);
    }
  });

  it('costliest names the images the AUC is lost on: pairwise counts of a brute force, shares that average to 1 − AUC', () => {
    const r = rng(4);
    for (let t = 0; t < 30; t++) {
      const neg = Array.from({ length: 2 + Math.floor(r() * 30) }, () => Math.floor(r() * 8));
      const pos = Array.from({ length: 2 + Math.floor(r() * 30) }, () => 3 + Math.floor(r() * 8));
      const lost = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0); // a clean score a against an anomalous b
      const negShare = neg.map((n) => pos.reduce((s, p) => s + lost(n, p), 0) / pos.length);
      const posShare = pos.map((p) => neg.reduce((s, n) => s + lost(n, p), 0) / neg.length);
      const c = costliest(neg, pos, Infinity);
      const expected = (share: number[]) => share.map((v, index) => ({ index, share: v })).filter((x) => x.share > 0).sort((a, b) => b.share - a.share || a.index - b.index);
      for (const [got, want] of [[c.negatives, expected(negShare)], [c.positives, expected(posShare)]] as const) {
        expect(got.map((x) => x.index)).toEqual(want.map((x) => x.index));
        got.forEach((x, i) => expect(x.share).toBeCloseTo(want[i].share, 12));
      }
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      expect(mean(negShare)).toBeCloseTo(1 - auc(neg, pos), 12);
      expect(mean(posShare)).toBeCloseTo(1 - auc(neg, pos), 12);
    }
    // A share is its count over the other side, exactly: 204 of 500 is 0.408, not 0.40799999999999997.
    expect(costliest([1], Array.from({ length: 500 }, (_, i) => (i < 204 ? 0 : 2)), 1).negatives).toEqual([{ index: 0, share: 0.408 }]);
    // Two at most, and none where nothing is misordered.
    expect(costliest([1, 5, 2], [3, 4], 2).negatives).toEqual([{ index: 1, share: 1 }]);
    expect(costliest([1, 2], [3, 4], 3)).toEqual({ negatives: [], positives: [] });
  });

  it('ROC runs from (0,0) to (1,1), and its trapezoid area is the AUC', () => {
    const r = rng(3);
    const neg = Array.from({ length: 200 }, () => Math.round(r() * 20));
    const pos = Array.from({ length: 150 }, () => Math.round(r() * 20 + 4));
    const c = roc(neg, pos);
    expect([c.fpr[0], c.tpr[0]]).toEqual([0, 0]);
    expect([c.fpr.at(-1), c.tpr.at(-1)]).toEqual([1, 1]);
    let area = 0;
    for (let i = 1; i < c.fpr.length; i++) area += ((c.fpr[i] - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1])) / 2;
    expect(area).toBeCloseTo(auc(neg, pos), 12);
  });

  it('calibrated q counts calibration scores at or above the score', () => {
    const cal = [3, 2, 5, 1, 2];
    expect(combine([0], cal).q).toBeCloseTo(6 / 6);
    expect(combine([2], cal).q).toBeCloseTo(5 / 6);
    expect(combine([4], cal).q).toBeCloseTo(2 / 6);
    expect(combine([9], cal).q).toBeCloseTo(1 / 6);
  });
});

/** Standard normal draws (Box-Muller) from the seeded generator. */
const normal = (r: () => number) => () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** DeLong's variance written out from its definition: the kernel ψ over every (positive, negative) pair. */
function bruteDelong(negs: number[][], poss: number[][]) {
  const psi = (p: number, n: number) => (p > n ? 1 : p === n ? 0.5 : 0);
  const v10 = negs.map((neg, k) => poss[k].map((p) => neg.reduce((s, n) => s + psi(p, n), 0) / neg.length));
  const v01 = negs.map((neg, k) => neg.map((n) => poss[k].reduce((s, p) => s + psi(p, n), 0) / poss[k].length));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const cov = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - mean(a)) * (b[i] - mean(b)), 0) / (a.length - 1);
  return { aucs: v10.map(mean), cov, v10, v01 };
}

describe('AUC intervals and paired comparison (DeLong)', () => {
  it('the normal tail matches known values', () => {
    expect(normalTail(0)).toBeCloseTo(0.5, 7);
    expect(normalTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalTail(-1)).toBeCloseTo(0.841344746, 6);
    expect(normalTail(4)).toBeCloseTo(3.167124e-5, 7);
  });

  it('equals the variance written from the pairwise kernel, ties included', () => {
    const r = rng(11);
    for (let t = 0; t < 30; t++) {
      const n0 = 2 + Math.floor(r() * 30);
      const n1 = 2 + Math.floor(r() * 30);
      const negA = Array.from({ length: n0 }, () => Math.floor(r() * 8));
      const posA = Array.from({ length: n1 }, () => Math.floor(r() * 10));
      const negB = negA.map((v) => v + Math.floor(r() * 4));
      const posB = posA.map((v) => v + Math.floor(r() * 4));
      const ref = bruteDelong([negA, negB], [posA, posB]);
      const varOf = (i: number, j: number) => ref.cov(ref.v10[i], ref.v10[j]) / n1 + ref.cov(ref.v01[i], ref.v01[j]) / n0;
      const c = compareAuc(negA, posA, negB, posB);
      expect(c.a).toBeCloseTo(auc(negA, posA), 12);
      expect(c.b).toBeCloseTo(ref.aucs[1], 12);
      expect(c.se ** 2).toBeCloseTo(varOf(0, 0) + varOf(1, 1) - 2 * varOf(0, 1), 12);
      expect(aucInterval(negA, posA).se ** 2).toBeCloseTo(varOf(0, 0), 12);
    }
  });

  it('a scorer against itself differs by 0 with p = 1', () => {
    const c = compareAuc([1, 2, 3], [2, 4, 5], [1, 2, 3], [2, 4, 5]);
    expect([c.diff, c.se, c.p]).toEqual([0, 0, 1]);
    expect(() => compareAuc([1, 2], [3], [1], [3])).toThrow(/same images/);
  });

  it('one image on a side gives no test (p NaN, null in JSON), not a certain difference', () => {
    const c = compareAuc([1], [2], [2], [1]);
    expect(c.diff).toBe(1);
    expect([c.se, c.p]).toEqual([NaN, NaN]);
    expect(JSON.parse(JSON.stringify(c)).p).toBeNull();
  });

  it('its 95% intervals cover the true AUC and a true difference of 0 about 95% of the time', () => {
    const z = normal(rng(12));
    const trials = 400;
    const n = 80;
    const delta = 1.2;
    // Two correlated scorers of equal true AUC: a shared latent shift plus each its own noise.
    const trueAuc = 1 - normalTail(delta / 2); // Φ(δ / √(2 · 2)): each score has variance 2
    let coverA = 0;
    let coverDiff = 0;
    for (let t = 0; t < trials; t++) {
      const latN = Array.from({ length: n }, () => z());
      const latP = Array.from({ length: n }, () => z() + delta);
      const [negA, negB, posA, posB] = [latN, latN, latP, latP].map((l) => l.map((v) => v + z()));
      const one = aucInterval(negA, posA);
      if (one.lo <= trueAuc && trueAuc <= one.hi) coverA++;
      const c = compareAuc(negA, posA, negB, posB);
      if (c.lo <= 0 && 0 <= c.hi) coverDiff++;
    }
    expect(coverA / trials).toBeGreaterThan(0.91);
    expect(coverA / trials).toBeLessThan(0.98);
    expect(coverDiff / trials).toBeGreaterThan(0.91);
    expect(coverDiff / trials).toBeLessThan(0.98);
  });

  it('over several sets that share the negatives: one set is compareAuc, and the mean difference\'s interval covers 0 about 95% of the time', () => {
    const z = normal(rng(13));
    const sample = (n: number, shift: number) => Array.from({ length: n }, () => z() + shift);
    const [neg, pos] = [sample(40, 0), sample(30, 1)];
    const negB = neg.map((v) => v + z());
    const posB = pos.map((v) => v + z());
    const one = compareAuc(neg, pos, negB, posB);
    const mean = compareMeanAuc(neg, negB, [{ a: pos, b: posB }]);
    expect(mean.diff).toBeCloseTo(one.diff, 12);
    expect(mean.se).toBeCloseTo(one.se, 12);
    // Three sets of other strengths against the same 60 negatives; both scorers equally good in each.
    const trials = 400;
    let cover = 0;
    let sumSe = 0;
    const diffs: number[] = [];
    for (let t = 0; t < trials; t++) {
      const latN = sample(60, 0);
      const sets = [0.5, 1, 2].map((d) => sample(25, d));
      const [negA, negB2] = [latN.map((v) => v + z()), latN.map((v) => v + z())];
      const c = compareMeanAuc(negA, negB2, sets.map((l) => ({ a: l.map((v) => v + z()), b: l.map((v) => v + z()) })));
      if (Math.abs(c.diff) <= 1.959964 * c.se) cover++;
      sumSe += c.se;
      diffs.push(c.diff);
    }
    expect(cover / trials).toBeGreaterThan(0.91);
    expect(cover / trials).toBeLessThan(0.98);
    // The standard error matches the spread of the differences themselves (within sampling error of 400 trials).
    const sd = Math.sqrt(diffs.reduce((a, d) => a + d * d, 0) / trials);
    expect(sumSe / trials / sd).toBeGreaterThan(0.85);
    expect(sumSe / trials / sd).toBeLessThan(1.15);
  });
});
