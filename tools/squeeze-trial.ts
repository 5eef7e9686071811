// Feature squeezing (Xu et al. 2018) tried as one more witness, not taken (docs/decisions.md): the L1
// distance between the model's softmax on an image and on a squeezed copy (median 2x2, median 3x3,
// 4-bit depth), alone and beside the shipped witnesses, on the part scores `histoscan eval
// --parts-out` recorded for the same images (its --split half; the sets named as in that run).
//
//   npx tsx tools/squeeze-trial.ts PARTS.jsonl MODEL SPEC|- CALIBRATION_DIR clean=DIR[:dev|test] NAME=DIR[:dev|test] ...
import { combineParts } from '../src/core/index.ts';
import { Detector } from '../src/detector/index.ts';
import { fileSource, listImages, readModelBytes } from '../src/cli/io.ts';
import { specSources } from '../src/cli/spec-flags.ts';
import { collectNodes, classOf } from '../src/node-sets.ts';
import { checkSameImages, folderSources, readParts, tablePrinter, withColumn } from './trial-parts.ts';
import type { ImageSource } from '../src/detector/index.ts';
import type { RgbaImage } from '../src/types.ts';

const [partsFile, model, spec, calDir, ...folders] = process.argv.slice(2);
if (!folders.length) throw new Error('usage: tsx tools/squeeze-trial.ts PARTS.jsonl MODEL SPEC|- CALIBRATION_DIR clean=DIR[:half] NAME=DIR[:half] ...');
const det = await Detector.create({ model: readModelBytes(model), ...specSources(spec === '-' ? {} : { spec }, model), layers: 'auto', reduction: 'channel-mean', provider: 'auto' as const });
const f = det.features;

/** Median filter of each colour channel (edges repeated). */
function median(img: RgbaImage, k: number): RgbaImage {
  const { width: w, height: h, data } = img;
  const outd = new Uint8ClampedArray(data.length);
  const lo = Math.floor((k - 1) / 2), hi = k - 1 - lo; // a k x k window; for k = 2 the pixel and its right and lower neighbours
  const buf: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) {
    if (c === 3) { outd[(y * w + x) * 4 + 3] = data[(y * w + x) * 4 + 3]; continue; }
    buf.length = 0;
    for (let dy = -lo; dy <= hi; dy++) for (let dx = -lo; dx <= hi; dx++) {
      const yy = Math.min(h - 1, Math.max(0, y + dy)), xx = Math.min(w - 1, Math.max(0, x + dx));
      buf.push(data[(yy * w + xx) * 4 + c]);
    }
    buf.sort((a, b) => a - b);
    const m = buf.length;
    outd[(y * w + x) * 4 + c] = m % 2 ? buf[(m - 1) / 2] : Math.round((buf[m / 2 - 1] + buf[m / 2]) / 2);
  }
  return { width: w, height: h, data: outd };
}
/** Each colour channel reduced to b bits. */
function bits(img: RgbaImage, b: number): RgbaImage {
  const levels = 2 ** b - 1;
  const d = Uint8ClampedArray.from(img.data, (v, i) => (i % 4 === 3 ? v : Math.round(Math.round((v / 255) * levels) / levels * 255)));
  return { width: img.width, height: img.height, data: d };
}
const squeezers: [string, (i: RgbaImage) => RgbaImage][] = [['median2', (i) => median(i, 2)], ['median3', (i) => median(i, 3)], ['bits4', (i) => bits(i, 4)]];
const softmax = (l: Float32Array) => { const m = Math.max(...l); const e = Array.from(l, (v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b, 0); return e.map((v) => v / s); };
const mapped = (src: ImageSource, fn: (i: RgbaImage) => RgbaImage): ImageSource => ({ ...src, load: async (i) => fn(await src.load(i)) });

/** Per image of a set: the model's class, and the softmax's L1 move under each squeezer. */
type Squeezed = { set: string; classes: number[] } & Record<string, number[]>;
async function scores(name: string, src: ImageSource): Promise<Squeezed> {
  const base = await collectNodes(f, name, src, 32);
  const out: Record<string, number[]> = {};
  for (const [sq, fn] of squeezers) {
    const s = await collectNodes(f, name, mapped(src, fn), 32);
    out[sq] = base.logits.map((l, r) => { const a = softmax(l), b = softmax(s.logits[r]); return a.reduce((t, v, j) => t + Math.abs(v - b[j]), 0); });
  }
  return { set: name, classes: Array.from({ length: base.rows }, (_, r) => classOf(base, r)), ...out } as Squeezed;
}
const sq: Squeezed[] = [await scores('calibration', fileSource(listImages([calDir])))];
for (const { name, src } of folderSources(folders)) sq.push(await scores(name, src));
const parts = readParts(partsFile);
const { clean, scans: s, quiet } = parts;
const sqOf = (set: string) => sq.find((x) => x.set === set)!;
checkSameImages(parts, (set) => sqOf(set).classes);
const names = ['median2', 'median3', 'bits4'];
/** Each variant's one squeeze score of image i of a set. */
const variants: [string, (o: Record<string, number[]>, i: number) => number][] = [
  ['max', (o, i) => Math.max(...names.map((n) => o[n][i]))],
  ...names.map((n): [string, (o: Record<string, number[]>, i: number) => number] => [n, (o, i) => o[n][i]]),
];
const show = tablePrinter(parts, 44);
show('shipped (all witnesses)', (p) => combineParts(p.slice(0, s), p, clean.calibration, 'tpm', { quiet }).score);
for (const [vn, v] of variants) {
  const extra = (set: string, i: number) => v(sqOf(set), i);
  show(`squeeze ${vn} alone`, (_p, e) => e, extra);
  // The squeeze as one more part after the model-level ones: combineParts makes it a witness of its own, as it does them.
  const rows = withColumn(clean, (i) => v(sqOf('calibration'), i));
  show(`shipped + squeeze ${vn} witness`, (p, e) => combineParts(p.slice(0, s), [...p, e], rows, 'tpm', { quiet }).score, extra);
}
