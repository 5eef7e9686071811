// Combination rules tried on recorded part scores: AUC per anomalous set and the mean, for the rule
// histoscan ships and the others docs/decisions.md and src/defaults.ts compare it with. Each rule runs
// core/combine.ts itself on the calibration table the parts were ranked against, so the shipped
// rule's row equals `histoscan eval`'s histogram row.
//
//   npx histoscan eval ... --methods histogram --split dev --parts-out parts.jsonl
//   npx tsx tools/witness-rules.ts parts.jsonl
import { addsJoint, auc, combine, combineParts, FOLLOWS, weighsGauss, witnessRules, type Combination, type Witnesses } from '../src/core/index.ts';
import { readParts, type Line } from './trial-parts.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: tsx tools/witness-rules.ts PARTS.jsonl (from histoscan eval --parts-out)');
const { clean, sets, scans: s } = readParts(file);
const k = clean.parts.length;
const model = k - s;
const scans = [...Array(s).keys()];
const others = Array.from({ length: model }, (_, i) => s + i);

/** A rule on a subset of the parts (`idx`; an index -c - 1 stands for part c looked at from below, as minus its score): their own calibration columns, groups and rules; `joint`: with the joint look at the parts looked at from above. */
function rule(idx: number[], how: Combination, groups?: number[], within?: Combination[], joint = false): (p: number[]) => number {
  const m = clean.calibration.length / k;
  const rows: number[] = [];
  const look = (row: (c: number) => number) => idx.map((c) => (c < 0 ? -row(-c - 1) : row(c)));
  for (let i = 0; i < m; i++) rows.push(...look((c) => clean.calibration[i * k + c]));
  const at = joint ? idx.flatMap((c, i) => (c < 0 ? [] : [i])) : undefined;
  return (p) => combine(look((c) => p[c]), rows, how, groups, within, at).score;
}
/** The shipped rule with these scans also ranked from below, each one more look in the scans' witness; with the joint look or not. */
const fromBelow = (below: number[], joint = false) => {
  const groups = [s + below.length, ...others.map(() => 1)];
  return rule([...scans, ...below.map((c) => -c - 1), ...others], 'tpm', groups, witnessRules('tpm', groups), joint);
};
const named = (name: string) => clean.parts.indexOf(name);
/** Every witness together (combineParts, as `score` runs it where the calibration did not choose the Gaussian part alone), with their joint look or not, weighed with the Gaussian part or not, against a calibration table. */
const shipped = (table: number[], joint = false, hedgeLast = false) => (p: number[]) => combineParts(p.slice(0, s), p, table, 'tpm', { quiet: named('upper'), joint, hedgeLast }).score;
// What the calibration chose (files written before the joint look say gaussAlone or nothing).
const chosen: Witnesses = clean.witnesses ?? (clean.gaussAlone ? 'gauss' : 'all');
/** The shipped scans' witness, then one witness per list of `looks` (a part alone, or several by their minimum; -c - 1: part c from below). */
const withModelLooks = (looks: number[][]) => {
  const idx = [...scans, -named('upper') - 1, ...looks.flat()];
  const groups = [s + 1, ...looks.map((l) => l.length)];
  return rule(idx, 'tpm', groups, groups.map((): Combination => 'min')); // a lone part's rule is never used
};
const E = named('energy');
const G = named('gauss');
const all = [...scans, ...others];
type Rule = [string, (p: number[], cls: number) => number];
const candidates: Rule[] = [
  // What eval's histogram row scored: the calibration's choice (core/surrogates.ts).
  [`shipped (as calibrated: ${FOLLOWS[chosen]})`, chosen === 'gauss' ? (p) => p[named('gauss')] : shipped(clean.calibration, addsJoint(chosen), weighsGauss(chosen))],
  ['all witnesses (combineParts, --combine tpm)', shipped(clean.calibration)],
  ['all witnesses and their joint look', shipped(clean.calibration, true)],
  ['all witnesses, weighed with the Gaussian part', shipped(clean.calibration, false, true)],
  ['... and their joint look, weighed with it', shipped(clean.calibration, true, true)],
  ['without the quiet look', (p) => combineParts(p.slice(0, s), p, clean.calibration, 'tpm').score],
  ['quiet looks at the pooled upper and lower scans', fromBelow([named('upper'), named('lower')])],
  ['every scan also ranked from below', fromBelow(scans)],
  ['[scans by TPM] [model-level parts by Fisher]', rule(all, 'tpm', [s, model], ['tpm', 'fisher'])],
  ['[scans by TPM] [each model-level part]', rule(all, 'tpm', [s, ...others.map(() => 1)], ['tpm'])],
  ['[scans by min] [model-level parts by Fisher]', rule(all, 'tpm', [s, model], ['min', 'fisher'])],
  ['Tippett across [scans by TPM] [model-level by Fisher]', rule(all, 'min', [s, model], ['tpm', 'fisher'])],
  ['Fisher across [scans by TPM] [model-level by Fisher]', rule(all, 'fisher', [s, model], ['tpm', 'fisher'])],
  ['every part its own witness (TPM)', rule(all, 'tpm')],
  ...(named('upper:class') >= 0
    ? ([
        ['quiet [upper], joint (equals "... their joint look")', fromBelow([named('upper')], true)],
        ['quiet [upper, upper:class], joint', fromBelow([named('upper'), named('upper:class')], true)],
        ['quiet [upper, upper:class]', fromBelow([named('upper'), named('upper:class')])],
        ['quiet [upper:class], joint', fromBelow([named('upper:class')], true)],
        ['quiet [upper, upper:class, lower:class], joint', fromBelow([named('upper'), named('upper:class'), named('lower:class')], true)],
      ] as Rule[])
    : []),
  ...others.map((c): Rule => [`${clean.parts[c]} alone`, (p) => p[c]]),
  ['the scans alone (TPM)', rule(scans, 'tpm')],
  ...(E >= 0 && G >= 0
    ? ([
        ['all witnesses, rebuilt from their looks (equals that row)', withModelLooks([[E], [G]])],
        ['no energy part', withModelLooks([[G]])],
        ['energy both sides (one witness), gauss', withModelLooks([[E, -E - 1], [G]])],
        ['energy from below only, gauss', withModelLooks([[-E - 1], [G]])],
        ['energy, energy from below, gauss (3 witnesses)', withModelLooks([[E], [-E - 1], [G]])],
        ['energy from below alone', (p: number[]) => -p[E]],
      ] as Rule[])
    : []),
];
/**
 * Mondrian calibration: an image ranked against the calibration images of its predicted class, where
 * that class has at least `least` of them (else all). Tried on the three development models' dev
 * halves, not taken: every model's mean fell (default 0.9859 -> 0.9820 at 200, photo 0.8392 -> 0.8247 at
 * 100, ViT 0.8830 -> 0.8782 at 200): an attack moves an image into another class, whose fewer
 * calibration images rank it no better, and ranks of 200 images stop at a coarser floor.
 */
const mondrian = (least: number): Rule[1] | null => {
  const classes = clean.calibrationClasses;
  if (!classes) return null;
  const rows = new Map<number, number[]>();
  classes.forEach((c, i) => {
    if (!rows.has(c)) rows.set(c, []);
    rows.get(c)!.push(...clean.calibration.slice(i * k, (i + 1) * k));
  });
  const byClass = new Map([...rows].map(([c, table]) => [c, shipped(table.length / k >= least ? table : clean.calibration)]));
  const pooled = shipped(clean.calibration);
  return (p, cls) => (byClass.get(cls) ?? pooled)(p);
};
candidates.push(...[200, 100].flatMap((least): Rule[] => {
  const f = mondrian(least);
  return f ? [[`shipped, ranked within the predicted class (>= ${least})`, f]] : [];
}));
const rules = candidates.filter(([name]) => model > 0 || !name.includes('model-level'));

const short = sets.map((x) => x.set.slice(0, 12).padStart(12));
console.log(`${'rule'.padEnd(54)} ${short.join(' ')}      mean`);
for (const [name, f] of rules) {
  const scored = (x: Line) => x.images.map((p, i) => f(p, x.classes?.[i] ?? -1));
  const base = scored(clean);
  const a = sets.map((x) => auc(base, scored(x)));
  console.log(`${name.padEnd(54)} ${a.map((v) => v.toFixed(4).padStart(12)).join(' ')} ${(a.reduce((x, y) => x + y, 0) / a.length).toFixed(4).padStart(9)}`);
}
