// The standard normal quantile, for turning ranks into normal scores (core/combine.ts joint look).

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const LOW = 0.02425;

/** The lower tail's x for log p (p small), from t = sqrt(−2 log p): exact enough far below any double p. */
const lowerTail = (logp: number): number => {
  const t = Math.sqrt(-2 * logp);
  return (((((C[0] * t + C[1]) * t + C[2]) * t + C[3]) * t + C[4]) * t + C[5]) / ((((D[0] * t + D[1]) * t + D[2]) * t + D[3]) * t + 1);
};

/**
 * x with Φ(x) = p, given log p (so a p far below the smallest double still has its quantile).
 * Acklam's rational approximation, relative error below 1.2e-9 over the whole range.
 */
export function normalQuantileOfLog(logp: number): number {
  if (!(logp <= 0)) throw new RangeError(`normalQuantileOfLog: log p must be <= 0, not ${logp}`);
  if (logp === 0) return Infinity;
  const p = Math.exp(logp);
  if (p < LOW) return lowerTail(logp);
  if (p > 1 - LOW) return -lowerTail(Math.log1p(-p));
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}
