import { describe, expect, it } from 'vitest';
import { betaBinomialTail, binomialTail, excessNote } from '../../src/core/verdict.ts';
import { rng } from '../../src/core/rng.ts';

/** P(X >= k) by summing every probability mass term directly (small n only). */
function direct(k: number, n: number, p: number): number {
  let s = 0;
  for (let i = k; i <= n; i++) {
    let c = 1;
    for (let j = 0; j < i; j++) c = (c * (n - j)) / (j + 1);
    s += c * p ** i * (1 - p) ** (n - i);
  }
  return s;
}

describe('a batch with more unusual verdicts than its FPR allows', () => {
  it('binomialTail equals the direct sum of the binomial probabilities', () => {
    for (const n of [1, 5, 20, 60])
      for (const p of [0.01, 0.05, 0.3, 0.9])
        for (let k = 0; k <= n; k += Math.max(1, Math.floor(n / 7))) expect(binomialTail(k, n, p)).toBeCloseTo(direct(k, n, p), 12);
    // Large n, k below the mean: the first terms underflow and the sum is still ~1.
    expect(binomialTail(1, 10_000, 0.5)).toBeCloseTo(1, 12);
    expect(binomialTail(0, 3, 0.5)).toBe(1);
    expect(binomialTail(4, 3, 0.5)).toBe(0);
  });

  it('is called out only when that many is unlikely under the FPR', () => {
    // 39 of 200 at 5% (the photo model's clean crops against calibration from other photos): P ~ 1e-11.
    expect(excessNote(39, 200, 0.05)).toMatch(/^39 of 200 images \(19\.5%\) are unusual, far more than the 5%/);
    // 52 of 1,000 at 5% (the default profile on its clean test set): ordinary.
    expect(excessNote(52, 1000, 0.05)).toBeNull();
    expect(excessNote(1, 1, 0.05)).toBeNull();
    expect(excessNote(0, 0, 0.05)).toBeNull();
  });

  it('betaBinomialTail equals the binomial tail averaged over Beta(a, b) rates, integrated numerically', () => {
    // Beta density by its normalising constant, computed with factorials: a, b integers.
    const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
    for (const [n, a, b] of [[10, 1, 19], [50, 3, 58], [30, 2, 2]]) {
      const norm = fact(a + b - 1) / (fact(a - 1) * fact(b - 1));
      const grid = 20_000;
      for (const x of [0, 1, 3, 7, n]) {
        let integral = 0;
        for (let i = 0; i < grid; i++) {
          const p = (i + 0.5) / grid;
          integral += binomialTail(x, n, p) * norm * p ** (a - 1) * (1 - p) ** (b - 1);
        }
        expect(betaBinomialTail(x, n, a, b)).toBeCloseTo(integral / grid, 6);
      }
    }
    expect(betaBinomialTail(0, 5, 1, 1)).toBe(1);
    expect(betaBinomialTail(6, 5, 1, 1)).toBe(0);
  });

  it('is the law of the count a calibration draw flags: full conformal q of exchangeable scores, simulated', () => {
    const r = rng(11);
    const [m, n, fpr, draws] = [19, 40, 0.05, 20_000];
    const k = Math.floor(fpr * (m + 1));
    const counts = new Array(n + 1).fill(0);
    for (let d = 0; d < draws; d++) {
      const cal = Array.from({ length: m }, () => r());
      let flagged = 0;
      for (let t = 0; t < n; t++) {
        const s = r();
        const q = (1 + cal.filter((c) => c >= s).length) / (m + 1);
        if (q <= fpr) flagged++;
      }
      counts[flagged]++;
    }
    for (const x of [1, 3, 6, 10]) {
      const share = counts.slice(x).reduce((a, b) => a + b, 0) / draws;
      expect(Math.abs(share - betaBinomialTail(x, n, k, m + 1 - k))).toBeLessThan(0.01);
      // The binomial at the FPR itself understates the tail of a small calibration.
      if (x >= 6) expect(binomialTail(x, n, fpr)).toBeLessThan(share / 2);
    }
  });

  it('allows for a small calibration\'s own spread: no note for a clean batch such a draw can give, a note where none can', () => {
    // 100 of 1,000 (10%) at 5%: one in a thousand under the FPR exactly, but within what a draw of 60 calibration
    // images flags at (90% of draws: 1.4%-10.1%); beyond what 2,000 allow.
    expect(excessNote(100, 1000, 0.05)).not.toBeNull();
    expect(excessNote(100, 1000, 0.05, 60)).toBeNull();
    expect(excessNote(100, 1000, 0.05, 2000)).toMatch(/even allowing for the spread of a calibration on 2000 images/);
    // 39 of 200 against calibration from other photos: noted with 500 calibration images too.
    expect(excessNote(39, 200, 0.05, 500)).not.toBeNull();
    expect(excessNote(52, 1000, 0.05, 2000)).toBeNull();
  });
});
