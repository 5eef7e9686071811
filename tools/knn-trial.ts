// A k-NN part (Sun et al. 2022: distance to the k-th nearest L2-normalised background row of the
// channel means of every monitored layer) tried as a witness beside or instead of the Gaussian part,
// on the part scores `histoscan eval --parts-out` recorded for the same images (its --split half).
//
//   npx tsx tools/knn-trial.ts PARTS.jsonl MODEL SPEC|- BACKGROUND_DIR CALIBRATION_DIR clean=DIR[:dev|test] NAME=DIR[:dev|test] ...
import { combineParts } from '../src/core/index.ts';
import { Detector } from '../src/detector/index.ts';
import { fileSource, listImages, readModelBytes } from '../src/cli/io.ts';
import { specSources } from '../src/cli/spec-flags.ts';
import { collectNodes, classOf, type NodeSet } from '../src/node-sets.ts';
import type { ImageSource } from '../src/detector/index.ts';
import { checkSameImages, folderSources, readParts, tablePrinter, withColumn } from './trial-parts.ts';
import { fitKnn, peerFeatures } from '../src/peers/index.ts';
import { rng } from '../src/core/rng.ts';

const [partsFile, model, spec, bgDir, calDir, ...folders] = process.argv.slice(2);
if (!folders.length) throw new Error('usage: tsx tools/knn-trial.ts PARTS.jsonl MODEL SPEC|- BACKGROUND_DIR CALIBRATION_DIR clean=DIR[:half] NAME=DIR[:half] ...');
const det = await Detector.create({ model: readModelBytes(model), ...specSources(spec === '-' ? {} : { spec }, model), layers: 'auto', reduction: 'channel-mean', provider: 'auto' as const });
const f = det.features;
const collect = (name: string, src: ImageSource) => collectNodes(f, name, src, 32);
const feats = (s: NodeSet) => peerFeatures(s.values, s.rows, f.layers, 'channel-means');
const bg = feats(await collect('background', fileSource(listImages([bgDir]))));
const bgRows = bg.values.length / bg.d;
console.log(`features d = ${bg.d}, background ${bgRows} rows (${((bgRows * bg.d * 4) / 1e6).toFixed(2)} MB as float32)`);
type Scored = { set: string; classes: number[]; f: Float32Array; rows: number };
const sets: Scored[] = [];
for (const { name, src } of [{ name: 'calibration', src: fileSource(listImages([calDir])) }, ...folderSources(folders)]) {
  const s = await collect(name, src);
  sets.push({ set: name, classes: Array.from({ length: s.rows }, (_, r) => classOf(s, r)), f: feats(s).values, rows: s.rows });
}
/** A bank of at most `rows` background rows, drawn by a seeded shuffle. */
function bank(rows: number): Float32Array {
  if (rows >= bgRows) return bg.values;
  const r = rng(7);
  const idx = Array.from({ length: bgRows }, (_, i) => i);
  for (let i = bgRows - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
  const out = new Float32Array(rows * bg.d);
  for (let i = 0; i < rows; i++) out.set(bg.values.subarray(idx[i] * bg.d, (idx[i] + 1) * bg.d), i * bg.d);
  return out;
}
const variants: [string, number, number][] = [['knn10 full', bgRows, 10], ['knn10 1MB', Math.floor(1e6 / (4 * bg.d)), 10], ['knn1 1MB', Math.floor(1e6 / (4 * bg.d)), 1], ['knn3 1MB', Math.floor(1e6 / (4 * bg.d)), 3]];
const scores = new Map<string, Map<string, number[]>>();
for (const [name, rows, k] of variants) {
  const b = bank(rows);
  const knn = fitKnn(b, b.length / bg.d, bg.d, Math.min(k, b.length / bg.d));
  const m = new Map<string, number[]>();
  for (const s of sets) m.set(s.set, Array.from({ length: s.rows }, (_, r) => knn.score(s.f.subarray(r * bg.d, (r + 1) * bg.d))));
  scores.set(name, m);
}

const parts = readParts(partsFile);
const { clean, scans: s, quiet } = parts;
checkSameImages(parts, (set) => sets.find((x) => x.set === set)!.classes);
const k = clean.parts.length;
const gauss = clean.parts.indexOf('gauss');
const show = tablePrinter(parts, 40);
show('shipped (all witnesses)', (p) => combineParts(p.slice(0, s), p, clean.calibration, 'tpm', { quiet }).score);
show('gauss part alone', (p) => p[gauss]);
for (const [vn] of variants) {
  const sv = scores.get(vn)!;
  const v = (set: string, i: number) => sv.get(set)![i];
  show(`${vn} alone`, (_p, e) => e, v);
  const rows = withColumn(clean, (i) => v('calibration', i));
  show(`shipped + ${vn} witness`, (p, e) => combineParts(p.slice(0, s), [...p, e], rows, 'tpm', { quiet }).score, v);
  // In the Gaussian part's place (its column, the last, left out).
  const swap = rows.filter((_, j) => j % (k + 1) !== gauss);
  show(`${vn} instead of gauss`, (p, e) => { const q = [...p]; q[gauss] = e; return combineParts(q.slice(0, s), q, swap, 'tpm', { quiet }).score; }, v);
}
