import { normalQuantileOfLog } from './normal.ts';

/** ROC curve and AUC for scores where larger means "more anomalous". */
export interface Roc {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/** ROC points at every distinct threshold, from (0,0) to (1,1). */
export function roc(negatives: ArrayLike<number>, positives: ArrayLike<number>): Roc {
  const all = [
    ...Array.from(negatives, (s) => ({ s, pos: 0 })),
    ...Array.from(positives, (s) => ({ s, pos: 1 })),
  ].sort((a, b) => b.s - a.s);
  const P = positives.length;
  const N = negatives.length;
  const out: Roc = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i].pos) tp++;
    else fp++;
    if (i + 1 < all.length && all[i + 1].s === all[i].s) continue;
    out.fpr.push(N ? fp / N : 0);
    out.tpr.push(P ? tp / P : 0);
    out.thresholds.push(all[i].s);
  }
  return out;
}

/** AUC = P(score of a positive > score of a negative) + 1/2 P(tie), via average ranks (Mann-Whitney). */
export function auc(negatives: ArrayLike<number>, positives: ArrayLike<number>): number {
  const N = negatives.length;
  const P = positives.length;
  if (!N || !P) return NaN;
  const all = [
    ...Array.from(negatives, (s) => ({ s, pos: false })),
    ...Array.from(positives, (s) => ({ s, pos: true })),
  ].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const avgRank = (i + 1 + j) / 2; // ranks i+1..j share their mean
    for (let k = i; k < j; k++) if (all[k].pos) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (P * (P + 1)) / 2) / (P * N);
}

/**
 * Share of clean images flagged at a nominal FPR (q <= level), with the Wilson 95% interval:
 * a verdict that holds its rate has `level` inside or above the interval. `flagged`: how many.
 */
export function realisedFpr(q: ArrayLike<number>, level: number): { level: number; rate: number; lo: number; hi: number; n: number; flagged: number } {
  const n = q.length;
  let k = 0;
  for (let i = 0; i < n; i++) if (q[i] <= level) k++;
  const p = n ? k / n : NaN;
  const z = 1.96;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { level, rate: p, lo: Math.max(0, c - h), hi: Math.min(1, c + h), n, flagged: k };
}

/** Midranks (1-based, ties share their mean rank) of `v`, in its own order. */
function midranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && v[order[j]] === v[order[i]]) j++;
    for (let k = i; k < j; k++) r[order[k]] = (i + 1 + j) / 2;
    i = j;
  }
  return r;
}

/** DeLong's placement values of one scorer, and the AUC they average to. */
interface Placements {
  v10: Float64Array;
  v01: Float64Array;
  auc: number;
}

/**
 * DeLong's placement values: per positive the share of negatives it beats, per negative the share
 * of positives that beat it (ties ½). Either's mean is the AUC; their spread gives its variance.
 */
function placements(neg: ArrayLike<number>, pos: ArrayLike<number>): Placements {
  const n0 = neg.length;
  const n1 = pos.length;
  const all = midranks([...Array.from(pos), ...Array.from(neg)]);
  const rp = midranks(pos);
  const rn = midranks(neg);
  const v10 = Float64Array.from(rp, (r, i) => (all[i] - r) / n0);
  return { v10, v01: Float64Array.from(rn, (r, j) => 1 - (all[n1 + j] - r) / n1), auc: v10.reduce((a, v) => a + v, 0) / n1 };
}

/** An image that costs an AUC, with the share of the other side it is misordered against (ties half). */
export interface Costly {
  index: number;
  share: number;
}

/**
 * Where an AUC is lost: each negative by the share of positives that score at most as high, each
 * positive by the share of negatives that score at least as high (a tie counts half); the `n`
 * costliest of each with a share above 0, largest first. 1 − AUC is the mean share on either side,
 * so a few negatives with large shares (clean images the detector finds unusual) can cost more
 * than many weak positives.
 */
export function costliest(negatives: ArrayLike<number>, positives: ArrayLike<number>, n: number): { negatives: Costly[]; positives: Costly[] } {
  const P = placements(negatives, positives);
  // A share is a count of half pairs over the other side: rounded to it, 0.408 reads 0.408, not 0.40799999999999997.
  const top = (lost: Float64Array, others: number) =>
    Array.from(lost, (v, index) => ({ index, share: Math.round(v * 2 * others) / (2 * others) }))
      .filter((c) => c.share > 0)
      .sort((a, b) => b.share - a.share || a.index - b.index)
      .slice(0, n);
  return { negatives: top(P.v01.map((v) => 1 - v), positives.length), positives: top(P.v10.map((v) => 1 - v), negatives.length) };
}

/** Sample covariance (n − 1). */
function cov(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] - ma) * (b[i] - mb);
  return s / (n - 1);
}

/** DeLong's covariance of two scorers' AUCs on the same images (of one scorer with itself: its variance). */
const aucCov = (A: Placements, B: Placements): number => cov(A.v10, B.v10) / A.v10.length + cov(A.v01, B.v01) / A.v01.length;

/** Standard normal upper tail, 1 − Φ(z) (Abramowitz & Stegun 7.1.26: erf to 1.5e-7 absolute; enough for a test's p). */
export function normalTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

const Z95 = 1.959964;

/** The normal z of a two-sided interval at `level` (1.959964 at 95%). */
export const zOfLevel = (level: number): number => (level === 0.95 ? Z95 : -normalQuantileOfLog(Math.log((1 - level) / 2)));

/** An AUC with its DeLong standard error and 95% interval (clipped to [0, 1]). */
export interface AucInterval {
  auc: number;
  se: number;
  lo: number;
  hi: number;
}

export function aucInterval(negatives: ArrayLike<number>, positives: ArrayLike<number>): AucInterval {
  const P = placements(negatives, positives);
  const a = P.auc;
  const se = Math.sqrt(aucCov(P, P));
  return { auc: a, se, lo: Math.max(0, a - Z95 * se), hi: Math.min(1, a + Z95 * se) };
}

/** Two detectors' AUCs on the same images, and their difference a − b with its paired test. */
export interface AucComparison {
  a: number;
  b: number;
  diff: number;
  /** DeLong standard error of the difference (the images are shared, so it is paired). */
  se: number;
  lo: number;
  hi: number;
  /** Two-sided p-value of "equal AUCs"; NaN (null in JSON) where `se` is, with fewer than two images on a side. */
  p: number;
}

/**
 * DeLong, DeLong & Clarke-Pearson (1988): the AUC difference of two scorers on the same negatives
 * and positives (row i of each is the same image), with the variance of the paired placement
 * values. Scores beside each other on shared images are correlated, so this interval is much
 * narrower than two separate ones: it says whether "histoscan beats the best peer" is more than noise.
 */
export function compareAuc(negA: ArrayLike<number>, posA: ArrayLike<number>, negB: ArrayLike<number>, posB: ArrayLike<number>): AucComparison {
  const { a, b, diff, se } = compareMeanAuc(negA, negB, [{ a: posA, b: posB }]);
  // NaN where the error cannot be computed (one image on a side): no test, not a certain difference.
  const p = !(se >= 0) ? NaN : se > 0 ? 2 * normalTail(Math.abs(diff) / se) : diff === 0 ? 1 : 0;
  return { a, b, diff, se, lo: diff - Z95 * se, hi: diff + Z95 * se, p: Math.min(1, p) };
}

/**
 * compareAuc for the mean AUC over several sets of positives that share the negatives (such as
 * kinds of pseudo-anomaly against the same clean images): the mean AUCs, their difference and its
 * DeLong standard error. A negative's placement is averaged over the sets, since every set's AUC
 * moves with it; a set without positives is left out.
 */
export function compareMeanAuc(negA: ArrayLike<number>, negB: ArrayLike<number>, sets: readonly { a: ArrayLike<number>; b: ArrayLike<number> }[]): { a: number; b: number; diff: number; se: number } {
  if (negA.length !== negB.length || sets.some((s) => s.a.length !== s.b.length)) throw new Error('compareAuc: both scorers must score the same images');
  const used = sets.filter((s) => s.a.length > 0);
  const K = used.length;
  const d01 = new Float64Array(negA.length);
  let [a, b, posVar] = [0, 0, 0];
  for (const s of used) {
    const A = placements(negA, s.a);
    const B = placements(negB, s.b);
    a += A.auc / K;
    b += B.auc / K;
    const d10 = A.v10.map((v, i) => v - B.v10[i]);
    posVar += cov(d10, d10) / (d10.length * K * K);
    for (let j = 0; j < d01.length; j++) d01[j] += (A.v01[j] - B.v01[j]) / K;
  }
  return { a, b, diff: a - b, se: Math.sqrt(Math.max(0, posVar + cov(d01, d01) / d01.length)) };
}
