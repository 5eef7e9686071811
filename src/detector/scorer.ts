// An immutable scorer: one profile, one p-value method, and the core scoring module. Turns node
// values into the result users see; holds no model and changes no state.
import { axisField, beyondRange, checkDrift, codingNote, driftText, groupScan, histogramPValueFn, layerOffsets, layerReductions, leastP, locateNode, partNames, pointPValues, profileDigest, scanOf, scoreImage, softmaxTerms, verdictOf, weighsGauss, type Profile, type PValueFn, type ScanSettings } from '../core/index.ts';
import type { ClassProbabilities } from '../model/session.ts';
import type { GroupScanResult, ImageResult, LayerLayout, NodeRef, Reduction, RgbaImage, ScoringName, Timings } from '../types.ts';

export interface ScoreOptions {
  fpr: number;
  scoring: ScoringName;
  /** How many most-anomalous nodes to list. */
  topNodes: number;
}

/** check()'s options, named where another method is given one of them. */
export const SCORE_OPTIONS = Object.keys({ fpr: 1, scoring: 1, topNodes: 1 } satisfies Record<keyof ScoreOptions, 1>);

/** Top classes of the model's own prediction, best first, with the probabilities the model gives them (session.ts classProbabilities). */
export function topClasses(logits: Float32Array, names: string[] | undefined, how: ClassProbabilities = 'softmax', k = 3) {
  if (k <= 0) return [];
  const [max, sum] = how === 'softmax' ? softmaxTerms(logits) : [0, 1];
  const prob = (v: number) => (how === 'as-is' ? Math.min(1, Math.max(0, v)) : how === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : Math.exp(v - max) / sum);
  // The k best in one pass, ties to the lower index (a stable sort's order): an output of 40 positions × 6,625
  // classes read as its mean is one vector, but a full sort of an object per class took 5 ms a result.
  const best: { index: number; prob: number }[] = [];
  for (let i = 0; i < logits.length; i++) {
    const p = prob(logits[i]);
    if (best.length === k && !(p > best[k - 1].prob)) continue;
    let j = best.length < k ? best.push({ index: i, prob: p }) - 1 : k - 1;
    for (; j > 0 && p > best[j - 1].prob; j--) best[j] = best[j - 1];
    best[j] = { index: i, prob: p };
  }
  // "class 9", not "9": a bare number beside a percentage reads as a score.
  return best.map(({ index, prob }) => ({ index, label: names?.[index] ?? `class ${index}`, prob }));
}

/** Profiles written by histoscan 0.1, which combined its parts before the witnesses of 0.2. */
const FIRST_VERSION = /^histoscan 0\.1\./;

/** One image as the model ran it: what a result is made of besides the profile and the options. */
export interface ImageRun {
  file: string;
  img: Pick<RgbaImage, 'width' | 'height' | 'lossy'>;
  logits: Float32Array;
  /** Its node values, in the profile's layer order. */
  values: Float32Array;
  timings: Omit<Timings, 'pvalues' | 'scan'>;
  classNames?: string[];
  provider: ImageResult['provider'];
  probabilities: ClassProbabilities;
  /** The logits are a map's means over its positions (InstrumentedModel.classMap). */
  classMap: boolean;
}

export class Scorer {
  readonly layers: LayerLayout[];
  /** Where each layer's nodes start, and how each became nodes: the profile's, so worked out once, not per result. */
  private readonly offsets: number[];
  private readonly reductions: Reduction[];
  /** The profile's scan settings, its Gaussian part fitted once here rather than per image. */
  readonly scan: ScanSettings;
  /** Names of the calibrated parts, in calibration-row order. */
  readonly partNames: string[];
  /** Why the profile's calibration cannot be used, when it cannot. */
  readonly calibrationProblem: string | undefined;
  /** What a user upgrading should know about the profile (one written by histoscan 0.1, or a table this version scores otherwise), for the CLI's notes and the page's warning. */
  readonly note: string | undefined;
  /** Where this version scores the table's own check otherwise (core/recheck.ts): the part that moved most, and how far; undefined where it agrees, or the table has no check or cannot be used. */
  readonly drift: { part: string; by: number } | undefined;
  constructor(
    readonly profile: Profile,
    readonly pvalues: PValueFn = histogramPValueFn(profile),
  ) {
    this.layers = profile.header.layers;
    this.offsets = layerOffsets(this.layers);
    this.reductions = layerReductions(profile.header);
    this.scan = scanOf(profile);
    this.partNames = partNames(this.scan, profile.header.nodes);
    const cal = profile.header.calibration;
    const by = profile.header.generator ? ` (written by ${profile.header.generator})` : '';
    const first = FIRST_VERSION.test(profile.header.generator ?? '');
    this.calibrationProblem =
      cal?.digest && cal.digest !== profileDigest(profile)
        ? 'The calibration table belongs to another profile (its histograms or scan settings differ): recalibrate with "histoscan calibrate".'
        : cal && cal.parts.join() !== this.partNames.join()
          ? `The calibration table's parts (${cal.parts.join(', ')}) are not the ones this version computes for the profile (${this.partNames.join(', ')})${by}: recalibrate with "histoscan calibrate".`
          : !cal && first
            ? `The profile has no calibration this version can use${by}: histoscan 0.1's tables cannot be ranked without counting each image against itself. Recalibrate with "histoscan calibrate".`
            : undefined;
    // Valid at its FPR all the same: the calibration ranks the parts as this version combines them.
    const drift = (this.drift = cal && !this.calibrationProblem ? checkDrift(profile, this.pvalues, this.scan) : undefined);
    this.note = cal && !this.calibrationProblem && first
      ? `this profile was written by ${profile.header.generator}; since 0.2 its parts are combined otherwise, so verdicts can differ from those 0.1 gave (they hold the FPR all the same). Build it again with this version for what it adds since.`
      : drift
        ? `this profile's calibration table was scored by ${cal!.check!.by ?? 'another version'}, and this version scores its ${drift.part} part otherwise (${driftText(drift.by)} on the table's own check): new images are ranked against scores of another kind, so the verdict may flag more or fewer than its FPR. Recalibrate with "histoscan calibrate".`
        : undefined;
    Object.freeze(this);
  }

  get calibrated(): number {
    return this.calibrationProblem ? 0 : (this.profile.header.calibration?.count ?? 0);
  }

  /** Score of one node vector and the model's logits for the image (empty: pooled histograms, no logit part). */
  score(values: Float32Array, scoring: ScoringName, logits: ArrayLike<number>) {
    return scoreImage(this.pvalues, values, this.scan, scoring, logits, this.calibrationProblem ? undefined : this.profile.header.calibration);
  }

  /** The full result of one image from its logits and node values. */
  result(image: ImageRun, opts: ScoreOptions): ImageResult {
    const { file, img, logits, values, timings, classNames, provider, probabilities, classMap } = image;
    const s = this.score(values, opts.scoring, logits);
    const calibrationCount = this.calibrated;
    const verdict = verdictOf(s.q, opts.fpr, calibrationCount, this.calibrationProblem);
    const { offsets, reductions } = this;
    const layers = this.layers.map((l, i) => ({
      name: l.name,
      shape: l.shape,
      ...axisField(l.channelAxis),
      reduction: reductions[i],
      values: values.slice(offsets[i], offsets[i] + l.nodes),
      pMin: s.ranges.pMin.slice(offsets[i], offsets[i] + l.nodes),
      pMax: s.ranges.pMax.slice(offsets[i], offsets[i] + l.nodes),
    }));
    const beyond = beyondRange(values, this.profile.lo, this.profile.hi);
    const topNodes: NodeRef[] = leastP(s.point, opts.topNodes, s.subset.length ? s.subset : undefined, beyond).map((node) => ({ node, ...locateNode(this.layers, node), value: values[node], p: s.point[node] }));
    const coding = codingNote(img.lossy, this.profile.header);
    const parts = s.parts.map((score, c) => ({ name: this.partNames[c], score, q: s.partQ[c], ...(c === s.quiet.part ? { qBelow: s.quiet.q } : {}) }));
    return {
      file,
      width: img.width,
      height: img.height,
      top: topClasses(logits, classNames, probabilities),
      ...(classMap ? { topOfMean: true as const } : {}),
      score: s.score,
      alpha: s.alpha,
      q: s.q,
      flagged: verdict.state === 'unusual',
      verdict: verdict.state,
      verdictReason: verdict.reason,
      calibrationCount,
      fpr: opts.fpr,
      scoring: opts.scoring,
      layers,
      parts,
      ...(Number.isFinite(s.jointQ) ? { jointQ: s.jointQ } : {}),
      ...(s.used === 'gauss' ? { decidedBy: 'gauss' as const } : weighsGauss(s.used) ? { decidedBy: 'hedged' as const } : {}),
      ...(coding ? { codingNote: coding } : {}),
      subset: s.subset,
      topNodes,
      provider,
      timings: { ...timings, pvalues: s.pvaluesMs, scan: s.scanMs },
    };
  }

  /** What the group scan reads of one result, written into `row` (one per node): its point p-values. A caller keeps these, 4 bytes a node, not the results. */
  groupRow(r: ImageResult, row = new Float32Array(this.profile.header.nodes)): Float32Array {
    let off = 0;
    for (const l of r.layers) {
      row.set(pointPValues({ pMin: l.pMin, pMax: l.pMax }, this.profile.header.scan.pointP), off);
      off += l.pMin.length;
    }
    return row;
  }

  /** The group scan of images' rows (groupRow), one after another in `P`. */
  groupScan(P: Float32Array, scoring: ScoringName, seed: number): GroupScanResult {
    const N = this.profile.header.nodes;
    return groupScan(P, P.length / N, N, { scoring, aMax: this.profile.header.scan.aMax, seed });
  }
}
