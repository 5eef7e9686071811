import pkg from '../package.json' with { type: 'json' };
import type { BinStrategy, ConditionalScan, PointP, ProviderRequest, Reduction, ScanTail, ScoringName } from './types.ts';

// The one defaults policy: core and the pipeline take explicit parameters; these values are
// applied only at the edges (CLI flags, the worker API, the element's properties).
// Chosen from eval/report.md: per-element nodes (channel means lose most of the power), tail-refined
// bins on both tails with B = 16 (as good as 32 or 64 at half the bytes), an upper-tail and a
// lower-tail scan combined (adversarial inputs light nodes up, synthesized ones silence them),
// Higher Criticism (far ahead of Berk-Jones and Kolmogorov-Smirnov on every adversarial set), mid-p.
export const DEFAULTS = {
  layers: 'auto' as const,
  reduction: 'element' as Reduction,
  bins: 16,
  strategy: 'tail' as BinStrategy,
  tail: 'both' as ScanTail,
  pointP: 'mid' as PointP,
  scoring: 'hc' as ScoringName,
  aMax: 0.5,
  classConditional: 'none' as 'none' | 'all' | 'last',
  conditional: 'mixed' as ConditionalScan,
  fpr: 0.05,
  provider: 'auto' as ProviderRequest,
  batchSize: 32,
  topNodes: 10,
  /** Share of an in-browser build's images held out to calibrate it. */
  calibrationShare: 0.2,
  groupSeed: 7,
};

export const GENERATOR = `histoscan ${pkg.version}`;

/** Build options with every default filled in; `given` wins where it says something. */
export function buildDefaults<T extends object>(given: T) {
  const { bins, strategy, tail, pointP, aMax, classConditional, conditional, batchSize, fpr } = DEFAULTS;
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as T;
  return { bins, strategy, tail, pointP, aMax, classConditional, conditional, batchSize, fpr, generator: GENERATOR, ...set };
}
