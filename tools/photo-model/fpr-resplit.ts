// Realised FPR of a calibrated profile on clean images: as calibrated, and over random re-splits
// of the calibration and clean images together (is an excess a shift between the two sets, or
// the method?), either crop by crop or, with --calibration (the folder the profile was calibrated
// on; labels.json names each crop's source photo), photo by photo: crops of one photo are alike, so
// only a split by photo asks whether a new photo is flagged at the nominal rate. Scores with the
// product's own code (core/score.ts).
//   npx tsx tools/photo-model/fpr-resplit.ts MODEL PROFILE CLEAN_DIR... [--calibration DIR] [--fpr 0.05] [--splits 20]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { argmax, combinedOf, decodeProfile, extraParts, histogramPValueFn, partsOf, quietScan, rng, scanOf, scanParts, witnessesOf } from '../../src/core/index.ts';
import { Detector } from '../../src/detector/index.ts';
import { collectNodes } from '../../src/node-sets.ts';
import { fileSource, listImages } from '../../src/cli/io.ts';
import { DEFAULTS } from '../../src/defaults.ts';

const { values: opt, positionals } = parseArgs({ allowPositionals: true, options: { fpr: { type: 'string', default: '0.05' }, splits: { type: 'string', default: '20' }, calibration: { type: 'string' } } });
const [modelPath, profilePath, ...cleanDirs] = positionals;
const fpr = Number(opt.fpr);
const profile = decodeProfile(readFileSync(profilePath));
const table = profile.header.calibration;
if (!table) throw new Error(`${profilePath} is not calibrated`);
const rows = table.scores[DEFAULTS.scoring]!;
const k = table.parts.length;
const calRows = Array.from({ length: table.count }, (_, i) => rows.slice(i * k, (i + 1) * k));

const detector = await Detector.create({ model: new Uint8Array(readFileSync(modelPath)), profile });
const set = await collectNodes(detector.features, 'clean', fileSource(listImages(cleanDirs)), 32);
const pv = histogramPValueFn(profile);
const scan = scanOf(profile);
const N = set.nodes;
const clean = Array.from({ length: set.rows }, (_, r) => {
  const x = set.values.subarray(r * N, (r + 1) * N);
  const s = scanParts(pv, x, scan, [DEFAULTS.scoring], argmax(set.logits[r]));
  return [...s.scans[DEFAULTS.scoring]!.map((v) => v.score), ...extraParts(scan, x, set.logits[r])];
});
const scanList = partsOf(scan, N);
const scans = scanList.length;
const quiet = quietScan(scanList);
const witnesses = witnessesOf(table, DEFAULTS.scoring);
const flagged = (cal: number[][], test: number[][]) => test.filter((x) => combinedOf(scan, x.slice(0, scans), x, cal.flat(), quiet, witnesses).q <= fpr).length / test.length;

console.log(`as calibrated: ${(100 * flagged(calRows, clean)).toFixed(1)}% of ${clean.length} clean images flagged at ${fpr}`);
const all = [...calRows, ...clean];
// Source photo of each row ('pkg:/path (author, licence) crop …' in labels.json), or each row its own.
const photoOf = (dir: string): string[] => (JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')).source as string[]).map((s) => s.split(' (')[0]);
const photos = opt.calibration ? [...photoOf(opt.calibration), ...cleanDirs.flatMap(photoOf)] : all.map((_, i) => String(i));
if (photos.length !== all.length) throw new Error(`labels.json lists ${photos.length} images, the profile and folders hold ${all.length}`);
const groups = [...new Set(photos)];
const calShare = new Set(photos.slice(0, calRows.length)).size / groups.length;
const r = rng(5);
const shares = Array.from({ length: Number(opt.splits) }, () => {
  const order = groups.map((g) => [g, r()] as const).sort((a, b) => a[1] - b[1]);
  const toCal = new Set(order.slice(0, Math.round(calShare * groups.length)).map(([g]) => g));
  const side = (cal: boolean) => all.filter((_, i) => toCal.has(photos[i]) === cal);
  return flagged(side(true), side(false));
});
const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
console.log(`random re-splits by ${opt.calibration ? 'source photo' : 'image'} (${shares.length}, ${Math.round(calShare * groups.length)} of ${groups.length} ${opt.calibration ? 'photos' : 'images'} to calibrate): mean ${(100 * mean).toFixed(1)}%, range ${(100 * Math.min(...shares)).toFixed(1)}–${(100 * Math.max(...shares)).toFixed(1)}%`);
