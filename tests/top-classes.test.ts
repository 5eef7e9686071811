// The result's top classes are found in one pass (a full sort of an object per class cost more than the p-values
// and the scan on an OCR recogniser's 6,625 classes): they must be what a stable full sort gives.
import { describe, expect, it } from 'vitest';
import { rng } from '../src/core/rng.ts';
import { topClasses } from '../src/detector/scorer.ts';

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
});
