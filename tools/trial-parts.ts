// What the tools on recorded part scores share (witness-rules.ts, squeeze-trial.ts, knn-trial.ts): the part scores `histoscan eval
// --parts-out` recorded, the same folders' images (NAME=DIR[:dev|test]), a check that both are the
// same images in the same order, and a table of AUCs per anomalous set for a rule with one more score.
import { readFileSync } from 'node:fs';
import { auc, type Witnesses } from '../src/core/index.ts';
import { fileSource, listImages } from '../src/cli/io.ts';
import { devTestSplit } from '../src/node-sets.ts';
import type { ImageSource } from '../src/detector/index.ts';

/** One line of a parts file (src/cli/eval-output.ts partsWriter); files written before the classes were recorded lack them. */
export interface Line { method: string; set: string; files?: string[]; parts: string[]; calibration: number[]; images: number[][]; classes?: number[]; calibrationClasses?: number[]; witnesses?: Witnesses; gaussAlone?: boolean }

/** The histogram method's lines of a parts file: the clean set's first, then the anomalous sets'. */
export function readParts(file: string): { clean: Line; sets: Line[]; scans: number; quiet: number } {
  const [clean, ...sets] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line).filter((l) => l.method === 'histogram');
  return { clean, sets, scans: clean.parts.filter((p) => p !== 'energy' && p !== 'gauss').length, quiet: clean.parts.indexOf('upper') };
}

/** Each NAME=DIR[:dev|test] argument as a named image source (one half of the folder, as `eval --split` takes it). */
export function folderSources(args: string[]): { name: string; src: ImageSource }[] {
  return args.map((a) => {
    const [name, rest] = a.split('=');
    const [dir, half] = rest.split(':');
    const files = listImages([dir]);
    return { name, src: fileSource(half ? devTestSplit(files.length)[half as 'dev' | 'test'].map((i) => files[i]) : files) };
  });
}

/** Prints how many predicted classes differ between the recorded lines and these sets (0 everywhere: the same images in the same order). */
export function checkSameImages(p: ReturnType<typeof readParts>, classesOf: (set: string) => number[]): void {
  const bad = (a: number[], b: number[]) => a.filter((v, i) => v !== b[i]).length;
  console.log('class mismatches: calibration', bad(classesOf('calibration'), p.clean.calibrationClasses ?? []), ...[p.clean, ...p.sets].map((l) => `${l.set} ${bad(classesOf(l.set), l.classes ?? [])}`));
}

/** A table printer: `show(name, rule, extra)` prints the AUC per anomalous set and the mean of rule(parts, extra score) on each image. */
export function tablePrinter(p: ReturnType<typeof readParts>, width: number) {
  console.log(`${'rule'.padEnd(width)} ${p.sets.map((x) => x.set.slice(0, 12).padStart(12)).join(' ')}      mean`);
  return (name: string, rule: (parts: number[], extra: number) => number, extra: (set: string, i: number) => number = () => 0) => {
    const scored = (l: Line) => l.images.map((parts, i) => rule(parts, extra(l.set, i)));
    const base = scored(p.clean);
    const a = p.sets.map((x) => auc(base, scored(x)));
    console.log(`${name.padEnd(width)} ${a.map((x) => x.toFixed(4).padStart(12)).join(' ')} ${(a.reduce((x, y) => x + y, 0) / a.length).toFixed(4).padStart(9)}`);
  };
}

/** Calibration rows with one more column: each calibration image's extra score after its recorded parts. */
export function withColumn(clean: Line, extra: (i: number) => number): number[] {
  const k = clean.parts.length;
  const rows: number[] = [];
  for (let i = 0; i < clean.calibration.length / k; i++) rows.push(...clean.calibration.slice(i * k, (i + 1) * k), extra(i));
  return rows;
}
