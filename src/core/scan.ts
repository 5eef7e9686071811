import type { GroupScanResult, ScoringName } from '../types.ts';
import { rng } from './rng.ts';
import { scratch } from './scratch.ts';

/**
 * Non-parametric scan statistics F(N_a, N, a): N nodes in the subset, N_a of them with p <= a.
 * Each is 0 unless N_a > N a (more small p-values than chance gives).
 */
export type ScoreFn = (nA: number, n: number, a: number) => number;

function kl(q: number, a: number): number {
  if (q >= 1) return Math.log(1 / a);
  if (q <= 0) return Math.log(1 / (1 - a));
  return q * Math.log(q / a) + (1 - q) * Math.log((1 - q) / (1 - a));
}

export const scoring: Record<ScoringName, ScoreFn> = {
  bj: (nA, n, a) => (n > 0 && nA > n * a ? n * kl(nA / n, a) : 0),
  hc: (nA, n, a) => (n > 0 && nA > n * a ? (nA - n * a) / Math.sqrt(n * a * (1 - a)) : 0),
  ks: (nA, n, a) => (n > 0 && nA > n * a ? (nA - n * a) / Math.sqrt(n) : 0),
};

/** The scoring functions' names, in one place for flags, calibration tables and profile checks. */
export const SCORINGS = Object.keys(scoring) as ScoringName[];

export interface ScanOptions {
  scoring: ScoringName;
  aMax: number;
}

/**
 * Ascending sort of non-negative float32 values in O(N): their IEEE bit patterns order like the
 * unsigned integers, so three 11-bit LSD radix passes sort them (several times faster than
 * Float32Array.prototype.sort on the 10k-100k p-values of one image). Sorts in place or in `tmp`
 * (at least as long): the result is a view on one of the two.
 */
export function radixSortPositive(values: Float32Array, tmp: Float32Array = new Float32Array(values.length)): Float32Array {
  const n = values.length;
  let src: Uint32Array = new Uint32Array(values.buffer, values.byteOffset, n);
  let dst: Uint32Array = new Uint32Array(tmp.buffer, tmp.byteOffset, n);
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 33; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) dst[count[(src[i] >>> shift) & 2047]++] = src[i];
    [src, dst] = [dst, src];
  }
  return new Float32Array(src.buffer, src.byteOffset, n);
}

export interface IndividualScan {
  score: number;
  alpha: number;
}

/** p-values are bucketed by the top 16 bits of their float32 pattern: sign, exponent, 7 mantissa bits (buckets 2^-7 wide, relatively). */
const KEY_SHIFT = 16;
const KEYS = 1 << 16;
const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
const keyOf = (v: number) => {
  asFloat[0] = v;
  return bits[0] >>> KEY_SHIFT;
};
/** The smallest float32 in bucket k. */
function bucketFloor(k: number): number {
  bits[0] = k << KEY_SHIFT;
  return asFloat[0];
}

/**
 * Individual scan of one image over its (non-negative) p-values. By the linear-time subset
 * scanning property the best subset for a threshold a is a prefix of the nodes sorted by p; for
 * these scoring functions that prefix is exactly {j : p_j <= a} (adding a node with p > a only
 * lowers the score), so the scan is max over distinct p = a <= a_max of F(c(a), c(a), a), c(a) =
 * #{p <= a}, and its subset is subsetAt(p, alpha). F(c, c, a) grows with c and falls with a for
 * every scoring here, so one counting pass over narrow buckets of p bounds each bucket's best from
 * above (its cumulative count at its floor) and the scan's from below (the same count at the next
 * bucket's floor); only the few buckets whose bound reaches the scan's are sorted and evaluated
 * exactly. O(N), the same result as sorting every p-value.
 */
export function individualScan(p: Float32Array, opts: ScanOptions): IndividualScan {
  const f = scoring[opts.scoring];
  const aMax = opts.aMax;
  // Tables over every 16-bit key, so that no pass over the nodes branches on p <= a_max (half of
  // them pass it, at random: clamping the key cost 3x the pass). Bucket K holds a_max and maybe
  // larger values; buckets above K are never opened.
  const K = keyOf(aMax);
  const key = new Uint32Array(p.buffer, p.byteOffset, p.length);
  // count[k]: values in bucket k; then, in place, how many lie in buckets below k (k <= K: others are never read).
  const count = u32(scratch('scan:count', KEYS), KEYS);
  count.fill(0, 0, K + 1);
  for (let j = 0; j < p.length; j++) count[key[j] >>> KEY_SHIFT]++;
  let reached = 0;
  let below = 0;
  for (let k = 0; k <= K; k++) {
    const c = count[k];
    count[k] = below;
    below += c;
    if (c && k < K) reached = Math.max(reached, f(below, below, bucketFloor(k + 1)));
  }
  // The buckets that may hold the best threshold: K, and each other whose bound (its cumulative
  // count at its floor) reaches `reached`. Then their values, sorted.
  // All zero between calls (cleared below), so buckets above K are never open.
  const open = scratch('scan:open', KEYS);
  let m = 0;
  for (let k = 0; k <= K; k++) {
    const end = k < K ? count[k + 1] : below;
    if (end > count[k] && (k === K || !(f(end, end, bucketFloor(k)) < reached))) {
      open[k] = 1;
      m += end - count[k];
    }
  }
  const small = scratch('scan:small', m);
  m = 0;
  for (let j = 0; j < p.length; j++) if (open[key[j] >>> KEY_SHIFT]) small[m++] = p[j];
  open.fill(0, 0, K + 1);
  const sorted = m > 512 ? radixSortPositive(small, scratch('scan:tmp', m)) : small.sort();
  let best = 0;
  let alpha = aMax;
  let k = -1;
  let first = 0; // where bucket k starts in `sorted`
  for (let i = 0; i < m && sorted[i] <= aMax; i++) {
    const a = sorted[i];
    const ka = keyOf(a);
    if (ka !== k) {
      k = ka;
      first = i;
    }
    if (i + 1 < m && sorted[i + 1] === a) continue; // evaluate once per distinct value, with all ties in
    const c = count[k] + i - first + 1;
    const s = f(c, c, a);
    if (s > best) {
      best = s;
      alpha = a;
    }
  }
  return { score: best, alpha };
}

const u32 = (a: Float32Array, n: number) => new Uint32Array(a.buffer, a.byteOffset, n);

/** The nodes of an individual scan's subset, {j : p_j <= alpha} (none when it scored 0), ascending, each plus `offset`. */
export function subsetAt(p: Float32Array, scan: IndividualScan, offset = 0): Uint32Array {
  if (scan.score <= 0) return new Uint32Array(0);
  let c = 0;
  for (let j = 0; j < p.length; j++) if (p[j] <= scan.alpha) c++;
  const subset = new Uint32Array(c);
  c = 0;
  for (let j = 0; j < p.length; j++) if (p[j] <= scan.alpha) subset[c++] = j + offset;
  return subset;
}

export interface GroupScanOptions extends ScanOptions {
  restarts?: number;
  seed?: number;
  maxIterations?: number;
  /** Thresholds tried per step: distinct p-values <= a_max, thinned evenly by rank to this many. */
  maxAlphas?: number;
}

/**
 * Distinct p-values <= aMax, ascending, thinned to at most `max`. Thinning keeps ranks spaced
 * geometrically from the smallest, with the largest: the strongest evidence (a block of tiny
 * p-values) lives at the smallest thresholds, which thinning evenly by rank would drop.
 */
export function alphaGrid(values: Float32Array, aMax: number, max: number): Float64Array {
  let m = 0;
  const small = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) if (values[i] <= aMax) small[m++] = values[i];
  const sorted = small.subarray(0, m).sort();
  const distinct: number[] = [];
  for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  if (distinct.length <= max) return Float64Array.from(distinct);
  const ranks = new Set<number>();
  const last = distinct.length - 1;
  for (let i = 0; i < max - 1; i++) ranks.add(Math.round(Math.expm1((i / (max - 2)) * Math.log1p(last))));
  ranks.add(last);
  return Float64Array.from([...ranks].sort((a, b) => a - b), (r) => distinct[r]);
}

/**
 * Best subset along one dimension of the images x nodes matrix, given the chosen members of the
 * other dimension. For each threshold a, element e has count_e(a) = #{given g : p(e, g) <= a};
 * the best subset is a prefix of elements sorted by count (descending), N_a = the prefix's count
 * sum, N = prefix size x |given|.
 */
function optimizeDimension(
  P: Float32Array,
  nodes: number,
  alongImages: boolean,
  elements: number,
  given: Uint32Array,
  alphas: Float64Array,
  f: ScoreFn,
): { score: number; alpha: number; chosen: Uint32Array } {
  const T = alphas.length;
  const g = given.length;
  // counts[e*T + t] = #{given : p <= alphas[t]}; built by bucketing each p, then a prefix sum.
  const counts = new Uint32Array(elements * T);
  for (let e = 0; e < elements; e++) {
    const base = e * T;
    for (let gi = 0; gi < g; gi++) {
      const v = alongImages ? P[e * nodes + given[gi]] : P[given[gi] * nodes + e];
      if (v > alphas[T - 1]) continue;
      let lo = 0;
      let hi = T - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (alphas[mid] >= v) hi = mid;
        else lo = mid + 1;
      }
      counts[base + lo]++;
    }
    for (let t = 1; t < T; t++) counts[base + t] += counts[base + t - 1];
  }
  let best = 0;
  let bestT = -1;
  let bestM = 0;
  const byCount = new Uint32Array(g + 2);
  for (let t = 0; t < T; t++) {
    // Counting sort by count descending: walk count levels from g down.
    byCount.fill(0);
    for (let e = 0; e < elements; e++) byCount[counts[e * T + t]]++;
    let nA = 0;
    let m = 0;
    for (let c = g; c >= 0; c--) {
      const k = byCount[c];
      for (let r = 0; r < k; r++) {
        nA += c;
        m++;
        const s = f(nA, m * g, alphas[t]);
        if (s > best) {
          best = s;
          bestT = t;
          bestM = m;
        }
      }
    }
  }
  if (bestT < 0) return { score: 0, alpha: alphas[T - 1] ?? 0, chosen: new Uint32Array(0) };
  // The top bestM elements by count at the best threshold; ties broken by index.
  const order = Array.from({ length: elements }, (_, e) => e).sort(
    (a, b) => counts[b * T + bestT] - counts[a * T + bestT] || a - b,
  );
  const chosen = Uint32Array.from(order.slice(0, bestM)).sort();
  return { score: best, alpha: alphas[bestT], chosen };
}

/**
 * Group scan of a batch (IBM ART's detector): find images S_I and nodes S_N maximising
 * F(N_a, |S_I||S_N|, a). Alternates: best nodes given images, best images given nodes, until the
 * score stops improving; the first start uses every image, later restarts random image subsets.
 * `P` is row-major [images, nodes] of point p-values.
 */
export function groupScan(P: Float32Array, images: number, nodes: number, opts: GroupScanOptions): GroupScanResult {
  const f = scoring[opts.scoring];
  const aMax = opts.aMax;
  const restarts = opts.restarts ?? 10;
  const maxIterations = opts.maxIterations ?? 20;
  const alphas = alphaGrid(P, aMax, opts.maxAlphas ?? 64);
  const random = rng(opts.seed ?? 7);
  let best: GroupScanResult = { score: 0, alpha: aMax, images: [], nodes: [] };
  if (alphas.length === 0 || images === 0 || nodes === 0) return best;
  for (let r = 0; r < restarts; r++) {
    let imgs: Uint32Array;
    if (r === 0) imgs = Uint32Array.from({ length: images }, (_, i) => i);
    else {
      const pick: number[] = [];
      for (let i = 0; i < images; i++) if (random() < 0.5) pick.push(i);
      if (pick.length === 0) pick.push(Math.floor(random() * images));
      imgs = Uint32Array.from(pick);
    }
    let score = -1;
    let current: { score: number; alpha: number; images: Uint32Array; nodes: Uint32Array } = { score: 0, alpha: aMax, images: imgs, nodes: new Uint32Array(0) };
    for (let it = 0; it < maxIterations; it++) {
      const n = optimizeDimension(P, nodes, false, nodes, current.images, alphas, f);
      if (n.chosen.length === 0) break;
      const i = optimizeDimension(P, nodes, true, images, n.chosen, alphas, f);
      if (i.chosen.length === 0) break;
      current = { score: i.score, alpha: i.alpha, images: i.chosen, nodes: n.chosen };
      if (i.score <= score + 1e-12) break;
      score = i.score;
    }
    if (current.score > best.score) {
      best = { score: current.score, alpha: current.alpha, images: Array.from(current.images), nodes: Array.from(current.nodes) };
    }
  }
  return best;
}
