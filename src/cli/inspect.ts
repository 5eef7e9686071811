// `histoscan inspect`: the model's inputs, outputs and candidate layers, the inferred preprocessing,
// and the byte-budget plan a profile would get, all before any build.
import { DEFAULTS } from '../defaults.ts';
import { Detector } from '../detector/index.ts';
import { classOutput, FLOAT16, isFloat, perImageVector, UINT8, type ModelInfo } from '../model/onnx.ts';
import type { ModelSpec } from '../types.ts';
import { fmtBytes } from '../core/words.ts';
import type { Plan } from '../model/plan.ts';
import { pixelRangeWarning, resolveSpec } from '../model/spec.ts';
import { EXIT } from './exit.ts';
import { printProfile, profileOf } from './profile-info.ts';
import { UsageError } from '../core/errors.ts';
import { readModel, readModelBytes } from './io.ts';
import { assumedPreprocessing, specSources, type SpecFlags } from './spec-flags.ts';
import { budgetOf, choiceOf, formatPlan, layersOf, planOf, type BudgetFlags } from './plan.ts';

export type InspectFlags = SpecFlags & BudgetFlags & { model?: string; profile?: string; planCount: number; provider?: string; json?: boolean };

export async function runInspect(opts: InspectFlags): Promise<void> {
  if (!opts.model && !opts.profile) throw new UsageError('inspect needs --model (the model and its plan) or --profile (what a profile holds), or both.');
  // With --json and a model, the profile joins the model's document.
  const profile = opts.profile && (opts.json && opts.model ? { profile: profileOf(opts.profile) } : printProfile(opts.profile, !!opts.json));
  if (!opts.model) return;
  const budget = budgetOf(opts, opts.planCount);
  let info: ModelInfo;
  let spec: unknown;
  let plan: (Plan & { cap: number; refused: boolean }) | { error: string };
  // One parse: the detector's own. The plan needs each layer's shape, which one blank run gives.
  try {
    const d = await Detector.create({
      model: readModelBytes(opts.model),
      ...specSources(opts, opts.model),
      layers: layersOf(opts.layers ?? DEFAULTS.layers),
      reduction: choiceOf(opts, opts.planCount),
      provider: (opts.provider ?? DEFAULTS.provider) as 'auto',
    });
    info = d.features.model.info;
    spec = d.features.spec;
    const p = planOf(d.features, budget);
    const cap = DEFAULTS.capFactor * budget.budget;
    plan = { ...p, cap, refused: !d.features.plan && p.bytes > cap };
    d.release();
  } catch (e) {
    // No session (e.g. the input size cannot be inferred): still show what the graph says.
    info = readModel(opts.model).info;
    try {
      spec = resolveSpec(info, specSources(opts, opts.model));
    } catch (s) {
      spec = { error: (s as Error).message };
    }
    plan = { error: (e as Error).message };
  }
  // What the graph says is printed either way; a model that cannot be profiled as given is an input error.
  if ('error' in plan) process.exitCode = EXIT.usage;
  if (opts.json) {
    console.log(JSON.stringify({ ...info, spec, plan, ...profile }, null, 2));
    return;
  }
  console.log(`opset ${info.opset}`);
  // The element type where it is not float32 (uint8 pixels, float16).
  const type = (t: number) => ({ [UINT8]: ' uint8', [FLOAT16]: ' float16' })[t] ?? '';
  for (const i of info.inputs) console.log(`input  ${i.name} [${i.shape.join(', ')}]${type(i.elemType)}`);
  for (const o of info.outputs) console.log(`output ${o.name} [${o.shape.join(', ')}]${type(o.elemType)}`);
  if (info.half) console.log('       computes in float16: its node values are read as float32');
  // Which output the class column, the class histograms and the energy read, and how to choose another.
  const out = (spec as Partial<ModelSpec>).outputName ?? classOutput(info);
  const floats = info.outputs.filter((o) => isFloat(o.elemType)).length;
  const before = info.beforeSoftmax[out];
  const why = before ? `, read before the softmax that closes it: ${before}` : '';
  const shape = info.outputs.find((o) => o.name === out)?.shape ?? [];
  const map = !perImageVector(shape) ? ` (a map [${shape.join(', ')}]: each class's mean over its positions)` : '';
  console.log(`classes from output ${out}${why}${map}${floats > 1 ? ` (one of ${floats} float outputs: choose another with --output)` : ''}`);
  const failed = 'error' in (spec as object) ? (spec as { error: string }).error : undefined;
  console.log(`spec   ${failed ? `unavailable: ${failed}` : JSON.stringify(spec)}`);
  const sliver = failed ? undefined : pixelRangeWarning(spec as ModelSpec);
  if (sliver) console.error(`warning: ${sliver}`);
  const assumed = failed ? undefined : assumedPreprocessing(specSources(opts, opts.model), spec as ModelSpec);
  if (assumed) console.log(`       ${assumed}`);
  console.log(`\ncandidate layers (* = auto):`);
  for (const c of info.candidates) {
    console.log(`${info.autoLayers.includes(c.name) ? '*' : ' '} ${c.opType.padEnd(20)} ${c.name}${c.shape ? ` [${c.shape.join(', ')}]` : ''}`);
  }
  console.log('');
  if ('error' in plan) console.log(`plan: unavailable: ${plan.error === failed ? 'no spec (above)' : plan.error}`);
  else {
    const planned = !opts.reduce && layersOf(opts.layers ?? DEFAULTS.layers) === 'auto';
    console.log(formatPlan(plan, budget, planned ? 'plan' : 'cost of the given --layers/--reduce'));
    if (plan.refused) console.log(`  profile refuses this without --force: over the hard cap of ${fmtBytes(plan.cap)} (${DEFAULTS.capFactor} x the budget)`);
  }
}
