import { describe, expect, it } from 'vitest';
import { fmtScore, layerLabel } from '../../src/ui/format.ts';

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
