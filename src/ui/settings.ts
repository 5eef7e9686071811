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

/** What each setting falls back to. */
const FALLBACK: Settings = { fpr: DEFAULTS.fpr, provider: DEFAULTS.provider, scoring: DEFAULTS.scoring, budget: DEFAULTS.budgetMB, threads: 0 };

/**
 * For each changed setting that cannot be used: the value to use instead and the sentence for the
 * user. An unset one (null, undefined: a framework's cleared binding) takes its default without a
 * word, and a number given as its text (a template's property binding) is read as the number.
 */
export function refusedSettings(s: Settings, changed: (k: keyof Settings) => boolean): { fix: Partial<Settings>; errors: string[] } {
  const fix: Partial<Settings> = {};
  const errors: string[] = [];
  const keys = (Object.keys(FALLBACK) as (keyof Settings)[]).filter(changed);
  for (const k of keys) {
    const v: unknown = s[k];
    if (v === null || v === undefined) Object.assign(fix, { [k]: FALLBACK[k] });
    else if ((k === 'fpr' || k === 'budget' || k === 'threads') && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) fix[k] = Number(v);
  }
  // Read through `s`, not spread: on the element the settings are accessors, which a spread does not copy.
  const value = <K extends keyof Settings>(k: K): Settings[K] => (k in fix ? (fix[k] as Settings[K]) : s[k]);
  const refuse = (k: keyof Settings, problem: string) => {
    errors.push(`${problem}: using ${FALLBACK[k]}.`);
    Object.assign(fix, { [k]: FALLBACK[k] });
  };
  for (const k of ['fpr', 'provider', 'scoring'] as const) {
    const problem = keys.includes(k) && settingProblem[k](value(k));
    if (problem) refuse(k, problem);
  }
  const [budget, threads] = [value('budget'), value('threads')];
  if (keys.includes('budget') && !(budget > 0 && Number.isFinite(budget))) refuse('budget', `budget must be a positive number of MB, such as 8, not ${shown(budget)}`);
  if (keys.includes('threads') && !(Number.isInteger(threads) && threads >= 0)) refuse('threads', `threads must be a whole number, 0 for automatic, not ${shown(threads)}`);
  return { fix, errors };
}
