import { describe, expect, it } from 'vitest';
import { pacer, paceText } from '../../src/core/pace.ts';

describe('pace', () => {
  it('times each stage from its first report and says the rate in what the count counts', () => {
    let t = 0;
    const pace = pacer(() => t);
    expect(paceText(pace({ stage: 'bin edges', done: 0, total: 300 }))).toBe('');
    t = 10_000;
    // 100 passes in 10 s: 10 a second, 200 left: 20 s.
    const at = pace({ stage: 'bin edges', done: 100, total: 300 });
    expect(paceText(at)).toBe('10.0 images/s, under a minute left');
    expect(paceText(at, 'passes')).toBe('10.0 passes/s, under a minute left');
    // A new stage starts its own clock, from the count it starts at (a build's passes run on across stages).
    expect(paceText(pace({ stage: 'counting', done: 100, total: 300 }))).toBe('');
    t = 12_000;
    expect(paceText(pace({ stage: 'counting', done: 101, total: 300 }))).toBe('0.500 images/s, about 7 min left');
  });
});
