// The element's settings that a verdict or a start depends on: a value it cannot use is replaced by
// the default and said so, rather than labelling rows "typical at FPR NaN%". Pure, for tests.
import { DEFAULTS, settingProblem } from '../defaults.ts';
import type { ProviderRequest, ScoringName } from '../types.ts';

export interface Settings {
  fpr: number;
  provider: ProviderRequest;
  scoring: ScoringName;
  /** MB of a profile built on the page. */
  budget: number;
  /** WASM threads, 0 = automatic. */
  threads: number;
}

/**
 * A numeric attribute as its number, or as the text given where that is no number ("5%"), so the
 * message that refuses it can quote it (Lit's Number would make it NaN).
 */
export const numberOrText = { fromAttribute: (v: string | null): number | string | null => (v === null || v.trim() === '' || Number.isNaN(Number(v)) ? v : Number(v)) };

/** How a refused value reads: a text quoted, a number as such. */
const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** For each changed setting that cannot be used: the value to use instead and the sentence for the user. */
export function refusedSettings(s: Settings, changed: (k: keyof Settings) => boolean): { fix: Partial<Settings>; errors: string[] } {
  const fix: Partial<Settings> = {};
  const errors: string[] = [];
  for (const k of ['fpr', 'provider', 'scoring'] as const) {
    const problem = changed(k) && settingProblem[k](s[k]);
    if (problem) {
      errors.push(`${problem}: using ${DEFAULTS[k]}.`);
      Object.assign(fix, { [k]: DEFAULTS[k] });
    }
  }
  if (changed('budget') && !(s.budget > 0 && Number.isFinite(s.budget))) {
    errors.push(`budget must be a positive number of MB, such as 8, not ${shown(s.budget)}: using ${DEFAULTS.budgetMB}.`);
    fix.budget = DEFAULTS.budgetMB;
  }
  if (changed('threads') && !(Number.isInteger(s.threads) && s.threads >= 0)) {
    errors.push(`threads must be a whole number, 0 for automatic, not ${shown(s.threads)}: using 0.`);
    fix.threads = 0;
  }
  return { fix, errors };
}
