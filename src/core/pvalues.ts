import type { PointP, Tail } from '../types.ts';
import { classBlock } from './classes.ts';
import { binOf, type Profile } from './bins.ts';

/**
 * p-value ranges of observed node values against a background, one node per entry. One
 * convention for every method (that of IBM ART's subset-scanning detector):
 *   upper tail  p_min = #{b > x} / (n + 1),  p_max = (#{b >= x} + 1) / (n + 1);
 * the lower tail mirrors it; two-tailed doubles the smaller tail (capped at 1). A histogram gives
 * the widest range its bins allow, which equals the empirical one when each bin holds one value.
 */
export interface PValueRanges {
  pMin: Float32Array;
  pMax: Float32Array;
}

export function allocRanges(nodes: number): PValueRanges {
  return { pMin: new Float32Array(nodes), pMax: new Float32Array(nodes) };
}

/** Write a range from tail counts: above = #{b > x} bounds, atOrAbove = #{b >= x} bounds. */
function put(
  pMin: Float32Array,
  pMax: Float32Array,
  j: number,
  n: number,
  tail: Tail,
  gtLow: number, // lower bound on #{b > x}
  geHigh: number, // upper bound on #{b >= x}
): void {
  const inv = 1 / (n + 1);
  if (tail === 'upper') {
    pMin[j] = gtLow * inv;
    pMax[j] = (geHigh + 1) * inv;
    return;
  }
  // #{b < x} >= n - geHigh and #{b <= x} <= n - gtLow.
  const loMin = (n - geHigh) * inv;
  const loMax = (n - gtLow + 1) * inv;
  if (tail === 'lower') {
    pMin[j] = loMin;
    pMax[j] = loMax;
    return;
  }
  pMin[j] = Math.min(1, 2 * Math.min(gtLow * inv, loMin));
  pMax[j] = Math.min(1, 2 * Math.min((geHigh + 1) * inv, loMax));
}

/**
 * Histogram p-value ranges (the paper's method): one bin lookup per node, O(1) for uniform bins
 * and O(log B) for tail bins, independent of the background size. For x in bin k:
 * #{b > x} >= T_{k+1} and #{b >= x} <= T_k; above the background maximum both are 0, below the
 * minimum both are n. With a predicted class `cls` (>= 0), the profile's class-conditional nodes
 * use that class's histograms (same edges; n = the class's background size) when it has enough
 * images (see classBlock), the other nodes the pooled ones. Every method here writes nodes
 * [first, end) only (default: all), so a caller can redo just the nodes that a class changes.
 */
export function histogramPValues(p: Profile, x: Float32Array, out: PValueRanges, tail: Tail = 'upper', cls = -1, first = 0, end = p.header.nodes): void {
  histogramTails(p, x, [{ tail, out }], cls, first, end);
}

/** Where one tail's p-value ranges go. */
export interface TailOut {
  tail: Tail;
  out: PValueRanges;
}

/**
 * A node's value is known to within EDGE_TOL of its scale, max(hi - lo, |lo|, |hi|): runtimes
 * differ in the last bits (WASM and native CPU by ~1e-7 here; WebGPU sums in another order), and
 * a value a hair below an atom that the edges pin exactly (a ReLU's output on blank input, a
 * constant node) would otherwise fall below all of that atom's mass: a profile built on one
 * runtime made 42% of clean images "unusual" on another. So #{b > x} is bounded at x + tol (an
 * edge just above x may be x itself). #{b >= x} needs no tolerance inside [lo, hi], since x's bin
 * already reaches down to its lower edge; just above hi, x counts as hi.
 */
export const EDGE_TOL = 1e-5;

/**
 * histogramPValues for one or two tails in one sweep: finding a node's bin is the cost, and both
 * tails follow from the same bin.
 */
export function histogramTails(p: Profile, x: Float32Array, outs: readonly TailOut[], cls = -1, first = 0, end = p.header.nodes): void {
  if (outs.length > 2) throw new RangeError('histogramTails: at most two tails per sweep');
  const { nodes, bins, strategy, count } = p.header;
  const { lo, hi, edges, tails } = p;
  const uniform = strategy === 'uniform';
  const block = classBlock(p.header, cls);
  const from = block ? p.header.classes!.from : nodes;
  const to = block ? p.header.classes!.to : nodes;
  // Locals, not out.pMin[j]: property loads in this loop cost as much as the bin lookup.
  const [a, b] = outs;
  const aTail = a.tail;
  const aMin = a.out.pMin;
  const aMax = a.out.pMax;
  const bTail = b?.tail;
  const bMin = b?.out.pMin;
  const bMax = b?.out.pMax;
  for (let j = first; j < end; j++) {
    const inClass = j >= from && j < to;
    const n = inClass ? block!.n : count;
    const base = inClass ? block!.offset + (j - from) * bins : j * bins;
    const l = lo[j];
    const h = hi[j];
    const v = x[j];
    const tol = EDGE_TOL * Math.max(h - l, Math.abs(l), Math.abs(h));
    const up = v + tol;
    const down = v > h && v - tol <= h ? h : v;
    // Bounds on #{b > x} (gt) and #{b >= x} (ge); outside the pooled extremes is outside every class's too.
    let gt = 0;
    let ge = 0;
    if (down < l) {
      ge = n;
      if (up < l) gt = n;
      else if (up <= h) {
        const ku = binOf(strategy, bins, edges, j, up);
        gt = ku + 1 < bins ? tails[base + ku + 1] : 0;
      }
    } else if (down <= h) {
      const k = binOf(strategy, bins, edges, j, down);
      ge = tails[base + k];
      if (up <= h) {
        // x + tol is almost always in x's own bin: a second lookup only when it reaches the next edge.
        const ku = k + 1 < bins && (uniform || edges[j * (bins + 1) + k + 1] <= up) ? binOf(strategy, bins, edges, j, up) : k;
        gt = ku + 1 < bins ? tails[base + ku + 1] : 0;
      }
    }
    put(aMin, aMax, j, n, aTail, gt, ge);
    if (bMin) put(bMin, bMax!, j, n, bTail!, gt, ge);
  }
}

/** Raw background stored node-major: values of node j at [j*n, (j+1)*n). */
export interface Background {
  nodes: number;
  n: number;
  values: Float32Array;
}

/** Transpose row-major [n, nodes] rows into a node-major background; `sort` each node's values. */
export function toBackground(rows: Float32Array, n: number, nodes: number, sort = false): Background {
  const values = new Float32Array(n * nodes);
  for (let r = 0; r < n; r++) for (let j = 0; j < nodes; j++) values[j * n + r] = rows[r * nodes + j];
  if (sort) for (let j = 0; j < nodes; j++) values.subarray(j * n, (j + 1) * n).sort();
  return { nodes, n, values };
}

/** Empirical p-value ranges by binary search over each node's sorted background (IBM ART's method). */
export function sortedEmpiricalPValues(bg: Background, x: Float32Array, out: PValueRanges, tail: Tail = 'upper', first = 0, end = bg.nodes): void {
  const { n, values } = bg;
  for (let j = first; j < end; j++) {
    const v = x[j];
    const base = j * n;
    // first index with b >= v, and first index with b > v
    let a = 0;
    let b = n;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (values[base + m] < v) a = m + 1;
      else b = m;
    }
    const lower = a;
    b = n;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (values[base + m] <= v) a = m + 1;
      else b = m;
    }
    put(out.pMin, out.pMax, j, n, tail, n - a, n - lower);
  }
}

/** Empirical p-value ranges by counting every background value (the paper's brute-force baseline). */
export function bruteEmpiricalPValues(bg: Background, x: Float32Array, out: PValueRanges, tail: Tail = 'upper', first = 0, end = bg.nodes): void {
  const { n, values } = bg;
  for (let j = first; j < end; j++) {
    const v = x[j];
    const base = j * n;
    let gt = 0;
    let ge = 0;
    for (let i = 0; i < n; i++) {
      const b = values[base + i];
      gt += b > v ? 1 : 0;
      ge += b >= v ? 1 : 0;
    }
    put(out.pMin, out.pMax, j, n, tail, gt, ge);
  }
}

/** erfc with fractional error < 1.2e-7 (Chebyshev fit, Numerical Recipes 6.2). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Silverman's rule-of-thumb bandwidth per node: 0.9 min(sd, IQR/1.34) n^(-1/5). */
export function silvermanBandwidths(sorted: Background): Float32Array {
  const { nodes, n, values } = sorted;
  const h = new Float32Array(nodes);
  for (let j = 0; j < nodes; j++) {
    const base = j * n;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += values[base + i];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (values[base + i] - mean) ** 2;
    const sd = Math.sqrt(ss / Math.max(1, n - 1));
    const iqr = values[base + Math.floor(0.75 * (n - 1))] - values[base + Math.floor(0.25 * (n - 1))];
    const spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
    // A constant node still needs a positive width; make it negligible against its scale.
    h[j] = spread > 0 ? 0.9 * spread * Math.pow(n, -0.2) : 1e-6 * Math.max(1, Math.abs(mean));
  }
  return h;
}

/**
 * Gaussian KDE tail mass per node (the paper's other baseline): p = (1/n) sum_i Q((x - b_i)/h).
 * A point estimate, so p_min = p_max. Costs O(n) per node.
 */
export function kdePValues(bg: Background, h: Float32Array, x: Float32Array, out: PValueRanges, tail: Tail = 'upper', first = 0, end = bg.nodes): void {
  const { n, values } = bg;
  for (let j = first; j < end; j++) {
    const v = x[j];
    const base = j * n;
    const s = 1 / (h[j] * Math.SQRT2);
    let up = 0;
    for (let i = 0; i < n; i++) up += erfc((v - values[base + i]) * s);
    up = (0.5 * up) / n;
    const p = tail === 'upper' ? up : tail === 'lower' ? 1 - up : Math.min(1, 2 * Math.min(up, 1 - up));
    // Far outside the data the mixture's tail underflows to 0; keep it positive so scans stay finite.
    out.pMin[j] = out.pMax[j] = Math.max(p, 1e-30);
  }
}

/**
 * One p-value per node for the scan: the conservative end p_max ('max', what ART counts), or
 * the tie-aware mid-p ('mid'): the range's midpoint, except where p_min = 0 — the value is at or
 * beyond the background's extreme in this tail, where a point mass sits (ReLU zeros in the lower
 * tail, ReLU6 or saturation in the upper) — and only p_max is valid. Plain mid-p at such an atom
 * of mass f gives f/2 with probability f, twice nominal, so a node that is often 0 would count
 * as evidence by being 0; with this rule P(p <= a) <= a (up to the 1/(2(n+1)) of mid-p) there too.
 */
export function pointPValues(r: PValueRanges, mode: PointP, out: Float32Array = new Float32Array(r.pMin.length)): Float32Array {
  const { pMin, pMax } = r;
  if (mode === 'max') out.set(pMax);
  else
    for (let j = 0; j < out.length; j++) {
      const lo = pMin[j];
      out[j] = lo > 0 ? 0.5 * (lo + pMax[j]) : pMax[j];
    }
  return out;
}

/**
 * How far each value lies outside its node's background range [lo, hi], in units of that range (0 inside it):
 * among nodes at the same p, the one an image pushes farthest out is the more anomalous.
 */
export function beyondRange(values: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>): Float32Array {
  // A plain loop: Float32Array.from with a map function took 11 ms a result on 79,268 nodes, more than the p-values.
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, lo[i] - values[i], values[i] - hi[i]) / Math.max(hi[i] - lo[i], 1e-12);
  return out;
}

/**
 * The k nodes with the smallest point p-values, smallest first, ties by the lower index: a full
 * sort's first k, among `among` (node indices) or every node. One pass with a sorted buffer of k:
 * a result lists ten nodes of a subset that holds a thousand or more (1,114 on average for the default
 * model's clean images), or of every node where the subset is empty.
 */
export function leastP(point: ArrayLike<number>, k: number, among?: ArrayLike<number>, beyond?: ArrayLike<number>): number[] {
  // Equal p (many nodes sit at the floor 1/(n+1)): the farther `beyond`, then the lower index.
  const less = (a: number, b: number) => point[a] < point[b] || (point[a] === point[b] && (beyond && beyond[a] !== beyond[b] ? beyond[a] > beyond[b] : a < b));
  const best: number[] = [];
  const n = among ? among.length : point.length;
  for (let t = 0; t < n && k > 0; t++) {
    const i = among ? among[t] : t;
    if (best.length === k && !less(i, best[k - 1])) continue;
    let j = best.length < k ? best.push(i) - 1 : k - 1;
    for (; j > 0 && less(i, best[j - 1]); j--) best[j] = best[j - 1];
    best[j] = i;
  }
  return best;
}
