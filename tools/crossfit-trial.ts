// Cross-fitted calibration tried against the hold-out, for a small set of known-good images: the
// hold-out (detector/holdout.ts: every 5th image, or 19 where that is more) calibrates on a fifth,
// so under 195 images at FPR 5% a new image must top every calibration image to be flagged, and one
// unusual known-good image among them can stop the verdict flagging anything. Cross-fitting keeps the
// same background size and calibrates on every image: the set is cut into K folds, the profile is
// built without the first (P1), a profile of the same size without each other fold (Pk, each on its
// own images alone), and each fold's images are scored against the profile that left them out; the
// rows of all folds are P1's table. Each row is then a new image's score against a profile of that
// size, so the verdict's FPR holds on average (cross-conformal), not for every draw as the hold-out's.
//
//   npx tsx tools/crossfit-trial.ts MODEL KNOWN_GOOD_DIR clean=DIR[:dev|test] NAME=DIR[:dev|test] ...
// Prints, for the hold-out and for cross-fitting: calibration images, each set's AUC and the share
// flagged at FPR 5%, and the clean images' realised FPR. FOLDS=5 sets K; USE=3 keeps the rows of the
// first 3 folds only (how the ranking moves as folds are added: docs/decisions.md "Version 0.4.21").
import { auc, type Profile, realisedFpr } from '../src/core/index.ts';
import { Detector, holdOut, Scorer, type ImageSource } from '../src/detector/index.ts';
import { pickImages } from '../src/detector/holdout.ts';
import { fileSource, listImages, readModelBytes } from '../src/cli/io.ts';
import { specSources } from '../src/cli/spec-flags.ts';
import { collectNodes, type NodeSet } from '../src/node-sets.ts';

import { folderSources } from './trial-parts.ts';

const [model, goodDir, ...folders] = process.argv.slice(2);
if (!folders.length) throw new Error('usage: tsx tools/crossfit-trial.ts MODEL KNOWN_GOOD_DIR clean=DIR[:half] NAME=DIR[:half] ...');
const K = Number(process.env.FOLDS ?? 5);
const FPR = 0.05;
const det = await Detector.create({ model: readModelBytes(model), ...specSources({}, model) });
const good = fileSource(listImages([goodDir]));
const quiet = { onProgress: () => {} };

/** The hold-out as `profile` makes it. */
async function heldOutProfile(): Promise<Profile> {
  const { background, calibration } = holdOut(good, 0.2, 19);
  return (await det.build(background, calibration, quiet)).profile;
}

/** Cross-fitted: K folds spread through the order, each scored against the profile built without it. */
async function crossFitted(): Promise<Profile> {
  const folds = Array.from({ length: K }, (_, k) => [...Array(good.count).keys()].filter((i) => i % K === k));
  const without = (k: number): ImageSource => pickImages(good, [...Array(good.count).keys()].filter((i) => i % K !== k));
  const first = (await det.build(without(0), pickImages(good, folds[0]), quiet)).profile;
  const table = first.header.calibration!;
  const rows = Object.fromEntries(Object.entries(table.scores).map(([f, r]) => [f, [...r!]]));
  let count = table.count;
  for (let k = 1; k < Number(process.env.USE ?? K); k++) {
    // Built on its own images alone: on P1's edges (set by P1's images, fold k's among them) fold k's values
    // sat on the edges they had set, and scored as background images do (FGSM AUC 0.993 -> 0.870 at 100 images).
    const pk = (await det.build(without(k), null, quiet)).profile;
    const t = (await det.calibrate(pk, pickImages(good, folds[k]), quiet)).profile.header.calibration!;
    if (t.parts.join() !== table.parts.join()) throw new Error(`fold ${k}'s profile has parts ${t.parts.join(', ')}, the first ${table.parts.join(', ')}`);
    for (const [f, r] of Object.entries(t.scores)) rows[f].push(...r!);
    count += t.count;
  }
  // The witnesses the first fold chose; the rows of every fold.
  return { ...first, header: { ...first.header, calibration: { ...table, count, scores: rows } } };
}

const sets: NodeSet[] = [];
for (const { name, src } of folderSources(folders)) sets.push(await collectNodes(det.features, name, src, 32));
const [clean, ...anomalous] = sets;
for (const [how, make] of [['hold-out', heldOutProfile], ['cross-fitted', crossFitted]] as const) {
  const p = await make();
  const scorer = new Scorer(p);
  const q = (s: NodeSet) => Array.from({ length: s.rows }, (_, r) => scorer.score(s.values.subarray(r * s.nodes, (r + 1) * s.nodes), 'hc', s.logits[r]));
  const cleanScores = q(clean);
  const cells = anomalous.map((s) => {
    const a = q(s);
    return `${s.name} ${auc(cleanScores.map((x) => x.score), a.map((x) => x.score)).toFixed(3)}/${realisedFpr(a.map((x) => x.q), FPR).rate.toFixed(2)}`;
  });
  const fpr = realisedFpr(cleanScores.map((x) => x.q), FPR).rate;
  console.log(`${how.padEnd(12)} background ${p.header.count}, calibration ${scorer.calibrated}: clean FPR ${fpr.toFixed(3)}; AUC/flagged ${cells.join(' ')}`);
}
det.release();
