// With fewer calibration images than the FPR needs to let one pass, a new image must top every one of
// them to be flagged: the build names the one farthest out, which a probe found was all it took to stop
// a verdict flagging 50 FGSM images (a folder of 100 clean images, one of them unusual).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProfile, partsOf, rng, scanOf } from '../src/core/index.ts';
import { farthestOut } from '../src/detector/build-notes.ts';
import { cli, MODEL, subset } from './fixtures/cli.ts';

describe('the calibration image farthest out', () => {
  const profile = decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));
  const scan = scanOf(profile);
  const scans = partsOf(scan, profile.header.nodes);
  const parts = profile.header.calibration!.parts;
  const k = parts.length;

  it('is the row that, scored against the others, tops them all; the parts it tops are named', () => {
    const r = rng(7);
    const m = 20;
    const rows = Array.from({ length: m * k }, () => 10 + r());
    // Row 13 far out in the second part only, row 4 a little out in the first.
    rows[13 * k + 1] = 40;
    rows[4 * k] = 11.5;
    const table = { ...profile.header.calibration!, count: m, scores: { hc: rows } };
    expect(farthestOut(table, scan, scans, (i) => `image-${i}.png`)).toEqual({ file: 'image-13.png', tops: [parts[1]] });
    // Without it, the row a little out is.
    const without = rows.slice();
    without[13 * k + 1] = 10.5;
    expect(farthestOut({ ...table, scores: { hc: without } }, scan, scans, (i) => `image-${i}.png`)).toEqual({ file: 'image-4.png', tops: [parts[0]] });
  });

  it('is named where the verdict must top every calibration image: the first 100 of data/calibration hold one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'histoscan-farthest-'));
    const p = cli(['profile', '--model', MODEL, '--images', subset(dir, 'calibration', 100), '--out', join(dir, 'p.hsp')]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/The calibration image farthest out sets that bar: \S+\/00094\.png \(it tops the others in [a-z, ]+\)\. If it is not a known-good image of the kind to be checked, take it out; if it is, keep it \(taking it out raises the FPR\) and calibrate on more images\./);
  });
});
