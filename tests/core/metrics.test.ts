import { describe, expect, it } from 'vitest';
import { auc, roc } from '../../src/core/metrics.ts';
import { combine } from '../../src/core/combine.ts';
import { rng } from '../../src/core/rng.ts';

describe('ROC and AUC', () => {
  it('AUC equals the Mann-Whitney U statistic (ties count one half)', () => {
    const r = rng(2);
    for (let t = 0; t < 50; t++) {
      const neg = Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 10));
      const pos = Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 12));
      let u = 0;
      for (const p of pos) for (const n of neg) u += p > n ? 1 : p === n ? 0.5 : 0;
      expect(auc(neg, pos)).toBeCloseTo(u / (pos.length * neg.length), 12);
    }
  });

  it('ROC runs from (0,0) to (1,1), and its trapezoid area is the AUC', () => {
    const r = rng(3);
    const neg = Array.from({ length: 200 }, () => Math.round(r() * 20));
    const pos = Array.from({ length: 150 }, () => Math.round(r() * 20 + 4));
    const c = roc(neg, pos);
    expect([c.fpr[0], c.tpr[0]]).toEqual([0, 0]);
    expect([c.fpr.at(-1), c.tpr.at(-1)]).toEqual([1, 1]);
    let area = 0;
    for (let i = 1; i < c.fpr.length; i++) area += ((c.fpr[i] - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1])) / 2;
    expect(area).toBeCloseTo(auc(neg, pos), 12);
  });

  it('calibrated q counts calibration scores at or above the score', () => {
    const cal = [3, 2, 5, 1, 2];
    expect(combine([0], cal).q).toBeCloseTo(6 / 6);
    expect(combine([2], cal).q).toBeCloseTo(5 / 6);
    expect(combine([4], cal).q).toBeCloseTo(2 / 6);
    expect(combine([9], cal).q).toBeCloseTo(1 / 6);
  });
});
