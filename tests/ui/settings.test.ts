// The element's settings: a value it cannot use becomes the default, with the sentence it says; only changed ones are checked.
import { describe, expect, it } from 'vitest';
import { numberOrText, refusedSettings } from '../../src/ui/settings.ts';

describe('refusedSettings', () => {
  const all = () => true;
  it('passes usable values and refuses the rest, each with its default', () => {
    expect(refusedSettings({ fpr: 0.01, provider: 'webgpu', scoring: 'bj', budget: 0.5, threads: 2 }, all)).toEqual({ fix: {}, errors: [] });
    const r = refusedSettings({ fpr: NaN, provider: 'gpu' as never, scoring: 'nope' as never, budget: 0, threads: -2 }, all);
    expect(r.fix).toEqual({ fpr: 0.05, provider: 'auto', scoring: 'hc', budget: 8, threads: 0 });
    expect(r.errors).toEqual([
      'fpr must be a rate between 0 and 1, such as 0.05, not NaN: using 0.05.',
      'provider must be one of auto, webgpu, wasm, cpu, not "gpu": using auto.',
      'scoring must be one of bj, hc, ks, not "nope": using hc.',
      'budget must be a positive number of MB, such as 8, not 0: using 8.',
      'threads must be a whole number, 0 for automatic, not -2: using 0.',
    ]);
    for (const budget of [NaN, -1, Infinity]) expect(refusedSettings({ fpr: 0.05, provider: 'auto', scoring: 'hc', budget, threads: 0 }, all).fix).toEqual({ budget: 8 });
    for (const threads of [NaN, 1.5, -1]) expect(refusedSettings({ fpr: 0.05, provider: 'auto', scoring: 'hc', budget: 8, threads }, all).fix).toEqual({ threads: 0 });
    for (const fpr of [0, 1, -0.1, 2]) expect(refusedSettings({ fpr, provider: 'auto', scoring: 'hc', budget: 8, threads: 0 }, all).fix).toEqual({ fpr: 0.05 });
  });

  it('an attribute that is no number is kept as its text, and quoted where it is refused', () => {
    expect(['0.01', ' 2 ', '5%', '', null].map((v) => numberOrText.fromAttribute(v))).toEqual([0.01, 2, '5%', '', null]);
    const r = refusedSettings({ fpr: '5%' as never, provider: 'auto', scoring: 'hc', budget: '8 MB' as never, threads: 'two' as never }, all);
    expect(r.errors).toEqual([
      'fpr must be a rate between 0 and 1, such as 0.05, not the string "5%": using 0.05.',
      'budget must be a positive number of MB, such as 8, not "8 MB": using 8.',
      'threads must be a whole number, 0 for automatic, not "two": using 0.',
    ]);
  });

  it("an unset setting takes its default without a word; a number as text (a template's property binding) is read as the number", () => {
    const unset = refusedSettings({ fpr: null as never, provider: undefined as never, scoring: null as never, budget: undefined as never, threads: null as never }, all);
    expect(unset).toEqual({ fix: { fpr: 0.05, provider: 'auto', scoring: 'hc', budget: 8, threads: 0 }, errors: [] });
    expect(refusedSettings({ fpr: '0.1' as never, provider: 'auto', scoring: 'hc', budget: ' 4 ' as never, threads: '2' as never }, all)).toEqual({ fix: { fpr: 0.1, budget: 4, threads: 2 }, errors: [] });
    expect(refusedSettings({ fpr: '2' as never, provider: 'auto', scoring: 'hc', budget: 8, threads: '1.5' as never }, all).errors).toEqual([
      'fpr must be a rate between 0 and 1, such as 0.05, not 2: using 0.05.',
      'threads must be a whole number, 0 for automatic, not 1.5: using 0.',
    ]);
  });

  it('reads settings that are accessors (as on the element), not only own fields', () => {
    class Element {
      #fpr: unknown = '0.2';
      get fpr() {
        return this.#fpr as number;
      }
      provider = 'auto' as const;
      scoring = 'hc' as const;
      budget = 8;
      threads = 0;
    }
    expect(refusedSettings(new Element(), all)).toEqual({ fix: { fpr: 0.2 }, errors: [] });
  });

  it('checks only what changed', () => {
    expect(refusedSettings({ fpr: 2, provider: 'gpu' as never, scoring: 'hc', budget: 0, threads: 0 }, (k) => k === 'provider').fix).toEqual({ provider: 'auto' });
  });
});
