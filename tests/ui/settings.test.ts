// The element's settings: a value it cannot use becomes the default, with the sentence it says; only changed ones are checked.
import { describe, expect, it } from 'vitest';
import { refusedSettings } from '../../src/ui/settings.ts';

describe('refusedSettings', () => {
  const all = () => true;
  it('passes usable values and refuses the rest, each with its default', () => {
    expect(refusedSettings({ fpr: 0.01, provider: 'webgpu', scoring: 'bj' }, all)).toEqual({ fix: {}, errors: [] });
    const r = refusedSettings({ fpr: NaN, provider: 'gpu' as never, scoring: 'nope' as never }, all);
    expect(r.fix).toEqual({ fpr: 0.05, provider: 'auto', scoring: 'hc' });
    expect(r.errors).toEqual([
      'fpr must be a rate between 0 and 1, such as 0.05, not NaN: using 0.05.',
      'provider must be one of auto, webgpu, wasm, cpu, not "gpu": using auto.',
      'scoring must be one of bj, hc, ks, not "nope": using hc.',
    ]);
    for (const fpr of [0, 1, -0.1, 2]) expect(refusedSettings({ fpr, provider: 'auto', scoring: 'hc' }, all).fix).toEqual({ fpr: 0.05 });
  });

  it('checks only what changed', () => {
    expect(refusedSettings({ fpr: 2, provider: 'gpu' as never, scoring: 'hc' }, (k) => k === 'provider').fix).toEqual({ provider: 'auto' });
  });
});
