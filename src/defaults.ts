import pkg from '../package.json' with { type: 'json' };
import { COMBINATIONS } from './core/combine.ts';
import { defined } from './core/defined.ts';
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
  return { bins, strategy, tail, pointP, aMax, classConditional, conditional, combine, logits, gauss, budget: DEFAULTS.budgetMB * 1e6, batchSize, fpr, generator: GENERATOR, ...defined(given) };
}

/** The default byte-budget plan's settings; `given` wins where it says something. */
export function defaultPlan(given: Partial<PlanBudget> = {}): PlanBudget {
  return { budget: DEFAULTS.budgetMB * 1e6, bins: DEFAULTS.bins, strategy: DEFAULTS.strategy, count: DEFAULTS.planCount, classLayers: DEFAULTS.classConditional, gauss: DEFAULTS.gauss, ...defined(given) };
}

const PROVIDERS: readonly ProviderRequest[] = ['auto', 'webgpu', 'wasm', 'cpu'];

const shown = (v: unknown) => (typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v));
const integer = (v: unknown, least: number, most = Infinity) => typeof v === 'number' && Number.isInteger(v) && v >= least && v <= most;

/**
 * What is wrong with a setting given at an edge, or '' where it can be used: one wording for the
 * element, which falls back to the default, and the Node API, which throws.
 */
export const settingProblem = {
  fpr: (v: unknown) => (typeof v === 'number' && v > 0 && v < 1 ? '' : `fpr must be a rate between 0 and 1, such as 0.05, not ${shown(v)}`),
  provider: (v: unknown) => (PROVIDERS.includes(v as ProviderRequest) ? '' : `provider must be one of ${PROVIDERS.join(', ')}, not "${String(v)}"`),
  scoring: (v: unknown) => ((SCORINGS as readonly unknown[]).includes(v) ? '' : `scoring must be one of ${SCORINGS.join(', ')}, not "${String(v)}"`),
  topNodes: (v: unknown) => (integer(v, 0) ? '' : `topNodes must be a count of nodes (an integer of at least 0), not ${shown(v)}`),
  numThreads: (v: unknown) => (integer(v, 1) ? '' : `numThreads must be a count of threads (an integer of at least 1), not ${shown(v)}`),
  maxRunValues: (v: unknown) => (integer(v, 1) ? '' : `maxRunValues must be a count of activation values (an integer of at least 1), not ${shown(v)}`),
};

/** The choices of each enumerated build setting: the CLI's flags offer them, the Node API checks against them. */
export const BUILD_CHOICES: {
  strategy: readonly BinStrategy[];
  tail: readonly ScanTail[];
  pointP: readonly PointP[];
  classConditional: readonly ClassLayers[];
  conditional: readonly ConditionalScan[];
  combine: readonly Combination[];
  logits: readonly LogitPart[];
} = {
  strategy: ['uniform', 'tail'],
  tail: ['upper', 'lower', 'two', 'both'],
  pointP: ['mid', 'max'],
  classConditional: ['auto', 'none', 'all', 'last'],
  conditional: ['mixed', 'split', 'added'],
  combine: COMBINATIONS,
  logits: ['auto', 'energy', 'none'],
};

/**
 * What is wrong with the settings a caller gave a build or a calibration (Node API), one sentence
 * each; `known` the option names it takes. A setting the profile header cannot hold would only fail
 * when the saved profile is read back, and a batch size of 0 would never end.
 */
export function buildSettingProblems(o: Record<string, unknown>, known: readonly string[]): string[] {
  const problems = Object.keys(o)
    .filter((k) => !known.includes(k))
    .map((k) => `there is no option "${k}" (the options: ${known.join(', ')})`);
  const given = (k: string) => o[k] !== undefined;
  for (const [k, choices] of Object.entries(BUILD_CHOICES)) {
    if (given(k) && !(choices as readonly unknown[]).includes(o[k])) problems.push(`${k} must be one of ${choices.join(', ')}, not ${shown(o[k])}`);
  }
  if (given('bins') && !integer(o.bins, 1, 65535)) problems.push(`bins must be an integer from 1 to 65535, not ${shown(o.bins)}`);
  if (given('batchSize') && !integer(o.batchSize, 1)) problems.push(`batchSize must be an integer of at least 1, not ${shown(o.batchSize)}`);
  if (given('aMax') && !(typeof o.aMax === 'number' && o.aMax > 0 && o.aMax <= 1)) problems.push(`aMax must be a level in (0, 1], not ${shown(o.aMax)}`);
  if (given('budget') && !(typeof o.budget === 'number' && o.budget > 0 && Number.isFinite(o.budget))) problems.push(`budget must be a number of bytes above 0, such as 8e6, not ${shown(o.budget)}`);
  if (given('gauss') && typeof o.gauss !== 'boolean') problems.push(`gauss must be true or false, not ${shown(o.gauss)}`);
  const fpr = given('fpr') && settingProblem.fpr(o.fpr);
  if (fpr) problems.push(fpr);
  return problems;
}
