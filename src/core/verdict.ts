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
