// Where the class-conditional histograms of a profile sit: after the pooled tails, one block per
// class over the class-conditional node range, on the pooled edges.
import type { LayerLayout, NodeHistogramData, ProfileHeader } from '../types.ts';
import { locateNode } from './layout.ts';
import { binEdge, type Profile } from './bins.ts';

/**
 * Classes with fewer background images than this are scored against the pooled histograms: a
 * class histogram of n_c images cannot give a p-value below 1/(n_c + 1), and the scan's
 * thresholds need room below a_max = 0.5 to find anything.
 */
export const MIN_CLASS_COUNT = 50;

/** Where class c's tail counts start in `tails`, and its background size; null when it falls back to pooled. */
export function classBlock(h: ProfileHeader, cls: number): { offset: number; n: number } | null {
  const c = h.classes;
  if (!c || cls < 0 || cls >= c.counts.length || c.counts[cls] < MIN_CLASS_COUNT) return null;
  return { offset: h.nodes * h.bins + cls * (c.to - c.from) * h.bins, n: c.counts[cls] };
}

/** Number of tail counts a profile stores: pooled, then one block per class over the class range. */
export function tailEntries(h: Pick<ProfileHeader, 'nodes' | 'bins' | 'classes'>): number {
  const c = h.classes;
  return h.nodes * h.bins + (c ? c.counts.length * (c.to - c.from) * h.bins : 0);
}

/** The class-conditional range of a profile builder when the last `k` layers get histograms per class (none for k = 0). */
export function lastLayersClasses(layers: readonly Pick<LayerLayout, 'nodes'>[], k: number, count: number): { count: number; from: number; to: number } | undefined {
  if (k <= 0) return undefined;
  const to = layers.reduce((s, l) => s + l.nodes, 0);
  const from = layers.slice(0, layers.length - k).reduce((s, l) => s + l.nodes, 0);
  return { count, from, to };
}

/** The profile without its class blocks: every image scored against the pooled histograms. */
export function withoutClasses(p: Profile): Profile {
  const { classes: _, ...header } = p.header;
  return { ...p, header, tails: p.tails.slice(0, header.nodes * header.bins) };
}

/**
 * One node's background histogram as the detail view draws it: the class histogram where the
 * node's p-values came from one (class-conditional node, class `cls` with a block), else the pooled
 * one, so the bars shown are the ones its p-value was read from.
 */
export function nodeHistogram(p: Profile, node: number, cls = -1): NodeHistogramData {
  const h = p.header;
  const { bins } = h;
  const { layer, index } = locateNode(h.layers, node);
  const edges = Array.from({ length: bins + 1 }, (_, k) => binEdge(p, node, k));
  const block = h.classes && node >= h.classes.from && node < h.classes.to ? classBlock(h, cls) : null;
  const start = block ? block.offset + (node - h.classes!.from) * bins : node * bins;
  // Tails are stored as counts at or above each bin; a bin's own count is the difference.
  const t = p.tails.subarray(start, start + bins);
  const counts = Array.from(t, (v, k) => v - (k + 1 < bins ? t[k + 1] : 0));
  return { layer, index, edges, counts, lo: p.lo[node], hi: p.hi[node], count: block ? block.n : h.count, ...(block ? { cls } : {}) };
}
