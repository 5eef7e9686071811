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
 * a verdict that holds its rate has `level` inside or above the interval.
 */
export function realisedFpr(q: ArrayLike<number>, level: number): { level: number; rate: number; lo: number; hi: number; n: number } {
  const n = q.length;
  let k = 0;
  for (let i = 0; i < n; i++) if (q[i] <= level) k++;
  const p = n ? k / n : NaN;
  const z = 1.96;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { level, rate: p, lo: Math.max(0, c - h), hi: Math.min(1, c + h), n };
}
