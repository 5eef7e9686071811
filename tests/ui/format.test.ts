import { describe, expect, it } from 'vitest';
import { fmtBin, fmtScore, layerLabel } from '../../src/ui/format.ts';

describe('fmtScore', () => {
  it('shows one decimal, and a tie-break-only score as an exponent, never "0.0" for a positive score', () => {
    expect(fmtScore(12.345)).toBe('12.3');
    expect(fmtScore(0.05)).toBe('0.1');
    expect(fmtScore(0)).toBe('0.0');
    expect(fmtScore(6.5e-6)).toBe('6.5e-6');
    expect(fmtScore(-3e-7)).toBe('-3.0e-7');
    expect(fmtScore(Infinity)).toBe('Infinity');
  });
});

describe('layerLabel', () => {
  it("drops an exporter's leading slash and _output_0, and keeps any other name as it is", () => {
    expect(layerLabel('/features/features.3/Relu_output_0')).toBe('features/features.3/Relu');
    expect(layerLabel('conv1_relu')).toBe('conv1_relu');
    expect(layerLabel('/')).toBe('/');
    expect(layerLabel('_output_0')).toBe('_output_0');
  });
});

describe('fmtBin', () => {
  it('gives a bin its usual two decimals, and more where its edges would read as one value', () => {
    expect(fmtBin(0.1, 0.25)).toBe('[0.10, 0.25)');
    expect(fmtBin(0.3571, 0.3589)).toBe('[0.357, 0.359)');
    expect(fmtBin(0.35712, 0.35718)).toBe('[0.3571, 0.3572)');
    expect(fmtBin(0.357121, 0.357124)).toBe('[0.357121, 0.357124)');
    expect(fmtBin(2, 2)).toBe('exactly 2.00');
  });
});
