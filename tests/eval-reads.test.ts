// `histoscan eval` reads each background image as often as the profile build does, no more: the
// methods that fit on the background's node values (empirical, KDE, the feature-space peers) take
// them from the build's counting pass.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runEval, type EvalFlags, type EvalImages } from '../src/cli/eval.ts';
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

  it("the other methods' calibration tables take the histogram calibration's node values: each calibration image read twice (table, pseudo-anomalies), not three times", async () => {
    const both = await evaluate('histogram,empirical');
    expect(Math.max(...both.calibrationReads)).toBe(2);
    const alone = await evaluate('empirical');
    expect(new Set(alone.calibrationReads)).toEqual(new Set([1]));
    expect(both.auc('empirical')).toEqual(alone.auc('empirical'));
  });
});
