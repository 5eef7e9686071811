// The dense solves the Mahalanobis distances need (the peer and the Gaussian part), in float64 on
// row-major square matrices.

/**
 * Lower Cholesky factor L of a symmetric positive definite matrix (L Lᵀ = a). Throws on a pivot
 * that is not positive: the caller's shrinkage is what keeps the matrix definite, so a failure here
 * is a bug or a degenerate input, never something to paper over with a silent floor.
 */
export function cholesky(a: ArrayLike<number>, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`Matrix is not positive definite (pivot ${s} at row ${i}).`);
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j];
    }
  }
  return l;
}

/** Solves L y = b by forward substitution (L lower triangular, from cholesky). */
export function forwardSolve(l: Float64Array, d: number, b: ArrayLike<number>, y = new Float64Array(d)): Float64Array {
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
  }
  return y;
}

/**
 * Squared Mahalanobis distance to the nearest of several means, with one covariance L Lᵀ in the
 * coordinates x / scale: with y = L⁻¹ (x / scale) and v_c = L⁻¹ (μ_c / scale) the distance is
 * ‖y − v_c‖², one solve per image.
 */
export function nearestMean(L: Float64Array, d: number, scale: Float64Array, means: ArrayLike<number>[]): (x: ArrayLike<number>) => number {
  const whitened = means.map((m) => forwardSolve(L, d, Float64Array.from({ length: d }, (_, i) => m[i] / scale[i])));
  const z = new Float64Array(d);
  const y = new Float64Array(d);
  return (x) => {
    for (let i = 0; i < d; i++) z[i] = x[i] / scale[i];
    forwardSolve(L, d, z, y);
    let best = Infinity;
    for (const v of whitened) {
      let dist = 0;
      for (let i = 0; i < d; i++) dist += (y[i] - v[i]) ** 2;
      if (dist < best) best = dist;
    }
    return best;
  };
}

/**
 * Dead units (no within-class spread) take the smallest live scale, in place: they cannot be
 * standardised, and the quietest live feature is the most cautious guess at how much they may move.
 */
export function floorDeadScales(scale: Float64Array, isLive: (v: number, i: number) => boolean): void {
  const live = scale.filter(isLive);
  const floor = live.length ? Math.min(...live) : 1;
  for (let i = 0; i < scale.length; i++) if (!isLive(scale[i], i)) scale[i] = floor;
}

/** (1 − s) cov + s μ I in place: shrinkage toward the scaled identity (the plain identity when μ is 0). */
export function shrinkToIdentity(cov: Float64Array, d: number, s: number, mu: number): void {
  for (let i = 0; i < d * d; i++) cov[i] *= 1 - s;
  for (let i = 0; i < d; i++) cov[i * d + i] += s * (mu > 0 ? mu : 1);
}

/**
 * Shrinks a covariance of n rows toward the scaled identity, in place, by the OAS weight (Chen et al.
 * 2010), which needs only the covariance itself (Ledoit-Wolf also needs fourth moments of the rows):
 * ρ = min(1, ((1 − 2/d) tr(R²) + tr(R)²) / ((n + 1 − 2/d)(tr(R²) − tr(R)²/d))). Returns ρ (at least
 * 1e-6, so the result stays definite).
 */
export function oasShrink(cov: Float64Array, d: number, n: number): number {
  let tr = 0;
  let tr2 = 0;
  for (let i = 0; i < d * d; i++) tr2 += cov[i] * cov[i];
  for (let i = 0; i < d; i++) tr += cov[i * d + i];
  const denom = (n + 1 - 2 / d) * (tr2 - (tr * tr) / d);
  const rho = Math.max(1e-6, denom > 0 ? Math.min(1, ((1 - 2 / d) * tr2 + tr * tr) / denom) : 1);
  shrinkToIdentity(cov, d, rho, tr / d);
  return rho;
}
