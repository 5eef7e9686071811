// histoscan against the peers of one set, paired on the same images, with the verdict corrected for
// the peers compared: the best peer is picked on these very images, so testing against it alone says
// "behind" too often (four peers as good as histoscan: 7.8% at a nominal 2.5%, docs/decisions.md 0.4.18).
import { compareAuc, zOfLevel, type AucComparison } from './metrics.ts';

/** What a comparison shows: ahead of every peer, behind at least one, or neither. */
export type Shows = 'ahead' | 'behind' | 'no difference shown';

/** One peer's scores of the same images as histoscan's (row i is the same image), and its AUC as the table gives it. */
export interface PeerScores {
  name: string;
  auc: number;
  clean: ArrayLike<number>;
  anomalous: ArrayLike<number>;
}

/** A comparison with one peer: Δ = histoscan − peer, its interval at the corrected level, p times the peers compared (Bonferroni). */
export interface Adjusted {
  peer: string;
  diff: number;
  lo: number;
  hi: number;
  p: number;
}

/**
 * histoscan against the best peer (the highest AUC): DeLong's paired comparison as compareAuc gives
 * it (95% interval, p unadjusted), and, over all `peers` compared, the same at level 1 − α/peers
 * (Bonferroni), where interval and verdict agree.
 */
export interface VersusPeers extends AucComparison {
  peer: string;
  /** The peers compared on these images (m). */
  peers: number;
  /** 1 − α/m: the level of `adjusted`'s interval. */
  level: number;
  /** The best peer's comparison at `level`, p multiplied by m (at most 1). */
  adjusted: Adjusted;
  shows: Shows;
  /** Where another peer decides `shows` (histoscan is behind it, or not shown ahead of it): that comparison, adjusted. */
  decidedBy?: Adjusted;
  /** Every peer compared, as compareAuc gives it (b its AUC, p unadjusted): enough to correct otherwise. */
  against: { peer: string; b: number; diff: number; se: number; p: number }[];
}

/** histoscan against one peer on the same images: compareAuc's comparison (95%, p unadjusted) and the peer's name. */
export type PeerComparison = AucComparison & { peer: string };

/**
 * Compares histoscan with every peer on the same images, Bonferroni over the m peers: "behind" where
 * some peer's interval at 1 − α/m lies below 0, "ahead" where every peer's lies above 0. Either claim
 * errs at most α/2 of the time when histoscan is as good as its best peer. Null without peers.
 */
export function versusPeers(mine: { auc: number; clean: ArrayLike<number>; anomalous: ArrayLike<number> }, peers: readonly PeerScores[], alpha = 0.05): VersusPeers | null {
  // The AUCs as the table gives them (DeLong's sums can differ in the last bits, and a rounding with them).
  return correctForPeers(peers.map((peer) => ({ ...compareAuc(mine.clean, mine.anomalous, peer.clean, peer.anomalous), a: mine.auc, b: peer.auc, peer: peer.name })), alpha);
}

/** versusPeers from the comparisons with each peer (the same histoscan scores in each). */
export function correctForPeers(comparisons: readonly PeerComparison[], alpha = 0.05): VersusPeers | null {
  if (!comparisons.length) return null;
  const m = comparisons.length;
  const level = 1 - alpha / m;
  const z = zOfLevel(level);
  const all = comparisons.map((c) => ({ c, adjusted: { peer: c.peer, diff: c.diff, lo: c.diff - z * c.se, hi: c.diff + z * c.se, p: Math.min(1, m * c.p) } }));
  const best = all.reduce((b, x) => (x.c.b > b.c.b ? x : b)); // the first of the highest AUC
  const behind = all.filter((x) => x.adjusted.hi < 0);
  const notAhead = all.filter((x) => !(x.adjusted.lo > 0));
  const shows: Shows = behind.length ? 'behind' : notAhead.length ? 'no difference shown' : 'ahead';
  // The peer that decides it: the best peer where it does, else the strongest evidence of "behind" or the weakest of "ahead".
  const deciding = shows === 'behind' ? behind : notAhead;
  const strongest = (d: (typeof all)[number], x: (typeof all)[number]) => ((shows === 'behind' ? x.adjusted.p < d.adjusted.p : x.adjusted.p > d.adjusted.p) ? x : d);
  const pick = deciding.length && !deciding.includes(best) ? deciding.reduce(strongest) : null;
  const against = all.map(({ c }) => ({ peer: c.peer, b: c.b, diff: c.diff, se: c.se, p: c.p }));
  const { peer, ...plain } = best.c;
  return { peer, ...plain, peers: m, level, adjusted: best.adjusted, shows, ...(pick ? { decidedBy: pick.adjusted } : {}), against };
}
