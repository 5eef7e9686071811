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

/**
 * P(X >= x) for X ~ BetaBinomial(n, a, b) (integers a, b >= 1), summed from the pmf's ratio
 * recursion in log space (O(n)). The number of n exchangeable test images flagged at q <= fpr by
 * one draw of m calibration images is BetaBinomial(n, k, m + 1 - k) with k = floor(fpr (m + 1)):
 * the rate that draw flags at is Beta(k, m + 1 - k), the binomial's p.
 */
export function betaBinomialTail(x: number, n: number, a: number, b: number): number {
  if (x <= 0) return 1;
  if (x > n) return 0;
  // log pmf(0) = log B(a, n + b) / B(a, b) = sum over i < n of log((b + i) / (a + b + i)).
  let log = 0;
  for (let i = 0; i < n; i++) log += Math.log(b + i) - Math.log(a + b + i);
  let below = 0;
  for (let i = 0; i < x; i++) {
    below += Math.exp(log);
    log += Math.log(n - i) - Math.log(i + 1) + Math.log(i + a) - Math.log(n - i - 1 + b);
  }
  return Math.max(0, Math.min(1, 1 - below));
}

/** The rank k = floor(fpr (m + 1)) at which m calibration scores put q at the FPR: one draw's own rate is Beta(k, m + 1 - k). */
const flaggingRank = (m: number, fpr: number): number => Math.floor(fpr * (m + 1) + 1e-9);

/**
 * The range in which one calibration on m images puts the profile's own false-positive rate, `level`
 * of such draws (0.9: the 5% and 95% quantiles of Beta(k, m + 1 - k), k = floor(fpr (m + 1)); its CDF
 * at x is P(Binomial(m, x) >= k)), by bisection. Null where m cannot flag at `fpr`.
 */
export function calibrationSpread(m: number, fpr: number, level = 0.9): { lo: number; hi: number } | null {
  const k = flaggingRank(m, fpr);
  if (k < 1 || m < 1) return null;
  const quantile = (p: number) => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (binomialTail(k, m, mid) < p) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return { lo: quantile((1 - level) / 2), hi: quantile((1 + level) / 2) };
}

/** calibrationSpread where 5% of calibrations on m images flag at twice the FPR or more (at 5%, under about 60): the spread a build and `eval` say. */
export function wideSpread(m: number, fpr: number): { lo: number; hi: number } | null {
  const s = calibrationSpread(m, fpr);
  return s && s.hi > 2 * fpr ? s : null;
}

/** A batch's share of "unusual" verdicts is called out when this unlikely under the FPR. */
export const EXCESS_LEVEL = 1e-3;

/** Whether `unusual` of `checked` verdicts is far more than the FPR allows (excessNote's test; `eval`'s clean images take it too). */
export function excessive(unusual: number, checked: number, fpr: number, calibrated = 0): boolean {
  if (checked === 0) return false;
  const k = flaggingRank(calibrated, fpr);
  const tail = calibrated && k ? betaBinomialTail(unusual, checked, k, calibrated + 1 - k) : binomialTail(unusual, checked, fpr);
  return tail < EXCESS_LEVEL;
}

/**
 * A sentence when a batch has far more "unusual" verdicts than the FPR allows for images like the
 * calibration set (tail below EXCESS_LEVEL): the verdict's guarantee holds only for images
 * exchangeable with the calibration images, so either the batch differs from them, or the profile
 * was calibrated on another kind of image. Null otherwise. `checked` counts verdicts. With the
 * number of calibration images (`calibrated`) the tail is the beta-binomial's, which counts the
 * spread of that one draw's own rate (19 images: anywhere in 0.3%-15% at 5%, 90% of draws); without,
 * the binomial's, as if the rate were the FPR exactly.
 */
export function excessNote(unusual: number, checked: number, fpr: number, calibrated = 0): string | null {
  if (!excessive(unusual, checked, fpr, calibrated)) return null;
  const pct = (x: number) => `${+(100 * x).toFixed(1)}%`;
  const spread = calibrated ? ` (even allowing for the spread of a calibration on ${calibrated} images)` : '';
  return `${unusual} of ${checked} images (${pct(unusual / checked)}) are unusual, far more than the ${pct(fpr)} that images like the calibration set would give${spread}: either this batch differs from those images, or the profile was calibrated on another kind of image (calibrate on images from the source you check).`;
}

/**
 * Why a lossy-coded image may be unusual whatever it shows: compression moves a model's activations (on the
 * default model, JPEG copies of clean images were flagged 16.5–61.6% of the time at FPR 5%, its accuracy unchanged).
 * Said where the profile's background was all, or nearly all, losslessly coded, or does not say (`lossy` absent);
 * `lossy`: the image's coding (RgbaImage.lossy); said whatever its verdict (the CLI and the page show it with an unusual one).
 */
export function codingNote(lossy: string | false | undefined, background: { count: number; lossy?: number }): string | undefined {
  if (!lossy) return undefined;
  const a = /^[AEIOU]/.test(lossy) ? 'an' : 'a';
  if (background.lossy === undefined) return `${a} ${lossy}: where the profile's background images were not compressed alike, compression alone can make a clean image unusual.`;
  if (background.lossy >= 0.1 * background.count) return undefined;
  const n = background.count.toLocaleString('en');
  const few = background.lossy === 0 ? `all ${n} of the profile's background images were losslessly coded` : `only ${background.lossy.toLocaleString('en')} of the profile's ${n} background images were lossy-coded`;
  return `${a} ${lossy}, where ${few}: compression alone can make a clean image unusual. Build the profile from images coded as the ones you check (some of them saved as ${lossy} too).`;
}
