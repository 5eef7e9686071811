// `histoscan eval` reads each background image as often as the profile build does, no more: the
// methods that fit on the background's node values (empirical, KDE, the feature-space peers) take
// them from the build's counting pass.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalImages, runEval, type EvalFlags, type EvalImages } from '../src/cli/eval.ts';
import { Detector, fileSource, listImages, type ImageSource } from '../src/node.ts';
import { DEFAULTS } from '../src/defaults.ts';

const model = readFileSync('public/models/fashion-cnn.onnx');
const first = (dir: string, n: number) => fileSource(listImages([dir], () => {}).slice(0, n));

/** A folder's images, counting each one's reads. */
function counted(src: ImageSource): ImageSource & { reads: number[] } {
  const reads = new Array<number>(src.count).fill(0);
  return { ...src, reads, load: (i) => (reads[i]++, src.load(i)) };
}

const flags = (methods: string): EvalFlags => ({
  background: 'data/background', clean: 'data/clean', anomalous: ['pgd=data/pgd-0.1'], methods,
  bins: DEFAULTS.bins, strategy: DEFAULTS.strategy, classes: DEFAULTS.classConditional, conditional: DEFAULTS.conditional, combine: DEFAULTS.combine, logits: DEFAULTS.logits, gauss: true,
  budget: DEFAULTS.budgetMB, scoring: DEFAULTS.scoring, kdeBackground: 1000, kdeImages: 200, peerFeatures: 'penultimate', k: 5, split: 'all', fpr: DEFAULTS.fpr,
});

async function evaluate(methods: string) {
  const background = counted(first('data/background', 60));
  const calibration = counted(first('data/calibration', 25));
  const known: EvalImages = { wanted: methods.split(','), background, calibration, clean: first('data/clean', 20), anomalous: [{ name: 'pgd', images: first('data/pgd-0.1', 20) }] };
  const d = await Detector.create({ model, reduction: 'channel-mean' });
  const { results } = await runEval(d, flags(methods), known, () => {});
  d.release();
  return { reads: background.reads, calibrationReads: calibration.reads, auc: (m: string) => results.find((r) => r.method.startsWith(m))!.auc };
}

describe('eval reads the background twice, as the build does', () => {
  it('the peers fit on the node values of the build\'s second pass: the same values a pass of their own read', async () => {
    const both = await evaluate('histogram,empirical,mahalanobis');
    // Bin edges, then counts; a third pass for the empirical method and Mahalanobis read every image again.
    expect(new Set(both.reads)).toEqual(new Set([2]));
    const alone = await evaluate('mahalanobis');
    expect(new Set(alone.reads)).toEqual(new Set([1]));
    expect(both.auc('mahalanobis')).toBe(alone.auc('mahalanobis'));
  });

  it("the other methods' calibration tables take the histogram calibration's node values: each calibration image read once (the pseudo-anomalies are made from the table's pass), not three times", async () => {
    const both = await evaluate('histogram,empirical');
    expect(new Set(both.calibrationReads)).toEqual(new Set([1]));
    const alone = await evaluate('empirical');
    expect(new Set(alone.calibrationReads)).toEqual(new Set([1]));
    expect(both.auc('empirical')).toEqual(alone.auc('empirical'));
  });
});

describe('the peers learn from every image of the background folder', () => {
  it('beside histoscan, which holds out images of that folder to calibrate, they score as they do alone (where nothing is held out)', async () => {
    // The first n images of a data folder, as a folder of their own.
    const root = mkdtempSync(join(tmpdir(), 'hs-peers-'));
    const folder = (from: string, n: number) => {
      const dir = join(root, from.replace(/\W/g, '-'));
      mkdirSync(dir);
      for (const f of readdirSync(from).filter((f) => f.endsWith('.png')).sort().slice(0, n)) symlinkSync(resolve(from, f), join(dir, f));
      return dir;
    };
    const [bg, clean, pgd] = [folder('data/background', 60), folder('data/clean', 20), folder('data/pgd-0.1', 20)];
    const run = async (methods: string) => {
      const f = { ...flags(methods), background: bg, clean, anomalous: [`pgd=${pgd}`] };
      const known = await evalImages(f);
      const d = await Detector.create({ model, reduction: 'channel-mean' });
      const { results } = await runEval(d, f, known, () => {});
      d.release();
      return { held: known.calibration?.count ?? 0, auc: (m: string) => results.find((r) => r.method.startsWith(m))!.auc };
    };
    const [both, alone] = [await run('histogram,mahalanobis,knn'), await run('mahalanobis,knn')];
    rmSync(root, { recursive: true });
    expect([both.held, alone.held]).toEqual([19, 0]);
    for (const m of ['mahalanobis', 'knn']) expect(both.auc(m)).toBeCloseTo(alone.auc(m), 10);
  });
});
