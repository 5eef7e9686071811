// The words and colour class of each verdict state, in one place for rows, detail and summary.
import type { VerdictState } from '../core/verdict.ts';
import { fmtRate } from './format.ts';

export interface VerdictText {
  /** Row and heading text. */
  short: string;
  /** Class for the colour: flag, ok or uncal. */
  cls: 'flag' | 'ok' | 'uncal';
}

export function verdictText(state: VerdictState, fpr: number): VerdictText {
  const pct = fmtRate(fpr);
  if (state === 'unusual') return { short: `⚠ Unusual at FPR ${pct}`, cls: 'flag' };
  if (state === 'typical') return { short: `✓ Typical at FPR ${pct}`, cls: 'ok' };
  // Never "Typical": this profile could not have flagged the image at this FPR.
  return { short: `? Not calibrated for FPR ${pct}`, cls: 'uncal' };
}
