import { describe, expect, it } from 'vitest';
import { combine } from '../../src/core/score.ts';
import { rng } from '../../src/core/rng.ts';

/** Two correlated part scores per image, like an upper- and a lower-tail scan of the same image. */
function draw(r: () => number): [number, number] {
  const z = -Math.log(1 - r());
  return [z + 0.5 * -Math.log(1 - r()), 0.7 * z + -Math.log(1 - r())];
}

describe('combined calibration (several parts, Fisher, full conformal q)', () => {
  it('holds its false-positive rate at small and large calibration sets', () => {
    const r = rng(12);
    for (const m of [19, 50, 200]) {
      const trials = 6000;
      for (const fpr of [0.05, 0.1]) {
        let flagged = 0;
        for (let t = 0; t < trials; t++) {
          const rows = Array.from({ length: m }, () => draw(r)).flat();
          if (combine(draw(r), rows).q <= fpr) flagged++;
        }
        // Valid: at most nominal, up to 3 sigma of the simulation.
        expect(flagged / trials).toBeLessThanOrEqual(fpr + 3 * Math.sqrt((fpr * (1 - fpr)) / trials));
      }
    }
  });

  it('equals the brute-force full conformal rank: every bag member scored against the other m', () => {
    const r = rng(5);
    for (let t = 0; t < 200; t++) {
      const m = 1 + Math.floor(r() * 12);
      // Few distinct values: ties everywhere.
      const v = () => Math.floor(r() * 5);
      const rows = Array.from({ length: m * 2 }, v);
      const test = [v(), v()];
      const bag = [...Array.from({ length: m }, (_, i) => [rows[2 * i], rows[2 * i + 1]]), test];
      const F = bag.map((s, i) =>
        s.reduce((acc, x, c) => acc - 2 * Math.log((bag.filter((o, k) => k !== i && o[c] >= x).length + 1) / (m + 1)), 0),
      );
      const q = (F.slice(0, m).filter((f) => f >= F[m] - 1e-12).length + 1) / (m + 1);
      expect(combine(test, rows).q).toBeCloseTo(q, 12);
      expect(combine(test, rows).score).toBeCloseTo(F[m], 12);
    }
  });

  it('without calibration: q is NaN and the score is the sum of the parts', () => {
    const c = combine([2, 3], undefined);
    expect(c.score).toBe(5);
    expect(Number.isNaN(c.q)).toBe(true);
  });
});
