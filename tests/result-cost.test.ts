// What a result costs beyond its p-values and scan: the page's timings count the p-values and the scan, not
// the result built around them, so that must stay small beside them on a large model (80,000 nodes, an OCR
// recogniser's 6,625 classes), where a full sort and a mapped typed array once cost more than both.
import { describe, expect, it } from 'vitest';
import { beyondRange } from '../src/core/pvalues.ts';
import { rng } from '../src/core/rng.ts';
import { topClasses } from '../src/detector/scorer.ts';

/** The fastest of a few runs, in ms. */
const fastest = (f: () => unknown) => Math.min(...[0, 1, 2].map(() => { const t = performance.now(); f(); return performance.now() - t; }));

describe("a result's own work", () => {
  it('topClasses gives what a stable full sort by probability gives, for every way of reading scores', () => {
    const r = rng(7);
    for (const how of ['softmax', 'sigmoid', 'as-is'] as const) {
      // Ties: as-is clamps every score above 1 to probability 1, and repeated values tie under every reading.
      const logits = Float32Array.from({ length: 500 }, () => Math.round(r() * 40) / 10 - 1);
      const max = Math.max(...logits);
      const sum = Array.from(logits, (v) => Math.exp(v - max)).reduce((a, b) => a + b, 0);
      const prob = (v: number) => (how === 'as-is' ? Math.min(1, Math.max(0, v)) : how === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : Math.exp(v - max) / sum);
      const want = Array.from(logits, (v, index) => ({ index, label: `c${index}`, prob: prob(v) })).sort((a, b) => b.prob - a.prob);
      const names = Array.from(logits, (_, i) => `c${i}`);
      for (const k of [1, 3, 10]) expect(topClasses(logits, names, how, k)).toEqual(want.slice(0, k));
    }
    expect(topClasses(Float32Array.of(1, 2), undefined, 'softmax', 0)).toEqual([]);
  });

  it('on a large model, the top classes and the distances beyond the background range take a few ms, not hundreds', () => {
    const r = rng(3);
    const logits = Float32Array.from({ length: 265_000 }, () => r() * 10); // 40 positions × 6,625 classes, as if not averaged
    const n = 1_000_000;
    const values = Float32Array.from({ length: n }, () => 2 * r());
    const [lo, hi] = [new Float32Array(n), new Float32Array(n).fill(1)];
    // Before: about 530 ms and 320 ms here; after: about 30 ms and 25 ms (a shared machine: the bound leaves room).
    expect(fastest(() => topClasses(logits, undefined))).toBeLessThan(150);
    expect(fastest(() => beyondRange(values, lo, hi))).toBeLessThan(150);
  });
});
