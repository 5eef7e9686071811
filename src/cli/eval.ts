// `histoscan eval`: histoscan's p-value methods and the peers (Mahalanobis, k-NN, MSP, energy) on
// the same images, AUC per method and anomalous set, one table.
import { aucInterval, BackgroundIndex, calibrationNeeded, costliest, excessive, realisedFpr, scanOf, UsageError, versusPeers, type ImageError, type VersusPeers } from '../core/index.ts';
import { DEFAULTS } from '../defaults.ts';
import type { Detector, FeatureExtractor, ImageSource, SkippedImage } from '../detector/index.ts';
import { empiricalMethod, evaluateMethods, histogramMethod, kdeMethod, peerScorer, productScorer, type PValueMethod, type Scorer } from '../evaluate.ts';
import { backgroundOf, collectNodes, devTestSplit, nodeRows, type NodeSet } from '../node-sets.ts';
import { checkPeers, fitPeer, PEER_NAMES, type PeerFeatures, type PeerName } from '../peers/index.ts';
import type { BinStrategy, ClassLayers, Combination, ConditionalScan, LogitPart, Progress, ScoringName } from '../types.ts';
import { fileSource, heldOut, listImageFiles, writeAtomic } from './io.ts';
import { partsWriter, rocPage } from './eval-output.ts';
import { twinWarnings } from './eval-twins.ts';
import { counted, skippedLine } from '../core/words.ts';

const SCAN_METHODS = ['histogram', 'empirical', 'kde'] as const;
export const EVAL_METHODS: readonly string[] = [...SCAN_METHODS, ...PEER_NAMES];
export type Split = 'dev' | 'test' | 'all';

export interface EvalFlags {
  background: string;
  calibration?: string;
  clean: string;
  anomalous: string[];
  methods: string;
  bins: number;
  strategy: BinStrategy;
  classes: ClassLayers;
  conditional: ConditionalScan;
  combine: Combination;
  logits: LogitPart;
  gauss: boolean;
  /** MB (--budget). */
  budget: number;
  scoring: ScoringName;
  kdeBackground: number;
  kdeImages: number;
  peerFeatures: PeerFeatures;
  k: number;
  split: Split;
  parts?: boolean;
  /** File for every image's calibrated part scores and the calibration table (JSON lines, one per method and set). */
  partsOut?: string;
  /** File for a page of ROC curves, one plot per anomalous set with every method's curve (self-contained HTML). */
  plots?: string;
  /** The verdict's false-positive rate: histoscan's rows say what share of each set it flags there (q <= fpr). */
  fpr: number;
}

export type FlaggedRate = ReturnType<typeof realisedFpr>; // a share flagged at the verdict, with its Wilson 95% interval

export interface AtVerdict {
  clean: FlaggedRate;
  anomalous: FlaggedRate;
  /** Calibration images behind q; canFlag: at least calibrationNeeded(fpr) of them (else nothing is flagged, by construction: the shares measure nothing). */
  calibrated: number;
  canFlag: boolean;
  /** The clean images flagged far beyond what even this calibration's spread allows (core/verdict.ts excessive): they are not like the calibration images. */
  cleanExcess: boolean;
}

/** The shares a calibrated method's verdict flags at `fpr`, from the q of the clean and the anomalous images. */
export function atVerdictOf(q: { clean: ArrayLike<number>; anomalous: ArrayLike<number> }, fpr: number, calibrated: number): AtVerdict {
  const clean = realisedFpr(q.clean, fpr);
  return { clean, anomalous: realisedFpr(q.anomalous, fpr), calibrated, canFlag: calibrated >= calibrationNeeded(fpr), cleanExcess: excessive(clean.flagged, clean.n, fpr, calibrated) };
}

export interface EvalResult {
  method: string;
  /** part: one of histoscan's calibrated parts scored alone (--parts). */
  kind: 'histoscan' | 'part' | 'peer';
  set: string;
  auc: number;
  /** DeLong standard error of the AUC (NaN for a part's row). */
  aucSe: number;
  /** histoscan's rows where peers ran on the same images: DeLong's paired comparison with the best peer (95%), and with all of them, Bonferroni-corrected (core/versus.ts). */
  versusBestPeer?: VersusPeers;
  /** histoscan's calibrated rows: the share flagged by the verdict (q <= fpr) of the clean images (its realised FPR) and of this set. */
  atVerdict?: AtVerdict;
  /**
   * Where the AUC is lost (not for a part's row): the clean images that outrank the largest share of
   * this set (a clean image that is itself unusual costs every anomalous image it passes) and the
   * anomalous images that the largest share of clean images outrank; at most LOST_SHOWN of each.
   * The text names histoscan's; --json has the peers' too.
   */
  lostOn?: { clean: LostImage[]; anomalous: LostImage[] };
  bytes: number;
  /** null for peers: they compute no p-values. */
  pvalueMsPerImage: number | null;
  /** Scan time for histoscan's methods, the whole score for peers. */
  scanMsPerImage: number;
  images: { clean: number; anomalous: number };
}

/** An image and the share of the other side it is misordered against (core/metrics.ts costliest). */
export interface LostImage {
  file: string;
  share: number;
}

/** How many images per side `lostOn` names. */
export const LOST_SHOWN = 3;

/** Checks the flags before any model is opened: a typo costs no minutes. */
export function parseEvalFlags(flags: EvalFlags): { sets: { name: string; dir: string }[]; wanted: string[] } {
  if (flags.anomalous.length === 0) throw new UsageError('give at least one --anomalous NAME=DIR');
  const sets = flags.anomalous.map((s) => {
    const i = s.indexOf('=');
    if (i < 1 || i === s.length - 1) throw new UsageError(`--anomalous wants NAME=DIR, got "${s}" (the name ends at the first "=")`);
    const name = s.slice(0, i);
    // The report names these sets itself: an anomalous set of the same name would read as them.
    if (['clean', 'background', 'calibration'].includes(name)) throw new UsageError(`--anomalous ${name}=…: "${name}" names one of eval's own sets; give the anomalous set another name`);
    return { name, dir: s.slice(i + 1) };
  });
  const twice = sets.find((s, i) => sets.findIndex((t) => t.name === s.name) !== i);
  if (twice) throw new UsageError(`--anomalous names "${twice.name}" twice: each set needs its own name`);
  const wanted = [...new Set(flags.methods.split(',').map((m) => m.trim()).filter(Boolean))];
  const unknown = wanted.filter((m) => !EVAL_METHODS.includes(m));
  if (unknown.length || !wanted.length) throw new UsageError(`--methods: unknown ${unknown.join(', ') || '(none given)'}; choose from ${EVAL_METHODS.join(',')}`);
  return { sets, wanted };
}

/**
 * The test images of one half. The split is the evaluation's (devTestSplit: seeded shuffle, even
 * positions dev, odd test, per folder in filename order), so a user tunes flags on `dev` and
 * reports `test`; background and calibration folders are never split.
 */
function testImages(dir: string, split: Split): ImageSource {
  const files = listImageFiles([dir]);
  const keep = split === 'all' ? files : devTestSplit(files.length)[split].map((i) => files[i]);
  if (keep.length === 0) throw new UsageError(files.length ? `${dir} has ${files.length} image, too few for a ${split} half; give it more, or --split all` : `No image files in ${dir}`);
  return fileSource(keep);
}

const scans = (wanted: string[]) => wanted.some((m) => (SCAN_METHODS as readonly string[]).includes(m));

/** Every image set of an evaluation, listed (and each checked to hold images) before any model is opened. */
export interface EvalImages {
  /** The methods asked for (parseEvalFlags). */
  wanted: string[];
  background: ImageSource;
  calibration: ImageSource | null;
  /** What was held out of the background folder to calibrate, where nothing was named (io.ts heldOut): the peers learn from those images too. */
  note?: string;
  /** Background files left out of that split: their header is no image's. */
  refused?: ImageError[];
  clean: ImageSource;
  anomalous: { name: string; images: ImageSource }[];
}

/**
 * The images of an evaluation: the known-good ones every method learns from, and the calibration's:
 * --calibration, or else every 5th background image (or the fewest that can flag) held out, as `profile` does (detector/holdout.ts
 * holdOut), none where only peers run, which need no calibration; the test halves of the clean and
 * anomalous folders. An empty folder, or a k-NN with fewer background images than k, stops here.
 */
export async function evalImages(flags: EvalFlags): Promise<EvalImages> {
  const { sets, wanted } = parseEvalFlags(flags);
  const given = fileSource(listImageFiles([flags.background]));
  if (given.count === 0) throw new UsageError(`No image files in ${flags.background}`);
  const calibration = flags.calibration ? fileSource(listImageFiles([flags.calibration])) : null;
  if (calibration?.count === 0) throw new UsageError(`No image files in ${flags.calibration}`);
  const known = !scans(wanted) ? { background: given, calibration: null } : calibration ? { background: given, calibration } : await heldOut(given, flags.background, '--calibration DIR names held-out images instead', flags.fpr);
  if (wanted.includes('knn') && known.background.count < flags.k) {
    throw new UsageError(`the k-NN peer with k = ${flags.k} needs at least ${flags.k} background images, and there are ${known.background.count}: give more, or a smaller --k`);
  }
  return { ...known, wanted, clean: testImages(flags.clean, flags.split), anomalous: sets.map((s) => ({ name: s.name, images: testImages(s.dir, flags.split) })) };
}

/** The node values of a set's images; none of them decoding is said at once, with the first reasons, as a build says it. */
export async function collectReadable(f: FeatureExtractor, name: string, src: ImageSource, onProgress: (p: Progress) => void): Promise<NodeSet> {
  const set = await collectNodes(f, name, src, DEFAULTS.batchSize, onProgress);
  if (set.rows === 0 && src.count > 0) {
    const why = set.skipped.slice(0, 3).map((k) => k.error.replace(/\.$/, '')).join('; ');
    throw new UsageError(`None of the ${src.count} images of "${name}" could be read (${why}${set.skipped.length > 3 ? '; …' : ''}); it needs images that decode.`);
  }
  return set;
}

/** The evaluation's rows, and the images that could not be read (each set's, as `skipped FILE: why`). */
export async function runEval(detector: Detector, flags: EvalFlags, known: EvalImages, onProgress: (p: Progress) => void): Promise<{ results: EvalResult[]; skipped: string[] }> {
  const { wanted } = known;
  const f = detector.features;
  const scanWanted = scans(wanted);
  checkPeers(wanted, f.layers, { features: flags.peerFeatures });
  const collect = (name: string, src: ImageSource) => collectReadable(f, name, src, onProgress);
  // A set's node values from a pass that read them anyway (build's counting, calibration's table), else a pass of their own (also where the build replanned).
  const gathered = (rows: ReturnType<typeof nodeRows> | null, pass: { skipped: SkippedImage[] } | null, name: string, src: ImageSource) =>
    rows && pass && detector.features === f ? rows.finish(f.nodes, pass.skipped) : collect(name, src);
  const bgSource = known.background;
  const settings = { bins: flags.bins, strategy: flags.strategy, classConditional: flags.classes, conditional: flags.conditional, combine: flags.combine, logits: flags.logits, gauss: flags.gauss, budget: flags.budget * 1e6, onProgress };
  // The methods that fit on the background's node values (empirical, KDE, the feature-space peers) take them from the build's counting pass.
  const needsBackground = wanted.some((m) => ['empirical', 'kde', 'mahalanobis', 'knn'].includes(m));
  const fromBuild = scanWanted && needsBackground ? nodeRows('background', bgSource) : null;
  // The twin checks see the background in any case: its keys and strided nodes, not its node values.
  const bgIndex = scanWanted ? new BackgroundIndex(f.nodes) : null;
  const onRows = (n: Float32Array, loaded: number[], logits: Float32Array[]) => {
    fromBuild?.add(n, loaded, logits);
    bgIndex?.add(n, f.nodes);
  };
  const built = scanWanted ? await detector.build(bgSource, null, { ...settings, onRows }) : null;
  for (const n of built?.notes ?? []) console.error(`note: ${n}`);
  const scan = built && scanOf(built.profile);
  if (scan?.tail === 'both' && !known.calibration) throw new UsageError('the default scan combines both tails and calibrates each: give --calibration DIR (or at least 10 background images, every 5th of which calibrates)');
  const background = needsBackground ? await gathered(fromBuild, built, 'background', bgSource) : null;
  const clean = await collect('clean', known.clean);
  const anomalous: NodeSet[] = [];
  for (const s of known.anomalous) anomalous.push(await collect(s.name, s.images));
  const calSource = scanWanted ? known.calibration : null;
  // The histogram's witnesses, chosen as the product's calibration chooses them; its table's pass gives the other methods the calibration's node values.
  const fromCal = calSource && wanted.includes('histogram') ? nodeRows('calibration', calSource) : null;
  // The background as the build read it, where its nodes are still these: the calibration's checks against it run as `profile`'s do.
  const inBackground = bgIndex && detector.features === f ? bgIndex : undefined;
  const calibrated = fromCal ? await detector.calibrate(built!.profile, calSource!, { batchSize: DEFAULTS.batchSize, fpr: flags.fpr, onProgress, onRows: fromCal.add, ...(inBackground && { inBackground }) }) : null;
  const calibration = calSource ? await gathered(fromCal, calibrated, 'calibration', calSource) : null;
  for (const n of calibrated?.notes ?? []) console.error(`note: ${n}`);
  for (const w of calibrated?.warnings ?? []) console.error(`warning: ${w}`);
  // Where the build replanned, its rows are of other nodes: the background's own pass (the peers') is the one to check against.
  const bgFitted = inBackground ? { name: 'background', index: inBackground } : background;
  for (const w of twinWarnings(clean, anomalous, bgFitted, calibration, !!(calibrated && inBackground))) console.error(`warning: ${w}`);

  const methods: PValueMethod[] = [];
  if (wanted.includes('histogram')) methods.push(histogramMethod(built!.profile, 'histogram'));
  if (wanted.includes('empirical')) methods.push(empiricalMethod(backgroundOf(background!)));
  if (wanted.includes('kde')) methods.push(kdeMethod(backgroundOf(background!, flags.kdeBackground)));
  const choice = calibrated?.profile.header.calibration;
  const scorers: Scorer[] = methods.map((m) => productScorer(m, scan!, calibration, m.name, m.name === 'histogram' ? choice : undefined));
  // The peers calibrate nothing: they learn from every image of the background folder, also those held out to calibrate histoscan.
  const learnFrom = [background, known.note ? calibration : null].filter((s) => s !== null);
  for (const name of PEER_NAMES.filter((p) => wanted.includes(p))) {
    onProgress({ done: 0, total: 1, stage: `fit ${name}` });
    scorers.push(peerScorer(fitPeer(name as PeerName, learnFrom, f.layers, { features: flags.peerFeatures, k: flags.k })));
  }
  const peers = new Set(scorers.slice(methods.length).map((s) => s.name));
  const partsOut = flags.partsOut ? partsWriter(flags.partsOut) : undefined;
  const rows = evaluateMethods(scorers, clean, anomalous, {
    scorings: [flags.scoring],
    limit: (m) => (m.name.startsWith('KDE') ? flags.kdeImages : undefined),
    onProgress,
    parts: flags.parts,
    onScored: partsOut?.add,
  });
  const results: EvalResult[] = rows.map((r) => {
    const limit = r.method.startsWith('KDE') ? flags.kdeImages : Infinity;
    const set = anomalous.find((a) => a.name === r.set)!;
    const n = set.rows;
    const lost = r.scores && !r.part ? costliest(r.scores.clean, r.scores.anomalous, LOST_SHOWN) : null;
    const named = (files: string[], c: { index: number; share: number }[]) => c.map(({ index, share }) => ({ file: files[index], share }));
    return {
      method: r.method,
      kind: peers.has(r.method) ? 'peer' : r.part ? 'part' : 'histoscan',
      set: r.set,
      auc: r.auc,
      aucSe: r.scores ? aucInterval(r.scores.clean, r.scores.anomalous).se : NaN,
      bytes: r.bytes,
      pvalueMsPerImage: Number.isNaN(r.pvalueMsPerImage) ? null : r.pvalueMsPerImage,
      scanMsPerImage: r.scanMsPerImage,
      images: { clean: Math.min(clean.rows, limit), anomalous: Math.min(n, limit) },
      ...(lost ? { lostOn: { clean: named(clean.files, lost.negatives), anomalous: named(set.files, lost.positives) } } : {}),
      ...(r.q ? { atVerdict: atVerdictOf(r.q, flags.fpr, calibration?.rows ?? 0) } : {}),
    };
  });
  if (flags.plots) {
    writeAtomic(flags.plots, rocPage(rows, results, flags.split, flags.fpr));
    console.error(`wrote ${flags.plots}: ROC curves of ${counted(new Set(rows.map((r) => r.set)).size, 'anomalous set')}, a page to open in a browser`);
  }
  partsOut?.write();
  if (flags.partsOut) console.error(`wrote ${flags.partsOut}: the part scores of each set's images, one JSON line per method and set`);
  // Each histoscan method against every peer of each set, paired on the same images (core/versus.ts: corrected for the peers compared).
  results.forEach((res, i) => {
    const mine = rows[i].scores;
    if (res.kind !== 'histoscan' || !mine) return;
    const peerRows = rows.filter((r, j) => results[j].kind === 'peer' && r.set === res.set && r.scores?.clean.length === mine.clean.length && r.scores.anomalous.length === mine.anomalous.length);
    const v = versusPeers({ auc: rows[i].auc, ...mine }, peerRows.map((r) => ({ name: r.method, auc: r.auc, ...r.scores! })));
    if (v) res.versusBestPeer = v;
  });
  const skipped = [...(known.refused ?? []), ...[background, clean, ...anomalous, calibration].flatMap((set) => set?.skipped ?? [])].map(skippedLine);
  return { results, skipped };
}
