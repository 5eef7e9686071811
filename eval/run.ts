// `npm run eval`: detection power, bytes and time of histogram profiles against the empirical and
// KDE baselines and the detectors users pick instead, on the default model and the real sets.
// Writes eval/report.md, eval/report.json and eval/plots.html (SVG plots). `-- --quick` uses fewer images.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import {
  auc,
  buildProfile,
  realisedFpr,
  groupScan,
  rng,
  roc,
  type Profile,
} from '../src/core/index.ts';
import { DEFAULTS } from '../src/defaults.ts';
import { Detector } from '../src/detector/index.ts';
import { backgroundOf, collectNodes, fisherScorer, empiricalMethod, histogramMethod, kdeMethod, productScorer, scoreSet, type NodeSet, type PValueMethod } from '../src/evaluate.ts';
import { fileSource, listImages } from '../src/cli/io.ts';
import { parseSpec } from '../src/model/preprocess.ts';
import { reduceLayer } from '../src/model/reduce.ts';
import type { BinStrategy, LayerLayout, PointP, ScoringName, Tail } from '../src/types.ts';
import { columns, fitKnn, fitMahalanobis, msp } from './baselines.ts';
import { plot, plotPage } from './svg.ts';

const quick = process.argv.includes('--quick');
const LIMIT = quick ? 300 : Infinity;
const BG_LIMIT = quick ? 3000 : Infinity;
const TASKS = ['fgsm-0.05', 'fgsm-0.1', 'pgd-0.05', 'pgd-0.1', 'synth', 'ood-mnist'];
const KDE_BG = 1000;
const KDE_IMAGES = quick ? 60 : 100;
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
const calibration = await collect('calibration');
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

function profileOf(set: NodeSet, lay: LayerLayout[], strategy: BinStrategy, bins: number, tail: Tail): Profile {
  tick(`profile ${strategy} B=${bins} ${tail}`, 0, 1);
  return buildProfile(set.values, set.rows, { layers: lay, bins, strategy, tail }, { fingerprint: detector.features.fingerprint, reduction: 'element', scan: { aMax: DEFAULTS.aMax, tail, pointP: DEFAULTS.pointP } });
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

// ---- individual-scan AUCs
interface Result {
  setting: string;
  scoring: ScoringName;
  layer: string;
  task: string;
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
      perTask.forEach((t, ti) =>
        results.push({
          setting: s.id,
          scoring: sc,
          layer,
          task: TASKS[ti],
          auc: auc(base.scores[sc], t.scores[sc]),
          bytes: s.method.bytes,
          rawBytes: bg.rows * bg.nodes * 4,
          pvalueMs: base.pvalueMsPerImage,
          scanMs: base.scanMsPerImage,
        }),
      );
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
  tasks.forEach((t, ti) => results.push({ setting: scorer.name, scoring: 'bj', layer: 'all', task: TASKS[ti], auc: auc(base, t), bytes: scorer.bytes, rawBytes: background.rows * background.nodes * 4, pvalueMs: NaN, scanMs: NaN }));
}

const FPR_LEVELS = [0.01, 0.05, 0.1];
const fprRows: { setting: string; scoring: ScoringName; rates: ReturnType<typeof realisedFpr>[] }[] = [];

// ---- upper- and lower-tail scans, each calibrated on the calibration set, combined (Fisher):
// the scan tail 'both' that the detector implements (nodes unusually active and unusually silent)
const combined: { id: string; profile: Profile; scoring: ScoringName; empirical?: boolean }[] = [];
for (const scoring of ['bj', 'hc'] as ScoringName[]) {
  combined.push({ id: `upper+lower (Fisher) tail-two B=32 ${scoring}`, profile: tailTwo, scoring });
  combined.push({ id: `upper+lower (Fisher) tail-upper B=32 ${scoring}`, profile: upperDefault.profile!, scoring });
}
for (const B of [16, 64]) {
  combined.push({ id: `upper+lower (Fisher) tail-two B=${B} hc${B === DEFAULTS.bins ? ' — default' : ''}`, profile: profileOf(background, layers, 'tail', B, 'two'), scoring: 'hc' });
}
combined.push({ id: 'upper+lower (Fisher) uniform B=32 hc', profile: settings.find((s) => s.id === 'histogram uniform B=32')!.profile!, scoring: 'hc' });
combined.push({ id: 'upper+lower (Fisher) empirical hc', profile: upperDefault.profile!, scoring: 'hc', empirical: true });
for (const c of combined) {
  tick(c.id, 0, 1);
  const method = c.empirical ? empiricalMethod(bgSorted) : histogramMethod(c.profile);
  const scorer = productScorer(method, { tail: 'both', pointP: 'mid', aMax: DEFAULTS.aMax }, calibration, c.id);
  const base = scorer.score(clean, [c.scoring]);
  const tasks = anomalous.map((set) => scorer.score(set, [c.scoring]));
  scores.set(c.id, { clean: base.scores[c.scoring], tasks: tasks.map((t) => t.scores[c.scoring]) });
  tasks.forEach((t, ti) =>
    results.push({ setting: c.id, scoring: c.scoring, layer: 'all', task: TASKS[ti], auc: auc(base.scores[c.scoring], t.scores[c.scoring]), bytes: scorer.bytes, rawBytes: background.rows * background.nodes * 4, pvalueMs: base.pvalueMsPerImage, scanMs: base.scanMsPerImage }),
  );
  fprRows.push({ setting: c.id, scoring: c.scoring, rates: FPR_LEVELS.map((l) => realisedFpr(base.q[c.scoring], l)) });
}

// ---- realised FPR of single-tail settings, each calibrated on the calibration set by the product's code
for (const s of settings.filter((x) => x.reduction === 'element' && !x.id.startsWith('KDE'))) {
  tick(`realised FPR ${s.id}`, 0, 1);
  const q = productScorer(s.method, { tail: s.tail, pointP: s.pointP, aMax: DEFAULTS.aMax }, calibration, s.id).score(clean, ['bj']).q.bj;
  fprRows.push({ setting: s.id, scoring: 'bj', rates: FPR_LEVELS.map((l) => realisedFpr(q, l)) });
}

// ---- baselines on the same activations
const baselineResults: { name: string; task: string; auc: number; bytes: number }[] = [];
function baseline(name: string, bytes: number, score: (set: NodeSet) => number[]) {
  tick(`baseline ${name}`, 0, 1);
  const base = score(clean);
  const tasks = anomalous.map(score);
  scores.set(name, { clean: base, tasks });
  tasks.forEach((t, ti) => baselineResults.push({ name, task: TASKS[ti], auc: auc(base, t), bytes }));
}
baseline('max softmax probability', 0, (set) => msp(set.logits));
const penult = layers.length - 1;
const penOff = layers.slice(0, penult).reduce((a, l) => a + l.nodes, 0);
const penDim = layers[penult].nodes;
const bgLabels = background.logits.map((l) => l.indexOf(Math.max(...l)));
const feat = (set: NodeSet) => columns(set.values, set.rows, set.nodes, penOff, penOff + penDim);
const rowsOf = (f: Float64Array, d: number) => Array.from({ length: f.length / d }, (_, r) => f.subarray(r * d, (r + 1) * d));
const mahaPen = fitMahalanobis(feat(background), background.rows, penDim, bgLabels);
baseline('Mahalanobis (penultimate)', mahaPen.bytes, (set) => rowsOf(feat(set), penDim).map((x) => mahaPen.score(x)));
const cmDim = cm.background.nodes;
const cmFeat = (set: NodeSet) => columns(set.values, set.rows, set.nodes, 0, set.nodes);
const mahaAll = fitMahalanobis(cmFeat(cm.background), cm.background.rows, cmDim, bgLabels);
baseline('Mahalanobis (all layers, channel means)', mahaAll.bytes, (set) => {
  const c = channelMean(set);
  return rowsOf(cmFeat(c), cmDim).map((x) => mahaAll.score(x));
});
const knn = fitKnn(feat(background), background.rows, penDim, 10);
baseline('k-NN distance (penultimate, k=10)', knn.bytes, (set) => rowsOf(feat(set), penDim).map((x) => knn.score(x)));

// ---- group scan (IBM ART's protocol): groups of 100 images, 15% anomalous, 10 draws
const groupResults: { task: string; auc: number; recall: number; precision: number }[] = [];
{
  const r = rng(42);
  const m = upperDefault;
  const pick = (n: number, k: number) => {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
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
    const mixed: number[] = [];
    const pure: number[] = [];
    let recall = 0;
    let precision = 0;
    for (let draw = 0; draw < 10; draw++) {
      const G = new Float32Array(100 * N);
      const c = pick(clean.rows, 100);
      c.slice(0, 85).forEach((i, k) => G.set(cleanPts.subarray(i * N, (i + 1) * N), k * N));
      pick(set.rows, 15).forEach((i, k) => G.set(anPts.subarray(i * N, (i + 1) * N), (85 + k) * N));
      const g = groupScan(G, 100, N, { scoring: 'hc', aMax: DEFAULTS.aMax, restarts: 3, seed: draw });
      mixed.push(g.score);
      const found = g.images.filter((i) => i >= 85).length;
      recall += found / 15 / 10;
      precision += (g.images.length ? found / g.images.length : 0) / 10;
      const P = new Float32Array(100 * N);
      c.forEach((i, k) => P.set(cleanPts.subarray(i * N, (i + 1) * N), k * N));
      pure.push(groupScan(P, 100, N, { scoring: 'hc', aMax: DEFAULTS.aMax, restarts: 3, seed: draw }).score);
    }
    groupResults.push({ task: TASKS[ti], auc: auc(pure, mixed), recall, precision });
  }
}
bars.stop();
detector.release();

// ---- report
mkdirSync(OUT, { recursive: true });
const get = (setting: string, task: string, scoring: ScoringName = 'bj', layer = 'all') => results.find((r) => r.setting === setting && r.task === task && r.scoring === scoring && r.layer === layer);
const f3 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3));
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
const L: string[] = [];
L.push('# histoscan evaluation', '');
L.push(`Default model \`public/models/fashion-cnn.onnx\`; background ${background.rows.toLocaleString('en')} images, calibration ${calibration.rows}, clean ${clean.rows}, each anomalous set ${anomalous[0].rows}. Nodes: ${background.nodes.toLocaleString('en')} (every ReLU output element of the 3 auto layers) or ${cm.background.nodes} (channel means). Individual-scan AUC, clean = 0, anomalous = 1. Reproduce: \`npm run eval\`${quick ? ' (this report: --quick)' : ''}.`, '');
L.push('## Detection power (AUC, Berk-Jones, all layers, upper tail, mid-p)', '');
L.push(`| method | bytes held | vs raw | p-value ms/image | scan ms/image | ${TASKS.join(' | ')} |`, `|---|---:|---:|---:|---:|${TASKS.map(() => '---:').join('|')}|`);
for (const s of settings) {
  const r0 = get(s.id, TASKS[0]);
  if (!r0) continue;
  L.push(`| ${s.id} | ${mb(s.method.bytes)} | ${((100 * s.method.bytes) / r0.rawBytes).toFixed(2)}% | ${r0.pvalueMs.toFixed(3)} | ${r0.scanMs.toFixed(3)} | ${TASKS.map((t) => f3(get(s.id, t)?.auc)).join(' | ')} |`);
}
L.push(`| per-layer combined (Fisher, default profile) | ${mb(upperDefault.method.bytes)} | | | | ${TASKS.map((t) => f3(get('per-layer combined (Fisher)', t)?.auc)).join(' | ')} |`);
for (const c of combined) {
  const r0 = get(c.id, TASKS[0], c.scoring)!;
  L.push(`| ${c.id} | ${mb(r0.bytes)} | ${((100 * r0.bytes) / r0.rawBytes).toFixed(2)}% | ${r0.pvalueMs.toFixed(3)} | ${r0.scanMs.toFixed(3)} | ${TASKS.map((t) => f3(get(c.id, t, c.scoring)?.auc)).join(' | ')} |`);
}
L.push('', `## Realised false-positive rate on the ${clean.rows} clean test images (share with q <= FPR; Wilson 95% interval)`, '');
L.push('A verdict that holds its rate has the nominal FPR inside or above the interval. Calibration: the calibration set, scored by the product\'s own code (core/score.ts).', '');
L.push(`| setting | scoring | ${FPR_LEVELS.map((l) => `FPR ${l}`).join(' | ')} |`, `|---|---|${FPR_LEVELS.map(() => '---:').join('|')}|`);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
for (const r of fprRows) L.push(`| ${r.setting} | ${r.scoring} | ${r.rates.map((x) => `${pct(x.rate)} [${pct(x.lo)}, ${pct(x.hi)}]`).join(' | ')} |`);
L.push('', '## Baselines users pick instead (same activations)', '');
L.push(`| detector | bytes held | ${TASKS.join(' | ')} |`, `|---|---:|${TASKS.map(() => '---:').join('|')}|`);
for (const name of [...new Set(baselineResults.map((b) => b.name))]) {
  const rs = baselineResults.filter((b) => b.name === name);
  L.push(`| ${name} | ${mb(rs[0].bytes)} | ${TASKS.map((t) => f3(rs.find((r) => r.task === t)?.auc)).join(' | ')} |`);
}
L.push('', '## Scoring functions and layers (default profile and sorted empirical)', '');
L.push(`| method | scoring | layer | ${TASKS.join(' | ')} |`, `|---|---|---|${TASKS.map(() => '---:').join('|')}|`);
for (const r of results.filter((x) => x.task === TASKS[0] && (x.setting === upperDefault.id || x.setting.startsWith('empirical') || x.setting.startsWith('channel-mean')))) {
  L.push(`| ${r.setting} | ${r.scoring} | ${r.layer} | ${TASKS.map((t) => f3(get(r.setting, t, r.scoring, r.layer)?.auc)).join(' | ')} |`);
}
L.push('', `## Group scan (upper-tail tail B=32 profile, Higher Criticism, the production threshold grid; groups of 100 images, 15 anomalous; 10 draws vs 10 clean-only groups)`, '');
L.push('| task | AUC (mixed vs clean groups) | recall of anomalous images | precision |', '|---|---:|---:|---:|');
for (const g of groupResults) L.push(`| ${g.task} | ${f3(g.auc)} | ${f3(g.recall)} | ${f3(g.precision)} |`);
writeFileSync(`${OUT}/report.md`, L.join('\n') + '\n');
writeFileSync(`${OUT}/report.json`, JSON.stringify({ date: new Date().toISOString(), quick, defaults: DEFAULTS, tasks: TASKS, results, fpr: fprRows, baselines: baselineResults, group: groupResults }, null, 2));

// ---- plots: ROC per task (default vs empirical vs the best baseline), AUC vs bytes
const plots: string[] = [];
for (const [ti, task] of TASKS.entries()) {
  const series = [`upper+lower (Fisher) tail-two B=${DEFAULTS.bins} hc — default`, 'upper+lower (Fisher) empirical hc', upperDefault.id, 'Mahalanobis (penultimate)', 'k-NN distance (penultimate, k=10)', 'max softmax probability']
    .filter((k) => scores.has(k))
    .map((k) => {
      const s = scores.get(k)!;
      const c = roc(s.clean, s.tasks[ti]);
      return { name: `${k} (${auc(s.clean, s.tasks[ti]).toFixed(3)})`, x: c.fpr, y: c.tpr };
    });
  plots.push(plot({ title: `ROC: clean vs ${task}`, xLabel: 'false-positive rate', yLabel: 'true-positive rate', series, xRange: [0, 1], yRange: [0, 1], diagonal: true }));
}
const binSettings = settings.filter((s) => s.id.startsWith('histogram') || s.id.startsWith('empirical'));
plots.push(
  plot({
    title: 'Mean AUC over tasks vs bytes held',
    xLabel: 'bytes (log10)',
    yLabel: 'mean AUC',
    xLog: true,
    series: binSettings.map((s) => ({ name: s.id, x: [s.method.bytes], y: [TASKS.reduce((a, t) => a + (get(s.id, t)?.auc ?? 0), 0) / TASKS.length], points: true })),
  }),
);
writeFileSync(`${OUT}/plots.html`, plotPage('histoscan evaluation: ROC curves per task, AUC against bytes', plots));
console.log(readFileSync(`${OUT}/report.md`, 'utf8'));
