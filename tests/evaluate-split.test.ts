import { describe, expect, it } from 'vitest';
import { devTestSplit, SPLIT_SEED } from '../src/node-sets.ts';

describe('the dev/test split of the evaluation sets', () => {
  it('cuts n images into two disjoint sorted halves that cover them', () => {
    for (const n of [0, 1, 7, 300, 1000]) {
      const { dev, test } = devTestSplit(n);
      expect(dev.length).toBe(Math.ceil(n / 2));
      expect(test.length).toBe(Math.floor(n / 2));
      expect([...dev, ...test].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
      expect(dev).toEqual([...dev].sort((a, b) => a - b));
      expect(test).toEqual([...test].sort((a, b) => a - b));
    }
  });
  it('is fixed by the seed and shuffled, not a plain even/odd cut', () => {
    expect(devTestSplit(1000)).toEqual(devTestSplit(1000, SPLIT_SEED));
    expect(devTestSplit(1000, 1).dev).not.toEqual(devTestSplit(1000).dev);
    const evens = devTestSplit(1000).dev // about half of dev's 500 indices are even
      .filter((i) => i % 2 === 0).length;
    expect(evens).toBeGreaterThan(200);
    expect(evens).toBeLessThan(300);
  });
});
