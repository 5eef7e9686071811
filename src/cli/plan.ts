// The byte budget on the command line: which reduction choice the flags mean, the hard cap on
// explicit choices, and the plan table that `inspect` prints before any build.
import { Command, InvalidArgumentError, Option } from 'commander';
import { REDUCTIONS, UsageError } from '../core/index.ts';
import { DEFAULTS, defaultPlan } from '../defaults.ts';
import { counted, fmtBytes } from '../core/words.ts';
import type { FeatureExtractor, ReductionChoice } from '../detector/index.ts';
import { bytesPerNode, costPlan, type Plan, type PlanBudget } from '../model/plan.ts';
import type { BinStrategy, ClassLayers, Reduction } from '../types.ts';
import { decimal } from './progress.ts';

export interface BudgetFlags {
  layers?: string;
  reduce?: Reduction;
  budget?: number;
  force?: boolean;
  bins?: number;
  strategy?: BinStrategy;
  /** false with --no-gauss: the plan keeps no room for the Gaussian part. */
  gauss?: boolean;
  /** --classes: which layers' class histograms the plan makes room for. */
  classes?: ClassLayers;
}

const megabytes = (v: string) => {
  const n = decimal(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('wants a positive number of MB');
  return n;
};

export function layerOptions(cmd: Command): Command {
  return cmd
    .option('--layers <list>', "monitored layers: 'auto' or comma-separated tensor names", 'auto')
    .addOption(new Option('--reduce <how>', 'every layer to nodes this way (default: a plan per layer that fits --budget; element for explicit --layers)').choices(REDUCTIONS))
    .option('--budget <MB>', 'bytes the profile may take (histograms, class histograms, Gaussian statistics, header), in MB of 10^6 bytes; with --layers auto and no --reduce the plan fits it', megabytes, DEFAULTS.budgetMB)
    .option('--force', `build even when explicit --layers/--reduce cost more than ${DEFAULTS.capFactor}x the budget`)
    .addOption(providerOption());
}

/**
 * Node runs onnxruntime-web's WASM backend only, so the CLI offers no WebGPU choice. The flag stays
 * accepted (hidden) for scripts that pass `--provider wasm|auto`.
 */
export const providerOption = () =>
  new Option('--provider <p>', "auto: onnxruntime-node's native CPU runtime where it installed, else WASM; wasm: WASM always, as the page runs")
    .default('auto')
    .argParser((v: string) => {
      if (v === 'auto' || v === 'wasm') return v;
      throw new InvalidArgumentError(v === 'webgpu' ? "WebGPU is not available under Node; the CLI runs on onnxruntime-node's native CPU runtime where it installed, else WASM (--provider wasm: WASM always; the browser component for WebGPU)." : 'wants auto or wasm');
    });

export const layersOf = (s: string) => (s === 'auto' ? 'auto' : s.split(',').map((x) => x.trim()).filter(Boolean));

/** The plan's settings for `count` background images (and `calibration` images, whose table the header holds) under these flags. */
export function budgetOf(flags: BudgetFlags, count: number, calibration = 0): PlanBudget {
  return defaultPlan({ budget: (flags.budget ?? DEFAULTS.budgetMB) * 1e6, bins: flags.bins, strategy: flags.strategy, count, gauss: flags.gauss, classLayers: flags.classes, calibration });
}

/** What the flags ask for: the budget plan with --layers auto and no --reduce, else the reduction given (element by default). */
export function choiceOf(flags: BudgetFlags, count: number, calibration = 0): ReductionChoice {
  if (flags.reduce) return flags.reduce;
  return layersOf(flags.layers ?? DEFAULTS.layers) === 'auto' ? { plan: budgetOf(flags, count, calibration) } : 'element';
}

/** The cost table of what the extractor monitors: its own plan, or the explicit reductions priced. */
export function planOf(f: FeatureExtractor, budget: PlanBudget): Plan {
  return f.plan ?? costPlan(f.layers, f.layers.map((l) => l.reduction ?? 'element'), budget);
}

/**
 * Explicit choices are the user's, but one that costs more than capFactor budgets (e.g. every
 * element of a 224×224 photo model: hundreds of MB) is refused with its size unless --force.
 */
export function enforceCap(f: FeatureExtractor, flags: BudgetFlags, count: number, calibration = 0): void {
  const budget = budgetOf(flags, count, calibration);
  const plan = planOf(f, budget);
  for (const n of plan.notes) console.error(`plan: ${n}`);
  if (f.plan) return;
  const cap = DEFAULTS.capFactor * budget.budget;
  const what = `${plan.nodes.toLocaleString('en')} nodes in ${counted(plan.layers.length, 'layer')} would take ${plan.bytes.toLocaleString('en')} bytes of histograms (${fmtBytes(plan.bytes)})`;
  if (plan.bytes > cap && !flags.force) {
    throw new UsageError(
      `${what}, over the hard cap of ${fmtBytes(cap)} (${DEFAULTS.capFactor} x --budget ${fmtBytes(budget.budget)}). ` +
        `Leave out --reduce with --layers auto for a plan that fits, choose a coarser --reduce, raise --budget, or pass --force.`,
    );
  }
  if (plan.bytes > budget.budget) console.error(`warning: ${what}, over the budget of ${fmtBytes(budget.budget)}.`);
}

const count = (n: number) => n.toLocaleString('en');

/** The plan as `inspect` prints it. */
export function formatPlan(plan: Plan, budget: PlanBudget, heading: string): string {
  const rows = plan.layers.map((l) => [l.name, l.shape.join('x'), l.reduction, count(l.nodes), count(l.bytes)]);
  rows.push(['total', '', '', count(plan.nodes), `${count(plan.bytes)} (${fmtBytes(plan.bytes)})`]);
  const w = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c].length), ['layer', 'shape', 'reduction', 'nodes', 'bytes'][c].length));
  const line = (r: string[]) => `  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padEnd(w[2])}  ${r[3].padStart(w[3])}  ${r[4].padStart(w[4])}`;
  const out = [
    `${heading}: budget ${fmtBytes(budget.budget)}, ${budget.strategy} B=${budget.bins}, n=${count(budget.count)} (${bytesPerNode(budget)} B/node)`,
    line(['layer', 'shape', 'reduction', 'nodes', 'bytes']),
    ...rows.map(line),
    `  ${plan.fits ? 'fits the budget' : `OVER the budget by ${fmtBytes(plan.bytes - budget.budget)}`}`,
  ];
  for (const d of plan.dropped) out.push(`  dropped ${d.name} [${d.shape.join('x')}]`);
  for (const n of plan.notes) out.push(`  note: ${n}`);
  // The table is the histograms alone: the file is what a user downloads and a page fetches.
  if (plan.file) out.push(`  profile file: about ${count(plan.file)} bytes (${fmtBytes(plan.file)}) with the notes' parts; a build says the bytes it wrote`);
  return out.join('\n');
}
