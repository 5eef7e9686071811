import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../src/core/profile.ts';
import { decodeProfile, encodeProfile, profileDigest } from '../../src/core/hsp.ts';
import { ProfileError } from '../../src/core/errors.ts';
import { CalibrationCollector, histogramPValueFn, scoreImage, type ScanSettings } from '../../src/core/score.ts';
import { combine, TAIL_SHARE, TPM_TAU, type Combination } from '../../src/core/combine.ts';
import { combineParts } from '../../src/core/witnesses.ts';
import { energy } from '../../src/core/energy.ts';
import { normalQuantileOfLog } from '../../src/core/normal.ts';
import { rng } from '../../src/core/rng.ts';
import { layers1, reluRows } from './helpers.ts';

/** Two correlated part scores per image, like an upper- and a lower-tail scan of the same image. */
function draw(r: () => number): [number, number] {
  const z = -Math.log(1 - r());
  return [z + 0.5 * -Math.log(1 - r()), 0.7 * z + -Math.log(1 - r())];
}

/**
 * Every bag member's log q in one column of the bag (m + 1 values), written out: its rank among the
 * others, and for the largest, where it passes the rest, the exponential tail over the others' (K + 1)-th largest
 * fitted to their top K (core/combine.ts TAIL_SHARE) where that is lower (down to the least double).
 */
function bagLogq(column: number[], m: number): number[] {
  const K = Math.max(5, Math.round(TAIL_SHARE * (m + 1)));
  return column.map((x, i) => {
    const others = column.filter((_, j) => j !== i).sort((a, b) => b - a);
    const rank = (others.filter((o) => o >= x - 1e-12 * Math.max(1, Math.abs(x))).length + 1) / (m + 1);
    if (rank > 1 / (m + 1) || others.length < K + 1) return Math.log(rank);
    const u = others[K];
    const beta = others.slice(0, K).reduce((a, o) => a + o - u, 0) / K;
    return beta > 0 ? Math.min(Math.log(rank), Math.max(Math.log(Number.MIN_VALUE), Math.log(K / (m + 1)) - (x - u) / beta)) : Math.log(rank);
  });
}

/**
 * The joint look written out (core/joint.ts jointLook): each member's normal scores of its parts'
 * log q (capped below 1), standardised over the bag, and the squared Mahalanobis distance under the
 * bag's covariance shrunk by the OAS weight, through an explicit inverse (Gauss-Jordan).
 */
function jointRef(lq: number[][], cols: number[]): number[] {
  const n = lq.length;
  const cap = Math.log1p(-0.5 / n);
  const z = lq.map((row) => cols.map((c) => -normalQuantileOfLog(Math.min(cap, row[c]))));
  const keep = cols.map((_, a) => a).filter((a) => {
    const mu = z.reduce((s, r) => s + r[a], 0) / n;
    return z.reduce((s, r) => s + (r[a] - mu) ** 2, 0) / n > 1e-12;
  });
  if (!keep.length) return lq.map(() => 0);
  const x = z.map((r) => keep.map((a) => r[a]));
  const d = keep.length;
  for (let a = 0; a < d; a++) {
    const mu = x.reduce((s, r) => s + r[a], 0) / n;
    const sd = Math.sqrt(x.reduce((s, r) => s + (r[a] - mu) ** 2, 0) / n);
    for (const r of x) r[a] = (r[a] - mu) / sd;
  }
  const S = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => x.reduce((s, r) => s + r[a] * r[b], 0) / n));
  const tr = S.reduce((s, r, a) => s + r[a], 0);
  const tr2 = S.flat().reduce((s, v) => s + v * v, 0);
  const denom = (n + 1 - 2 / d) * (tr2 - (tr * tr) / d);
  const rho = Math.max(1e-6, denom > 0 ? Math.min(1, ((1 - 2 / d) * tr2 + tr * tr) / denom) : 1);
  const A = S.map((r, a) => [...r.map((v, b) => (1 - rho) * v + (a === b ? rho * (tr / d > 0 ? tr / d : 1) : 0)), ...r.map((_, b) => (a === b ? 1 : 0))]);
  for (let i = 0; i < d; i++) {
    const p = A[i][i];
    for (let j = 0; j < 2 * d; j++) A[i][j] /= p;
    for (let r = 0; r < d; r++) {
      if (r === i) continue;
      const f = A[r][i];
      for (let j = 0; j < 2 * d; j++) A[r][j] -= f * A[i][j];
    }
  }
  const inv = A.map((r) => r.slice(d));
  return x.map((r) => r.reduce((s, va, a) => s + va * r.reduce((t, vb, b) => t + inv[a][b] * vb, 0), 0));
}

describe('combined calibration (several parts, full conformal q)', () => {
  it.each(['fisher', 'min', 'tpm'] as const)('holds its false-positive rate at small and large calibration sets (%s)', (how) => {
    const r = rng(12);
    for (const m of [19, 50, 200]) {
      const trials = 6000;
      for (const fpr of [0.05, 0.1]) {
        let flagged = 0;
        for (let t = 0; t < trials; t++) {
          const rows = Array.from({ length: m }, () => draw(r)).flat();
          if (combine(draw(r), rows, how).q <= fpr) flagged++;
        }
        // Valid: at most nominal, up to 3 sigma of the simulation.
        expect(flagged / trials).toBeLessThanOrEqual(fpr + 3 * Math.sqrt((fpr * (1 - fpr)) / trials));
      }
    }
  });

  it('equals the brute-force full conformal rank: every bag member scored against the other m (Fisher, min, tpm)', () => {
    // Each statistic written out from its definition on the parts' log q (bagLogq).
    const logTau = Math.log(TPM_TAU);
    const statistics: Record<Combination, (l: number[]) => number> = {
      fisher: (l) => l.reduce((a, x) => a - 2 * x, 0),
      min: (l) => -2 * Math.min(...l),
      tpm: (l) => l.reduce((a, x) => a + Math.max(0, logTau - x), 0) - 1e-6 * Math.min(...l),
    };
    const r = rng(5);
    for (const how of ['fisher', 'min', 'tpm'] as const) {
      for (let t = 0; t < 200; t++) {
        // tpm needs q <= 0.01, so m up to 300 there.
        const m = 1 + Math.floor(r() * (how === 'tpm' ? 300 : 12));
        const k = 2 + Math.floor(r() * 2);
        // Few distinct values: ties everywhere.
        const v = () => Math.floor(r() * (how === 'tpm' ? 50 : 5));
        const rows = Array.from({ length: m * k }, v);
        const test = Array.from({ length: k }, v);
        const bag = [...Array.from({ length: m }, (_, i) => rows.slice(i * k, (i + 1) * k)), test];
        const q = test.map((_, c) => bagLogq(bag.map((row) => row[c]), m));
        const F = bag.map((s, i) => statistics[how](s.map((_, c) => q[c][i])));
        const expected = (F.slice(0, m).filter((f) => f >= F[m] - 1e-9).length + 1) / (m + 1);
        expect(combine(test, rows, how).q).toBeCloseTo(expected, 12);
        expect(combine(test, rows, how).score).toBeCloseTo(F[m], 9);
      }
    }
  });

  it('groups: equals the brute-force two-level rank (each group of several parts combined by its own rule and ranked in the bag first; the joint look one more witness; hedged with one part alone, a third level)', () => {
    // tpm's tie-break: Tippett's term inside a group, Fisher's sum across the groups' witnesses.
    // On log q (bagLogq).
    const logTau = Math.log(TPM_TAU);
    const statistic = (how: Combination, l: number[], across = false) =>
      how === 'fisher' ? l.reduce((a, x) => a - 2 * x, 0) : how === 'min' ? -2 * Math.min(...l) : l.reduce((a, x) => a + Math.max(0, logTau - x), 0) - 1e-6 * (across ? l.reduce((a, x) => a + x, 0) : Math.min(...l));
    const r = rng(9);
    for (const how of ['fisher', 'min', 'tpm'] as const) {
      for (let t = 0; t < 150; t++) {
        const m = 1 + Math.floor(r() * (how === 'tpm' ? 300 : 15));
        // 2-4 parts in the first group (the scans), 1-3 in the second (energy and Gaussian), sometimes one more alone.
        const groups = [2 + Math.floor(r() * 3), 1 + Math.floor(r() * 3), ...(r() < 0.3 ? [1] : [])];
        // Half the time each group with a rule of its own (witnessRules: the scans by their minimum under TPM).
        const within = r() < 0.5 ? groups.map(() => (['fisher', 'min', 'tpm'] as const)[Math.floor(r() * 3)]) : undefined;
        const k = groups.reduce((a, b) => a + b, 0);
        const v = () => Math.floor(r() * (how === 'tpm' ? 50 : 5));
        const rows = Array.from({ length: m * k }, v);
        const test = Array.from({ length: k }, v);
        const bag = [...Array.from({ length: m }, (_, i) => rows.slice(i * k, (i + 1) * k)), test];
        // Every bag member's part log q against the other m members.
        const byPart = test.map((_, c) => bagLogq(bag.map((row) => row[c]), m));
        const lq = bag.map((s, i) => s.map((_, c) => byPart[c][i]));
        const starts = groups.map((_, j) => groups.slice(0, j).reduce((a, b) => a + b, 0));
        // Each group's log q per member: its own part's, or its statistic's among the m + 1 members.
        const gq = groups.map((size, j) => {
          if (size === 1) return lq.map((row) => row[starts[j]]);
          return bagLogq(lq.map((row) => statistic(within?.[j] ?? how, row.slice(starts[j], starts[j] + size))), m);
        });
        // Half the time the joint look at some of the parts, one more witness ranked in the bag.
        const joint = r() < 0.5 ? test.map((_, c) => c).filter(() => r() < 0.7) : undefined;
        if (joint && joint.length >= 2) gq.push(bagLogq(jointRef(lq, joint), m));
        const W = bag.map((_, i) => statistic(how, gq.map((g) => g[i]), true));
        // Half the time hedged with one part alone: the witnesses' statistic ranked in the bag, then Fisher's sum with that part's log q.
        const hedge = r() < 0.5 ? Math.floor(r() * k) : undefined;
        const wq = bagLogq(W, m);
        const F = hedge === undefined ? W : bag.map((_, i) => -2 * (wq[i] + lq[i][hedge]));
        // Ties within rounding of F, as combine counts them (Fisher's tie-break tells apart sums 1e-11 apart).
        const expected = (F.slice(0, m).filter((f) => f >= F[m] - 1e-12 * Math.max(1, Math.abs(F[m]))).length + 1) / (m + 1);
        expect(combine(test, rows, how, groups, within, joint, hedge).q).toBeCloseTo(expected, 12);
        expect(combine(test, rows, how, groups, within, joint, hedge).score).toBeCloseTo(F[m], 9);
      }
    }
  });

  it.each(['min', 'tpm'] as const)('groups: holds its false-positive rate, hedged with one part or not (%s)', (how) => {
    const r = rng(13);
    // Four parts: two correlated scans in one group, two more parts alone.
    const draw4 = () => [...draw(r), -Math.log(1 - r()), ...draw(r).slice(0, 1)];
    for (const m of [19, 200]) {
      const trials = 4000;
      let flagged = 0;
      let hedged = 0;
      for (let t = 0; t < trials; t++) {
        const rows = Array.from({ length: m }, draw4).flat();
        const test = draw4();
        if (combine(test, rows, how, [2, 1, 1]).q <= 0.05) flagged++;
        if (combine(test, rows, how, [2, 1, 1], undefined, undefined, 3).q <= 0.05) hedged++;
      }
      expect(flagged / trials).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt((0.05 * 0.95) / trials));
      expect(hedged / trials).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt((0.05 * 0.95) / trials));
    }
  });

  it("the product's grouping: the scans one witness (under TPM by their minimum), each model-level part its own, with their joint look where chosen; flat: every part alone", () => {
    const r = rng(21);
    const m = 150;
    const rows = Array.from({ length: m * 6 }, () => r());
    for (let t = 0; t < 20; t++) {
      const parts = Array.from({ length: 6 }, () => r() * 1.05);
      const scans = parts.slice(0, 4);
      const all = [0, 1, 2, 3, 4, 5];
      expect(combineParts(scans, parts, rows, 'tpm')).toEqual(combine(parts, rows, 'tpm', [4, 1, 1], ['min', 'tpm', 'tpm']));
      expect(combineParts(scans, parts, rows, 'min')).toEqual(combine(parts, rows, 'min', [4, 1, 1]));
      expect(combineParts(scans, parts, rows, 'tpm', { joint: true })).toEqual(combine(parts, rows, 'tpm', [4, 1, 1], ['min', 'tpm', 'tpm'], all));
      expect(combineParts(scans, parts, rows, 'min', { joint: true })).toEqual(combine(parts, rows, 'min', [4, 1, 1], undefined, all));
      expect(combineParts(scans, parts, rows, 'tpm', { flat: true })).toEqual(combine(parts, rows, 'tpm'));
    }
    // The rule matters: inside the scans, TPM adds up the strong ones, the minimum keeps the strongest.
    const strong = Array.from({ length: 50 }, () => [0.98 + r() * 0.02, 0.98 + r() * 0.02, 0.98 + r() * 0.02, 0.98 + r() * 0.02, r(), r()]);
    expect(strong.some((a) => combineParts(a.slice(0, 4), a, rows, 'tpm').q !== combine(a, rows, 'tpm', [4, 1, 1]).q)).toBe(true);
  });

  it('the quiet look: the first scan ranked from below is a fifth look in the scans\' witness, and an image quieter than every clean one is flagged', () => {
    const r = rng(29);
    const m = 600;
    const rows = Array.from({ length: m * 6 }, () => r());
    // Each calibration row with minus its first scan after the scans, as the look the witness takes.
    const looks = Array.from({ length: m }, (_, i) => rows.slice(i * 6, i * 6 + 6)).flatMap((row) => [...row.slice(0, 4), -row[0], ...row.slice(4)]);
    for (let t = 0; t < 20; t++) {
      const parts = Array.from({ length: 6 }, () => r());
      const withLook = [...parts.slice(0, 4), -parts[0], ...parts.slice(4)];
      expect(combineParts(parts.slice(0, 4), parts, rows, 'tpm', { quiet: 0 })).toEqual(combine(withLook, looks, 'tpm', [5, 1, 1], ['min', 'tpm', 'tpm']));
      // The joint look reads each part once: not the quiet look (look 4), its first scan from below.
      expect(combineParts(parts.slice(0, 4), parts, rows, 'tpm', { quiet: 0, joint: true })).toEqual(combine(withLook, looks, 'tpm', [5, 1, 1], ['min', 'tpm', 'tpm'], [0, 1, 2, 3, 5, 6]));
    }
    // Below every calibration image in the first scan, ordinary elsewhere.
    const quiet = [-1, 0.5, 0.5, 0.5, 0.5, 0.5];
    expect(combineParts(quiet.slice(0, 4), quiet, rows, 'tpm', { quiet: 0 }).q).toBeLessThanOrEqual(0.05);
    expect(combineParts(quiet.slice(0, 4), quiet, rows, 'tpm').q).toBeGreaterThan(0.5);
    // A table of 6 parts is not the one of an image with 7 (its 3,600 values would divide into rows of 8 looks): no q.
    expect(combineParts(quiet.slice(0, 4), [...quiet, 0.5], rows, 'tpm', { quiet: 0 }).q).toBeNaN();
  });

  it('the joint look: two parts that move together in clean images, one out and the other ordinary, is flagged, though neither part is far out', () => {
    const r = rng(41);
    const m = 500;
    // Parts 0 and 1 are two looks at the same evidence (correlation about 0.95); part 2 is other evidence.
    const row = () => {
      const e = -Math.log(1 - r());
      return [e + 0.3 * r(), e + 0.3 * r(), -Math.log(1 - r())];
    };
    const rows = Array.from({ length: m }, row).flat();
    const sorted = (c: number) => rows.filter((_, i) => i % 3 === c).sort((a, b) => a - b);
    // At the 97th percentile of part 0 and the 30th of part 1.
    const odd = [sorted(0)[Math.floor(0.97 * m)], sorted(1)[Math.floor(0.3 * m)], sorted(2)[m >> 1]];
    const apart = combine(odd, rows, 'tpm', [1, 1, 1]);
    const together = combine(odd, rows, 'tpm', [1, 1, 1], undefined, [0, 1, 2]);
    expect(apart.q).toBeGreaterThan(0.1);
    expect(together.q).toBeLessThanOrEqual(0.02);
  });

  it.each([false, true])('with the quiet look (and the joint look: %s), holds its false-positive rate', (joint) => {
    const r = rng(37);
    const draw6 = () => [...draw(r), ...draw(r), -Math.log(1 - r()), -Math.log(1 - r())];
    for (const m of [19, 200]) {
      const trials = 4000;
      let flagged = 0;
      for (let t = 0; t < trials; t++) {
        const rows = Array.from({ length: m }, draw6).flat();
        const x = draw6();
        if (combineParts(x.slice(0, 4), x, rows, 'tpm', { quiet: 0, joint }).q <= 0.05) flagged++;
      }
      expect(flagged / trials).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt((0.05 * 0.95) / trials));
    }
  });

  it('beyond every calibration image, an image keeps its distance: its score grows with it, its q falls to 1 / (m + 1)', () => {
    const r = rng(23);
    const m = 300;
    const rows = Array.from({ length: m }, () => draw(r)).flat();
    const top = Math.max(...rows.filter((_, i) => i % 2 === 0));
    for (const how of ['fisher', 'min', 'tpm'] as const) {
      const at = [0.01, 1, 10, 100].map((beyond) => combine([top + beyond, 1], rows, how));
      for (let i = 1; i < at.length; i++) {
        expect(at[i].score).toBeGreaterThan(at[i - 1].score);
        expect(at[i].q).toBeLessThanOrEqual(at[i - 1].q);
      }
      expect(at[at.length - 1].q).toBeCloseTo(1 / (m + 1), 12);
    }
  });

  it("the tail beyond the calibration scores is the distribution's own where that is exponential", () => {
    // Exponential scores: P(S > s) = exp(-s), so the score at which it is 1e-5 has q near 1e-5 though m is
    // 4,000 and ranks alone stop at 1 / 4,001; within 3 standard errors of the fit: the mean excess of the
    // top K has relative error 1 / sqrt(K), and log q errs by that times the distance (s - u) / beta.
    const r = rng(31);
    const m = 4000;
    const K = Math.round(TAIL_SHARE * (m + 1));
    const u = Math.log((m + 1) / (K + 1));
    const rows = Array.from({ length: m }, () => [-Math.log(1 - r()), -Math.log(1 - r())]).flat();
    for (const target of [1e-5, 1e-8]) {
      // min: F = -2 log min q, and the second part is typical, so the first part's q is exp(-F / 2).
      const s = -Math.log(target);
      const q = Math.exp(-combine([s, 0.7], rows, 'min').score / 2);
      expect(Math.abs(Math.log(q / target))).toBeLessThan((3 * (s - u)) / Math.sqrt(K));
    }
  });

  it('groups must add up to the parts', () => {
    expect(() => combine([1, 2, 3], [1, 2, 3], 'tpm', [2, 2])).toThrow(/do not add up to 3 parts/);
  });

  it('without calibration: q is NaN and the score is the sum of the parts', () => {
    const c = combine([2, 3], undefined);
    expect(c.score).toBe(5);
    expect(Number.isNaN(c.q)).toBe(true);
  });
});

describe("the logit part (the model's energy as one more calibrated part)", () => {
  const nodes = 40;
  const bg = reluRows(300, nodes, 3);
  const scan: ScanSettings = { aMax: 0.5, tail: 'both', pointP: 'mid', combine: 'min', logits: 'energy' };
  const profile = buildProfile(bg, 300, { layers: layers1(nodes), bins: 8, strategy: 'tail', tail: 'both' }, { fingerprint: 'f', reduction: 'element', scan });
  const pv = histogramPValueFn(profile);
  const cal = reluRows(60, nodes, 4);
  const r = rng(9);
  const logitsOf = () => Float32Array.from({ length: 5 }, () => 3 * r());
  const calLogits = Array.from({ length: 60 }, logitsOf);
  const collector = new CalibrationCollector(pv, scan, ['hc']);
  for (let i = 0; i < 60; i++) collector.add(cal.subarray(i * nodes, (i + 1) * nodes), calLogits[i]);
  const table = collector.finish(nodes);

  it('is a column of the calibration table, after the scans', () => {
    expect(table.parts).toEqual(['upper', 'lower', 'energy']);
    expect(table.scores.hc).toHaveLength(60 * 3);
    calLogits.forEach((l, i) => expect(table.scores.hc![i * 3 + 2]).toBe(energy(l)));
  });

  it('is ranked like a scan part when calibrated, and left out of the raw score when not', () => {
    const x = reluRows(1, nodes, 11);
    const typical = scoreImage(pv, x, scan, 'hc', calLogits[0], table);
    // Logits far less confident than any calibration image's: energy beyond every calibration row.
    const unsure = scoreImage(pv, x, scan, 'hc', new Float32Array(5).fill(-20), table);
    expect(unsure.parts.slice(0, 2)).toEqual(typical.parts.slice(0, 2));
    expect(unsure.parts[2]).toBe(energy(new Float32Array(5).fill(-20)));
    // Tippett over 3 parts: the energy part alone reaches the smallest q the table allows.
    expect(unsure.q).toBeLessThanOrEqual(3 / 61);
    expect(unsure.q).toBeLessThan(typical.q);
    const raw = scoreImage(pv, x, scan, 'hc', calLogits[0]);
    expect(Number.isNaN(raw.q)).toBe(true);
    expect(raw.score).toBeCloseTo(raw.parts[0] + raw.parts[1], 12);
  });

  it('travels in the .hsp header, is part of the digest, and a malformed one is refused', () => {
    const back = decodeProfile(encodeProfile(profile));
    expect(back.header.scan.logits).toBe('energy');
    const without = { ...profile, header: { ...profile.header, scan: { ...scan, logits: undefined } } };
    expect(profileDigest(without)).not.toBe(profileDigest(profile));
    const bad = { ...profile, header: { ...profile.header, scan: { ...scan, logits: 'msp' as 'energy' } } };
    expect(() => decodeProfile(encodeProfile(bad))).toThrow(ProfileError);
  });
});
