// Combination rules tried on recorded part scores: AUC per anomalous set and the mean, for the rule
// histoscan ships and the others README and src/defaults.ts compare it with. Each rule runs
// core/combine.ts itself on the calibration table the parts were ranked against, so the shipped
// rule's row equals `histoscan eval`'s histogram row.
//
//   npx histoscan eval ... --methods histogram --split dev --parts-out parts.jsonl
//   npx tsx tools/witness-rules.ts parts.jsonl
import { readFileSync } from 'node:fs';
import { auc, combine, combineParts, type Combination } from '../src/core/index.ts';

interface Line { method: string; set: string; parts: string[]; calibration: number[]; images: number[][] }
const file = process.argv[2];
if (!file) throw new Error('usage: tsx tools/witness-rules.ts PARTS.jsonl (from histoscan eval --parts-out)');
const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line).filter((l) => l.method === 'histogram');
const [clean, ...sets] = lines;
const k = clean.parts.length;
const model = clean.parts.filter((p) => p === 'energy' || p === 'gauss').length;
const s = k - model;
const scans = [...Array(s).keys()];
const others = Array.from({ length: model }, (_, i) => s + i);

/** A rule on a subset of the parts: their own calibration columns, groups and rules. */
function rule(idx: number[], how: Combination, groups?: number[], within?: Combination[]): (p: number[]) => number {
  const m = clean.calibration.length / k;
  const rows: number[] = [];
  for (let i = 0; i < m; i++) for (const c of idx) rows.push(clean.calibration[i * k + c]);
  return (p) => combine(idx.map((c) => p[c]), rows, how, groups, within).score;
}
const all = [...scans, ...others];
type Rule = [string, (p: number[]) => number];
const candidates: Rule[] = [
  ['shipped (combineParts, --combine tpm)', (p) => combineParts(p.slice(0, s), p, clean.calibration, 'tpm', { quiet: clean.parts.indexOf('upper') }).score],
  ['without the quiet look', (p) => combineParts(p.slice(0, s), p, clean.calibration, 'tpm').score],
  ['[scans by TPM] [model-level parts by Fisher]', rule(all, 'tpm', [s, model], ['tpm', 'fisher'])],
  ['[scans by TPM] [each model-level part]', rule(all, 'tpm', [s, ...others.map(() => 1)], ['tpm'])],
  ['[scans by min] [model-level parts by Fisher]', rule(all, 'tpm', [s, model], ['min', 'fisher'])],
  ['Tippett across [scans by TPM] [model-level by Fisher]', rule(all, 'min', [s, model], ['tpm', 'fisher'])],
  ['Fisher across [scans by TPM] [model-level by Fisher]', rule(all, 'fisher', [s, model], ['tpm', 'fisher'])],
  ['every part its own witness (TPM)', rule(all, 'tpm')],
  ...others.map((c): Rule => [`${clean.parts[c]} alone`, (p) => p[c]]),
  ['the scans alone (TPM)', rule(scans, 'tpm')],
];
const rules = candidates.filter(([name]) => model > 0 || !name.includes('model-level'));

const short = sets.map((x) => x.set.slice(0, 12).padStart(12));
console.log(`${'rule'.padEnd(54)} ${short.join(' ')}      mean`);
for (const [name, f] of rules) {
  const base = clean.images.map(f);
  const a = sets.map((x) => auc(base, x.images.map(f)));
  console.log(`${name.padEnd(54)} ${a.map((v) => v.toFixed(4).padStart(12)).join(' ')} ${(a.reduce((x, y) => x + y, 0) / a.length).toFixed(4).padStart(9)}`);
}
