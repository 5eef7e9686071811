import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile, ProfileError, scanOf, type Profile } from '../src/core/index.ts';
import { DEFAULTS } from '../src/defaults.ts';
import { Detector } from '../src/detector/index.ts';
import { histogramMethod, productScorer } from '../src/evaluate.ts';
import { collectNodes } from '../src/node-sets.ts';
import { fileSource, listImages } from '../src/cli/io.ts';
import { decodeImage } from '../src/model/decode-node.ts';

const model = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const profile = decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));
const files = (set: string, n: number) => listImages([`data/${set}`]).slice(0, n);

describe('the shipped scoring, used by the CLI, the worker and the evaluation alike', () => {
  it('gives bit-identical scores and q-values on the CLI/worker path and the evaluation path', async () => {
    const d = await Detector.create({ model, profile });
    const paths = [...files('clean', 25), ...files('pgd-0.05', 25)];
    // Batches of one on both sides, so the node values going in are the same bits.
    const set = await collectNodes(d.features, 'mixed', fileSource(paths), 1);
    const evalScores = productScorer(histogramMethod(profile), scanOf(profile), profile.header.calibration!).score(set, [DEFAULTS.scoring]);
    for (const [i, f] of paths.entries()) {
      const r = await d.check(await decodeImage(readFileSync(f)), f);
      expect(r.score).toBe(evalScores.scores[DEFAULTS.scoring][i]);
      expect(r.q).toBe(evalScores.q[DEFAULTS.scoring][i]);
    }
    d.release();
  });

  it('follows the Gaussian part alone where the calibration chose it, alike on both paths, through an .hsp file', async () => {
    const cal = profile.header.calibration!;
    const chosen: Profile = decodeProfile(encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...cal, gaussAlone: ['hc'] } } }));
    expect(chosen.header.calibration!.gaussAlone).toEqual(['hc']);
    const d = await Detector.create({ model, profile: chosen });
    const paths = [...files('clean', 10), ...files('ood-mnist', 10)];
    const set = await collectNodes(d.features, 'mixed', fileSource(paths), 1);
    const evalScores = productScorer(histogramMethod(chosen), scanOf(chosen), chosen.header.calibration!).score(set, ['hc']);
    const k = cal.parts.length;
    const column = Array.from({ length: cal.count }, (_, i) => cal.scores.hc![i * k + k - 1]);
    for (const [i, f] of paths.entries()) {
      const r = await d.check(await decodeImage(readFileSync(f)), f);
      const gauss = r.parts.find((p) => p.name === 'gauss')!;
      expect(r.score).toBe(gauss.score);
      expect(r.q).toBe((column.filter((v) => v >= gauss.score).length + 1) / (cal.count + 1));
      expect(evalScores.scores.hc[i]).toBe(r.score);
      expect(evalScores.q.hc[i]).toBe(r.q);
    }
    d.release();
    // A choice of a part the table does not have is refused when read.
    const bad = encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...cal, parts: cal.parts.slice(0, -1), scores: {}, gaussAlone: ['hc'] } } });
    expect(() => decodeProfile(bad)).toThrow(ProfileError);
    expect(() => decodeProfile(bad)).toThrow(/witness choice/);
  });

  it('adds the joint look where the calibration chose it, alike on both paths, through an .hsp file', async () => {
    const cal = profile.header.calibration!;
    const { gaussAlone: _, ...rest } = cal;
    const chosen: Profile = decodeProfile(encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...rest, joint: ['hc'] } } }));
    expect(chosen.header.calibration!.joint).toEqual(['hc']);
    const d = await Detector.create({ model, profile: chosen });
    const paths = [...files('clean', 10), ...files('pgd-0.05', 10)];
    const set = await collectNodes(d.features, 'mixed', fileSource(paths), 1);
    const evalScores = productScorer(histogramMethod(chosen), scanOf(chosen), chosen.header.calibration!).score(set, ['hc']);
    for (const [i, f] of paths.entries()) {
      const r = await d.check(await decodeImage(readFileSync(f)), f);
      expect(r.jointQ).toBeGreaterThan(0);
      expect(r.jointQ).toBeLessThanOrEqual(1);
      expect(r.decidedBy).toBeUndefined();
      expect(evalScores.scores.hc[i]).toBe(r.score);
      expect(evalScores.q.hc[i]).toBe(r.q);
    }
    d.release();
    // A joint look of a table with one part is refused when read.
    const bad = encodeProfile({ ...profile, header: { ...profile.header, calibration: { ...rest, parts: cal.parts.slice(0, 1), scores: {}, joint: ['hc'] } } });
    expect(() => decodeProfile(bad)).toThrow(/joint look/);
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
