// The joint look, one more witness of core/combine.ts: how unusual an image's parts are together.
import { cholesky, oasShrink } from './linalg.ts';
import { normalQuantileOfLog } from './normal.ts';
import { scratch64 } from './scratch.ts';

/** A part's normal score from its log q in a bag of n, q capped below 1 so the bag's least is finite. */
const scoreOf = (l: number, n: number) => -normalQuantileOfLog(Math.min(Math.log1p(-0.5 / n), l));

/** The normal score of each rank's log q, log(r / (m + 1)) at index r (`L`, as combine's Prepared keeps it): made once per calibration table. */
export function rankScores(L: Float64Array): Float64Array {
  return L.map((l, r) => (r === 0 ? NaN : scoreOf(l, L.length - 1)));
}

/**
 * The joint look: how unusual an image's parts are together, not one by one. Each part's rank q in
 * the bag becomes a normal score z = Φ⁻¹(1 − q) (q capped below 1, so the bag's least is finite),
 * and each bag member gets the squared Mahalanobis distance of its z vector from the bag's mean,
 * under the bag's covariance (standardised, OAS-shrunk). Clean images' parts move together (the
 * pooled scans with their class-conditional twins, the upper scan with the Gaussian part); an
 * attack lights up the pooled lower-tail scan and leaves its class-conditional twin ordinary, a
 * combination no clean image shows, though each part alone is only a little out. The statistic is
 * a symmetric function of the bag, so ranking it keeps the verdict full conformal. A part constant
 * across the bag carries nothing and is left out. Writes one value per bag member into `out`.
 *
 * `logq`: every bag member's part log q ([n, k] row-major, n = m + 1); `ranks`: the same entries'
 * ranks r (log q = log(r / n)), or 0 where the tail beyond calibration gave the log q; `byRank`: each
 * rank's normal score (rankScores), so most scores are looked up, not recomputed.
 */
export function jointLook(logq: Float64Array, ranks: Uint32Array, k: number, byRank: Float64Array, cols: readonly number[], out: Float64Array): void {
  const n = byRank.length - 1;
  const D = cols.length;
  // Reused from one image to the next (core/scratch.ts says why).
  const [z, x] = [scratch64('joint:z', n * D), scratch64('joint:x', n * D)];
  // Normal scores, standardised per column; a column constant across the bag is dropped.
  const live: number[] = [];
  for (let a = 0; a < D; a++) {
    let s = 0;
    for (let i = 0, e = cols[a]; i < n; i++, e += k) {
      const r = ranks[e];
      s += z[i * D + a] = r > 0 ? byRank[r] : scoreOf(logq[e], n);
    }
    const mu = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const dz = z[i * D + a] - mu;
      v += dz * dz;
    }
    const sd = Math.sqrt(v / n);
    if (!(sd > 1e-6)) continue;
    live.push(a);
    for (let i = 0; i < n; i++) z[i * D + a] = (z[i * D + a] - mu) / sd;
  }
  const d = live.length;
  if (d === 0) {
    out.fill(0, 0, n);
    return;
  }
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) x[i * d + a] = z[i * D + live[a]];
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] += x[i * d + a] * x[i * d + b];
  for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[b * d + a] = cov[a * d + b] /= n;
  oasShrink(cov, d, n);
  const l = cholesky(cov, d);
  const y = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    // ‖L⁻¹ x_i‖², forward substitution inline (one per bag member).
    let s = 0;
    for (let a = 0; a < d; a++) {
      let v = x[i * d + a];
      for (let b = 0; b < a; b++) v -= l[a * d + b] * y[b];
      y[a] = v / l[a * d + a];
      s += y[a] * y[a];
    }
    out[i] = s;
  }
}
