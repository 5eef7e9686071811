import { describe, expect, it } from 'vitest';
import { asHigh, fmtBins, fmtP, fmtScore, fmtTicks, layerLabel, tooThin } from '../../src/ui/format.ts';

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

describe('fmtP', () => {
  it('gives three decimals, an exponent under 0.001, and one format for values that round alike', () => {
    expect(fmtP(0.0123)).toBe('0.012');
    expect(fmtP(0.00042)).toBe('4.2e-4');
    expect(fmtP(0.000999)).toBe('0.001'); // as 0.001 reads, not "1.0e-3"
    expect(fmtP(0.001)).toBe('0.001');
    expect(fmtP(0.00094)).toBe('9.4e-4');
    expect(fmtP(0)).toBe('0');
    expect(fmtP(NaN)).toBe('?');
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

describe('fmtBins', () => {
  it('says an edge two bins share the same way in both, so neighbours never read as overlapping', () => {
    // A node of the photo model: bins of the tail strategy, narrow ones beside wide ones.
    const edges = [0.105, 0.108, 0.1142, 0.131, 0.14, 0.1554, 0.1618, 0.18, 0.34, 0.93, 0.93, 1.7];
    const bins = fmtBins(edges);
    expect(bins).toHaveLength(edges.length - 1);
    for (let k = 0; k + 1 < bins.length; k++) {
      if (bins[k].startsWith('exactly') || bins[k + 1].startsWith('exactly')) continue;
      expect(bins[k].slice(1, -1).split(', ')[1], `${bins[k]} then ${bins[k + 1]}`).toBe(bins[k + 1].slice(1, -1).split(', ')[0]);
    }
    // Each bin alone with its own digits read "[0.14, 0.16)" then "[0.155, 0.162)".
    expect(bins.slice(4, 6)).toEqual(['[0.14, 0.155)', '[0.155, 0.162)']);
    expect(bins[9]).toBe('exactly 0.93');
    // Each bin's edges still read as two values, however narrow.
    for (const b of bins) if (!b.startsWith('exactly')) expect(new Set(b.slice(1, -1).split(', ')).size).toBe(2);
  });
});

describe('fmtTicks', () => {
  it('gives ticks two decimals, and more where a narrow range would read as one value', () => {
    expect(fmtTicks([0, 0.5, 1])).toEqual(['0', '0.50', '1.00']);
    // A HardSwish node near its floor of -0.375 (the ticks all read "-0.37" before).
    expect(fmtTicks([-0.375, -0.37475, -0.3745, -0.37425, -0.374])).toEqual(['-0.375', '-0.3748', '-0.3745', '-0.3743', '-0.374']);
  });
});

describe('asHigh', () => {
  it('counts the calibration images behind q = (k + 1) / (m + 1): none where q is the least m images give, or beyond', () => {
    expect(asHigh(1 / 13, 12)).toBe('none of the 12 clean calibration images scores as high (q = 1/13 = 0.077, the image counted among them)'); // not "7.7% of them"
    expect(asHigh(0.0003, 2000)).toBe('none of the 2,000 clean calibration images scores as high (q = 3.0e-4, beyond every one of them)');
    expect(asHigh(17 / 501, 500)).toBe('16 of the 500 clean calibration images score as high (q = 17/501 = 0.034, the image counted among them)');
    expect(asHigh(1, 12)).toBe('12 of the 12 clean calibration images score as high (q = 13/13 = 1.000, the image counted among them)');
  });
});

describe('tooThin', () => {
  it('says where an image shown whole would be under 3 px thick in its box, either way round', () => {
    expect([tooThin(10000, 3, 36), tooThin(3, 10000, 112), tooThin(224, 224, 36), tooThin(1200, 100, 36), tooThin(1200, 100, 112)]).toEqual([true, true, false, false, false]);
    expect(tooThin(1300, 100, 36)).toBe(true); // 36 / 13 < 3
  });
});
