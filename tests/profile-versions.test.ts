// Profiles written by other versions: what a user upgrading is told, and a merge of shards of two versions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProfile, mergeProfiles, type Profile } from '../src/core/index.ts';
import { Scorer } from '../src/detector/scorer.ts';

const bundled = () => decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));
const written = (p: Profile, generator: string): Profile => ({ ...p, header: { ...p.header, generator } });

describe('profiles of other versions', () => {
  it("one of 0.1 keeps its calibration, and says that 0.2 and later combine its parts otherwise; this version's says nothing", () => {
    const p = bundled();
    expect(new Scorer(p).note).toBeUndefined();
    const old = new Scorer(written(p, 'histoscan 0.1.0'));
    expect(old.calibrationProblem).toBeUndefined();
    expect(old.calibrated).toBe(p.header.calibration!.count);
    expect(old.note).toMatch(/^this profile was written by histoscan 0\.1\.0; since 0\.2 its parts are combined otherwise/);
  });

  it("one of 0.1 whose table this version dropped says so, not only that it has none", () => {
    const p = written(bundled(), 'histoscan 0.1.0');
    delete p.header.calibration;
    expect(new Scorer(p).calibrationProblem).toMatch(/no calibration this version can use \(written by histoscan 0\.1\.0\): histoscan 0\.1's tables/);
    expect(new Scorer(p).calibrated).toBe(0);
  });

  it('a calibration table of other parts than this version computes is not used, and says which', () => {
    const p = bundled();
    const cal = p.header.calibration!;
    const renamed: Profile = { ...p, header: { ...p.header, calibration: { ...cal, parts: cal.parts.map((n, i) => (i === 0 ? 'renamed' : n)) } } };
    const s = new Scorer(renamed);
    expect(s.calibrated).toBe(0);
    expect(s.calibrationProblem).toMatch(/^The calibration table's parts \(renamed, .*\) are not the ones this version computes for the profile \(upper, /);
  });

  it("a merge is written by the version that merged, and shards of other writers that do not merge are named so", () => {
    const p = bundled();
    const a = written({ ...p, header: { ...p.header, calibration: undefined } }, 'histoscan 0.2.0');
    // Another shard: other counts (a merge refuses the same shard twice).
    const b = { ...a, tails: a.tails.map((t, i) => (i === 0 ? t + 1 : t)) };
    expect(mergeProfiles([a, b], 'histoscan 9.9.9').header.generator).toBe('histoscan 9.9.9');
    const noGauss = written({ ...b, header: { ...b.header, gauss: undefined } }, 'histoscan 0.4.13');
    expect(() => mergeProfiles([a, noGauss])).toThrow(/another Gaussian part than the first, or none where it has one \(written by histoscan 0\.4\.13, profile 1 by histoscan 0\.2\.0\); cannot merge\. Shards merge where each was built with --edges-from the same profile\./);
  });
});
