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
    errors.push(`budget must be a positive number of MB, such as 8, not ${String(s.budget)}: using ${DEFAULTS.budgetMB}.`);
    fix.budget = DEFAULTS.budgetMB;
  }
  if (changed('threads') && !(Number.isInteger(s.threads) && s.threads >= 0)) {
    errors.push(`threads must be a whole number, 0 for automatic, not ${String(s.threads)}: using 0.`);
    fix.threads = 0;
  }
  return { fix, errors };
}
