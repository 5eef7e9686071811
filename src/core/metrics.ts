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
