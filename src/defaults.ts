import pkg from '../package.json' with { type: 'json' };
import { SCORINGS } from './core/scan.ts';
import type { PlanBudget } from './model/plan.ts';
import type { BinStrategy, ClassLayers, Combination, ConditionalScan, LogitPart, PointP, ProviderRequest, ScanTail, ScoringName } from './types.ts';

// The one defaults policy: core and the pipeline take explicit parameters; these values are
// applied only at the edges (CLI flags, the worker API, the element's properties).
// Every scoring default was chosen on dev halves, never on the test halves README reports (the
// first on the default CNN's; later ones also on the 224x224 photo model's and the ViT's): per-element nodes
// where the budget allows, tail-refined bins on both tails with B = 16, Higher Criticism, tie-aware
// mid-p, class histograms for the last layers the budget leaves room for, the energy and the Gaussian
// part, and the parts as three witnesses by their truncated product (core/combine.ts), or the Gaussian
// part alone where the calibration's pseudo-anomalies say so (core/surrogates.ts). Each step, with
// its dev and test figures and the rules tried and not taken: docs/decisions.md.
export const DEFAULTS = {
  layers: 'auto' as const,
  // No global reduction: each layer's comes from the byte-budget plan (model/plan.ts), which keeps
  // small models per element (the default model's 18,944 nodes take 2.05 MB at n = 10,000) and
  // pools or averages the large maps of photo models (6.1 M element nodes on a 224×224 MobileNetV2).
  /** Histogram bytes a profile may take, in MB (10^6 bytes): what a page can fetch and hold. */
  budgetMB: 8,
  /** Explicit --layers/--reduce costing more than this many budgets are refused unless forced. */
  capFactor: 4,
  /** Background size the plan assumes before the images are known (it sets the count width). */
  planCount: 10_000,
  bins: 16,
  strategy: 'tail' as BinStrategy,
  tail: 'both' as ScanTail,
  pointP: 'mid' as PointP,
  scoring: 'hc' as ScoringName,
  aMax: 0.5,
  classConditional: 'auto' as ClassLayers,
  conditional: 'added' as ConditionalScan,
  combine: 'tpm' as Combination,
  /**
   * The logit part (ScanHeader.logits): the model's energy as one more calibrated part where the
   * model is sure of its background (its top class a median halfway or more from chance to certainty,
   * core/energy.ts ENERGY_MIN_CONFIDENCE), else none.
   */
  logits: 'auto' as LogitPart,
  /** The Gaussian part (core/gauss.ts): Mahalanobis distance of the first and last layers' channel means to the nearest background prototype. */
  gauss: true,
  fpr: 0.05,
  provider: 'auto' as ProviderRequest,
  batchSize: 32,
  topNodes: 10,
  /** Share of one set of known-good images held out to calibrate a build (detector/holdout.ts holdOut): in the browser, and in `profile` without --calibration. */
  calibrationShare: 0.2,
  groupSeed: 7,
};

export const GENERATOR = `histoscan ${pkg.version}`;

/** Build options with every default filled in; `given` wins where it says something. */
export function buildDefaults<T extends object>(given: T) {
  const { bins, strategy, tail, pointP, aMax, classConditional, conditional, combine, logits, gauss, batchSize, fpr } = DEFAULTS;
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as T;
  return { bins, strategy, tail, pointP, aMax, classConditional, conditional, combine, logits, gauss, budget: DEFAULTS.budgetMB * 1e6, batchSize, fpr, generator: GENERATOR, ...set };
}

/** The default byte-budget plan's settings; `given` wins where it says something. */
export function defaultPlan(given: Partial<PlanBudget> = {}): PlanBudget {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<PlanBudget>;
  return { budget: DEFAULTS.budgetMB * 1e6, bins: DEFAULTS.bins, strategy: DEFAULTS.strategy, count: DEFAULTS.planCount, classLayers: DEFAULTS.classConditional, gauss: DEFAULTS.gauss, ...set };
}

export const PROVIDERS: readonly ProviderRequest[] = ['auto', 'webgpu', 'wasm', 'cpu'];

/**
 * What is wrong with a setting given at an edge, or '' where it can be used: one wording for the
 * element, which falls back to the default, and the Node API, which throws.
 */
export const settingProblem = {
  fpr: (v: unknown) => (typeof v === 'number' && v > 0 && v < 1 ? '' : `fpr must be a rate between 0 and 1, such as 0.05, not ${typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v)}`),
  provider: (v: unknown) => (PROVIDERS.includes(v as ProviderRequest) ? '' : `provider must be one of ${PROVIDERS.join(', ')}, not "${String(v)}"`),
  scoring: (v: unknown) => ((SCORINGS as readonly unknown[]).includes(v) ? '' : `scoring must be one of ${SCORINGS.join(', ')}, not "${String(v)}"`),
};
