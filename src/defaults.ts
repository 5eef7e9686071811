import type { BinStrategy, PointP, Reduction, ScanTail, ScoringName } from './types.ts';

// The defaults the CLI, the worker and the evaluation share, chosen from eval/report.md:
// per-element nodes (channel means lose most of the power), tail-refined bins on both tails with
// B = 16 (as good as 32 or 64 at half the bytes), an upper-tail and a lower-tail scan combined
// (adversarial inputs light nodes up, synthesized ones silence them), Higher Criticism (far ahead
// of Berk-Jones and Kolmogorov-Smirnov on every adversarial set), mid-p.
export const DEFAULTS = {
  reduction: 'element' as Reduction,
  bins: 16,
  strategy: 'tail' as BinStrategy,
  tail: 'both' as ScanTail,
  pointP: 'mid' as PointP,
  scoring: 'hc' as ScoringName,
  aMax: 0.5,
  fpr: 0.05,
};
