import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrationSpread } from '../src/core/verdict.ts';
import { fprSpreadWarning } from '../src/detector/build-notes.ts';
import { Detector, fileSource, listImages } from '../src/node.ts';
import { evalTable } from '../src/cli/eval-output.ts';
import { atVerdictOf, type EvalResult } from '../src/cli/eval.ts';

describe("one calibration's own false-positive rate", () => {
  it('calibrationSpread gives the 90% range of Beta(k, m + 1 - k) that README tabulates', () => {
    const table: [number, number, number][] = [[19, 0.3, 14.6], [60, 1.4, 10.1], [200, 2.7, 7.7], [500, 3.5, 6.7], [1000, 3.9, 6.2], [2000, 4.2, 5.8]];
    for (const [m, lo, hi] of table) {
      const s = calibrationSpread(m, 0.05)!;
      expect(+(100 * s.lo).toFixed(1)).toBe(lo);
      expect(+(100 * s.hi).toFixed(1)).toBe(hi);
    }
    expect(calibrationSpread(18, 0.05)).toBeNull(); // cannot flag at 5%
  });

  it('a build warns where one calibration may flag at twice the FPR, and says the range', () => {
    expect(fprSpreadWarning(19, 0.05)[0]).toMatch(/with 19 calibration images .* between 0\.3% and 14\.6% at FPR 0\.05 .* 500 calibration images bring that range to 3\.5%-6\.7%/);
    expect(fprSpreadWarning(60, 0.05)).toHaveLength(1); // 10.1% > 10%
    expect(fprSpreadWarning(100, 0.05)).toEqual([]); // 8.9%
    expect(fprSpreadWarning(18, 0.05)).toEqual([]); // cannot flag: the build says that instead
    expect(fprSpreadWarning(99, 0.01)).toHaveLength(1);
  });

  it('a profile calibrated on 19 images says so in its warnings (Node API, as the CLI and the page build)', async () => {
    const d = await Detector.create({ model: readFileSync('public/models/fashion-cnn.onnx') });
    const files = listImages(['data/background'], () => {});
    const built = await d.build(fileSource(files.slice(0, 40)), fileSource(files.slice(40, 59)));
    d.release();
    expect(built.warnings.join('\n')).toMatch(/with 19 calibration images this profile's own false-positive rate depends on which images calibrated it/);
  }, 120_000);
});

describe("eval's realised FPR beside the spread of one small calibration", () => {
  const row = (calibrated: number) =>
    ({
      method: 'histogram',
      kind: 'histoscan',
      set: 'noise',
      auc: 1,
      bytes: 1e6,
      scanMsPerImage: 1,
      images: { clean: 75, anomalous: 20 },
      atVerdict: { clean: { level: 0.05, rate: 0.12, lo: 0.064, hi: 0.213, n: 75, flagged: 9 }, anomalous: { level: 0.05, rate: 1, lo: 0.8, hi: 1, n: 20, flagged: 20 }, calibrated, canFlag: calibrated >= 19 },
    }) as unknown as EvalResult;

  it('gives the range of a calibration on 19 images beside the Wilson interval, and nothing from about 60 up', () => {
    expect(evalTable([row(19)])).toContain('clean 12.0% [6.4%, 21.3%] of 75 (a calibration on 19 images flags at 0.3%-14.6% in 90% of draws); noise 100.0%');
    expect(evalTable([row(100)])).toContain('clean 12.0% [6.4%, 21.3%] of 75; noise 100.0%');
  });
});

describe("eval's clean images flagged far beyond the FPR", () => {
  // q of n clean images, k of them at or below 5%; the anomalous images all flagged.
  const q = (k: number, n: number) => ({ clean: Array.from({ length: n }, (_, i) => (i < k ? 0.01 : 0.5)), anomalous: [0.01, 0.01] });
  const row = (k: number, n: number, calibrated: number) =>
    ({ method: 'histogram', kind: 'histoscan', set: 'rot90', auc: 0.9, bytes: 1e6, scanMsPerImage: 1, images: { clean: n, anomalous: 2 }, atVerdict: atVerdictOf(q(k, n), 0.05, calibrated) }) as unknown as EvalResult;

  it('warns where even the spread of its calibration cannot explain the rate (a probe: 107 of 400 at 5%, calibrated on 40 training images)', () => {
    expect(row(107, 400, 40).atVerdict!.cleanExcess).toBe(true); // in --json too
    expect(row(107, 400, 40).atVerdict!.clean).toMatchObject({ flagged: 107, n: 400, rate: 107 / 400 });
    expect(evalTable([row(107, 400, 40)])).toMatch(/warning: far more clean images flagged than the FPR allows \(even for a calibration on 40 images\): the clean images differ from the calibration images/);
  });

  it('says nothing of a rate the spread of a small calibration allows', () => {
    expect(evalTable([row(9, 75, 19)])).not.toMatch(/far more clean images/);
    expect(evalTable([row(23, 400, 19)])).not.toMatch(/far more clean images/);
    expect(evalTable([row(6, 200, 200)])).not.toMatch(/far more clean images/);
  });
});
