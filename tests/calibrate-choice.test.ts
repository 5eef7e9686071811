import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProfile } from '../src/core/index.ts';
import { Detector, type ImageSource } from '../src/detector/index.ts';
import { listImages } from '../src/cli/io.ts';
import { decodeImage } from '../src/model/decode-node.ts';
import type { RgbaImage } from '../src/types.ts';
import { readWitnessNote, witnessNoteAgrees } from './fixtures/witness-note.ts';
import { chanceWarning, witnessNote } from '../src/detector/build-notes.ts';

const model = new Uint8Array(readFileSync('public/models/fashion-cnn.onnx'));
const profile = decodeProfile(readFileSync('public/profiles/fashion-cnn.hsp'));

describe('calibration chooses the witnesses on pseudo-anomalies', () => {
  it('keeps going past an unreadable image and a huge one, reports the first, and says what it chose', async () => {
    const files = listImages(['data/calibration']).slice(0, 30);
    const huge: RgbaImage = { width: 3000, height: 2000, data: new Uint8ClampedArray(3000 * 2000 * 4).fill(200) };
    const source: ImageSource = {
      count: 32,
      name: (i) => (i === 30 ? 'broken.png' : i === 31 ? 'huge.png' : files[i]),
      load: async (i) => {
        if (i === 30) throw new Error('not an image');
        return i === 31 ? huge : decodeImage(readFileSync(files[i]));
      },
    };
    const d = await Detector.create({ model, profile });
    const stages = new Set<string>();
    const r = await d.calibrate(profile, source, { batchSize: 8, fpr: 0.05, onProgress: (p) => stages.add(p.stage) });
    d.release();
    expect(r.skipped).toEqual([{ file: 'broken.png', error: 'not an image', code: 'error' }]);
    expect(r.profile.header.calibration!.count).toBe(31);
    expect([...stages]).toEqual(['calibration', 'pseudo-anomalies']);
    // 31 of the 32 images make each kind; the broken one's 6, and the blend that needs it beside another, drop out.
    const said = readWitnessNote(r.notes[0]);
    expect(said, r.notes.join('\n')).not.toBeNull();
    expect(said!.count).toBe(31 * 6 - 6 - 1);
    expect(witnessNoteAgrees(said!, r.profile.header.calibration)).toEqual([]);
  });
});

describe('a calibration reads each image at most twice', () => {
  it('once for the table, once more for the pseudo-anomalies made from it (their kinds, or a blend beside it)', async () => {
    const files = listImages(['data/calibration']).slice(0, 40);
    const loads = new Array<number>(files.length).fill(0);
    const d = await Detector.create({ model, profile });
    const r = await d.calibrate(profile, { count: files.length, name: (i) => files[i], load: (i) => (loads[i]++, decodeImage(readFileSync(files[i]))) }, { batchSize: 20, fpr: 0.05 });
    d.release();
    expect(readWitnessNote(r.notes[0])!.count).toBe(39 * 6);
    // Kind by kind, each of 39 images was decoded 7 times (once per kind, once as a blend's second), and once for the table.
    expect(Math.max(...loads)).toBeLessThanOrEqual(2);
    expect(loads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * files.length);
  });
});

describe('a profile that tells its pseudo-anomalies apart no better than chance', () => {
  it('is warned about below a mean AUC of 0.6, saying what to check', () => {
    expect(chanceWarning(0.506).join('\n')).toMatch(/pseudo-anomalies \(jigsaw, .*\) are told from clean images hardly better than chance \(mean AUC 0\.506 at best\).*check its preprocessing/);
    expect(chanceWarning(0.6)).toEqual([]);
    expect(chanceWarning(0.95)).toEqual([]);
  });

  it('the bundled model and profile are far from it', async () => {
    const files = listImages(['data/calibration']).slice(0, 40);
    const d = await Detector.create({ model, profile });
    const r = await d.calibrate(profile, { count: files.length, name: (i) => files[i], load: (i) => decodeImage(readFileSync(files[i])) }, { batchSize: 20, fpr: 0.05 });
    d.release();
    expect(r.warnings.join('\n')).not.toMatch(/hardly better than chance/);
  });
});

describe('witnessNote: the build\'s note on the witnesses, as the tests read it back', () => {
  it('gives its figures and choice, whichever side leads', () => {
    for (const c of [
      { all: 0.912, joint: 0.9, gauss: 0.8, diff: 0.112, se: 0.02, chosen: 'all' as const },
      { all: 0.7, joint: 0.75, gauss: 0.81, diff: -0.06, se: 0.04, chosen: 'gauss' as const },
    ]) {
      expect(readWitnessNote(witnessNote(42, c))).toEqual({ count: 42, all: c.all, joint: c.joint, gauss: c.gauss, diff: c.diff, se: c.se, follows: c.chosen });
    }
  });
});
