// The verdict has three states. "typical" is only ever said when the calibration could have
// said "unusual": with m calibration scores the smallest q is 1/(m + 1), so a profile with no
// calibration, or with m < 1/FPR - 1 images, cannot flag at that FPR and says so instead.

export type VerdictState = 'unusual' | 'typical' | 'uncalibrated';

export interface Verdict {
  state: VerdictState;
  /** Why the verdict is 'uncalibrated', in words a user can act on. */
  reason?: string;
}

/** Calibration images needed before q can reach `fpr`: the least m with 1/(m + 1) <= fpr. */
export function calibrationNeeded(fpr: number): number {
  return Math.max(1, Math.ceil(1 / fpr - 1 - 1e-9));
}

/**
 * Verdict of a calibrated q at a false-positive rate. `calibrated` is the number of calibration
 * images behind q (0 when the profile has none or its table does not belong to it).
 */
export function verdictOf(q: number, fpr: number, calibrated: number, mismatch?: string): Verdict {
  if (mismatch) return { state: 'uncalibrated', reason: mismatch };
  if (!calibrated || !Number.isFinite(q)) {
    return { state: 'uncalibrated', reason: 'The profile has no calibration: run "histoscan calibrate" with held-out known-good images.' };
  }
  const need = calibrationNeeded(fpr);
  if (calibrated < need) {
    return {
      state: 'uncalibrated',
      reason: `${calibrated} calibration images cannot flag at FPR ${fpr}: at least ${need} are needed.`,
    };
  }
  return { state: q <= fpr ? 'unusual' : 'typical' };
}

/** P(X >= k) for X ~ Binomial(n, p), summed in log space from k up (exact; O(n)). */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  let logTerm = k * Math.log(p) + (n - k) * Math.log1p(-p);
  for (let i = 0; i < k; i++) logTerm += Math.log(n - i) - Math.log(i + 1);
  const ratio = Math.log(p) - Math.log1p(-p);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += Math.exp(logTerm);
    logTerm += Math.log(n - i) - Math.log(i + 1) + ratio;
    if (logTerm < -745 && i >= n * p) break; // past the mode the terms only shrink, and these are 0 in doubles
  }
  return Math.min(1, sum);
}

/** A batch's share of "unusual" verdicts is called out when this unlikely under the FPR. */
export const EXCESS_LEVEL = 1e-3;

/**
 * A sentence when a batch has far more "unusual" verdicts than the FPR allows for images like the
 * calibration set (binomial tail below EXCESS_LEVEL): the verdict's guarantee holds only for
 * images exchangeable with the calibration images, so either the batch differs from them, or the
 * profile was calibrated on another kind of image. Null otherwise. `checked` counts verdicts.
 */
export function excessNote(unusual: number, checked: number, fpr: number): string | null {
  if (checked === 0 || binomialTail(unusual, checked, fpr) >= EXCESS_LEVEL) return null;
  const pct = (x: number) => `${+(100 * x).toFixed(1)}%`;
  return `${unusual} of ${checked} images (${pct(unusual / checked)}) are unusual, far more than the ${pct(fpr)} that images like the calibration set would give: either this batch differs from those images, or the profile was calibrated on another kind of image (calibrate on images from the source you check).`;
}
