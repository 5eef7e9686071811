import pkg from '../package.json' with { type: 'json' };
import type { PlanBudget } from './model/plan.ts';
import type { BinStrategy, ClassLayers, Combination, ConditionalScan, LogitPart, PointP, ProviderRequest, ScanTail, ScoringName } from './types.ts';

// The one defaults policy: core and the pipeline take explicit parameters; these values are
// applied only at the edges (CLI flags, the worker API, the element's properties).
// Chosen on the dev halves of eval/report.md (never on the test halves it reports): per-element
// nodes where the budget allows, tail-refined bins on both tails with B = 16, an upper-tail and a lower-tail scan
// (adversarial inputs light nodes up, synthesized ones silence them), Higher Criticism, tie-aware
// mid-p; the last monitored layer also scored against the background images of the predicted class
// ('added' parts), and the parts combined by their minimum calibrated q (Tippett), which kept the
// attacks while lifting synthesized and out-of-distribution images most (mean dev AUC 0.957 vs
// 0.873 for pooled scans with Fisher); since then the truncated product of the parts' q <= 0.01
// ('tpm'), which equals Tippett where one part is strong and adds each further strong part (dev
// halves of both development models: default model 0.9886 either way, photo model 0.625 -> 0.638);
// since then class histograms for every layer the budget leaves room for ('auto': relu2 and relu3
// on the default model; dev 0.9886 -> 0.9911, photo model 0.6381 -> 0.6383, where the pooled plan
// fills the budget and only two small layers fit); since then a Gaussian part over the last layers
// until their channels fill what a tenth of the budget holds, projected down where they pass it
// (core/gauss.ts gaussChoice: all 3 layers, d = 176, on the default model; the last 3 layers' 640
// channel means projected to 213 on the photo model), not the last layer alone: on the dev halves
// the part alone went 0.814 -> 0.910 (default model) and 0.681 -> 0.733 (photo model), the
// combination 0.9909 -> 0.9912 and 0.6383 -> 0.6507; since then from both ends, the first layers
// too until their channels fill the same room (the photo model's first 5 and last 3 layers, 872
// channel means; the ViT's 5 layers; the default model's 3 as before): on the photo model's sets
// of 163 photos the part alone went 0.738 -> 0.846 (dev mean), the combination 0.747 -> 0.774, the
// ViT's 0.846 -> 0.850; since then the energy and the Gaussian part combined inside their witness by
// Fisher's sum, not the truncated product (core/combine.ts witnessRules): of 36 rules tried on the
// part scores, the best of the three that raised every development model's dev mean (default
// 0.9804 -> 0.9809, photo 0.792 -> 0.796, ViT 0.854 -> 0.859); three witnesses (scans, energy, Gaussian) had the highest mean
// of the three (0.881 against 0.879) but lowered the default model's (0.9800).
// Since then the Gaussian part's background grouped into k-means prototypes of about ten rows (as
// many as a tenth of the budget holds with the scatter), each image scored against the nearest,
// instead of one Gaussian per predicted class (core/gauss.ts): dev means default model 0.9810 ->
// 0.9823, photo model 0.8247 -> 0.8337, ViT 0.859 -> 0.871. Since then three witnesses: the scans by
// Tippett's minimum (not the truncated product), the energy and the Gaussian part each its own (not
// one by Fisher's sum) (core/combine.ts partGroups, witnessRules): dev means 0.9821 -> 0.9825,
// 0.8335 -> 0.8353, 0.871 -> 0.879, the only rule tried that raised all three. Since then a score
// beyond every other in its bag gets its q from the tail beyond them (core/combine.ts TAIL_SHARE):
// dev means 0.9825 -> 0.9839, 0.8353 -> 0.8366, 0.8792 -> 0.8793. Since then the quiet look, the
// pooled upper-tail scan also ranked from below (core/combine.ts combineParts): 0.9839 -> 0.9857,
// 0.8366 -> 0.8378, 0.8793 -> 0.8820; and the truncation point 0.02 (core/combine.ts TPM_TAU):
// 0.9859, 0.8392, 0.8830.
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
   * model is sure of its background (median top-class probability ≥ core/energy.ts
   * ENERGY_MIN_CONFIDENCE), else none.
   */
  logits: 'auto' as LogitPart,
  /** The Gaussian part (core/gauss.ts): Mahalanobis distance of the first and last layers' channel means to the nearest background prototype. */
  gauss: true,
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
  const { bins, strategy, tail, pointP, aMax, classConditional, conditional, combine, logits, gauss, batchSize, fpr } = DEFAULTS;
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as T;
  return { bins, strategy, tail, pointP, aMax, classConditional, conditional, combine, logits, gauss, budget: DEFAULTS.budgetMB * 1e6, batchSize, fpr, generator: GENERATOR, ...set };
}

/** The default byte-budget plan's settings; `given` wins where it says something. */
export function defaultPlan(given: Partial<PlanBudget> = {}): PlanBudget {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<PlanBudget>;
  return { budget: DEFAULTS.budgetMB * 1e6, bins: DEFAULTS.bins, strategy: DEFAULTS.strategy, count: DEFAULTS.planCount, classLayers: DEFAULTS.classConditional, gauss: DEFAULTS.gauss, ...set };
}
