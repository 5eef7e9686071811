import type { BinStrategy, PointP, Reduction, ScoringName, Tail } from './types.ts';

// The defaults the CLI, the worker and the evaluation share. Chosen from eval/report.md.
export const DEFAULTS = {
  reduction: 'element' as Reduction,
  bins: 32,
  strategy: 'tail' as BinStrategy,
  tail: 'upper' as Tail,
  pointP: 'mid' as PointP,
  scoring: 'bj' as ScoringName,
  aMax: 0.5,
  fpr: 0.05,
};
