import { describe, expect, it } from 'vitest';
import { compareAuc, zOfLevel } from '../../src/core/metrics.ts';
import { correctForPeers, versusPeers, type PeerComparison } from '../../src/core/versus.ts';
import { rng } from '../../src/core/rng.ts';
import { evalTable, versusHeader, versusText } from '../../src/cli/eval-output.ts';
import type { EvalResult } from '../../src/cli/eval.ts';

/** Standard normal draws (Box-Muller) from the seeded generator. */
const normal = (r: () => number) => () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

describe('histoscan against every peer, Bonferroni over the peers', () => {
  it('says "behind" at most about the nominal 2.5% where histoscan and four peers are equally good; the best peer alone at 95% says it far more often', () => {
    const z = normal(rng(21));
    const trials = 1000;
    const n = 40;
    const m = 4;
    let behind = 0;
    let ahead = 0;
    let behindBestAlone = 0;
    for (let t = 0; t < trials; t++) {
      // Five scorers of equal true AUC, correlated through a shared latent value per image (correlation 1/2).
      const latN = Array.from({ length: n }, () => z());
      const latP = Array.from({ length: n }, () => z() + 1);
      const scorer = () => ({ clean: latN.map((v) => v + z()), anomalous: latP.map((v) => v + z()) });
      const mine = scorer();
      const peers = Array.from({ length: m }, (_, k) => ({ name: `peer ${k}`, ...scorer() }));
      const comparisons = peers.map((p) => ({ ...compareAuc(mine.clean, mine.anomalous, p.clean, p.anomalous), peer: p.name }));
      const v = correctForPeers(comparisons)!;
      if (v.shows === 'behind') behind++;
      if (v.shows === 'ahead') ahead++;
      // The old rule: the peer of the highest AUC, its 95% interval below 0.
      const best = comparisons.reduce((b, c) => (c.b > b.b ? c : b));
      if (best.hi < 0) behindBestAlone++;
    }
    // Nominal one-sided rate 2.5%; three binomial standard errors at this many draws above it.
    const margin = 0.025 + 3 * Math.sqrt((0.025 * 0.975) / trials);
    expect(behind / trials).toBeLessThanOrEqual(margin);
    expect(ahead / trials).toBeLessThanOrEqual(margin);
    expect(behindBestAlone / trials).toBeGreaterThan(margin);
  });

  it('still says "behind" where histoscan is worse than one of its peers', () => {
    const z = normal(rng(22));
    const trials = 40;
    let behind = 0;
    for (let t = 0; t < trials; t++) {
      const latN = Array.from({ length: 300 }, () => z());
      const latP = Array.from({ length: 300 }, () => z() + 1);
      const scorer = (noise: number) => ({ auc: NaN, clean: latN.map((v) => v + noise * z()), anomalous: latP.map((v) => v + noise * z()) });
      const v = versusPeers(scorer(1), [1, 1, 0].map((noise, k) => ({ name: `peer ${k}`, ...scorer(noise) })))!;
      if (v.shows === 'behind') behind++;
    }
    expect(behind / trials).toBeGreaterThan(0.75);
  });

  it('one peer is the plain 95% comparison; m peers widen the interval to 1 − 0.05/m and multiply p by m', () => {
    const z = normal(rng(23));
    const side = (shift: number) => Array.from({ length: 30 }, () => z() + shift);
    const mine = { auc: 0.8, clean: side(0), anomalous: side(1) };
    const peer = (name: string) => ({ name, auc: 0.7, clean: side(0), anomalous: side(0.5) });
    const a = peer('a');
    const one = versusPeers(mine, [a])!;
    expect(one.peers).toBe(1);
    expect(one.level).toBe(0.95);
    expect(one.adjusted.lo).toBeCloseTo(one.lo, 12);
    expect(one.adjusted.hi).toBeCloseTo(one.hi, 12);
    expect(one.adjusted.p).toBe(one.p);
    const four = versusPeers(mine, [a, peer('b'), peer('c'), peer('d')])!;
    expect(four.peers).toBe(4);
    expect(four.level).toBeCloseTo(0.9875, 12);
    expect(four.against).toHaveLength(4);
    const first = four.against.find((c) => c.peer === 'a')!;
    expect(first.p).toBe(one.p);
    const best = four.against.find((c) => c.peer === four.peer)!;
    expect(four.adjusted.p).toBeCloseTo(Math.min(1, 4 * best.p), 12);
    expect(four.adjusted.hi - four.adjusted.diff).toBeCloseTo(zOfLevel(0.9875) * best.se, 12);
    expect(zOfLevel(0.9875)).toBeCloseTo(2.497705, 5);
    expect(versusPeers(mine, [])).toBeNull();
  });
});

/** A comparison with a peer at AUC b, from Δ, its standard error and the two-sided p they give. */
const cmp = (peer: string, b: number, diff: number, se: number, p: number): PeerComparison => ({ peer, a: b + diff, b, diff, se, lo: diff - 1.96 * se, hi: diff + 1.96 * se, p });

describe('the comparison in words', () => {
  it('"ahead" only where every peer is behind histoscan after the correction; otherwise the peer that stops it is named', () => {
    const ahead = correctForPeers([cmp('knn', 0.9, 0.05, 0.01, 5.7e-7), cmp('msp', 0.8, 0.15, 0.02, 6e-14)])!;
    expect(ahead.shows).toBe('ahead');
    expect(versusText(ahead)).toBe('0.950 vs 0.900 knn: Δ +0.050 [+0.028, +0.072], p < 0.001, ahead');
    // Ahead of the best peer, but not shown ahead of a weaker one whose scores differ more from histoscan's.
    const notAll = correctForPeers([cmp('knn', 0.9, 0.05, 0.01, 5.7e-7), cmp('msp', 0.89, 0.06, 0.04, 0.134)])!;
    expect(notAll.shows).toBe('no difference shown');
    expect(versusText(notAll)).toBe('0.950 vs 0.900 knn: Δ +0.050 [+0.028, +0.072], p < 0.001, no difference shown (not shown ahead of msp: Δ +0.060 [−0.030, +0.150], p 0.268)');
  });

  it('"behind" where histoscan is behind any peer after the correction, naming it where it is not the best', () => {
    const behindBest = correctForPeers([cmp('mahalanobis', 0.85, -0.06, 0.02, 0.0027), cmp('energy', 0.5, 0.3, 0.03, 0)])!;
    expect(behindBest.shows).toBe('behind');
    expect(versusText(behindBest)).toBe('0.790 vs 0.850 mahalanobis: Δ −0.060 [−0.105, −0.015], p 0.005, behind');
    const behindOther = correctForPeers([cmp('knn', 0.86, -0.06, 0.04, 0.134), cmp('mahalanobis', 0.85, -0.05, 0.01, 5.7e-7)])!;
    expect(behindOther.peer).toBe('knn');
    expect(behindOther.shows).toBe('behind');
    expect(versusText(behindOther)).toBe('0.800 vs 0.860 knn: Δ −0.060 [−0.150, +0.030], p 0.268, behind (behind mahalanobis: Δ −0.050 [−0.072, −0.028], p < 0.001)');
  });

  it('a gap that the plain 95% test calls "behind" is no difference shown among four peers', () => {
    const v = correctForPeers([cmp('energy', 0.746, -0.065, 0.03, 0.0303), cmp('msp', 0.746, -0.064, 0.03, 0.0329), cmp('knn', 0.699, -0.017, 0.03, 0.57), cmp('mahalanobis', 0.525, 0.157, 0.04, 8.7e-5)])!;
    expect(v.lo).toBeLessThan(v.hi);
    expect(v.hi).toBeLessThan(0); // behind energy by the plain test
    expect(v.shows).toBe('no difference shown');
    expect(versusText(v)).toBe('0.681 vs 0.746 energy: Δ −0.065 [−0.140, +0.010], p 0.121, no difference shown');
  });

  it('too few images to compare, and the header gives the rule and the levels', () => {
    const few = correctForPeers([cmp('knn', 0.5, 0.5, NaN, NaN)])!;
    expect(versusText(few)).toBe('1.000 vs 0.500 knn: too few images to compare (two or more per side)');
    const four = correctForPeers([cmp('a', 0.8, 0, 0.01, 1), cmp('b', 0.7, 0.1, 0.01, 0), cmp('c', 0.7, 0.1, 0.01, 0), cmp('d', 0.7, 0.1, 0.01, 0)])!;
    const one = correctForPeers([cmp('a', 0.8, 0, 0.01, 1)])!;
    expect(versusHeader([four, four])).toContain('interval at 1 − 0.05/m (98.75% for m = 4) and p times m, Bonferroni: "behind" = behind at least one peer, "ahead" = ahead of every peer');
    expect(versusHeader([four, one])).toContain('(95% for m = 1, 98.75% for m = 4)');
  });

  it("eval's table ends with the header and a line per histoscan row and set", () => {
    const v = correctForPeers([cmp('energy', 0.746, -0.065, 0.03, 0.0303), cmp('knn', 0.6, 0.08, 0.03, 0.0077)])!;
    const row = { method: 'histogram', kind: 'histoscan', set: 'script', auc: 0.681, bytes: 1e6, scanMsPerImage: 1, images: { clean: 250, anomalous: 125 }, versusBestPeer: v } as unknown as EvalResult;
    const lines = evalTable([row]).split('\n');
    expect(lines[0]).toBe('Images scored: clean 250; script 125.');
    // The half scored is said where it is one, with how to score the folders whole.
    expect(evalTable([row], 'dev').split('\n')[0]).toBe('Images scored (the dev half of each folder; --split all scores them whole): clean 250; script 125.');
    expect(lines.at(-2)).toBe(versusHeader([v]));
    expect(lines.at(-2)).toContain('(97.5% for m = 2)');
    expect(lines.at(-1)).toBe(`  histogram  script  ${versusText(v)}`);
  });
});
