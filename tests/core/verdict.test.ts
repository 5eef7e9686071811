import { describe, expect, it } from 'vitest';
import { binomialTail, excessNote } from '../../src/core/verdict.ts';

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
});
