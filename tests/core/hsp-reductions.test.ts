import { describe, expect, it } from 'vitest';
import { buildProfile, decodeProfile, encodeProfile, layerReductions, ProfileError, summaryReduction } from '../../src/core/index.ts';
import type { LayerLayout, ProfileHeader } from '../../src/types.ts';
import { reluRows } from './helpers.ts';

const scan = { aMax: 0.5, tail: 'upper' as const, pointP: 'mid' as const };
const LAYERS: LayerLayout[] = [
  { name: 'conv', shape: [2, 8, 8], reduction: 'pool2', nodes: 8 },
  { name: 'fc', shape: [4], reduction: 'element', nodes: 4 },
];

function profile(layers: LayerLayout[], reduction: ProfileHeader['reduction']) {
  return buildProfile(reluRows(40, 12, 3), 40, { layers, bins: 4, strategy: 'uniform' }, { fingerprint: 'f', reduction, scan });
}

/** Encode with a hand-edited header (the checksum is recomputed by encodeProfile). */
function withHeader(edit: (h: ProfileHeader) => void) {
  const p = profile(structuredClone(LAYERS), 'mixed');
  edit(p.header);
  return encodeProfile(p);
}

describe('per-layer reductions in the profile header', () => {
  it('round-trip, with the global field summarising them', () => {
    expect(summaryReduction(['pool2', 'element'])).toBe('mixed');
    expect(summaryReduction(['pool4', 'pool4'])).toBe('pool4');
    const back = decodeProfile(encodeProfile(profile(LAYERS, 'mixed')));
    expect(layerReductions(back.header)).toEqual(['pool2', 'element']);
  });

  it('a header with only the global reduction (histoscan 0.1) applies it to every layer', () => {
    const bytes = withHeader((h) => {
      h.reduction = 'channel-mean';
      for (const l of h.layers) delete l.reduction;
    });
    const back = decodeProfile(bytes);
    expect(layerReductions(back.header)).toEqual(['channel-mean', 'channel-mean']);
  });

  it('refuses unknown, missing-when-mixed and contradicting reductions', () => {
    const bad = [
      withHeader((h) => (h.layers[0] as { reduction: string }).reduction = 'pool3'),
      withHeader((h) => delete h.layers[1].reduction),
      withHeader((h) => (h.reduction = 'element')),
    ];
    for (const b of bad) expect(() => decodeProfile(b)).toThrow(ProfileError);
    expect(() => decodeProfile(bad[0])).toThrow(/unknown reduction "pool3"/);
  });
});
