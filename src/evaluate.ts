// Detection-power evaluation shared by `histoscan eval` and `npm run eval`: the same node values
// scored by every p-value method, individual-scan AUC, bytes held and time per image.
import {
  allocRanges,
  auc,
  CalibrationCollector,
  combine,
  combinedOf,
  witnessesOf,
  type Witnesses,
  type WitnessFields,
  histogramPValueFn,
  individualScan,
  kdePValues,
  extraParts,
  partNames,
  partsOf,
  quietScan,
  payloadBytes,
  pointPValues,
  scanParts,
  silvermanBandwidths,
  sortedEmpiricalPValues,
  type Background,
  type Profile,
  type PValueFn,
  type ScanSettings,
} from './core/index.ts';
import { classOf, rowOf, type NodeSet } from './node-sets.ts';
import type { Peer } from './peers/index.ts';
import type { CalibrationTable, Progress, ScoringName, Tail } from './types.ts';

/** A way to turn node values into p-value ranges, with what it holds in memory. */
export interface PValueMethod {
  name: string;
  bytes: number;
  pvalues: PValueFn;
}

export function histogramMethod(profile: Profile, name = `histogram ${profile.header.strategy} B=${profile.header.bins}`): PValueMethod {
  const { nodes, strategy, bins, count } = profile.header;
  return { name, bytes: payloadBytes(nodes, strategy, bins, count, profile.header.classes, profile.header.gauss), pvalues: histogramPValueFn(profile) };
}

export function empiricalMethod(bg: Background): PValueMethod {
  return { name: 'empirical', bytes: bg.values.byteLength, pvalues: (x, outs, _cls, from, to) => outs.forEach((o) => sortedEmpiricalPValues(bg, x, o.out, o.tail, from, to)) };
}

export function kdeMethod(bg: Background): PValueMethod {
  const h = silvermanBandwidths(bg);
  return { name: `KDE (n=${bg.n})`, bytes: bg.values.byteLength + h.byteLength, pvalues: (x, outs, _cls, from, to) => outs.forEach((o) => kdePValues(bg, h, x, o.out, o.tail, from, to)) };
}

const perScoring = <T>(make: () => T) => ({ bj: make(), hc: make(), ks: make() }) as Record<ScoringName, T>;

export interface ScoredSet {
  scores: Record<ScoringName, number[]>;
  /** Calibrated q per image (NaN without calibration). */
  q: Record<ScoringName, number[]>;
  pvalueMsPerImage: number;
  scanMsPerImage: number;
  /** Point p-values row-major [rows, nodes], kept when asked (group scans). */
  points?: Float32Array;
  /**
   * The product's calibrated parts, each scored alone (first scoring): names, per part a score per
   * image, the calibration table they are ranked against (row-major [images, parts]), and the
   * classes the model predicts for the images and, where the calibration is images, for those.
   */
  parts?: { names: string[]; scores: number[][]; calibration?: number[]; quiet: number; classes: number[]; calibrationClasses?: number[]; witnesses?: Witnesses };
}

/** Raw scan scores of one tail over a node range (ablations: a layer alone, a tail alone). */
export function scoreSet(
  method: PValueMethod,
  set: NodeSet,
  opts: ScanSettings & { tail: Tail; scorings: ScoringName[]; limit?: number; keepPoints?: boolean; nodeRange?: [number, number] },
): ScoredSet {
  const rows = Math.min(set.rows, opts.limit ?? Infinity);
  const N = set.nodes;
  const out = allocRanges(N);
  const scores = perScoring<number[]>(() => []);
  const points = opts.keepPoints ? new Float32Array(rows * N) : undefined;
  let pMs = 0;
  let sMs = 0;
  const [from, to] = opts.nodeRange ?? [0, N];
  for (let r = 0; r < rows; r++) {
    const t0 = performance.now();
    method.pvalues(rowOf(set, r), [{ tail: opts.tail, out }], classOf(set, r), 0, N);
    const all = pointPValues(out, opts.pointP);
    const t1 = performance.now();
    for (const s of opts.scorings) scores[s].push(individualScan(all.subarray(from, to), { scoring: s, aMax: opts.aMax }).score);
    sMs += (performance.now() - t1) / opts.scorings.length;
    pMs += t1 - t0;
    points?.set(all, r * N);
  }
  return { scores, q: perScoring(() => []), pvalueMsPerImage: pMs / rows, scanMsPerImage: sMs / rows, points };
}

export interface EvalRow {
  method: string;
  /** The calibrated part scored alone in this row (evaluateMethods' `parts`). */
  part?: string;
  set: string;
  scoring: ScoringName;
  auc: number;
  bytes: number;
  pvalueMsPerImage: number;
  scanMsPerImage: number;
  /** The images' scores, clean and anomalous in row order (whole scorers, first scoring): paired comparisons. */
  scores?: { clean: number[]; anomalous: number[] };
  /** Their calibrated q, where the scorer calibrates (histoscan's methods with a calibration set): the verdict's rates. */
  q?: { clean: number[]; anomalous: number[] };
}

/** Something that turns a node set into scan scores and calibrated q. */
export interface Scorer {
  name: string;
  bytes: number;
  score(set: NodeSet, scorings: ScoringName[], limit?: number): ScoredSet;
}

/**
 * The product's scoring on any p-value method: core's scanParts and combine, calibrated on the
 * calibration set with core's CalibrationCollector, exactly as the CLI and the worker score.
 */
export function productScorer(method: PValueMethod, scan: ScanSettings, calibration: NodeSet | CalibrationTable | null, name = method.name, choice: WitnessFields | undefined = calibration && 'parts' in calibration ? calibration : undefined): Scorer {
  const tables = new Map<ScoringName, number[]>();
  if (calibration && 'parts' in calibration) for (const [s, t] of Object.entries(calibration.scores)) tables.set(s as ScoringName, t);
  const calibrationClasses = calibration && 'rows' in calibration ? Array.from({ length: calibration.rows }, (_, r) => classOf(calibration, r)) : undefined;
  return {
    name,
    bytes: method.bytes,
    score(set, scorings, limit) {
      const missing = scorings.filter((s) => !tables.has(s));
      if (calibration && 'rows' in calibration && missing.length) {
        const c = new CalibrationCollector(method.pvalues, scan, missing);
        for (let r = 0; r < calibration.rows; r++) c.add(rowOf(calibration, r), calibration.logits[r]);
        const t = c.finish(calibration.nodes);
        for (const s of missing) tables.set(s, t.scores[s]!);
      }
      const rows = Math.min(set.rows, limit ?? Infinity);
      const scores = perScoring<number[]>(() => []);
      const q = perScoring<number[]>(() => []);
      let pMs = 0;
      let sMs = 0;
      const names = partNames(scan, set.nodes);
      const quiet = quietScan(partsOf(scan, set.nodes));
      const parts = names.map((): number[] => []);
      for (let r = 0; r < rows; r++) {
        const p = scanParts(method.pvalues, rowOf(set, r), scan, scorings, classOf(set, r));
        const extra = extraParts(scan, rowOf(set, r), set.logits[r]);
        for (const s of scorings) {
          const scanScores = p.scans[s]!.map((x) => x.score);
          const all = [...scanScores, ...extra];
          const c = combinedOf(scan, scanScores, all, tables.get(s), quiet, witnessesOf(choice, s));
          scores[s].push(c.score);
          q[s].push(c.q);
          if (s === scorings[0]) all.forEach((v, k) => parts[k].push(v));
        }
        pMs += p.pvaluesMs;
        sMs += p.scanMs / scorings.length;
      }
      const classes = Array.from({ length: rows }, (_, r) => classOf(set, r));
      return { scores, q, pvalueMsPerImage: pMs / rows, scanMsPerImage: sMs / rows, parts: { names, scores: parts, calibration: tables.get(scorings[0]), quiet, classes, calibrationClasses, witnesses: witnessesOf(choice, scorings[0]) } };
    },
  };
}

/**
 * Several raw scans of each image (parts: a tail over a range of nodes, such as one layer), each
 * calibrated on held-out clean images and combined by core's combine (Fisher, full conformal q).
 */
export function fisherScorer(
  name: string,
  parts: { method: PValueMethod; tail: Tail; nodeRange?: [number, number] }[],
  calibration: NodeSet,
  scan: Omit<ScanSettings, 'tail'>,
): Scorer {
  const tables = new Map<ScoringName, number[]>();
  const run = (set: NodeSet, scorings: ScoringName[], limit?: number) =>
    parts.map((p) => scoreSet(p.method, set, { ...scan, tail: p.tail, scorings, limit, nodeRange: p.nodeRange }));
  const interleave = (per: ScoredSet[], s: ScoringName) => per[0].scores[s].flatMap((_, i) => per.map((r) => r.scores[s][i]));
  return {
    name,
    bytes: parts[0].method.bytes,
    score(set, scorings, limit) {
      const missing = scorings.filter((s) => !tables.has(s));
      if (missing.length) {
        const cal = run(calibration, missing);
        for (const s of missing) tables.set(s, interleave(cal, s));
      }
      const scanned = run(set, scorings, limit);
      const scores = perScoring<number[]>(() => []);
      const q = perScoring<number[]>(() => []);
      for (const s of scorings) {
        for (let i = 0; i < scanned[0].scores[s].length; i++) {
          const c = combine(scanned.map((r) => r.scores[s][i]), tables.get(s));
          scores[s].push(c.score);
          q[s].push(c.q);
        }
      }
      const sum = (f: (r: ScoredSet) => number) => scanned.reduce((a, r) => a + f(r), 0);
      return { scores, q, pvalueMsPerImage: sum((r) => r.pvalueMsPerImage), scanMsPerImage: sum((r) => r.scanMsPerImage) };
    },
  };
}

/**
 * A peer (Mahalanobis, k-NN, MSP, energy) as a Scorer, so it lands in the same table: one score per
 * image whatever the scan scoring, no calibrated q and no p-values (pvalueMsPerImage is NaN).
 */
export function peerScorer(peer: Peer): Scorer {
  return {
    name: peer.name,
    bytes: peer.bytes,
    score(set, scorings, limit) {
      const rows = Math.min(set.rows, limit ?? Infinity);
      const part = rows < set.rows ? { ...set, rows, values: set.values.subarray(0, rows * set.nodes), logits: set.logits.slice(0, rows) } : set;
      const t0 = performance.now();
      const s = peer.score(part);
      const ms = (performance.now() - t0) / Math.max(1, rows);
      const scores = perScoring<number[]>(() => []);
      const q = perScoring<number[]>(() => []);
      for (const sc of scorings) {
        scores[sc] = s;
        q[sc] = s.map(() => NaN);
      }
      return { scores, q, pvalueMsPerImage: NaN, scanMsPerImage: ms };
    },
  };
}

/** AUC of clean (0) vs each anomalous set (1), per scorer and scoring function. */
export function evaluateMethods(
  scorers: Scorer[],
  clean: NodeSet,
  anomalous: NodeSet[],
  opts: { scorings: ScoringName[]; limit?: (m: Scorer) => number | undefined; onProgress?: (p: Progress) => void; parts?: boolean; onScored?: (method: string, set: NodeSet, scored: ScoredSet) => void },
): EvalRow[] {
  const rows: EvalRow[] = [];
  let done = 0;
  const total = scorers.length * (1 + anomalous.length);
  for (const m of scorers) {
    const limit = opts.limit?.(m);
    const base = m.score(clean, opts.scorings, limit);
    opts.onScored?.(m.name, clean, base);
    opts.onProgress?.({ done: ++done, total, stage: `${m.name}: clean` });
    for (const set of anomalous) {
      const s = m.score(set, opts.scorings, limit);
      opts.onScored?.(m.name, set, s);
      for (const scoring of opts.scorings) {
        rows.push({
          method: m.name,
          set: set.name,
          scoring,
          auc: auc(base.scores[scoring], s.scores[scoring]),
          bytes: m.bytes,
          pvalueMsPerImage: (base.pvalueMsPerImage + s.pvalueMsPerImage) / 2,
          scanMsPerImage: (base.scanMsPerImage + s.scanMsPerImage) / 2,
          scores: scoring === opts.scorings[0] ? { clean: base.scores[scoring], anomalous: s.scores[scoring] } : undefined,
          q: scoring === opts.scorings[0] && base.q[scoring].some(Number.isFinite) ? { clean: base.q[scoring], anomalous: s.q[scoring] } : undefined,
        });
      }
      // Each calibrated part alone (its raw score; AUC needs only its order): which evidence carries the set.
      if (opts.parts && base.parts && s.parts) {
        const alone = (name: string, clean: number[], other: number[]) =>
          rows.push({ method: `${m.name} · ${name} alone`, part: name, set: set.name, scoring: opts.scorings[0], auc: auc(clean, other), bytes: m.bytes, pvalueMsPerImage: NaN, scanMsPerImage: NaN });
        base.parts.names.forEach((name, k) => alone(name, base.parts!.scores[k], s.parts!.scores[k]));
        const q = base.parts.quiet;
        if (q >= 0) alone('quiet', base.parts.scores[q].map((v) => -v), s.parts.scores[q].map((v) => -v));
      }
      opts.onProgress?.({ done: ++done, total, stage: `${m.name}: ${set.name}` });
    }
  }
  return rows;
}
