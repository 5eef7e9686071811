// Calibrated parts into one statistic and its q: each part's score ranked against the calibration
// images', the ranks combined (Fisher, Tippett or the truncated product), and the combined
// statistic ranked by full conformal prediction so the verdict holds its FPR at any m.
// A score beyond every other in its bag gets a q below the ranks' floor 1 / (m + 1) from the bag's
// upper tail, so an image far outside calibration stays apart from one just outside it.
import type { Combination } from '../types.ts';
import { jointLook, rankScores } from './joint.ts';

export type { Combination };

/** Every combination rule, in the order the CLI offers them. */
export const COMBINATIONS: readonly Combination[] = ['tpm', 'fisher', 'min'];

/**
 * TPM's truncation point: a part adds to the truncated-product statistic only where its q is at
 * most this. Chosen on the dev halves of both development models (0.01 among 0.01-0.2); with the
 * quiet look and the tail beyond calibration, 0.02 (dev means of the three development models
 * 0.9857 / 0.8378 / 0.8820 -> 0.9859 / 0.8392 / 0.8830; 0.015 also raised all three, 0.03 lowered
 * the default model's), which also halves the calibration images a verdict needs (detector/build.ts).
 */
export const TPM_TAU = 0.02;

/**
 * The combined statistic of one image from its parts' log q (each <= 0), larger = more unusual.
 * fisher: -2 sum log q (evidence spread over parts). min: -2 log min q (Tippett: evidence in one
 * part). tpm: sum over the parts with q <= TPM_TAU of log(TPM_TAU / q), with a tie-break far below
 * any step of the sum: one strong part counts as under min, each further strong part adds to it,
 * and weak parts add nothing (Zaykin et al. 2002). The tie-break orders the many images where no
 * part is strong: Tippett's term among looks at the same evidence (a witness's scans: the most
 * unusual look speaks for them), Fisher's sum across witnesses (`across`: different evidence adds up).
 */
function statistic(how: Combination, logq: Float64Array, from = 0, to = logq.length, across = false): number {
  let sum = 0;
  let least = 0;
  let all = 0;
  for (let c = from; c < to; c++) {
    const l = logq[c];
    least = Math.min(least, l);
    all += l;
    sum += how === 'fisher' ? -2 * l : how === 'tpm' ? Math.max(0, LOG_TAU - l) : 0;
  }
  return how === 'fisher' ? sum : how === 'min' ? -2 * least : sum - 1e-6 * (across ? all : least);
}
const LOG_TAU = Math.log(TPM_TAU);

/**
 * Share of a bag whose largest values fit the tail beyond them. A value above every other in its bag
 * (a part's score, or a witness's statistic) gets log q = min(log 1 / (m + 1), log (K / (m + 1)) -
 * (s - u) / beta): an exponential tail over u, the (K + 1)-th largest of the others, with beta the
 * mean excess of their top K over u (peaks over threshold, as extreme-value practice fits tails).
 * Every other value keeps its exact rank, and the tail is a symmetric function of the bag, so the
 * verdict's q stays full conformal. Chosen on the dev halves of the three development models
 * (0.01-0.1 alike; mean AUC default 0.9825 -> 0.9839, photo 0.8353 -> 0.8366, ViT 0.8792 -> 0.8793).
 */
export const TAIL_SHARE = 0.05;
const LOG_LEAST = Math.log(Number.MIN_VALUE);
const tailCount = (m: number) => Math.max(5, Math.round(TAIL_SHARE * (m + 1)));

/** log q of top[0], the bag's largest value, from the next top[1..K+1] (descending; see TAIL_SHARE); 0 where it ties with top[1]. */
function tailLogq(top: Float64Array, m: number): number {
  const K = top.length - 2;
  const u = top[K + 1];
  let excess = 0;
  for (let i = 1; i <= K; i++) excess += top[i] - u;
  // Kept above the least positive double, so q stays a number > 0 even for an infinite score.
  return excess > 0 && top[1] < tieFloor(top[0]) ? Math.max(LOG_LEAST, Math.log(K / (m + 1)) - ((top[0] - u) * K) / excess) : 0;
}

/** Sorted copy of each part's calibration scores and, per calibration image, how many others are >= it. */
interface Prepared {
  m: number;
  k: number;
  sorted: Float64Array[];
  /** others[i * k + p] = #{j != i : s_jp >= s_ip}. */
  others: Uint32Array;
  /** logq[n] = log(n / (m + 1)): the log q of a rank, looked up, not recomputed per part and image. */
  logq: Float64Array;
  /** The joint look's normal score of each rank's log q (core/joint.ts rankScores), made on first use. */
  zByRank?: Float64Array;
  /** Per part, the calibration image with the largest score (the bag's largest unless the test image passes it). */
  argmax: Uint32Array;
  /** Working buffers of combine(), reused from one image to the next (see core/scratch.ts for why); top: a bag's largest K + 2, or empty where m is too small for a tail. */
  work: { logq: Float64Array; ranks: Uint32Array; glogq: Float64Array; inner: Float64Array; sorted: Float64Array; top: Float64Array; hedged: Float64Array };
}
const prepared = new WeakMap<number[], Prepared>();

function prepare(rows: number[], k: number): Prepared {
  let p = prepared.get(rows);
  if (p) return p;
  const m = rows.length / k;
  const sorted = Array.from({ length: k }, (_, c) => Float64Array.from({ length: m }, (_, i) => rows[i * k + c]).sort());
  const others = new Uint32Array(m * k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) others[i * k + c] = atLeast(sorted[c], rows[i * k + c]) - 1;
  const logq = Float64Array.from({ length: m + 2 }, (_, n) => Math.log(n / (m + 1)));
  const argmax = Uint32Array.from({ length: k }, (_, c) => {
    let best = 0;
    for (let i = 1; i < m; i++) if (rows[i * k + c] > rows[best * k + c]) best = i;
    return best;
  });
  const K = tailCount(m);
  const top = new Float64Array(K + 2 <= m + 1 ? K + 2 : 0);
  const work = { logq: new Float64Array((m + 1) * k), ranks: new Uint32Array((m + 1) * k), glogq: new Float64Array((m + 1) * (k + 1)), inner: new Float64Array(m + 1), sorted: new Float64Array(m + 1), top, hedged: new Float64Array(m + 1) };
  p = { m, k, sorted, others, logq, argmax, work };
  prepared.set(rows, p);
  return p;
}

/**
 * The index of the first value of `sorted` at or above s (`strict`: above s). Halving a window by
 * a select, not a branch (a rank in the bag searches once per member and image).
 */
function firstFrom(sorted: ArrayLike<number>, s: number, strict = false): number {
  let base = 0;
  let n = sorted.length;
  if (n === 0) return 0;
  while (n > 1) {
    const half = n >>> 1;
    const v = sorted[base + half - 1];
    base = v < s || (strict && v === s) ? base + half : base;
    n -= half;
  }
  const v = sorted[base];
  return base + (v < s || (strict && v === s) ? 1 : 0);
}

/** #{v in sorted : v >= s}. */
const atLeast = (sorted: ArrayLike<number>, s: number): number => sorted.length - firstFrom(sorted, s);

/** An image's combined score, its calibrated q, and where the joint look took part, that look's own q in the bag (at least 1 / (m + 1)). */
export interface Combined {
  score: number;
  q: number;
  jointQ?: number;
}

/**
 * Combined score and calibrated q of one image from its part scores, against calibration rows
 * (row-major [m, parts], in calibration-image order).
 *
 * One part: q = (#{cal >= s} + 1) / (m + 1). Several parts: each part's score becomes a rank q,
 * and `statistic` combines them into F (Fisher, Tippett or TPM). `groups` (consecutive part
 * counts, default one per part) makes this two-level: a group of several parts is first combined
 * by the same statistic and ranked into one q, so parts that look at the same evidence (the scans
 * of one set of activations) count as one witness, not as several; `within` names each group's own
 * statistic where it is not `how`'s. `joint` (part indices, at least two) adds the joint look at
 * those parts (core/joint.ts) as one more witness. `hedge` (a part index) ranks that combined
 * statistic in the bag once more and adds the part's own q to it by Fisher's sum: the verdict weighs
 * the witnesses together and that part alone, where the calibration could not tell which speaks
 * better (core/surrogates.ts chooseWitnesses). To rank without self-inclusion,
 * every calibration image's q and F are computed exactly as the test image's: against all the
 * other m images of the bag (the m - 1 other calibration images and the test image). This is full
 * conformal prediction with a symmetric score, so q is valid (P(q <= a) <= a for a clean image)
 * at any m, where ranking F against tables that contain the image itself runs hot. It costs
 * O(m parts) per image, plus a sort of m + 1 values per group of several parts (and the joint look); a bag's largest
 * value in a part or group gets its q from the tail beyond the others (TAIL_SHARE). Without
 * calibration q is NaN and the score is the sum of the parts.
 */
export function combine(partScores: readonly number[], rows: number[] | undefined, how: Combination = 'fisher', groups?: readonly number[], within?: readonly Combination[], joint?: readonly number[], hedge?: number): Combined {
  const k = partScores.length;
  if (!rows || rows.length === 0 || rows.length % k !== 0) {
    return { score: k === 1 ? partScores[0] : partScores.reduce((a, b) => a + b, 0), q: NaN };
  }
  const cal = prepare(rows, k);
  const { m } = cal;
  if (k === 1) return { score: partScores[0], q: (atLeast(cal.sorted[0], partScores[0]) + 1) / (m + 1) };
  const sizes = groups ?? Array<number>(k).fill(1);
  if (sizes.reduce((a, b) => a + b, 0) !== k) throw new Error(`combine: groups ${sizes.join('+')} do not add up to ${k} parts`);
  // log q of every bag member (rows 0..m-1 the calibration images, row m the test image) per part.
  const L = cal.logq;
  // ranks: each entry's rank r (log q = L[r]), which the joint look reads its normal score by; 0 where the tail gave log q.
  const { logq, ranks, inner, sorted, top } = cal.work;
  for (let c = 0; c < k; c++) logq[m * k + c] = L[(ranks[m * k + c] = atLeast(cal.sorted[c], partScores[c]) + 1)];
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < k; c++) logq[i * k + c] = L[(ranks[i * k + c] = cal.others[i * k + c] + (partScores[c] >= rows[i * k + c] ? 1 : 0) + 1)];
  }
  // Each part's largest bag member (the test image, or the calibration image it does not pass) beyond the ranks' floor.
  if (top.length) {
    for (let c = 0; c < k; c++) {
      const s = partScores[c];
      const cs = cal.sorted[c];
      for (let t = 0, a = m - 1, used = false; t < top.length; t++) top[t] = !used && (a < 0 || s >= cs[a]) ? ((used = true), s) : cs[a--];
      const who = s === top[0] ? m : cal.argmax[c];
      const tail = tailLogq(top, m);
      if (tail < logq[who * k + c]) [logq[who * k + c], ranks[who * k + c]] = [tail, 0];
    }
  }
  // Each group's log q per bag member: a single part's own; several parts' statistic, ranked in the
  // bag; then, where asked, the joint look at the parts (core/joint.ts) as one more witness.
  const withJoint = !!joint && joint.length >= 2;
  const g = sizes.length + (withJoint ? 1 : 0);
  const glogq = cal.work.glogq;
  /** inner[] (one statistic per bag member) ranked in the bag: each member's log q into out[i * stride + j]. */
  const rank = (out: Float64Array, stride: number, j: number) => {
    sorted.set(inner);
    sorted.sort();
    for (let i = 0; i <= m; i++) out[i * stride + j] = L[atLeast(sorted, tieFloor(inner[i]))];
    if (top.length) {
      for (let t = 0; t < top.length; t++) top[t] = sorted[m - t];
      const who = inner.indexOf(top[0]);
      out[who * stride + j] = Math.min(out[who * stride + j], tailLogq(top, m));
    }
  };
  let first = 0;
  sizes.forEach((size, j) => {
    if (size === 1) {
      for (let i = 0; i <= m; i++) glogq[i * g + j] = logq[i * k + first];
    } else {
      const rule = within?.[j] ?? how;
      for (let i = 0; i <= m; i++) inner[i] = statistic(rule, logq, i * k + first, i * k + first + size);
      rank(glogq, g, j);
    }
    first += size;
  });
  if (withJoint) {
    jointLook(logq, ranks, k, (cal.zByRank ??= rankScores(L)), joint, inner);
    rank(glogq, g, g - 1);
  }
  // Fisher's tie-break across witnesses of different evidence (core/witnesses.ts partGroups); with every part on its own (scans only, or flat), Tippett's.
  const across = groups !== undefined;
  for (let i = 0; i <= m; i++) inner[i] = statistic(how, glogq, i * g, (i + 1) * g, across);
  if (hedge !== undefined) {
    // The witnesses' statistic ranked in the bag, then Fisher's sum with the hedged part's own log q.
    const { hedged } = cal.work;
    rank(hedged, 1, 0);
    for (let i = 0; i <= m; i++) inner[i] = -2 * (hedged[i] + logq[i * k + hedge]);
  }
  const F = inner[m];
  const floor = tieFloor(F);
  let ge = 0;
  for (let i = 0; i < m; i++) if (inner[i] >= floor) ge++;
  // The joint look's q as a share of the bag, like every part's own (the tail beyond it orders, it is not shown).
  return { score: F, q: (ge + 1) / (m + 1), ...(withJoint ? { jointQ: Math.max(1 / (m + 1), Math.exp(glogq[m * g + g - 1])) } : {}) };
}

/** Equal rank vectors in another part order may differ in the last bit: count them as ties (conservative). */
const tieFloor = (F: number) => F - 1e-12 * Math.max(1, Math.abs(F));

const columns = new WeakMap<number[], Map<number, number[]>>();

/** Calibration scores of part c alone, from rows of k parts, cut once per table (combine caches by the array). */
export function partColumn(rows: number[], k: number, c: number): number[] {
  let byPart = columns.get(rows);
  if (!byPart) columns.set(rows, (byPart = new Map()));
  let col = byPart.get(c);
  if (!col) byPart.set(c, (col = Array.from({ length: rows.length / k }, (_, i) => rows[i * k + c])));
  return col;
}

/** #{calibration scores of part c >= s}, against rows of k parts (what ranks a part of an image). */
export function calibrationAtLeast(rows: number[], k: number, c: number, s: number): number {
  return atLeast(prepare(rows, k).sorted[c], s);
}

/** #{calibration scores of part c <= s}: what ranks the quiet look, part c from below. */
export function calibrationAtMost(rows: number[], k: number, c: number, s: number): number {
  return firstFrom(prepare(rows, k).sorted[c], s, true);
}
