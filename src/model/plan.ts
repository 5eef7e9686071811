// The byte budget of a profile: how each monitored layer becomes nodes so that the histograms fit.
// Pure: layer shapes and profile settings in, a plan out. No ONNX, no DOM.
import { axisField, countWidth, edgesPerNode, gaussBytes, gaussChoice, gaussDim, keysFieldBytes, MIN_CLASS_COUNT, payloadBytes, UsageError, type GaussChoice } from '../core/index.ts';
import type { BinStrategy, ClassLayers, Reduction } from '../types.ts';
import { counted, fmtBytes } from '../core/words.ts';
import { elementCount, layerNodeCount } from './reduce.ts';

/** What a profile will cost per node: its bins, and the background size n that sets the count width. */
export interface PlanBudget {
  /** Bytes the histograms (the .hsp payload) may take. */
  budget: number;
  bins: number;
  strategy: BinStrategy;
  /** Expected background images n (1, 2 or 4 bytes per tail count: see core/hsp.ts countWidth). */
  count: number;
  /**
   * Class blocks every node carries (tail counts on the pooled edges, one block per predicted class):
   * what planProfile prices each node at when every layer is class-conditional. Default 0.
   */
  classBlocks?: number;
  /** Which layers get histograms per predicted class (see planProfile); default none. */
  classLayers?: ClassLayers;
  /** The profile will hold the Gaussian part's statistics (core/gauss.ts), planned for in the same way. */
  gauss?: boolean;
  /** Calibration images whose table the file will hold (headerBytes): planned for too, so the file fits. Default 0. */
  calibration?: number;
}

/** File bytes per calibration image: one float64 per part (6 with every part; up to 8 planned for) and scoring (3). */
const CALIBRATION_BYTES = 8 * 8 * 3;

/** The table's own check (core/recheck.ts): 3 made-up images' part scores, up to 24 JSON characters each. */
const CHECK_BYTES = 3 * 8 * 3 * 24;

/** How a budget too small is raised, wherever a plan is made. */
const RAISE = 'Raise the budget (--budget in the CLI, the budget attribute of <histoscan-detector>).';

/** Beside the histograms and the Gaussian statistics: the JSON header (settings, the layer list, the background's keys) and the calibration table. */
function headerBytes(layers: readonly Pick<LayerShape, 'name'>[], count: number, calibration = 0): number {
  return 2_000 + layers.reduce((a, l) => a + 90 + l.name.length, 0) + keysFieldBytes(count) + (calibration ? CHECK_BYTES + calibration * CALIBRATION_BYTES : 0);
}

export interface LayerShape {
  name: string;
  /** One image's shape, batch removed. */
  shape: number[];
  /** Its channel axis when not the first (model/reduce.ts channelAxisOf). */
  channelAxis?: number;
  /** The layer this one is a spatial mean of (model/onnx.ts ModelInfo.meanOf), if it is. */
  meanOf?: string;
  /** The layers this one reshapes, transposes or selects from (model/onnx.ts ModelInfo.copyOf), if any. */
  copyOf?: string[];
}

export interface PlannedLayer extends LayerShape {
  reduction: Reduction;
  nodes: number;
  /** Histogram bytes of this layer's nodes (before the payload's final 4-byte padding). */
  bytes: number;
}

export interface Plan {
  layers: PlannedLayer[];
  /** Layers left out because even channel means of every layer exceed the budget. */
  dropped: LayerShape[];
  nodes: number;
  /** Payload bytes of the whole profile, as core/hsp.ts payloadBytes counts them. */
  bytes: number;
  budget: number;
  fits: boolean;
  /** Sentences for the user, e.g. which layers were dropped or coarsened. */
  notes: string[];
  /** How many of the last layers get histograms per predicted class (planProfile; 0 from the planner alone). */
  classLayers: number;
  /** What the Gaussian part reads (core/gauss.ts gaussChoice; planProfile with `gauss`), else null. */
  gauss: GaussChoice | null;
  /** planProfile: the whole file's bytes, about (the table, class histograms, Gaussian part, header and calibration). */
  file?: number;
}

/** The planner's ladder, finest first. channel-max is never chosen, only asked for. */
const LADDER: readonly Reduction[] = ['element', 'pool4', 'pool2', 'channel-mean'];

/** Bytes one node's histograms take: lo/hi and edges as float32, tail counts at the count width. */
export function bytesPerNode(o: Pick<PlanBudget, 'bins' | 'strategy' | 'count' | 'classBlocks'>): number {
  return 4 * (2 + edgesPerNode(o.strategy, o.bins)) + countWidth(o.count) * o.bins * (1 + (o.classBlocks ?? 0));
}

/** Pooling needs a C×H×W layer; dense features (rank ≤ 1) are their own nodes under every reduction. */
const applies = (shape: readonly number[], r: Reduction) => !((r === 'pool4' || r === 'pool2') && shape.length > 1 && shape.length !== 3);

/** Nodes of a layer under a reduction, on its own channel axis. */
const count = (l: LayerShape, r: Reduction) => layerNodeCount(l.shape, r, l.channelAxis ?? 0);

/** The next rung below `r` that has strictly fewer nodes for this layer, or null at the bottom. */
function coarser(l: LayerShape, r: Reduction): Reduction | null {
  const now = count(l, r);
  for (let i = LADDER.indexOf(r) + 1; i < LADDER.length; i++) {
    if (applies(l.shape, LADDER[i]) && count(l, LADDER[i]) < now) return LADDER[i];
  }
  return null;
}

const coarsest = (l: LayerShape) => {
  let r: Reduction = 'element';
  for (let next = coarser(l, r); next; next = coarser(l, r)) r = next;
  return r;
};

/** The cost table of given reductions (one per layer): what `inspect` prints for explicit flags. */
export function costPlan(layers: readonly LayerShape[], reductions: readonly Reduction[], o: PlanBudget, dropped: LayerShape[] = []): Plan {
  const per = bytesPerNode(o);
  const planned = layers.map((l, i) => {
    const nodes = count(l, reductions[i]);
    return { name: l.name, shape: [...l.shape], ...axisField(l.channelAxis), reduction: reductions[i], nodes, bytes: nodes * per };
  });
  const nodes = planned.reduce((s, l) => s + l.nodes, 0);
  const bytes = payloadBytes(nodes, o.strategy, o.bins, o.count) + nodes * countWidth(o.count) * o.bins * (o.classBlocks ?? 0);
  return { layers: planned, dropped, nodes, bytes, budget: o.budget, fits: bytes <= o.budget, notes: [], classLayers: 0, gauss: null };
}

/**
 * Choose per layer the finest reduction whose total fits the budget. The rule, deterministic:
 *  1. Every layer starts at 'element'.
 *  2. While the total exceeds the budget, the layer that costs the most bytes right now (ties: the
 *     earlier layer) moves one rung down element → pool4 → pool2 → channel-mean, skipping rungs
 *     that would not lower its node count (a 4×4 map gains nothing from pool4; dense layers have
 *     no rung). A layer at the bottom is passed over for the next costliest.
 *  3. If even the bottom rung of every layer exceeds the budget, the earliest layers (the largest
 *     maps) are dropped, fewest first, until the bottoms fit; the rest are planned by 1–2 afresh.
 * Costing the largest layer first keeps small late layers (the model's most semantic features)
 * per element as long as possible, and stops coarsening the moment the profile fits.
 */
export function planReductions(layers: readonly LayerShape[], o: PlanBudget): Plan {
  if (!(o.budget > 0)) throw new UsageError(`The byte budget must be positive, got ${o.budget}.`);
  if (layers.length === 0) throw new UsageError('Nothing to plan: no monitored layers.');
  const per = bytesPerNode(o);
  const floor = layers.map((l) => count(l, coarsest(l)) * per);
  // Payload padding is at most 3 bytes: keep 4 in hand so the padded total fits too.
  const room = o.budget - 4;
  let drop = 0;
  for (let sum = floor.reduce((a, b) => a + b, 0); drop < layers.length && sum > room; drop++) sum -= floor[drop];
  if (drop === layers.length) {
    const last = layers[layers.length - 1];
    throw new UsageError(
      `A budget of ${fmtBytes(o.budget)} holds no layer: the last one, "${last.name}", needs ${fmtBytes(floor[floor.length - 1])} at its coarsest. ${RAISE}`,
    );
  }
  const kept = layers.slice(drop);
  const reductions: Reduction[] = kept.map(() => 'element');
  const cost = kept.map((l) => count(l, 'element') * per);
  let total = cost.reduce((a, b) => a + b, 0);
  while (total > room) {
    let pick = -1;
    for (let i = 0; i < kept.length; i++) {
      if ((pick < 0 || cost[i] > cost[pick]) && coarser(kept[i], reductions[i])) pick = i;
    }
    if (pick < 0) break; // cannot happen: the bottoms fit by step 3
    reductions[pick] = coarser(kept[pick], reductions[pick])!;
    const next = count(kept[pick], reductions[pick]) * per;
    total += next - cost[pick];
    cost[pick] = next;
  }
  const plan = costPlan(kept, reductions, o, layers.slice(0, drop).map((l) => ({ name: l.name, shape: [...l.shape] })));
  if (drop) {
    plan.notes.push(
      `Even channel means of every layer exceed the budget of ${fmtBytes(o.budget)}: left out the ${counted(drop, 'earliest layer')} (${plan.dropped.map((l) => `"${l.name}"`).join(', ')}).`,
    );
  }
  const coarse = plan.layers.filter((l) => l.reduction !== 'element' && l.shape.length > 1);
  // What per element would have cost: why a plan far under its budget still coarsened them.
  // The others' bytes too: coarsened layers whose per-element cost is under the budget puzzled a reader without them.
  const whole = coarse.reduce((a, l) => a + count(l, 'element') * per, 0);
  const rest = plan.layers.length - coarse.length;
  const beside = rest ? `, beside the ${fmtBytes(plan.layers.filter((l) => !coarse.includes(l)).reduce((a, l) => a + l.bytes, 0))} of the other ${rest === 1 ? 'layer' : `${rest} layers`}` : '';
  if (coarse.length) plan.notes.push(`${coarse.length} of ${plan.layers.length} layers reduced below per-element nodes to fit ${fmtBytes(o.budget)} (per element they would take ${fmtBytes(whole)}${beside}).`);
  return plan;
}

/**
 * The whole profile's plan: the layers' reductions (planReductions) within what the Gaussian part
 * and the class-conditional histograms leave of the budget, and which layers are class-conditional:
 *  - 'none': none; 'last': the last layer; 'all': every layer, each node priced with its class blocks;
 *  - 'auto': the last layer, then earlier layers, latest first, while their class blocks fit in the
 *    room the pooled plan left (none for a background smaller than one class needs, MIN_CLASS_COUNT).
 *    The pooled nodes are planned first, so class histograms never cost a layer its resolution; on a
 *    small model they fill the budget (chosen on the dev halves of both development models: see
 *    src/defaults.ts).
 * Class histograms sit on the pooled edges, so each class block of a node is its tail counts only.
 * A layer that holds another monitored layer's values again (LayerShape.copyOf, with as many
 * values), or is planned as channel means that another monitored layer holds already (its spatial
 * mean, LayerShape.meanOf), is left out, and the rest planned again.
 */
export function planProfile(layers: readonly LayerShape[], o: PlanBudget, classes: number): Plan {
  // A layer with as many values as a monitored layer it only moves or picks from holds that layer's
  // values again (a pooled token taken out of its size-1 axis), which a scan would count twice.
  const size = (l: LayerShape) => elementCount(l.shape);
  const again = layers.find((l) => l.copyOf?.some((n) => layers.some((k) => k.name === n && size(k) === size(l))));
  if (again) {
    const rest = planProfile(layers.filter((l) => l !== again), o, classes);
    const kept = again.copyOf!.find((n) => layers.some((k) => k.name === n && size(k) === size(again)))!;
    return {
      ...rest,
      dropped: [...rest.dropped, { name: again.name, shape: [...again.shape], ...axisField(again.channelAxis) }],
      notes: [`left out "${again.name}": it holds the values of "${kept}", monitored already.`, ...rest.notes],
    };
  }
  const plan = planChosen(layers, o, classes);
  // A layer planned as channel means whose means another monitored layer is (a classifier's pooled
  // features after its last activation): the same nodes twice, which a scan would count twice.
  const pooled = plan.layers.map((m) => ({ m, of: layers.find((l) => l.name === m.name)?.meanOf }));
  const copy = plan.layers.find((l) => l.reduction === 'channel-mean' && pooled.some(({ m, of }) => of === l.name && m.nodes === l.nodes));
  if (!copy) return plan;
  const rest = planProfile(layers.filter((l) => l.name !== copy.name), o, classes);
  const kept = pooled.find(({ of }) => of === copy.name)!.m.name;
  return {
    ...rest,
    dropped: [...rest.dropped, { name: copy.name, shape: [...copy.shape], ...axisField(copy.channelAxis) }],
    notes: [`left out "${copy.name}": its channel means are "${kept}", monitored already.`, ...rest.notes],
  };
}

function planChosen(layers: readonly LayerShape[], o: PlanBudget, classes: number): Plan {
  const which = classes > 0 ? (o.classLayers ?? 'none') : 'none';
  const pooledOnly = (why: string) => {
    const plan = planWith(layers, o, classes, 'none');
    plan.notes.push(why);
    return plan;
  };
  // One output (a binary score, a detector's map) predicts class 0 for every image: its class histograms would be the pooled ones again.
  if (classes === 1 && which !== 'none') return pooledOnly('no histograms per predicted class: the model has a single output, so every image is of its one class and the pooled histograms are its histograms.');
  if (which !== 'auto') return planWith(layers, o, classes, which);
  // No class can reach the count its histograms need: every image would fall back to the pooled ones.
  if (o.count < MIN_CLASS_COUNT) return pooledOnly(`no histograms per predicted class: a class needs ${MIN_CLASS_COUNT} background images, and there are ${o.count}.`);
  try {
    return planWith(layers, o, classes, 'auto');
  } catch (e) {
    // Not even the last layer's class histograms fit beside the coarsest plan: pooled histograms only.
    if (!(e instanceof UsageError)) throw e;
    return pooledOnly(`no room for histograms per predicted class (${classes} classes) in ${fmtBytes(o.budget)}: every image is scored against the pooled histograms.`);
  }
}

function planWith(layers: readonly LayerShape[], o: PlanBudget, classes: number, which: ClassLayers): Plan {
  const perClass = classes * o.bins * countWidth(o.count); // a node's class blocks
  const gaussIn = (p: Plan) => (o.gauss ? gaussChoice(p.layers, o.budget, o.count) : null);
  const gaussOf = (g: GaussChoice | null) => (g ? gaussBytes(g.d, g.prototypes) : 0);
  const lastBytes = (p: Plan) => (which === 'last' || which === 'auto' ? p.layers.at(-1)!.nodes * perClass : 0);
  const priced = which === 'all' ? { ...o, classBlocks: classes } : o;
  const header = headerBytes(layers, o.count, o.calibration);
  let plan = planReductions(layers, priced);
  const [classBytes, gaussAt] = [lastBytes(plan), gaussOf(gaussIn(plan))];
  const reserve = classBytes + gaussAt + header;
  if (plan.bytes + reserve > o.budget) {
    // Only what this plan holds beside them is named (a set too small for class histograms has none).
    const beside = [classBytes && 'class histograms', gaussAt && 'Gaussian statistics', 'header'].filter(Boolean).join(', ').replace(/, (?=[^,]*$)/, ' and ');
    if (reserve >= o.budget) throw new UsageError(`A budget of ${fmtBytes(o.budget)} holds no pooled histograms beside ${fmtBytes(reserve)} of ${beside}. ${RAISE}`);
    plan = planReductions(layers, { ...priced, budget: o.budget - reserve });
  }
  const g = gaussIn(plan);
  const gauss = gaussOf(g);
  let classLayers = which === 'none' ? 0 : which === 'all' ? plan.layers.length : 1;
  let extra = lastBytes(plan);
  if (which === 'auto') {
    for (let i = plan.layers.length - 2; i >= 0; i--) {
      const more = plan.layers[i].nodes * perClass;
      if (plan.bytes + extra + more + gauss + header > o.budget) break;
      extra += more;
      classLayers++;
    }
  }
  const notes = [...plan.notes];
  if (classLayers) {
    const names = plan.layers.slice(-classLayers).map((l) => `"${l.name}"`);
    const every = classLayers === plan.layers.length && classLayers > 1;
    const what = classLayers === 1 ? `the last layer (${names[0]})` : `${every ? 'all' : 'the last'} ${classLayers} layers (${names.join(', ')})`;
    notes.push(`histograms per predicted class (${classes} classes) for ${what}: ${(which === 'all' ? plan.nodes * perClass : extra).toLocaleString('en')} bytes${which === 'all' ? ', in the table' : ' more'}, used where a class gets the ${MIN_CLASS_COUNT} background images its histograms need (a class with fewer is scored on the pooled histograms; where none does, the build leaves them out${o.count < classes * MIN_CLASS_COUNT ? `, as it may with ${o.count.toLocaleString('en')} images in ${classes} classes` : ''}).`);
  }
  if (g) {
    const raw = gaussDim(plan.layers, g);
    const last = g.layers === plan.layers.length ? 'all layers' : g.layers === 1 ? 'the last layer' : `the last ${g.layers} layers`;
    const read = `${raw} channel means of ${g.first ? `the first ${g.first} and ${last}` : last}`;
    notes.push(`about ${gauss.toLocaleString('en')} bytes more for the Gaussian part (${g.d < raw ? `${read}, projected to ${g.d}` : read}; ${counted(g.prototypes, 'prototype')}).`);
  }
  const table = o.calibration ? `the calibration table of ${o.calibration.toLocaleString('en')} images` : `no calibration table: ${CALIBRATION_BYTES} bytes more per calibration image, which a build that holds images out to calibrate plans for`;
  notes.push(`about ${header.toLocaleString('en')} bytes of header and calibration (settings, layer list${keysFieldBytes(o.count) ? ', a 4-byte key of each background image' : ''}; ${table}).`);
  return { ...plan, budget: o.budget, notes, classLayers, gauss: g, file: plan.bytes + (which === 'all' ? 0 : extra) + gauss + header };
}
