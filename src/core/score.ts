// The one place the statistics of a score are written: from node values to p-value ranges (any
// method), per-part subset scans, and (with witnesses.ts and combine.ts) their combination and calibrated q; and
// from calibration images to the calibration table. The worker, the CLI, the in-browser build and
// eval/ call these.
import type { CalibrationTable, ClassBlocks, LayerLayout, ScanHeader, ScoringName, Tail } from '../types.ts';
import { calibrationAtLeast, calibrationAtMost } from './combine.ts';
import { combinedOf, witnessesOf, type Witnesses } from './witnesses.ts';
import { energy } from './energy.ts';
import { fitGauss, gaussFeaturizer, type GaussFit } from './gauss.ts';
import { ActivationError } from './errors.ts';
import { locateNode } from './layout.ts';
import type { Profile } from './bins.ts';
import { histogramTails, pointPValues, type PValueRanges, type TailOut } from './pvalues.ts';
import { scratch } from './scratch.ts';
import { individualScan, SCORINGS, subsetAt, type IndividualScan } from './scan.ts';

/**
 * A p-value method: histogram profile, sorted or brute-force empirical, KDE. It writes the ranges
 * of one or two tails (`outs`) for the nodes [from, to) only. `cls` is the model's predicted
 * class, for methods with class-conditional backgrounds (-1: pooled).
 */
export type PValueFn = (x: Float32Array, outs: readonly TailOut[], cls: number, from: number, to: number) => void;

/** A profile's histograms as a p-value method. */
export const histogramPValueFn =
  (p: Profile): PValueFn =>
  (x, outs, cls, from, to) =>
    histogramTails(p, x, outs, cls, from, to);

export interface ScanSettings extends ScanHeader {
  /** Nodes [from, to) scored against class-conditional histograms, when the profile has them. */
  classes?: Pick<ClassBlocks, 'from' | 'to'>;
  /** The Gaussian part, fitted from the profile's statistics, and one image's features for it. */
  gauss?: { fit: GaussFit; features: (x: Float32Array) => Float64Array };
  /** Every calibrated part its own witness, the scans not grouped (core/witnesses.ts combineParts): for eval/'s comparison. */
  flat?: boolean;
}

/**
 * The scans whose scores are calibrated separately and then combined: one per tail scanned
 * ('both' = an upper-tail scan for nodes unusually active and a lower-tail one for nodes unusually
 * silent) and per group of nodes (see ScanHeader.conditional). Each part scans nodes [from, to)
 * of one p-value vector: class-conditional where the profile has classes (`byClass`), else pooled.
 */
export interface Part {
  name: string;
  tail: Tail;
  from: number;
  to: number;
  byClass: boolean;
}

export function partsOf(scan: ScanSettings, nodes: number): Part[] {
  const tails: Tail[] = scan.tail === 'both' ? ['upper', 'lower'] : [scan.tail];
  const c = scan.classes;
  const how = c ? (scan.conditional ?? 'mixed') : 'none';
  const groups: [string, number, number, boolean][] = [];
  if (how === 'split') {
    groups.push(['class', c!.from, c!.to, true]);
    if (c!.from > 0) groups.push(['pooled<', 0, c!.from, false]);
    if (c!.to < nodes) groups.push(['pooled>', c!.to, nodes, false]);
  } else groups.push(['', 0, nodes, how === 'mixed']);
  if (how === 'added') groups.push(['class', c!.from, c!.to, true]);
  return tails.flatMap((tail) => groups.map(([g, from, to, byClass]) => ({ name: g ? `${tail}:${g}` : tail, tail, from, to, byClass })));
}

/**
 * Which of the scans (partsOf) is also ranked from below (core/witnesses.ts combineParts' quiet look):
 * the pooled upper-tail scan where there is one, else -1.
 */
export const quietScan = (parts: readonly Pick<Part, 'name'>[]): number => parts.findIndex((p) => p.name === 'upper');

/**
 * Scores of the parts that are not scans, in calibration-row order: the logit part (the model's
 * energy, ScanHeader.logits) and the Gaussian part (Mahalanobis distance, core/gauss.ts).
 */
export function extraParts(scan: ScanSettings, x: Float32Array, logits: ArrayLike<number>): number[] {
  const out: number[] = [];
  if (scan.logits === 'energy') out.push(energy(logits));
  if (scan.gauss) out.push(scan.gauss.fit.score(scan.gauss.features(x)));
  return out;
}

/** Names of every calibrated part, in the order of a calibration row: the scans', then the others. */
export function partNames(scan: ScanSettings, nodes: number): string[] {
  return [...partsOf(scan, nodes).map((p) => p.name), ...(scan.logits ? [scan.logits] : []), ...(scan.gauss ? ['gauss'] : [])];
}

/**
 * The scan settings a profile scores with: its header's, its class-conditional nodes, and its
 * Gaussian part fitted (O(d³): call it once per profile and keep the result, as Scorer does).
 */
export function scanOf(p: Profile): ScanSettings {
  const s: ScanSettings = p.header.classes ? { ...p.header.scan, classes: p.header.classes } : { ...p.header.scan };
  if (p.header.gauss) s.gauss = { fit: fitGauss(p.header.gauss), features: gaussFeaturizer(p.header.layers, p.header.gauss) };
  return s;
}

/** The model's predicted class: the index of the largest logit. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** A value the model should never produce stops the image here, with the node named. */
export function checkFinite(x: Float32Array, layers?: LayerLayout[]): void {
  for (let j = 0; j < x.length; j++) {
    // v - v is 0 for finite v and NaN for NaN and ±Infinity: one cheap test per node.
    if (x[j] - x[j] !== 0) {
      const at = layers ? locateNode(layers, j) : { layer: 'nodes', index: j };
      throw new ActivationError(at.layer, at.index, x[j]);
    }
  }
}

/** Ranges and point p-values per tail scanned (upper first), over all nodes (valid on [from, to) only). */
export interface TailVectors {
  ranges: PValueRanges[];
  points: Float32Array[];
  from: number;
  to: number;
}

export interface PartScans {
  parts: Part[];
  /** Against the pooled histograms. */
  pooled: TailVectors;
  /** Against the predicted class's, where a part is class-conditional and the class has them; pooled outside the class's nodes. */
  classed?: TailVectors;
  /** Each part's point p-values (its nodes, by their index from part.from). */
  partPoints: Float32Array[];
  /** Per scoring function, one scan per part. */
  scans: Partial<Record<ScoringName, IndividualScan[]>>;
  pvaluesMs: number;
  scanMs: number;
}

/**
 * p-value ranges and point p-values per tail, and the individual scan of every part of one image;
 * `cls` is the predicted class (-1: pooled only). The vectors are working buffers
 * (core/scratch.ts), valid until the next call: copy what is kept (shownOf).
 */
export function scanParts(pv: PValueFn, x: Float32Array, scan: ScanSettings, scorings: readonly ScoringName[], cls: number): PartScans {
  const t0 = performance.now();
  const parts = partsOf(scan, x.length);
  const n = x.length;
  const tails = [...new Set(parts.map((p) => p.tail))];
  const vectors = (key: string, from: number, to: number): TailVectors => {
    const ranges = tails.map((tail) => ({ pMin: scratch(`${key}:${tail}:min`, n), pMax: scratch(`${key}:${tail}:max`, n) }));
    return { ranges, points: tails.map((tail) => scratch(`${key}:${tail}:point`, n)), from, to };
  };
  const points = (v: TailVectors) =>
    v.ranges.forEach((r, i) => pointPValues({ pMin: r.pMin.subarray(v.from, v.to), pMax: r.pMax.subarray(v.from, v.to) }, scan.pointP, v.points[i].subarray(v.from, v.to)));
  // Pooled ranges of every tail in one sweep.
  const pooled = vectors('pooled', 0, n);
  pv(x, pooled.ranges.map((out, i) => ({ tail: tails[i], out })), -1, 0, n);
  points(pooled);
  // The class changes only its nodes; a part that also reads others ('mixed') gets pooled copies of them.
  const byClass = parts.filter((p) => p.byClass);
  const c = scan.classes && cls >= 0 && byClass.length ? scan.classes : undefined;
  let classed: TailVectors | undefined;
  if (c) {
    classed = vectors('class', Math.min(c.from, ...byClass.map((p) => p.from)), Math.max(c.to, ...byClass.map((p) => p.to)));
    for (const [i, r] of classed.ranges.entries()) {
      for (const [from, to] of [[classed.from, c.from], [c.to, classed.to]]) {
        r.pMin.set(pooled.ranges[i].pMin.subarray(from, to), from);
        r.pMax.set(pooled.ranges[i].pMax.subarray(from, to), from);
      }
    }
    pv(x, classed.ranges.map((out, i) => ({ tail: tails[i], out })), cls, c.from, c.to);
    points(classed);
  }
  const t1 = performance.now();
  const partPoints = parts.map((p) => ((p.byClass && classed) || pooled).points[tails.indexOf(p.tail)].subarray(p.from, p.to));
  const scans: PartScans['scans'] = {};
  for (const s of scorings) scans[s] = partPoints.map((pts) => individualScan(pts, { scoring: s, aMax: scan.aMax }));
  return { parts, pooled, ...(c && classed ? { classed: { ...classed, from: c.from, to: c.to } } : {}), partPoints, scans, pvaluesMs: t1 - t0, scanMs: performance.now() - t1 };
}

/**
 * What users are shown, over all nodes: the one tail's ranges and points, or the two-sided view of an
 * upper and a lower tail (twice the smaller, capped at 1); class-conditional on the class's nodes
 * where the image has them. Working buffers like scanParts' (a result copies what it keeps per layer:
 * fresh arrays here cost Chromium a page fault per 4 kB, every image).
 */
export function shownOf(s: Pick<PartScans, 'pooled' | 'classed'>): { ranges: PValueRanges; point: Float32Array } {
  const n = s.pooled.points[0].length;
  const ranges = { pMin: scratch('shown:min', n), pMax: scratch('shown:max', n) };
  const point = scratch('shown:point', n);
  for (const v of s.classed ? [s.pooled, s.classed] : [s.pooled]) {
    const { from, to } = v;
    if (v.ranges.length === 1) {
      ranges.pMin.set(v.ranges[0].pMin.subarray(from, to), from);
      ranges.pMax.set(v.ranges[0].pMax.subarray(from, to), from);
      point.set(v.points[0].subarray(from, to), from);
      continue;
    }
    const [up, low] = v.ranges;
    const [pu, pl] = v.points;
    for (let j = from; j < to; j++) {
      ranges.pMin[j] = Math.min(1, 2 * Math.min(up.pMin[j], low.pMin[j]));
      ranges.pMax[j] = Math.min(1, 2 * Math.min(up.pMax[j], low.pMax[j]));
      point[j] = Math.min(1, 2 * Math.min(pu[j], pl[j]));
    }
  }
  return { ranges, point };
}

export interface ImageScore {
  score: number;
  /** Calibrated q (NaN without calibration for this scoring). */
  q: number;
  /** The witnesses score and q come from (combinedOf): the Gaussian part's alone, every witness's, or both weighed. */
  used: Witnesses;
  /** Threshold and subset of the part whose scan is most anomalous. */
  alpha: number;
  subset: Uint32Array;
  /** Score of each calibrated part: the scans', then the others' (extraParts). */
  parts: number[];
  /** Each part's own q, (#{calibration scores >= its score} + 1) / (m + 1); NaN without calibration. */
  partQ: number[];
  /** The quiet look (quietScan): which part it ranks from below (-1: none) and its q, (#{calibration scores <= the part's} + 1) / (m + 1). */
  quiet: { part: number; q: number };
  /** The joint look's q (core/joint.ts jointLook: how unusual the parts are together); NaN where it took no part. */
  jointQ: number;
  /** p-value ranges and point p-values shown to users: the part's own, or two-sided for several tails (working buffers, valid until the next image: copy what is kept). */
  ranges: PValueRanges;
  point: Float32Array;
  pvaluesMs: number;
  scanMs: number;
}

/**
 * The whole score of one image: the function every caller shares. `logits` are the model's
 * outputs for it: the predicted class picks class-conditional histograms, and they give the logit part.
 */
export function scoreImage(pv: PValueFn, x: Float32Array, scan: ScanSettings, scoring: ScoringName, logits: ArrayLike<number>, calibration?: CalibrationTable): ImageScore {
  checkFinite(x);
  const s = scanParts(pv, x, scan, [scoring], logits.length ? argmax(logits) : -1);
  const scans = s.scans[scoring]!;
  const scanScores = scans.map((r) => r.score);
  const t0 = performance.now();
  const parts = [...scanScores, ...extraParts(scan, x, logits)];
  const rows = calibration?.scores[scoring];
  const quiet = quietScan(s.parts);
  const { score, q, used, jointQ = NaN } = combinedOf(scan, scanScores, parts, rows, quiet, witnessesOf(calibration, scoring));
  const m = Number.isFinite(q) ? rows!.length / parts.length : 0;
  const partQ = parts.map((v, c) => (m ? (calibrationAtLeast(rows!, parts.length, c, v) + 1) / (m + 1) : NaN));
  const quietQ = m && quiet >= 0 ? (calibrationAtMost(rows!, parts.length, quiet, parts[quiet]) + 1) / (m + 1) : NaN;
  // The most anomalous scan: the smallest own q when calibrated, else the largest scan score.
  const evidence = (c: number) => (m ? -partQ[c] : parts[c]);
  let best = 0;
  for (let c = 1; c < scans.length; c++) if (evidence(c) > evidence(best)) best = c;
  // scanMs: the scans, the other parts (energy, Gaussian) and their combination.
  const scanMs = s.scanMs + performance.now() - t0;
  const shown = shownOf(s);
  const subset = subsetAt(s.partPoints[best], scans[best], s.parts[best].from);
  return { score, q, used, alpha: scans[best].alpha, subset, parts, partQ, quiet: { part: quiet, q: quietQ }, jointQ, ...shown, pvaluesMs: s.pvaluesMs, scanMs };
}

/** Collects the part scores of clean calibration images, then makes the calibration table. */
export class CalibrationCollector {
  private readonly rows: Record<ScoringName, number[]> = { bj: [], hc: [], ks: [] };
  count = 0;
  constructor(
    private readonly pv: PValueFn,
    private readonly scan: ScanSettings,
    private readonly scorings: readonly ScoringName[] = SCORINGS,
  ) {}

  /** One clean image: its node values and the model's logits for it. */
  add(x: Float32Array, logits: ArrayLike<number>): void {
    checkFinite(x);
    const s = scanParts(this.pv, x, this.scan, this.scorings, logits.length ? argmax(logits) : -1);
    const extra = extraParts(this.scan, x, logits);
    for (const f of this.scorings) this.rows[f].push(...s.scans[f]!.map((r) => r.score), ...extra);
    this.count++;
  }

  finish(nodes: number, digest?: string): CalibrationTable {
    const scores: CalibrationTable['scores'] = {};
    for (const f of this.scorings) scores[f] = this.rows[f];
    return { count: this.count, parts: partNames(this.scan, nodes), scores, ...(digest ? { digest } : {}) };
  }
}
