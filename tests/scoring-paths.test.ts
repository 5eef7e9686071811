import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile, ProfileError, scanOf, type Profile, type WitnessFields } from '../src/core/index.ts';
import type { ImageResult } from '../src/types.ts';
import { DEFAULTS } from '../src/defaults.ts';
import { Detector } from '../src/detector/index.ts';
import { histogramMethod, productScorer } from '../src/evaluate.ts';
import { collectNodes } from '../src/node-sets.ts';
import { fileSource, listImages } from '../src/cli/io.ts';
import { decodeImage } from '../src/model/decode-node.ts';

const model = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const profile = decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));
const files = (set: string, n: number) => listImages([`data/${set}`]).slice(0, n);

/** Scores `paths` on the CLI/worker path and the evaluation path (batches of one on both sides, so the node values going in are the same bits), expects the same score and q from both, and hands each result to `each`. */
async function onBothPaths(p: Profile, paths: string[], each: (r: ImageResult) => void = () => {}): Promise<void> {
  const d = await Detector.create({ model, profile: p });
  const set = await collectNodes(d.features, 'mixed', fileSource(paths), 1);
  const evalScores = productScorer(histogramMethod(p), scanOf(p), p.header.calibration!).score(set, [DEFAULTS.scoring]);
  for (const [i, f] of paths.entries()) {
    const r = await d.check(await decodeImage(readFileSync(f)), f);
    expect(r.score).toBe(evalScores.scores[DEFAULTS.scoring][i]);
    expect(r.q).toBe(evalScores.q[DEFAULTS.scoring][i]);
    each(r);
  }
  d.release();
}
/** The shipped profile with another witness choice in its calibration table, written to an .hsp file and read back. */
const withChoice = (choice: WitnessFields): Profile => {
  const { gaussAlone: _, joint: __, hedged: ___, ...cal } = profile.header.calibration!;
  return decodeProfile(encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...cal, ...choice } } }));
};

describe('the shipped scoring, used by the CLI, the worker and the evaluation alike', () => {
  it('gives bit-identical scores and q-values on the CLI/worker path and the evaluation path', async () => {
    await onBothPaths(profile, [...files('clean', 25), ...files('pgd-0.05', 25)]);
  });

  it('follows the Gaussian part alone where the calibration chose it, alike on both paths, through an .hsp file', async () => {
    const chosen = withChoice({ gaussAlone: ['hc'] });
    expect(chosen.header.calibration!.gaussAlone).toEqual(['hc']);
    const cal = chosen.header.calibration!;
    const k = cal.parts.length;
    const column = Array.from({ length: cal.count }, (_, i) => cal.scores.hc![i * k + k - 1]);
    await onBothPaths(chosen, [...files('clean', 10), ...files('ood-mnist', 10)], (r) => {
      const gauss = r.parts.find((p) => p.name === 'gauss')!;
      expect(r.score).toBe(gauss.score);
      expect(r.q).toBe((column.filter((v) => v >= gauss.score).length + 1) / (cal.count + 1));
      expect(r.decidedBy).toBe('gauss');
    });
    // A choice of a part the table does not have is refused when read.
    const bad = encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...cal, parts: cal.parts.slice(0, -1), scores: {}, gaussAlone: ['hc'] } } });
    expect(() => decodeProfile(bad)).toThrow(ProfileError);
    expect(() => decodeProfile(bad)).toThrow(/witness choice/);
  });

  it('adds the joint look where the calibration chose it, and only there, alike on both paths, through an .hsp file', async () => {
    const paths = [...files('clean', 10), ...files('pgd-0.05', 10)];
    const chosen = withChoice({ joint: ['hc'] });
    expect(chosen.header.calibration!.joint).toEqual(['hc']);
    await onBothPaths(chosen, paths, (r) => {
      expect(r.jointQ).toBeGreaterThan(0);
      expect(r.jointQ).toBeLessThanOrEqual(1);
      expect(r.decidedBy).toBeUndefined();
    });
    await onBothPaths(withChoice({}), paths, (r) => expect(r.jointQ).toBeUndefined());
    // A joint look of a table with one part is refused when read.
    const cal = chosen.header.calibration!;
    const bad = encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...cal, parts: cal.parts.slice(0, 1), scores: {} } } });
    expect(() => decodeProfile(bad)).toThrow(/joint look/);
  });

  it('weighs every witness with the Gaussian part alone where the calibration chose it, alike on both paths, through an .hsp file', async () => {
    const paths = [...files('clean', 10), ...files('ood-mnist', 10)];
    const chosen = withChoice({ joint: ['hc'], hedged: ['hc'] });
    expect(chosen.header.calibration!.hedged).toEqual(['hc']);
    const plain: number[] = [];
    await onBothPaths(withChoice({ joint: ['hc'] }), paths, (r) => plain.push(r.q));
    const hedged: number[] = [];
    await onBothPaths(chosen, paths, (r) => {
      expect(r.decidedBy).toBe('hedged');
      expect(r.jointQ).toBeGreaterThan(0);
      hedged.push(r.q);
    });
    expect(hedged).not.toEqual(plain);
    // A hedge of a table without a Gaussian part is refused when read.
    const cal = chosen.header.calibration!;
    const bad = encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...cal, joint: undefined, parts: cal.parts.slice(0, -1), scores: {} } } });
    expect(() => decodeProfile(bad)).toThrow(/hedge/);
  });

  it("gives each part's own q: the share of calibration rows at least as high, counted directly", async () => {
    const d = await Detector.create({ model, profile });
    const cal = profile.header.calibration!;
    const rows = cal.scores[DEFAULTS.scoring]!;
    const k = cal.parts.length;
    for (const f of [...files('clean', 3), ...files('ood-mnist', 3)]) {
      const r = await d.check(await decodeImage(readFileSync(f)), f);
      expect(r.parts.map((p) => p.name)).toEqual(cal.parts);
      r.parts.forEach((p, c) => {
        let atLeast = 0;
        for (let i = 0; i < cal.count; i++) if (rows[i * k + c] >= p.score) atLeast++;
        expect(p.q).toBe((atLeast + 1) / (cal.count + 1));
      });
    }
    d.release();
  });

  it('holds its false-positive rate: clean test images flagged at FPR 5% stay within the binomial margin', async () => {
    const d = await Detector.create({ model, profile });
    const paths = files('clean', 1000); // the whole clean test set: its figure goes in the README
    let flagged = 0;
    for (const f of paths) if ((await d.check(await decodeImage(readFileSync(f)), f, { fpr: 0.05 })).verdict === 'unusual') flagged++;
    const n = paths.length;
    const margin = 1.96 * Math.sqrt((0.05 * 0.95) / n);
    expect(flagged / n).toBeLessThanOrEqual(0.05 + margin);
    // And it can flag: the default profile is calibrated on 2,000 images.
    const pgd = await d.check(await decodeImage(readFileSync(files('pgd-0.1', 1)[0])), 'pgd');
    expect(pgd.verdict).toBe('unusual');
    d.release();
  });
});
