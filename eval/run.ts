// `npm run eval`: detection power, bytes and time of histogram profiles against the empirical and
// KDE baselines and the detectors users pick instead, on the default model and the real sets.
// Writes eval/report.md, eval/report.json and eval/plots.html (SVG plots). `-- --quick` uses fewer images.
//
// Protocol: every test set (clean and each anomalous set) is cut into a dev half and a test half by
// devTestSplit (seeded shuffle, even positions dev, odd test; the same cut for every set of the same
// size, so an attacked image sits in the half of its clean original). Every figure is computed on
// both halves; defaults are chosen on dev only, and the report's headline tables are the test half.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import {
  argmax,
  auc,
  buildProfile,
  gaussStats,
  keepsEnergy,
  medianConfidence,
  confidenceAboveChance,
  ENERGY_MIN_CONFIDENCE,
  gaussChoice,
  gaussDim,
  type GaussChoice,
  lastLayersClasses,
  realisedFpr,
  groupScan,
  rng,
  roc,
  scanOf,
  TPM_TAU,
  versusPeers,
  type ScanSettings,
  type Profile,
  type WitnessFields,
} from '../src/core/index.ts';
import { DEFAULTS, defaultPlan } from '../src/defaults.ts';
import { Detector } from '../src/detector/index.ts';
import { fisherScorer, empiricalMethod, histogramMethod, kdeMethod, productScorer, scoreSet, type PValueMethod } from '../src/evaluate.ts';
import { backgroundOf, collectNodes, devTestSplit, SPLIT_SEED, type NodeSet } from '../src/node-sets.ts';
import { fileSource, listImages } from '../src/cli/io.ts';
import { levelPct, versusText } from '../src/cli/eval-output.ts';
import { parseSpec } from '../src/model/spec.ts';
import { reduceLayer } from '../src/model/reduce.ts';
import type { BinStrategy, LayerLayout, PointP, ScoringName, Tail } from '../src/types.ts';
import { fitPeer, type PeerName, type PeerOptions } from '../src/peers/index.ts';
import { plot, plotPage } from '../src/cli/plots.ts';

const quick = process.argv.includes('--quick');
// --limit N: test images per set (and background 10·N), for a smoke run on a loaded machine.
const limitArg = process.argv.indexOf('--limit');
const LIMIT = limitArg > 0 ? Number(process.argv[limitArg + 1]) : quick ? 300 : Infinity;
const BG_LIMIT = limitArg > 0 ? 10 * LIMIT : quick ? 3000 : Infinity;
if (!(LIMIT >= 20)) throw new Error('--limit wants at least 20 images per set');
const short = quick || limitArg > 0;
const TASKS = ['fgsm-0.05', 'fgsm-0.1', 'pgd-0.05', 'pgd-0.1', 'synth', 'ood-mnist'];
const KDE_BG = 1000;
const KDE_IMAGES = Math.min(LIMIT, short ? 60 : 100);
const OUT = 'eval';

const bars = new cliProgress.MultiBar({ format: '{stage} {bar} {value}/{total}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
const stageBar = bars.create(1, 0, { stage: 'starting'.padEnd(28) });
const tick = (stage: string, done: number, total: number) => {
  stageBar.setTotal(total);
  stageBar.update(done, { stage: stage.padEnd(28).slice(0, 28) });
};

const model = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const spec = parseSpec(JSON.parse(readFileSync('public/models/fashion-cnn.json', 'utf8')));
const detector = await Detector.create({ model, spec, reduction: 'element' });
const images = (set: string, limit = LIMIT) => fileSource(listImages([`data/${set}`]).slice(0, limit));
const collect = (name: string, limit = LIMIT) => collectNodes(detector.features, name, images(name, limit), 64, (p) => tick(`activations ${p.stage}`, p.done, p.total));

const background = await collect('background', BG_LIMIT);
// The whole calibration set even in --quick: the realised FPR's variance shrinks with it.
const calibration = await collect('calibration', quick ? Infinity : LIMIT);
const clean = await collect('clean');
const anomalous: NodeSet[] = [];
for (const t of TASKS) anomalous.push(await collect(t));
const layers = detector.features.layers;

/** Channel-mean node set derived from per-element values with the model's reduction (no second model run). */
function channelMean(set: NodeSet): NodeSet {
  const N = cmLayers.reduce((a, l) => a + l.nodes, 0);
  const values = new Float32Array(set.rows * N);
  for (let r = 0; r < set.rows; r++) {
    let src = r * set.nodes;
    let dst = r * N;
    for (const l of layers) {
      const reduced = reduceLayer(set.values.subarray(src, src + l.nodes), l.shape, 'channel-mean');
      values.set(reduced, dst);
      src += l.nodes;
      dst += reduced.length;
    }
  }
  return { ...set, nodes: N, values };
}
const cmLayers: LayerLayout[] = layers.map((l) => ({ name: l.name, shape: l.shape.length >= 2 ? [l.shape[0]] : l.shape, nodes: l.shape.length >= 2 ? l.shape[0] : l.nodes }));

interface Setting {
  id: string;
  reduction: 'element' | 'channel-mean';
  method: PValueMethod;
  pointP: PointP;
  tail: Tail;
  profile?: Profile;
}

/** A profile of `set`; the last `classLayers` layers also get histograms per predicted class. */
function profileOf(set: NodeSet, lay: LayerLayout[], strategy: BinStrategy, bins: number, tail: Tail | 'both', classLayers = 0): Profile {
  tick(`profile ${strategy} B=${bins} ${tail}`, 0, 1);
  const c = lastLayersClasses(lay, classLayers, set.logits[0].length);
  const header = { fingerprint: detector.features.fingerprint, reduction: 'element' as const, scan: { aMax: DEFAULTS.aMax, tail, pointP: DEFAULTS.pointP } };
  return buildProfile(set.values, set.rows, { layers: lay, bins, strategy, tail, classes: c }, header, set.logits.map(argmax));
}

// ---- the settings compared
const settings: Setting[] = [];
const grid: [BinStrategy, number][] = [['uniform', 8], ['uniform', 16], ['uniform', 32], ['uniform', 64], ['tail', 8], ['tail', 16], ['tail', 32]];
for (const [strategy, bins] of grid) {
  const p = profileOf(background, layers, strategy, bins, 'upper');
  settings.push({ id: `histogram ${strategy} B=${bins}`, reduction: 'element', method: histogramMethod(p), pointP: 'mid', tail: 'upper', profile: p });
}
const bgSorted = backgroundOf(background);
settings.push({ id: 'empirical (sorted)', reduction: 'element', method: empiricalMethod(bgSorted), pointP: 'mid', tail: 'upper' });
// IBM ART's own convention: sorted empirical ranges, N_a counted with p_max, upper tail, Berk-Jones.
settings.push({ id: 'IBM ART: empirical, p_max, upper tail', reduction: 'element', method: empiricalMethod(bgSorted), pointP: 'max', tail: 'upper' });
settings.push({ id: `KDE (n=${KDE_BG})`, reduction: 'element', method: kdeMethod(backgroundOf(background, KDE_BG)), pointP: 'mid', tail: 'upper' });
// ablations around the default
const tailTwo = profileOf(background, layers, 'tail', 32, 'two');
settings.push({ id: 'two-tailed tail B=32', reduction: 'element', method: histogramMethod(tailTwo), pointP: 'mid', tail: 'two', profile: tailTwo });
const upperDefault = settings.find((s) => s.id === 'histogram tail B=32')!;
settings.push({ id: 'p = p_max tail B=32', reduction: 'element', method: upperDefault.method, pointP: 'max', tail: 'upper', profile: upperDefault.profile });
const cm = { background: channelMean(background), calibration: channelMean(calibration), clean: channelMean(clean), anomalous: anomalous.map(channelMean) };
for (const [strategy, bins] of [['tail', 32], ['uniform', 16]] as [BinStrategy, number][]) {
  const p = profileOf(cm.background, cmLayers, strategy, bins, 'upper');
  settings.push({ id: `channel-mean ${strategy} B=${bins}`, reduction: 'channel-mean', method: histogramMethod(p), pointP: 'mid', tail: 'upper', profile: p });
}
settings.push({ id: 'channel-mean empirical', reduction: 'channel-mean', method: empiricalMethod(backgroundOf(cm.background)), pointP: 'mid', tail: 'upper' });

// ---- the two halves of every test set: scores are computed once per image, AUCs per half
type Half = 'dev' | 'test';
const HALVES: Half[] = ['dev', 'test'];
/** The half's share of a score list (rows = the set's size; a list cut short by a limit keeps its first images). */
const half = (scores: number[], rows: number, h: Half) => devTestSplit(rows)[h].filter((i) => i < scores.length).map((i) => scores[i]);
const aucOn = (h: Half, cleanScores: number[], taskScores: number[], ti: number) => auc(half(cleanScores, clean.rows, h), half(taskScores, anomalous[ti].rows, h));

// ---- individual-scan AUCs
interface Result {
  setting: string;
  scoring: ScoringName;
  layer: string;
  task: string;
  half: Half;
  auc: number;
  bytes: number;
  rawBytes: number;
  pvalueMs: number;
  scanMs: number;
}
const results: Result[] = [];
const scores = new Map<string, { clean: number[]; tasks: number[][] }>();
const setsFor = (s: Setting) => (s.reduction === 'element' ? { bg: background, cal: calibration, clean, anomalous } : { bg: cm.background, cal: cm.calibration, clean: cm.clean, anomalous: cm.anomalous });
const lay = (s: Setting) => (s.reduction === 'element' ? layers : cmLayers);
function pushAucs(r: Omit<Result, 'task' | 'half' | 'auc'>, cleanScores: number[], taskScores: number[][]) {
  for (const h of HALVES) taskScores.forEach((t, ti) => results.push({ ...r, task: TASKS[ti], half: h, auc: aucOn(h, cleanScores, t, ti) }));
}

for (const [si, s] of settings.entries()) {
  const { bg, clean: c, anomalous: an } = setsFor(s);
  const isKde = s.id.startsWith('KDE');
  const limit = isKde ? KDE_IMAGES : undefined;
  const layerRanges: [string, [number, number]][] = [['all', [0, bg.nodes]]];
  const detailed = s === upperDefault || s.id.startsWith('empirical');
  if (detailed) {
    let off = 0;
    for (const l of lay(s)) {
      layerRanges.push([l.name, [off, off + l.nodes]]);
      off += l.nodes;
    }
  }
  const scorings: ScoringName[] = detailed || s.id.startsWith('channel-mean') ? ['bj', 'hc', 'ks'] : ['bj'];
  for (const [layer, range] of layerRanges) {
    tick(`${s.id} ${layer === 'all' ? '' : layer}`, si, settings.length);
    const opts = { pointP: s.pointP, aMax: DEFAULTS.aMax, tail: s.tail, scorings, limit, nodeRange: range };
    const base = scoreSet(s.method, c, opts);
    const perTask = an.map((set) => scoreSet(s.method, set, opts));
    for (const sc of scorings) {
      if (layer === 'all' && sc === 'bj') scores.set(s.id, { clean: base.scores.bj, tasks: perTask.map((t) => t.scores.bj) });
      const r = { setting: s.id, scoring: sc, layer, bytes: s.method.bytes, rawBytes: bg.rows * bg.nodes * 4, pvalueMs: base.pvalueMsPerImage, scanMs: base.scanMsPerImage };
      pushAucs(r, base.scores[sc], perTask.map((t) => t.scores[sc]));
    }
  }
}

// ---- per-layer scans combined (Fisher's method on per-layer calibrated q) for the default profile
{
  tick('per-layer combined', 0, 1);
  let off = 0;
  const parts = layers.map((l) => ({ method: upperDefault.method, tail: 'upper' as const, nodeRange: [off, (off += l.nodes)] as [number, number] }));
  const scorer = fisherScorer('per-layer combined (Fisher)', parts, calibration, { pointP: 'mid', aMax: DEFAULTS.aMax });
  const base = scorer.score(clean, ['bj']).scores.bj;
  const tasks = anomalous.map((set) => scorer.score(set, ['bj']).scores.bj);
  scores.set(scorer.name, { clean: base, tasks });
  pushAucs({ setting: scorer.name, scoring: 'bj', layer: 'all', bytes: scorer.bytes, rawBytes: background.rows * background.nodes * 4, pvalueMs: NaN, scanMs: NaN }, base, tasks);
}

const COMBINE_LABEL = { min: 'min q', fisher: 'Fisher', tpm: `truncated product of q <= ${TPM_TAU}` } as const;
const FPR_LEVELS = [0.01, 0.05, 0.1];
const fprRows: { setting: string; scoring: ScoringName; half: Half; rates: ReturnType<typeof realisedFpr>[] }[] = [];
const pushFpr = (setting: string, scoring: ScoringName, q: number[]) => {
  for (const h of HALVES) fprRows.push({ setting, scoring, half: h, rates: FPR_LEVELS.map((l) => realisedFpr(half(q, clean.rows, h), l)) });
};

// ---- upper- and lower-tail scans, each calibrated on the calibration set, combined (Fisher):
// the scan tail 'both' that the detector implements (nodes unusually active and unusually silent)
const combined: { id: string; profile: Profile; scoring: ScoringName; empirical?: boolean; scan?: Pick<ScanSettings, 'conditional' | 'combine' | 'logits' | 'flat'>; choice?: WitnessFields }[] = [];
for (const scoring of ['bj', 'hc'] as ScoringName[]) {
  combined.push({ id: `upper+lower (Fisher) tail-two B=32 ${scoring}`, profile: tailTwo, scoring });
  combined.push({ id: `upper+lower (Fisher) tail-upper B=32 ${scoring}`, profile: upperDefault.profile!, scoring });
}
for (const B of [16, 64]) {
  combined.push({ id: `upper+lower (Fisher) tail-two B=${B} hc`, profile: profileOf(background, layers, 'tail', B, 'two'), scoring: 'hc' });
}
// Class-conditional histograms (each image against the background images of its predicted class),
// and the parts combined by Fisher or by their minimum q: the default is chosen here, on dev.
const pooled16 = combined.find((c) => c.id === 'upper+lower (Fisher) tail-two B=16 hc')!.profile;
const condLast = profileOf(background, layers, 'tail', DEFAULTS.bins, 'both', 1);
const condAll = profileOf(background, layers, 'tail', DEFAULTS.bins, 'both', layers.length);
// The default's class-conditional layers: those the default byte-budget plan gives this model.
const AUTO_LAYERS = detector.features.withReductions({ plan: defaultPlan({ count: background.rows }) }).plan!.classLayers;
const condAuto = AUTO_LAYERS === 1 ? condLast : AUTO_LAYERS === layers.length ? condAll : profileOf(background, layers, 'tail', DEFAULTS.bins, 'both', AUTO_LAYERS);
const classLabel = (k: number) => (k === 1 ? 'last layer' : k === layers.length ? 'all layers' : `last ${k} layers`);
const AUTO_LABEL = classLabel(AUTO_LAYERS);
// The Gaussian part's statistics from the background, as `histoscan profile` adds them (the same for every profile here).
const gaussOf = (choice: GaussChoice) => gaussStats(layers, choice, background.values, background.rows);
const GAUSS = gaussChoice(layers, DEFAULTS.budgetMB * 1e6, background.rows)!;
const GAUSS_STATS = gaussOf(GAUSS);
const withGauss = (p: Profile, gauss = GAUSS_STATS): Profile => ({ ...p, header: { ...p.header, gauss } });
// The default's energy part as `histoscan profile` decides it (--logits auto: where the model is sure of its background).
const DEFAULT_ENERGY = keepsEnergy(DEFAULTS.logits, medianConfidence(background.logits.map(confidenceAboveChance)) >= ENERGY_MIN_CONFIDENCE);
const DEFAULT_ID = `default: class-conditional ${AUTO_LABEL} (budget plan), ${DEFAULTS.conditional} (${COMBINE_LABEL[DEFAULTS.combine]}) B=${DEFAULTS.bins} ${DEFAULTS.scoring}${DEFAULT_ENERGY ? ', energy part' : ''}${DEFAULTS.gauss ? `, Gaussian part (${classLabel(GAUSS.layers)})` : ''}`;
const condLastG = withGauss(condLast);
combined.push({ id: 'upper+lower (min q) tail-two B=16 hc', profile: pooled16, scoring: 'hc', scan: { combine: 'min' } });
combined.push({ id: 'class-conditional last layer, split (Fisher) B=16 hc', profile: condLast, scoring: 'hc', scan: { conditional: 'split', combine: 'fisher' } });
combined.push({ id: 'class-conditional last layer, added (Fisher) B=16 hc', profile: condLast, scoring: 'hc', scan: { conditional: 'added', combine: 'fisher' } });
combined.push({ id: 'class-conditional all layers, mixed (min q) B=16 hc', profile: condAll, scoring: 'hc', scan: { conditional: 'mixed', combine: 'min' } });
combined.push({ id: 'class-conditional all layers, added (min q) B=16 hc', profile: condAll, scoring: 'hc', scan: { conditional: 'added', combine: 'min' } });
// The logit part: the model's energy as one more calibrated part (chosen on dev: it lifted synthesized images).
// The Gaussian part: Mahalanobis distance of the last layers' channel means (chosen on dev: it lifted digits).
combined.push({ id: 'class-conditional last layer, added (min q) B=16 hc (no energy, no Gaussian part)', profile: condLast, scoring: 'hc', scan: { conditional: 'added', combine: 'min' } });
combined.push({ id: 'class-conditional last layer, added (min q) B=16 hc, energy part', profile: condLast, scoring: 'hc', scan: { conditional: 'added', combine: 'min', logits: 'energy' } });
combined.push({ id: 'class-conditional last layer, added (min q) B=16 hc, Gaussian part', profile: condLastG, scoring: 'hc', scan: { conditional: 'added', combine: 'min' } });
combined.push({ id: 'class-conditional last layer, added (Fisher) B=16 hc, energy and Gaussian parts', profile: condLastG, scoring: 'hc', scan: { conditional: 'added', combine: 'fisher', logits: 'energy' } });
combined.push({ id: 'class-conditional all layers, added (min q) B=16 hc, energy and Gaussian parts', profile: withGauss(condAll), scoring: 'hc', scan: { conditional: 'added', combine: 'min', logits: 'energy' } });
// The combination of the default's parts: Tippett's min q, or the truncated product (chosen on dev of both models).
const partsOf = (combine: 'min' | 'tpm') => ({ conditional: 'added' as const, combine, logits: 'energy' as const });
for (const how of ['min', 'tpm'] as const) {
  if (how !== DEFAULTS.combine) combined.push({ id: `class-conditional ${AUTO_LABEL}, added (${COMBINE_LABEL[how]}) B=16 hc, energy and Gaussian parts`, profile: withGauss(condAuto), scoring: 'hc', scan: partsOf(how) });
}
// Which layers get class histograms: the budget plan's choice against the last layer alone and every layer (chosen on dev of both models).
for (const [k, p] of [[1, condLast], [layers.length, condAll]] as const) {
  if (k !== AUTO_LAYERS) combined.push({ id: `class-conditional ${classLabel(k)}, added (${COMBINE_LABEL.tpm}) B=16 hc, energy and Gaussian parts`, profile: withGauss(p), scoring: 'hc', scan: partsOf('tpm') });
}
// How many layers the Gaussian part reads: the budget's choice against the last layer alone (chosen on dev of both models).
if (GAUSS.layers > 1) {
  const last = { layers: 1, d: gaussDim(layers), prototypes: GAUSS.prototypes };
  combined.push({ id: `class-conditional ${AUTO_LABEL}, added (${COMBINE_LABEL.tpm}) B=16 hc, energy part, Gaussian part of the last layer only`, profile: withGauss(condAuto, gaussOf(last)), scoring: 'hc', scan: partsOf('tpm') });
}
// The witnesses (core/witnesses.ts partGroups: the scans as one, each model-level part its own) against every part its own.
const defaultProfile = DEFAULTS.gauss ? withGauss(condAuto) : condAuto;
const defaultScan = { conditional: DEFAULTS.conditional, combine: DEFAULTS.combine, ...(DEFAULT_ENERGY ? { logits: 'energy' as const } : {}) };
combined.push({ id: `${DEFAULT_ID.replace('default: ', '')}, every part its own witness (scans not grouped)`, profile: defaultProfile, scoring: 'hc', scan: { ...defaultScan, flat: true } });
// The witnesses the default's verdict follows, chosen as the product's calibration chooses them (on pseudo-anomalies made from the calibration images).
tick('pseudo-anomalies', 0, 1);
const chosen = await detector.calibrate({ ...defaultProfile, header: { ...defaultProfile.header, scan: { ...defaultProfile.header.scan, ...defaultScan } } }, images('calibration', quick ? Infinity : LIMIT), { batchSize: 64, fpr: 0.05 });
const witnessNote = chosen.notes.join(' ');
combined.push({ id: DEFAULT_ID, profile: defaultProfile, scoring: 'hc', scan: defaultScan, choice: chosen.profile.header.calibration });
combined.push({ id: 'upper+lower (Fisher) uniform B=32 hc', profile: settings.find((s) => s.id === 'histogram uniform B=32')!.profile!, scoring: 'hc' });
combined.push({ id: 'upper+lower (Fisher) empirical hc', profile: upperDefault.profile!, scoring: 'hc', empirical: true });
for (const c of combined) {
  tick(c.id, 0, 1);
  const method = c.empirical ? empiricalMethod(bgSorted) : histogramMethod(c.profile);
  const scorer = productScorer(method, { ...scanOf(c.profile), tail: 'both', pointP: DEFAULTS.pointP, aMax: DEFAULTS.aMax, ...c.scan }, calibration, c.id, c.choice);
  const base = scorer.score(clean, [c.scoring]);
  const tasks = anomalous.map((set) => scorer.score(set, [c.scoring]));
  scores.set(c.id, { clean: base.scores[c.scoring], tasks: tasks.map((t) => t.scores[c.scoring]) });
  const r = { setting: c.id, scoring: c.scoring, layer: 'all', bytes: scorer.bytes, rawBytes: background.rows * background.nodes * 4, pvalueMs: base.pvalueMsPerImage, scanMs: base.scanMsPerImage };
  pushAucs(r, base.scores[c.scoring], tasks.map((t) => t.scores[c.scoring]));
  pushFpr(c.id, c.scoring, base.q[c.scoring]);
}

// ---- realised FPR of single-tail settings, each calibrated on the calibration set by the product's code
for (const s of settings.filter((x) => x.reduction === 'element' && !x.id.startsWith('KDE'))) {
  tick(`realised FPR ${s.id}`, 0, 1);
  pushFpr(s.id, 'bj', productScorer(s.method, { tail: s.tail, pointP: s.pointP, aMax: DEFAULTS.aMax }, calibration, s.id).score(clean, ['bj']).q.bj);
}

// ---- peers on the same activations, by the product's own code (src/peers, as `histoscan eval --methods`)
const peerResults: { name: string; task: string; half: Half; auc: number; bytes: number }[] = [];
const peerSpecs: [string, PeerName, PeerOptions][] = [
  ['max softmax probability', 'msp', {}],
  ['energy (T=1)', 'energy', {}],
  ['Mahalanobis (penultimate)', 'mahalanobis', { features: 'penultimate' }],
  ['Mahalanobis (all layers, channel means)', 'mahalanobis', { features: 'channel-means' }],
  ['k-NN distance (penultimate, k=10)', 'knn', { features: 'penultimate', k: 10 }],
  ['k-NN distance (all layers, channel means, k=10)', 'knn', { features: 'channel-means', k: 10 }],
];
for (const [name, peerName, opts] of peerSpecs) {
  tick(`peer ${name}`, 0, 1);
  const peer = fitPeer(peerName, background, layers, opts);
  const base = peer.score(clean);
  const tasks = anomalous.map((set) => peer.score(set));
  scores.set(name, { clean: base, tasks });
  for (const h of HALVES) tasks.forEach((t, ti) => peerResults.push({ name, task: TASKS[ti], half: h, auc: aucOn(h, base, t, ti), bytes: peer.bytes }));
}

// ---- group scan (IBM ART's protocol): groups of 100 images, 15% anomalous, 10 draws per half,
// each group drawn from one half's images only
const groupResults: { task: string; half: Half; auc: number; recall: number; precision: number }[] = [];
{
  const r = rng(42);
  const m = upperDefault;
  const pick = (from: number[], k: number) => {
    const idx = from.slice();
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, k);
  };
  const cleanPts = scoreSet(m.method, clean, { pointP: 'mid', aMax: DEFAULTS.aMax, tail: 'upper', scorings: ['bj'], keepPoints: true }).points!;
  const N = clean.nodes;
  for (const [ti, set] of anomalous.entries()) {
    tick(`group scan ${TASKS[ti]}`, ti, anomalous.length);
    const anPts = scoreSet(m.method, set, { pointP: 'mid', aMax: DEFAULTS.aMax, tail: 'upper', scorings: ['bj'], keepPoints: true }).points!;
    for (const h of HALVES) {
      const cleanIdx = devTestSplit(clean.rows)[h];
      const anIdx = devTestSplit(set.rows)[h];
      if (cleanIdx.length < 100 || anIdx.length < 15) continue; // a --limit run too small for groups of 100
      const mixed: number[] = [];
      const pure: number[] = [];
      let recall = 0;
      let precision = 0;
      for (let draw = 0; draw < 10; draw++) {
        const G = new Float32Array(100 * N);
        const c = pick(cleanIdx, 100);
        c.slice(0, 85).forEach((i, k) => G.set(cleanPts.subarray(i * N, (i + 1) * N), k * N));
        pick(anIdx, 15).forEach((i, k) => G.set(anPts.subarray(i * N, (i + 1) * N), (85 + k) * N));
        const g = groupScan(G, 100, N, { scoring: 'hc', aMax: DEFAULTS.aMax, restarts: 3, seed: draw });
        mixed.push(g.score);
        const found = g.images.filter((i) => i >= 85).length;
        recall += found / 15 / 10;
        precision += (g.images.length ? found / g.images.length : 0) / 10;
        const P = new Float32Array(100 * N);
        c.forEach((i, k) => P.set(cleanPts.subarray(i * N, (i + 1) * N), k * N));
        pure.push(groupScan(P, 100, N, { scoring: 'hc', aMax: DEFAULTS.aMax, restarts: 3, seed: draw }).score);
      }
      groupResults.push({ task: TASKS[ti], half: h, auc: auc(pure, mixed), recall, precision });
    }
  }
}
bars.stop();
detector.release();

// ---- report: test-half tables first (what we report), then the dev half (what choices were made on)
mkdirSync(OUT, { recursive: true });
const get = (setting: string, task: string, h: Half, scoring: ScoringName = 'bj', layer = 'all') =>
  results.find((r) => r.setting === setting && r.task === task && r.half === h && r.scoring === scoring && r.layer === layer);
const f3 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3));
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const sizes = (h: Half) => ({ clean: devTestSplit(clean.rows)[h].length, anomalous: devTestSplit(anomalous[0].rows)[h].length });

/**
 * The default against every peer on each task, paired on the same images (core/versus.ts): whether
 * "at least the best peer" is more than noise, either way, Bonferroni-corrected for the peers compared
 * (the best peer is picked on the same half, which alone would favour the peer).
 */
function versusBestPeer(h: Half) {
  const d = scores.get(DEFAULT_ID)!;
  return TASKS.map((task, ti) => {
    const [nc, na] = [clean.rows, anomalous[ti].rows];
    const on = (clean: number[], set: number[]) => ({ auc: aucOn(h, clean, set, ti), clean: half(clean, nc, h), anomalous: half(set, na, h) });
    const peers = peerSpecs.map(([name]) => ({ name, ...on(scores.get(name)!.clean, scores.get(name)!.tasks[ti]) }));
    return { task, ...versusPeers(on(d.clean, d.tasks[ti]), peers)! };
  });
}
const versus = { dev: versusBestPeer('dev'), test: versusBestPeer('test') };
const VERSUS_NOTE = `Against each of the ${peerSpecs.length} peers on the same images; the line gives the peer of the highest AUC on that set and half. Δ's interval is at 1 − 0.05/${peerSpecs.length} and p is multiplied by ${peerSpecs.length} (Bonferroni over the peers, since the best is picked on the same images): "behind" = behind at least one peer, "ahead" = ahead of every peer, "no difference shown" = neither.`;

function tables(h: Half, L: string[], level: string): void {
  const { clean: nc, anomalous: na } = sizes(h);
  L.push(`${level} Detection power, ${h} half (AUC; ${nc} clean vs ${na} of each anomalous set)`, '');
  L.push('Berk-Jones, all layers, upper tail, mid-p unless the row says otherwise. Rows `peer:` are the detectors users pick instead, fitted on the same background and scored on the same images by `src/peers` (what `histoscan eval --methods` runs).', '');
  L.push(`| method | bytes held | vs raw | p-value ms/image | scan ms/image | ${TASKS.join(' | ')} |`, `|---|---:|---:|---:|---:|${TASKS.map(() => '---:').join('|')}|`);
  for (const s of settings) {
    const r0 = get(s.id, TASKS[0], h);
    if (!r0) continue;
    L.push(`| ${s.id} | ${mb(s.method.bytes)} | ${((100 * s.method.bytes) / r0.rawBytes).toFixed(2)}% | ${r0.pvalueMs.toFixed(3)} | ${r0.scanMs.toFixed(3)} | ${TASKS.map((t) => f3(get(s.id, t, h)?.auc)).join(' | ')} |`);
  }
  L.push(`| per-layer combined (Fisher, default profile) | ${mb(upperDefault.method.bytes)} | | | | ${TASKS.map((t) => f3(get('per-layer combined (Fisher)', t, h)?.auc)).join(' | ')} |`);
  for (const c of combined) {
    const r0 = get(c.id, TASKS[0], h, c.scoring)!;
    L.push(`| ${c.id} | ${mb(r0.bytes)} | ${((100 * r0.bytes) / r0.rawBytes).toFixed(2)}% | ${r0.pvalueMs.toFixed(3)} | ${r0.scanMs.toFixed(3)} | ${TASKS.map((t) => f3(get(c.id, t, h, c.scoring)?.auc)).join(' | ')} |`);
  }
  for (const [name] of peerSpecs) {
    const rs = peerResults.filter((b) => b.name === name && b.half === h);
    L.push(`| peer: ${name} | ${mb(rs[0].bytes)} | | | | ${TASKS.map((t) => f3(rs.find((r) => r.task === t)?.auc)).join(' | ')} |`);
  }
  L.push('', `${level} The default against the best peer of each set, ${h} half (paired DeLong test on the same images)`, '', VERSUS_NOTE, '');
  L.push(`| set | default vs the best peer: AUCs, Δ = default − peer [${levelPct(1 - 0.05 / peerSpecs.length)} interval], p × ${peerSpecs.length} |`, '|---|---|');
  for (const v of versus[h]) L.push(`| ${v.task} | ${versusText(v)} |`);
  L.push('', `${level} Realised false-positive rate on the ${nc} clean images of the ${h} half (share with q <= FPR; Wilson 95% interval)`, '');
  L.push("A verdict that holds its rate has the nominal FPR inside or above the interval. Calibration: the calibration set, scored by the product's own code (core/score.ts).", '');
  L.push(`| setting | scoring | ${FPR_LEVELS.map((l) => `FPR ${l}`).join(' | ')} |`, `|---|---|${FPR_LEVELS.map(() => '---:').join('|')}|`);
  for (const r of fprRows.filter((x) => x.half === h)) L.push(`| ${r.setting} | ${r.scoring} | ${r.rates.map((x) => `${pct(x.rate)} [${pct(x.lo)}, ${pct(x.hi)}]`).join(' | ')} |`);
  L.push('', `${level} Scoring functions and layers, ${h} half (default profile and sorted empirical)`, '');
  L.push(`| method | scoring | layer | ${TASKS.join(' | ')} |`, `|---|---|---|${TASKS.map(() => '---:').join('|')}|`);
  for (const r of results.filter((x) => x.task === TASKS[0] && x.half === h && (x.setting === upperDefault.id || x.setting.startsWith('empirical') || x.setting.startsWith('channel-mean')))) {
    L.push(`| ${r.setting} | ${r.scoring} | ${r.layer} | ${TASKS.map((t) => f3(get(r.setting, t, h, r.scoring, r.layer)?.auc)).join(' | ')} |`);
  }
  L.push('', `${level} Group scan, ${h} half (upper-tail tail B=32 profile, Higher Criticism, the production threshold grid; groups of 100 images, 15 anomalous; 10 draws vs 10 clean-only groups)`, '');
  L.push('| task | AUC (mixed vs clean groups) | recall of anomalous images | precision |', '|---|---:|---:|---:|');
  for (const g of groupResults.filter((x) => x.half === h)) L.push(`| ${g.task} | ${f3(g.auc)} | ${f3(g.recall)} | ${f3(g.precision)} |`);
  if (!groupResults.some((x) => x.half === h)) L.push('| (skipped: fewer than 100 clean images in this half) | | | |');
  L.push('');
}

const split = { seed: SPLIT_SEED, rule: 'devTestSplit (src/node-sets.ts): seeded Fisher-Yates shuffle of each set\'s indices, even positions dev, odd positions test', dev: sizes('dev'), test: sizes('test') };
const L: string[] = [];
L.push('# histoscan evaluation', '');
L.push(`Default model \`public/models/fashion-cnn.onnx\`; background ${background.rows.toLocaleString('en')} images, calibration ${calibration.rows}, clean ${clean.rows}, each anomalous set ${anomalous[0].rows}. Nodes: ${background.nodes.toLocaleString('en')} (every ReLU output element of the 3 auto layers) or ${cm.background.nodes} (channel means). Individual-scan AUC, clean = 0, anomalous = 1. Reproduce: \`npm run eval\`${short ? ` (this report: ${quick ? '--quick' : `--limit ${LIMIT}`})` : ''}.`, '');
L.push(`**The default's witnesses.** The calibration chose them as \`histoscan profile\` does (core/surrogates.ts): ${witnessNote}`, '');
L.push(
  `**Protocol.** The clean test set and every anomalous set are split in halves by a fixed seeded split (seed ${SPLIT_SEED}: a seeded shuffle of each set's indices, even positions dev, odd positions test; an attacked image is in the half of its clean original). ` +
    `Every figure is computed on both halves. **Defaults are chosen on the dev half only; the tables below are the test half**, which no choice has seen. ` +
    'The dev-half figures follow in their own section. Background and calibration images are separate sets and are not split.',
  '',
);
tables('test', L, '##');
L.push('## Dev half (used for choices: defaults, bins, tails, scoring)', '', 'The same tables on the dev half. Choose here; report the test half above.', '');
tables('dev', L, '###');
writeFileSync(`${OUT}/report.md`, L.join('\n'));
writeFileSync(`${OUT}/report.json`, JSON.stringify({ date: new Date().toISOString(), quick: short, limit: Number.isFinite(LIMIT) ? LIMIT : null, split, defaults: DEFAULTS, tasks: TASKS, results, fpr: fprRows, peers: peerResults, versusBestPeer: versus, group: groupResults }, null, 2));

// ---- plots (test half): ROC per task (default vs empirical vs the best peers), AUC vs bytes
const plots: string[] = [];
for (const [ti, task] of TASKS.entries()) {
  const series = [DEFAULT_ID, 'upper+lower (Fisher) empirical hc', upperDefault.id, 'Mahalanobis (penultimate)', 'k-NN distance (penultimate, k=10)', 'max softmax probability', 'energy (T=1)']
    .filter((k) => scores.has(k))
    .map((k) => {
      const s = scores.get(k)!;
      const [neg, pos] = [half(s.clean, clean.rows, 'test'), half(s.tasks[ti], anomalous[ti].rows, 'test')];
      const c = roc(neg, pos);
      return { name: `${k} (${auc(neg, pos).toFixed(3)})`, x: c.fpr, y: c.tpr };
    });
  plots.push(plot({ title: `ROC: clean vs ${task} (test half)`, xLabel: 'false-positive rate', yLabel: 'true-positive rate', series, xRange: [0, 1], yRange: [0, 1], diagonal: true }));
}
const binSettings = settings.filter((s) => s.id.startsWith('histogram') || s.id.startsWith('empirical'));
plots.push(
  plot({
    title: 'Mean AUC over tasks vs bytes held (test half)',
    xLabel: 'bytes (log10)',
    yLabel: 'mean AUC',
    xLog: true,
    series: binSettings.map((s) => ({ name: s.id, x: [s.method.bytes], y: [TASKS.reduce((a, t) => a + (get(s.id, t, 'test')?.auc ?? 0), 0) / TASKS.length], points: true })),
  }),
);
writeFileSync(`${OUT}/plots.html`, plotPage('histoscan evaluation (test half): ROC curves per task, AUC against bytes', plots));
console.log(readFileSync(`${OUT}/report.md`, 'utf8'));
