// Energy score (Liu et al. 2020) from the logits, temperature 1: a peer in the evaluation, and the
// logit part of a histoscan score (ScanHeader.logits).

/** E(x) = −logsumexp(logits). In-distribution inputs get low energy, so E is the anomaly score. */
export function energy(logits: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > m) m = logits[i];
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i] - m); // shifted by the max: no overflow
  return -(m + Math.log(s));
}
