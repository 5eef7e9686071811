// A k-NN part (Sun et al. 2022: distance to the k-th nearest L2-normalised background row of the
// channel means of every monitored layer) tried as a witness beside or instead of the Gaussian part,
// on the part scores `histoscan eval --parts-out` recorded for the same images (its --split half).
//
//   npx tsx tools/knn-trial.ts PARTS.jsonl MODEL SPEC|- BACKGROUND_DIR CALIBRATION_DIR clean=DIR[:dev|test] NAME=DIR[:dev|test] ...
import { readFileSync } from 'node:fs';
import { auc, combineParts } from '../src/core/index.ts';
import { Detector } from '../src/detector/index.ts';
import { fileSource, listImages, readModelBytes, specSources } from '../src/cli/io.ts';
import { collectNodes, devTestSplit, classOf, type NodeSet } from '../src/node-sets.ts';
import { fitKnn, peerFeatures } from '../src/peers/index.ts';
import { rng } from '../src/core/rng.ts';

const [partsFile, model, spec, bgDir, calDir, ...folders] = process.argv.slice(2);
if (!folders.length) throw new Error('usage: tsx tools/knn-trial.ts PARTS.jsonl MODEL SPEC|- BACKGROUND_DIR CALIBRATION_DIR clean=DIR[:half] NAME=DIR[:half] ...');
const det = await Detector.create({ model: readModelBytes(model), ...specSources(spec === '-' ? {} : { spec }, model), layers: 'auto', reduction: 'channel-mean', provider: 'auto' as const });
const f = det.features;
const collect = (name: string, files: string[]) => collectNodes(f, name, fileSource(files), 32);
const feats = (s: NodeSet) => peerFeatures(s.values, s.rows, f.layers, 'channel-means');
const bg = feats(await collect('background', listImages([bgDir])));
const bgRows = bg.values.length / bg.d;
console.log(`features d = ${bg.d}, background ${bgRows} rows (${((bgRows * bg.d * 4) / 1e6).toFixed(2)} MB as float32)`);
type Scored = { set: string; classes: number[]; f: Float32Array; rows: number };
const sets: Scored[] = [];
const add = async (name: string, files: string[]) => {
  const s = await collect(name, files);
  sets.push({ set: name, classes: Array.from({ length: s.rows }, (_, r) => classOf(s, r)), f: feats(s).values, rows: s.rows });
};
await add('calibration', listImages([calDir]));
for (const s of folders) {
  const [name, rest] = s.split('=');
  const [dir, half] = rest.split(':');
  const files = listImages([dir]);
  await add(name, half ? devTestSplit(files.length)[half as 'dev' | 'test'].map((i) => files[i]) : files);
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

interface Line { method: string; set: string; parts: string[]; calibration: number[]; images: number[][]; classes: number[]; calibrationClasses: number[] }
const lines = readFileSync(partsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line).filter((l) => l.method === 'histogram');
const [clean, ...anom] = lines;
const cal = sets.find((x) => x.set === 'calibration')!;
const bad = (a: number[], b: number[]) => a.filter((v, i) => v !== b[i]).length;
// The same images in the same order as the recorded parts: the predicted classes agree.
console.log('class mismatches: calibration', bad(cal.classes, clean.calibrationClasses), ...lines.map((l) => `${l.set} ${bad(sets.find((x) => x.set === l.set)!.classes, l.classes)}`));
const k = clean.parts.length;
const s = clean.parts.filter((p) => p !== 'energy' && p !== 'gauss').length;
const gauss = clean.parts.indexOf('gauss');
const m = clean.calibration.length / k;
const quiet = clean.parts.indexOf('upper');
const short = anom.map((x) => x.set.slice(0, 12).padStart(12));
console.log(`${'rule'.padEnd(40)} ${short.join(' ')}      mean`);
const show = (name: string, fn: (p: number[], extra: number) => number, v: (set: string, i: number) => number) => {
  const sc = (l: Line) => l.images.map((p, i) => fn(p, v(l.set, i)));
  const base = sc(clean);
  const a = anom.map((x) => auc(base, sc(x)));
  console.log(`${name.padEnd(40)} ${a.map((x) => x.toFixed(4).padStart(12)).join(' ')} ${(a.reduce((x, y) => x + y, 0) / a.length).toFixed(4).padStart(9)}`);
};
show('shipped', (p) => combineParts(p.slice(0, s), p, clean.calibration, 'tpm', { quiet }).score, () => 0);
show('gauss part alone', (p) => p[gauss], () => 0);
for (const [vn] of variants) {
  const sv = scores.get(vn)!;
  const v = (set: string, i: number) => sv.get(set)![i];
  show(`${vn} alone`, (_p, e) => e, v);
  const rows: number[] = [];
  for (let i = 0; i < m; i++) rows.push(...clean.calibration.slice(i * k, (i + 1) * k), sv.get('calibration')![i]);
  show(`shipped + ${vn} witness`, (p, e) => combineParts(p.slice(0, s), [...p, e], rows, 'tpm', { quiet }).score, v);
  // In the Gaussian part's place.
  const swap: number[] = [];
  for (let i = 0; i < m; i++) { const r = clean.calibration.slice(i * k, (i + 1) * k); r[gauss] = sv.get('calibration')![i]; swap.push(...r); }
  show(`${vn} instead of gauss`, (p, e) => { const q = [...p]; q[gauss] = e; return combineParts(q.slice(0, s), q, swap, 'tpm', { quiet }).score; }, v);
}
