// A calibration table's own check: the part scores of a few made-up images, drawn from the profile's
// histograms alone, stored beside the table. A later histoscan scores them again: where its parts
// score otherwise (a changed scan, tail rule or Gaussian part), new images are ranked against a table
// that another scoring made, and the verdict can flag more or fewer than its FPR without a sign.
import type { CalibrationCheck, ScoringName } from '../types.ts';
import { binEdge, type Profile } from './bins.ts';
import { rng } from './rng.ts';
import { CalibrationCollector, type PValueFn, type ScanSettings } from './score.ts';

export type { CalibrationCheck };

/**
 * Made-up images a check scores: enough to reach every part, few enough to cost a few images' scoring.
 * Frozen, with the seed and checkImages' drawing: a change to any of them would make every stored
 * check differ from what this code scores, and say so of every profile written before it.
 */
const CHECK_IMAGES = 3;
const CHECK_SEED = 20261205;

/**
 * Node values and logits of the check's images, a function of the profile alone. Each node's value is
 * drawn by the pooled histogram's counts: at its bin's lower edge half the time (where atoms sit,
 * ReLU's zeros, and tie rules act), a point inside the bin otherwise. Image i's logits put it in the
 * i-th largest class (in turn), so the class-conditional histograms are read too.
 */
export function checkImages(p: Profile): { x: Float32Array; logits: Float32Array }[] {
  const { nodes, bins: B, classes } = p.header;
  const next = rng(CHECK_SEED);
  const K = Math.max(2, classes?.counts.length ?? p.header.spec?.classNames?.length ?? 2);
  const bySize = [...Array(K).keys()].sort((a, b) => (classes?.counts[b] ?? 0) - (classes?.counts[a] ?? 0));
  return Array.from({ length: CHECK_IMAGES }, (_, i) => {
    const x = new Float32Array(nodes);
    for (let j = 0; j < nodes; j++) {
      // tails[t + k]: background values at or above bin k, so bin k holds tails[t + k] - tails[t + k + 1].
      const t = j * B;
      let k = 0;
      for (let u = next() * p.tails[t]; k < B - 1 && u >= p.tails[t + k] - p.tails[t + k + 1]; k++) u -= p.tails[t + k] - p.tails[t + k + 1];
      const [e, f] = [binEdge(p, j, k), binEdge(p, j, k + 1)];
      x[j] = next() < 0.5 ? e : e + next() * (f - e);
    }
    const logits = Float32Array.from({ length: K }, () => 2 * next() - 1);
    logits[bySize[i % K]] += 4;
    return { x, logits };
  });
}

/** The check of a calibration table: the check images' part scores under each scoring the table holds, and who scored them. */
export function makeCheck(p: Profile, pv: PValueFn, scan: ScanSettings, scorings: readonly ScoringName[], by: string | undefined): CalibrationCheck {
  const collector = new CalibrationCollector(pv, scan, scorings);
  for (const { x, logits } of checkImages(p)) collector.add(x, logits);
  const scores = collector.finish(p.header.nodes).scores;
  // JSON has no infinities: a non-finite score is stored as null and matches any non-finite one.
  const stored = Object.fromEntries(Object.entries(scores).map(([f, v]) => [f, v.map((s) => (Number.isFinite(s) ? s : null))]));
  return { ...(by ? { by } : {}), scores: stored };
}

/** Relative difference a score may show between JavaScript engines' last bits; a changed part moves far more. */
const CHECK_TOLERANCE = 1e-6;

/** Change from the stored a to this version's b, relative to a: 0 for two non-finite scores (null), Infinity where only one is, or b is missing. */
const moved = (a: number | null, b: number | null | undefined): number =>
  a === null || b == null ? (a === b ? 0 : Infinity) : Math.abs(a - b) / Math.max(Math.abs(a), 1e-9);

/**
 * Where this version scores the check's images otherwise than the table's check says: the part that
 * moved most and by how much (relative); undefined where all agree or the table has no check.
 */
export function checkDrift(p: Profile, pv: PValueFn, scan: ScanSettings): { part: string; by: number } | undefined {
  const table = p.header.calibration;
  const check = table?.check;
  if (!table || !check) return undefined;
  const now = makeCheck(p, pv, scan, Object.keys(check.scores) as ScoringName[], undefined).scores;
  let worst: { part: string; by: number } | undefined;
  for (const [f, was] of Object.entries(check.scores)) {
    const is = now[f as ScoringName]!;
    was.forEach((a, i) => {
      const by = moved(a, is[i]);
      if (by > CHECK_TOLERANCE && by > (worst?.by ?? 0)) worst = { part: table.parts[i % table.parts.length], by };
    });
  }
  return worst;
}

/** How far a part moved, for the words users read ("by 3.0%"). */
export const driftText = (by: number): string => (Number.isFinite(by) ? `by ${(100 * by).toPrecision(2)}%` : 'to or from a non-finite score');
