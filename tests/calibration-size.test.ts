import { describe, expect, it } from 'vitest';
import { combine } from '../src/core/combine.ts';
import { witnessRules } from '../src/core/witnesses.ts';
import { rng } from '../src/core/rng.ts';
import { calibrationWarnings } from '../src/detector/build-notes.ts';

const k = 6;
/** m calibration rows of k parts; row c tops part c (c = 1..k-1), as distinct clean images usually do. */
function table(m: number): number[] {
  const r = rng(5);
  const rows = Array.from({ length: m * k }, () => r());
  for (let c = 1; c < k; c++) rows[c * k + c] = 2;
  return rows;
}
// Out in part 0 only: beyond every calibration image there, ordinary in the others, and no farther
// out than the images that top the other parts are in theirs (an image farther out passes them: the
// tail beyond the calibration scores, core/combine.ts TAIL_SHARE, keeps the distance).
const image = [1.01, 0.5, 0.5, 0.5, 0.5, 0.5];

describe('how many calibration images a verdict of several parts needs', () => {
  it('an image out in one of 6 parts ranks with the images that top the other 5: q = 6/(m + 1); 8/(m + 1) grouped 4 + 2, 12/(m + 1) grouped 4 + 1 + 1', () => {
    for (const how of ['tpm', 'min'] as const) {
      expect(combine(image, table(60), how).q).toBeCloseTo(6 / 61, 12);
      expect(combine(image, table(119), how).q).toBeCloseTo(6 / 120, 12);
    }
    // Grouped 4 + 2: the image ranks after the 3 other top scans in its group (group q 4/(m + 1)), and
    // 4 calibration images rank as high in the other group.
    expect(combine(image, table(60), 'min', [4, 2]).q).toBeCloseTo(8 / 61, 12);
    expect(combine(image, table(159), 'min', [4, 2]).q).toBeCloseTo(8 / 160, 12);
    // Grouped as combineParts does, the 4 scans and each other part alone: 4 rank as high in each of 3 witnesses.
    expect(combine(image, table(60), 'min', [4, 1, 1]).q).toBeCloseTo(12 / 61, 12);
    expect(combine(image, table(239), 'min', [4, 1, 1]).q).toBeCloseTo(12 / 240, 12);
    // The joint look at the 6 parts, one more witness, adds no tie of its own: the calibration images
    // that top it are those that top single parts, so the build's warning does not count it.
    for (const m of [60, 239]) expect(combine(image, table(m), 'min', [4, 1, 1], undefined, [0, 1, 2, 3, 4, 5]).q).toBeCloseTo(12 / (m + 1), 12);
    // TPM breaks the ties across groups by Fisher's sum: while the group q 4/(m + 1) is above TPM_TAU (0.02),
    // the image also ranks below calibration images a little out in the other groups; from m = 200 on, as min.
    for (const groups of [[4, 2], [4, 1, 1]]) {
      const rules = witnessRules('tpm', groups);
      const g = 4 * groups.length;
      expect(combine(image, table(159), 'tpm', groups, rules).q).toBeGreaterThan(g / 160);
      expect(combine(image, table(199), 'tpm', groups, rules).q).toBeGreaterThan(g / 200);
      expect(combine(image, table(200), 'tpm', groups, rules).q).toBeLessThanOrEqual(g / 201);
    }
  });

  it('the build warns below s g/FPR - 1 images (119 at 5% for 6 parts alone, 159 for groups of 4 and 2 and 239 for 4, 1 and 1 under min q, at least 200 under TPM), not from there on, and not for Fisher', () => {
    const flat = [1, 1, 1, 1, 1, 1];
    expect(calibrationWarnings(60, 0.05, flat, 'tpm')[0]).toMatch(/with 60 calibration images and 6 calibrated parts, an image out in only one part usually cannot reach q <= 0.05 unless it is farther out.*q about 0\.098.*at least 119/);
    expect(calibrationWarnings(119, 0.05, flat, 'tpm')).toEqual([]);
    expect(calibrationWarnings(120, 0.05, [4, 2], 'min')[0]).toMatch(/with 120 calibration images and 6 calibrated parts.*q about 0\.066.*at least 159/);
    expect(calibrationWarnings(159, 0.05, [4, 2], 'min')).toEqual([]);
    expect(calibrationWarnings(238, 0.05, [4, 1, 1], 'min')[0]).toMatch(/with 238 calibration images and 6 calibrated parts.*q about 0\.050.*at least 239/);
    expect(calibrationWarnings(239, 0.05, [4, 1, 1], 'min')).toEqual([]);
    expect(calibrationWarnings(238, 0.05, [4, 1, 1], 'tpm')[0]).toMatch(/calibrate on at least 239/);
    expect(calibrationWarnings(239, 0.05, [4, 1, 1], 'tpm')).toEqual([]);
    expect(calibrationWarnings(159, 0.05, [4, 2], 'tpm')[0]).toMatch(/q about 0\.05.*, and below those a little out in several witnesses; calibrate on at least 200/);
    expect(calibrationWarnings(200, 0.05, [4, 2], 'tpm')).toEqual([]);
    // The default's witnesses: 4 scans and the quiet look, the energy, the Gaussian part.
    expect(calibrationWarnings(298, 0.05, [5, 1, 1], 'tpm')[0]).toMatch(/calibrate on at least 299 images for that \(a build holds them out of 1,495 or more images given\)/);
    // Named where the build knows them, the quiet look as the seventh.
    const named = calibrationWarnings(298, 0.05, [5, 1, 1], 'tpm', ['upper', 'lower', 'upper:class', 'lower:class', 'energy', 'gauss'])[0];
    expect(named).toMatch(/^with 298 calibration images and 7 calibrated parts \(upper, lower, upper:class, lower:class, energy, gauss, and the upper scan's quiet look\), an image out/);
    expect(calibrationWarnings(299, 0.05, [5, 1, 1], 'tpm')).toEqual([]);
    expect(calibrationWarnings(60, 0.05, flat, 'fisher')).toEqual([]);
    expect(calibrationWarnings(60, 0.05, [1], 'tpm')).toEqual([]);
    expect(calibrationWarnings(10, 0.05, flat, 'tpm')[0]).toMatch(/cannot flag at FPR 0.05: it needs at least 19/);
  });

  it('a profile that cannot flag says, in numbers, what would let it', () => {
    // 7 images reach q = 1/8 at best; `profile` holds 19 out of a folder of 38.
    expect(calibrationWarnings(7, 0.05)).toEqual([
      'this profile cannot flag at FPR 0.05: it needs at least 19 calibration images (more for a steadier verdict), it has 7. Calibrate it on 19 or more held-out known-good images (a build holds them out of 38 or more images given), or use an FPR of at least 0.125, the smallest 7 images can flag at.',
    ]);
    // With none, no FPR can flag.
    expect(calibrationWarnings(0, 0.01)[0]).toMatch(/it has 0\. Calibrate it on 99 or more held-out known-good images \(a build holds them out of 198 or more images given\)\.$/);
  });
});
