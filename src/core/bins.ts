import type { BinStrategy, ProfileHeader, ScanTail } from '../types.ts';

// What a bin is: the profile's arrays and the geometry that counting and look-up share.

/**
 * Per-node histogram profile of background activations.
 *
 * Node j owns bins 0..B-1. `tails[j*B + k]` = T_k = number of background values in bins >= k
 * (so T_0 = count). `lo`/`hi` are the observed extremes: above `hi` nothing in the background is
 * as large, below `lo` everything is larger. Edges are separate from the extremes so that shards
 * built on shared edges merge exactly (counts add, extremes take min/max).
 *
 * Edges per node: uniform stores [e_0, e_B] (bins by arithmetic), tail stores all B + 1 edges.
 */
export interface Profile {
  header: ProfileHeader;
  lo: Float32Array;
  hi: Float32Array;
  edges: Float32Array;
  tails: Uint32Array;
}

export function edgesPerNode(strategy: BinStrategy, bins: number): number {
  return strategy === 'uniform' ? 2 : bins + 1;
}

/** Edge k (0..B) of node j's bins: uniform bins' from the node's two stored ends, tail bins' as stored. */
export function binEdge(p: Pick<Profile, 'header' | 'edges'>, j: number, k: number): number {
  const { strategy, bins } = p.header;
  return strategy === 'uniform' ? p.edges[2 * j] + ((p.edges[2 * j + 1] - p.edges[2 * j]) * k) / bins : p.edges[j * (bins + 1) + k];
}

/**
 * Bin of x for node j: the largest k in [0, B-1] with e_k <= x, clamped to the end bins.
 * Used both to count background values and to look up observed ones, so the two always agree.
 */
export function binOf(strategy: BinStrategy, bins: number, edges: Float32Array, j: number, x: number): number {
  if (strategy === 'uniform') {
    const e0 = edges[2 * j];
    const eB = edges[2 * j + 1];
    const span = eB - e0;
    if (!(span > 0)) return x >= e0 ? bins - 1 : 0;
    const k = Math.floor(((x - e0) / span) * bins);
    return k < 0 ? 0 : k >= bins ? bins - 1 : k;
  }
  const base = j * (bins + 1);
  // Binary search over e_1..e_{B-1}: count of interior edges <= x.
  let lo = 1;
  let hi = bins; // exclusive
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[base + mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Interior tail-mass levels for `tail` edges: geometric from 1/2 down to `minMass`, so bins are
 * dense where p-values are small (the only place a subset scan with a_max = 0.5 looks).
 * Returns quantile levels u in (0, 1), ascending.
 */
export function tailLevels(bins: number, minMass: number, tail: ScanTail): number[] {
  const interior = bins - 1;
  const geometric = (m: number) =>
    m <= 1 ? [0.5] : Array.from({ length: m }, (_, i) => 0.5 * Math.pow(minMass / 0.5, i / (m - 1)));
  if (interior <= 0) return [];
  if (tail === 'upper') return geometric(interior).map((t) => 1 - t).sort((a, b) => a - b);
  if (tail === 'lower') return geometric(interior).sort((a, b) => a - b);
  const upper = Math.ceil(interior / 2);
  const lower = interior - upper;
  const levels = [...geometric(upper).map((t) => 1 - t), ...(lower > 0 ? geometric(lower + 1).slice(1) : [])];
  return levels.sort((a, b) => a - b);
}
