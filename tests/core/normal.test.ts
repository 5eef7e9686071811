import { describe, expect, it } from 'vitest';
import { normalQuantileOfLog } from '../../src/core/normal.ts';

describe('normalQuantileOfLog', () => {
  it("equals Python's statistics.NormalDist().inv_cdf (Wichura's AS241) across the range, from log p", () => {
    // Reference values: python3 -c "from statistics import NormalDist; print(NormalDist().inv_cdf(p))"
    const cases: [number, number][] = [
      [1e-300, -37.0470962993612],
      [1e-10, -6.361340902404056],
      [0.02, -2.0537489106318225],
      [0.02425, -1.9729610513118845],
      [0.3, -0.5244005127080407],
      [0.5, 0],
      [0.975, 1.9599639845400536],
      [0.999, 3.090232306167813],
    ];
    for (const [p, x] of cases) expect(normalQuantileOfLog(Math.log(p))).toBeCloseTo(x, 7);
  });

  it('keeps going below the smallest double (log p of -2000) and is monotone', () => {
    const far = normalQuantileOfLog(-2000);
    expect(far).toBeLessThan(-60);
    expect(Number.isFinite(far)).toBe(true);
    let last = -Infinity;
    for (let l = -50; l <= -1e-6; l += 0.01) {
      const x = normalQuantileOfLog(l);
      expect(x).toBeGreaterThan(last);
      last = x;
    }
    expect(normalQuantileOfLog(0)).toBe(Infinity);
    expect(() => normalQuantileOfLog(0.1)).toThrow(RangeError);
  });
});
