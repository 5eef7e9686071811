import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkImages, decodeProfile, encodeProfile, histogramTails, type Profile, type PValueFn } from '../../src/core/index.ts';
import { Detector } from '../../src/detector/index.ts';
import { Scorer } from '../../src/detector/scorer.ts';
import { GENERATOR } from '../../src/defaults.ts';
import { listImages } from '../../src/cli/io.ts';
import { fileSource } from '../../src/node.ts';
import { decodeImage } from '../../src/model/decode-node.ts';

const model = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const bundled = decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));

/** The bundled profile calibrated again by this version on 30 of its calibration images. */
async function recalibrated(): Promise<Profile> {
  const files = listImages(['data/calibration']).slice(0, 30);
  const d = await Detector.create({ model, profile: bundled });
  const r = await d.calibrate(bundled, { count: files.length, name: (i) => files[i], load: async (i) => decodeImage(readFileSync(files[i])) }, { batchSize: 16, fpr: 0.05 });
  d.release();
  return r.profile;
}

let made: Promise<Profile> | undefined;
const calibrated = () => (made ??= recalibrated());

/** The profile with one number of its table's check moved by a factor (null: stored as not finite). */
function moved(p: Profile, index: number, factor: number | null): Profile {
  const c = p.header.calibration!;
  const hc = [...c.check!.scores.hc!];
  hc[index] = factor === null ? null : hc[index]! * factor;
  return { ...p, header: { ...p.header, calibration: { ...c, check: { ...c.check!, scores: { ...c.check!.scores, hc } } } } };
}

describe("a calibration table's own check", () => {
  it('is written with every table, by this version, and this version finds nothing to say of it', async () => {
    const p = await calibrated();
    const { check, parts, scores } = p.header.calibration!;
    expect(check!.by).toBe(GENERATOR);
    expect(Object.keys(check!.scores).sort()).toEqual(Object.keys(scores).sort());
    // Three made-up images, each with every part: the scans, energy and the Gaussian part.
    expect(check!.scores.hc!.length).toBe(3 * parts.length);
    expect(check!.scores.hc!.every((s) => s !== null && Number.isFinite(s))).toBe(true);
    const s = new Scorer(decodeProfile(encodeProfile(p)));
    expect(s.note).toBeUndefined();
    expect(s.calibrated).toBe(30);
  });

  it('says which part this version scores otherwise, and to recalibrate, and still gives verdicts', async () => {
    const p = await calibrated();
    const parts = p.header.calibration!.parts;
    const s = new Scorer(moved(p, parts.indexOf('upper:class'), 1.012));
    expect(s.note).toMatch(new RegExp(`scored by ${GENERATOR.replace('.', '\\.')}, and this version scores its upper:class part otherwise \\(by 1\\.2% on the table's own check\\).*Recalibrate with "histoscan calibrate"`));
    expect(s.calibrated).toBe(30);
    expect(new Scorer(moved(p, parts.indexOf('gauss'), null)).note).toMatch(/scores its gauss part otherwise \(to or from a non-finite score on the table's own check\)/);
    // A last-bit difference between engines is not a change of scoring.
    expect(new Scorer(moved(p, 0, 1 + 1e-9)).note).toBeUndefined();
  });

  it('catches scoring that changed for real: the histograms read at node values 5% higher', async () => {
    const p = await calibrated();
    const shifted: PValueFn = (x, outs, cls, from, to) => histogramTails(p, x.map((v) => v * 1.05 + 1e-3), outs, cls, from, to);
    expect(new Scorer(p, shifted).note).toMatch(/scores its (upper|lower)(:class)? part otherwise/);
  });

  it("draws its images from the profile alone: the same on every load, each node within the background's range", () => {
    const a = checkImages(bundled);
    const b = checkImages(decodeProfile(encodeProfile(bundled)));
    expect(a.length).toBe(3);
    a.forEach((img, i) => {
      expect(img.x).toEqual(b[i].x);
      expect(img.logits).toEqual(b[i].logits);
      for (let j = 0; j < img.x.length; j++) {
        if (!(img.x[j] >= bundled.lo[j] && img.x[j] <= bundled.hi[j])) throw new Error(`node ${j}: ${img.x[j]} outside [${bundled.lo[j]}, ${bundled.hi[j]}]`);
      }
    });
    // Each made-up image in another of the largest classes, so class-conditional histograms are read.
    expect(new Set(a.map((img) => img.logits.indexOf(Math.max(...img.logits)))).size).toBe(3);
  });

  it("checks out on a profile of uniform bins too (edges from each node's two ends), and its images stay in range", async () => {
    const d = await Detector.create({ model });
    const files = listImages(['data/background'], () => {});
    const built = await d.build(fileSource(files.slice(0, 60)), fileSource(files.slice(60, 90)), { strategy: 'uniform', bins: 8 });
    d.release();
    const p = built.profile;
    expect(p.header.strategy).toBe('uniform');
    expect(new Scorer(p).drift).toBeUndefined();
    expect(new Scorer(moved(p, 0, 1.5)).drift).toMatchObject({ part: p.header.calibration!.parts[0], by: expect.closeTo(1 / 3, 9) });
    for (const { x } of checkImages(p)) {
      for (let j = 0; j < x.length; j++) if (!(x[j] >= p.lo[j] - 1e-6 * Math.abs(p.lo[j]) && x[j] <= p.hi[j] + 1e-6 * Math.abs(p.hi[j]))) throw new Error(`node ${j}: ${x[j]} outside [${p.lo[j]}, ${p.hi[j]}]`);
    }
  }, 120_000);

  it('survives the .hsp round trip to the last bit, and a malformed one is refused', async () => {
    const p = await calibrated();
    expect(decodeProfile(encodeProfile(p)).header.calibration!.check).toEqual(p.header.calibration!.check);
    const c = p.header.calibration!;
    for (const hc of [[1, 2], [], ['1']]) {
      const bad = { ...p, header: { ...p.header, calibration: { ...c, check: { scores: { hc } } } } } as Profile;
      expect(() => decodeProfile(encodeProfile(bad))).toThrowError(/calibration check malformed/);
    }
  });
});
