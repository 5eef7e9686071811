// Where the class-conditional histograms of a profile sit: after the pooled tails, one block per
// class over the class-conditional node range, on the pooled edges.
import type { LayerLayout, ProfileHeader } from '../types.ts';
import type { Profile } from './profile.ts';

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
