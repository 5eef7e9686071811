// Detection-power evaluation shared by `histoscan eval` and `npm run eval`: the same node values
// scored by every p-value method, individual-scan AUC, bytes held and time per image.
import {
  allocRanges,
  auc,
  calibratedQ,
  fisherCombine,
  bruteEmpiricalPValues,
  histogramPValues,
  individualScan,
  kdePValues,
  payloadBytes,
  pointPValues,
  silvermanBandwidths,
  sortedEmpiricalPValues,
  type Background,
  type PValueRanges,
  type Profile,
} from './core/index.ts';
import type { Detector, ImageSource, SkippedImage } from './detector.ts';
import type { PointP, Progress, ScoringName, Tail } from './types.ts';

/** Node values (row-major [rows, nodes]) and logits of a set of images. */
export interface NodeSet {
  name: string;
  rows: number;
  nodes: number;
  values: Float32Array;
  logits: Float32Array[];
  files: string[];
  skipped: SkippedImage[];
}

export async function collectNodes(
  detector: Detector,
  name: string,
  src: ImageSource,
  onProgress?: (p: Progress) => void,
  batchSize = 64,
): Promise<NodeSet> {
  const chunks: Float32Array[] = [];
  const logits: Float32Array[] = [];
  const files: string[] = [];
  const skip = new Map<number, string>();
  let done = 0;
  await detector.eachBatch(
    src,
    (nodes, loaded, l) => {
      chunks.push(nodes);
      logits.push(...l);
      files.push(...loaded.map((i) => src.name(i)));
    },
    { batchSize, skip, onBatch: (n) => onProgress?.({ done: (done += n), total: src.count, stage: name }) },
  );
  const values = new Float32Array(files.length * detector.nodes);
  let off = 0;
  for (const c of chunks) {
    values.set(c, off);
    off += c.length;
  }
  const skipped = [...skip].map(([i, error]) => ({ file: src.name(i), error }));
  return { name, rows: files.length, nodes: detector.nodes, values, logits, files, skipped };
}

/** A way to turn node values into p-value ranges, with what it holds in memory. */
export interface PValueMethod {
  name: string;
  bytes: number;
  pvalues(x: Float32Array, out: PValueRanges): void;
}

export function histogramMethod(profile: Profile, name = `histogram ${profile.header.strategy} B=${profile.header.bins}`, tail: Tail = 'upper'): PValueMethod {
  const { nodes, strategy, bins, count } = profile.header;
  return { name, bytes: payloadBytes(nodes, strategy, bins, count), pvalues: (x, out) => histogramPValues(profile, x, out, tail) };
}

/** Node-major sorted copy of a node set: what the empirical baselines hold. */
export function backgroundOf(set: NodeSet, rows = set.rows): Background {
  const n = Math.min(rows, set.rows);
  const values = new Float32Array(n * set.nodes);
  for (let r = 0; r < n; r++) for (let j = 0; j < set.nodes; j++) values[j * n + r] = set.values[r * set.nodes + j];
  for (let j = 0; j < set.nodes; j++) values.subarray(j * n, (j + 1) * n).sort();
  return { nodes: set.nodes, n, values };
}

export function empiricalMethod(bg: Background, tail: Tail = 'upper'): PValueMethod {
  return { name: 'empirical', bytes: bg.values.byteLength, pvalues: (x, out) => sortedEmpiricalPValues(bg, x, out, tail) };
}

export function bruteMethod(bg: Background, tail: Tail = 'upper'): PValueMethod {
  return { name: 'empirical brute force', bytes: bg.values.byteLength, pvalues: (x, out) => bruteEmpiricalPValues(bg, x, out, tail) };
}

export function kdeMethod(bg: Background, tail: Tail = 'upper'): PValueMethod {
  const h = silvermanBandwidths(bg);
  return { name: `KDE (n=${bg.n})`, bytes: bg.values.byteLength + h.byteLength, pvalues: (x, out) => kdePValues(bg, h, x, out, tail) };
}

export interface ScoredSet {
  scores: Record<ScoringName, number[]>;
  pvalueMsPerImage: number;
  scanMsPerImage: number;
  /** Point p-values row-major [rows, nodes], kept when asked (group scans). */
  points?: Float32Array;
}

/** Scan scores of every image of a set under one p-value method; `limit` caps the images. */
export function scoreSet(
  method: PValueMethod,
  set: NodeSet,
  opts: { pointP: PointP; aMax: number; scorings?: ScoringName[]; limit?: number; keepPoints?: boolean; nodeRange?: [number, number] },
): ScoredSet {
  const scorings = opts.scorings ?? ['bj', 'hc', 'ks'];
  const rows = Math.min(set.rows, opts.limit ?? Infinity);
  const N = set.nodes;
  const out = allocRanges(N);
  const scores = { bj: [], hc: [], ks: [] } as Record<ScoringName, number[]>;
  const points = opts.keepPoints ? new Float32Array(rows * N) : undefined;
  let pMs = 0;
  let sMs = 0;
  const [from, to] = opts.nodeRange ?? [0, N];
  for (let r = 0; r < rows; r++) {
    const t0 = performance.now();
    method.pvalues(set.values.subarray(r * N, (r + 1) * N), out);
    const point = pointPValues(out, opts.pointP).subarray(from, to);
    const t1 = performance.now();
    for (const s of scorings) scores[s].push(individualScan(point, { scoring: s, aMax: opts.aMax }).score);
    sMs += (performance.now() - t1) / scorings.length;
    pMs += t1 - t0;
    points?.set(pointPValues(out, opts.pointP), r * N);
  }
  return { scores, pvalueMsPerImage: pMs / rows, scanMsPerImage: sMs / rows, points };
}

export interface EvalRow {
  method: string;
  set: string;
  scoring: ScoringName;
  auc: number;
  bytes: number;
  pvalueMsPerImage: number;
  scanMsPerImage: number;
}

/** Something that turns a node set into scan scores: one p-value method, or two tails combined. */
export interface Scorer {
  name: string;
  bytes: number;
  score(set: NodeSet, scorings: ScoringName[], limit?: number): ScoredSet;
}

export function scanScorer(m: PValueMethod, opts: { pointP: PointP; aMax: number }): Scorer {
  return { name: m.name, bytes: m.bytes, score: (set, scorings, limit) => scoreSet(m, set, { ...opts, scorings, limit }) };
}

/**
 * Several scans of each image (parts: a tail, or a range of nodes such as one layer), each
 * calibrated on held-out clean images, combined with Fisher's method.
 */
export function fisherScorer(
  name: string,
  parts: { method: PValueMethod; nodeRange?: [number, number] }[],
  calibration: NodeSet,
  opts: { pointP: PointP; aMax: number },
): Scorer {
  const tables = new Map<ScoringName, number[][]>();
  const run = (set: NodeSet, scorings: ScoringName[], limit?: number) =>
    parts.map((p) => scoreSet(p.method, set, { ...opts, scorings, limit, nodeRange: p.nodeRange }));
  return {
    name,
    bytes: parts[0].method.bytes,
    score(set, scorings, limit) {
      const missing = scorings.filter((s) => !tables.has(s));
      if (missing.length) {
        const cal = run(calibration, missing);
        for (const s of missing) tables.set(s, cal.map((c) => [...c.scores[s]].sort((a, b) => a - b)));
      }
      const scanned = run(set, scorings, limit);
      const scores = { bj: [], hc: [], ks: [] } as Record<ScoringName, number[]>;
      for (const s of scorings) {
        const t = tables.get(s)!;
        scores[s] = scanned[0].scores[s].map((_, i) => fisherCombine(scanned.map((r, k) => calibratedQ(r.scores[s][i], t[k]))));
      }
      const sum = (f: (r: ScoredSet) => number) => scanned.reduce((a, r) => a + f(r), 0);
      return { scores, pvalueMsPerImage: sum((r) => r.pvalueMsPerImage), scanMsPerImage: sum((r) => r.scanMsPerImage) };
    },
  };
}

/** The scan tail 'both' of the detector: an upper-tail and a lower-tail scan, calibrated and combined. */
export function bothTailsScorer(name: string, methodFor: (t: Tail) => PValueMethod, calibration: NodeSet, opts: { pointP: PointP; aMax: number }): Scorer {
  return fisherScorer(name, [{ method: methodFor('upper') }, { method: methodFor('lower') }], calibration, opts);
}

/** AUC of clean (0) vs each anomalous set (1), per scorer and scoring function. */
export function evaluateMethods(
  scorers: Scorer[],
  clean: NodeSet,
  anomalous: NodeSet[],
  opts: { scorings?: ScoringName[]; limit?: (m: Scorer) => number | undefined; onProgress?: (p: Progress) => void },
): EvalRow[] {
  const rows: EvalRow[] = [];
  const scorings = opts.scorings ?? ['bj'];
  let done = 0;
  const total = scorers.length * (1 + anomalous.length);
  for (const m of scorers) {
    const limit = opts.limit?.(m);
    const base = m.score(clean, scorings, limit);
    opts.onProgress?.({ done: ++done, total, stage: `${m.name}: clean` });
    for (const set of anomalous) {
      const s = m.score(set, scorings, limit);
      for (const scoring of scorings) {
        rows.push({
          method: m.name,
          set: set.name,
          scoring,
          auc: auc(base.scores[scoring], s.scores[scoring]),
          bytes: m.bytes,
          pvalueMsPerImage: (base.pvalueMsPerImage + s.pvalueMsPerImage) / 2,
          scanMsPerImage: (base.scanMsPerImage + s.scanMsPerImage) / 2,
        });
      }
      opts.onProgress?.({ done: ++done, total, stage: `${m.name}: ${set.name}` });
    }
  }
  return rows;
}
