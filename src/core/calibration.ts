import type { CalibrationTable, ScoringName } from '../types.ts';

/** Calibrated p-value of a scan score against clean calibration scores: (#{cal >= s} + 1)/(m + 1). */
export function calibratedQ(score: number, sortedCal: ArrayLike<number>): number {
  const m = sortedCal.length;
  if (m === 0) return NaN;
  // first index with cal >= score (ascending order)
  let a = 0;
  let b = m;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (sortedCal[mid] < score) a = mid + 1;
    else b = mid;
  }
  return (m - a + 1) / (m + 1);
}

/** Fisher's combination of p-values: -2 sum log q (larger = more unusual). */
export function fisherCombine(qs: number[]): number {
  return qs.reduce((s, q) => s - 2 * Math.log(q), 0);
}

/** Calibration table from scan scores of held-out clean inputs, per scoring function. */
export function calibrationTable(scores: Partial<Record<ScoringName, number[]>>): CalibrationTable {
  const out: CalibrationTable = { count: 0, scores: {} };
  for (const [k, v] of Object.entries(scores) as [ScoringName, number[]][]) {
    out.scores[k] = [...v].sort((a, b) => a - b);
    out.count = v.length;
  }
  return out;
}
