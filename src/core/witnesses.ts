// The product's witnesses: how an image's calibrated parts (the scans, the energy, the Gaussian part)
// are grouped into witnesses of different evidence and handed to core/combine.ts, which of them a
// calibration chose its verdicts to follow, and which looks at an image have a q of their own to show.
import type { CalibrationTable, Combination, PartEvidence, ScoringName } from '../types.ts';
import { combine, partColumn, type Combined } from './combine.ts';
import type { ScanSettings } from './score.ts';

/**
 * The witnesses of an image with `scans` scan parts among `parts`, as consecutive group sizes: the
 * scans as one (per-node marginals: each tail, pooled and class-conditional, looks at the same
 * activations), then each model-level part as its own (energy of the logits, Gaussian distance of
 * the features: different evidence); without other parts, every scan is its own. `quiet`: the quiet
 * look (combineParts) counts as one more scan.
 */
export function partGroups(scans: number, parts: number, quiet = false): number[] {
  const [s, k] = quiet ? [scans + 1, parts + 1] : [scans, parts];
  return s > 0 && k > s ? [s, ...Array<number>(k - s).fill(1)] : Array<number>(k).fill(1);
}

/**
 * How each witness of partGroups combines its own parts: under TPM the scans by Tippett's minimum,
 * since the most unusual look at one piece of evidence speaks for it, where TPM added up several
 * strong looks at the same activations; under Fisher or min, by that rule. Chosen on the dev halves of
 * the three development models (src/defaults.ts), with a witness of its own for each model-level part.
 */
export function witnessRules(how: Combination, groups: readonly number[]): Combination[] {
  return groups.map((_, j) => (how === 'tpm' && j === 0 ? 'min' : how));
}

/**
 * The quiet look (combineParts' `quiet`): the pooled upper-tail scan looks for nodes lit up beyond
 * the background, and its score unusually low says the opposite, an image that lights up fewer of
 * them than clean images do (on the dev halves the scan alone ranked synthesized images below clean
 * ones, AUC 0.24: blurred images are quiet). Ranked from below, it is one more look in the scans'
 * witness. Chosen on the dev halves of the three development models: mean AUC default 0.9839 ->
 * 0.9857, photo 0.8366 -> 0.8378, ViT 0.8793 -> 0.8820; the pooled lower-tail scan ranked from below
 * too tied it (0.9849, 0.8405, 0.8807) and cost the default model's attacks twice as much.
 */
const withQuiet = new WeakMap<number[], { quiet: number; rows: number[] }>();

/** Calibration rows with the quiet look's column (minus the scan's score) after the scans', built once per table. */
function quietRows(rows: number[], k: number, scans: number, quiet: number): number[] {
  const had = withQuiet.get(rows);
  if (had?.quiet === quiet) return had.rows;
  const m = rows.length / k;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    const row = rows.slice(i * k, (i + 1) * k);
    out.push(...row.slice(0, scans), -row[quiet], ...row.slice(scans));
  }
  withQuiet.set(rows, { quiet, rows: out });
  return out;
}

/**
 * combine() on every part of an image (`parts`: its scan scores, then extraParts) when calibrated,
 * grouped by partGroups with witnessRules; `quiet` (>= 0: the index of the pooled upper-tail scan,
 * core/score.ts quietScan) adds that scan ranked from below as one more look among the scans; `flat`
 * counts every part as its own witness (the rule before; eval/ compares the two); `joint` adds the joint
 * look at every part as one more witness (where the calibration chose it: witnessesOf); `hedgeLast`
 * weighs that combination with the last part alone (combine's `hedge`). Uncalibrated, the
 * raw score is the scans' sum alone, since the other parts' scales are not a scan's.
 */
export function combineParts(scanScores: number[], parts: number[], rows: number[] | undefined, how: Combination = 'fisher', opts: { flat?: boolean; quiet?: number; joint?: boolean; hedgeLast?: boolean } = {}): Combined {
  if (!rows?.length) return combine(scanScores, rows, how);
  // A table of other parts than these gets combine's answer for it (q NaN), not a quiet column cut from the wrong rows.
  if (opts.flat || rows.length % parts.length !== 0) return combine(parts, rows, how);
  const quiet = opts.quiet ?? -1;
  const s = scanScores.length;
  const looks = quiet >= 0 ? [...parts.slice(0, s), -parts[quiet], ...parts.slice(s)] : parts;
  const table = quiet >= 0 ? quietRows(rows, parts.length, s, quiet) : rows;
  const groups = partGroups(s, parts.length, quiet >= 0);
  // The joint look reads every part once: the quiet look is its scan read from below.
  const joint = opts.joint ? looks.flatMap((_, i) => (quiet >= 0 && i === s ? [] : [i])) : undefined;
  return combine(looks, table, how, groups, witnessRules(how, groups), joint, opts.hedgeLast ? looks.length - 1 : undefined);
}

/** Every look at an image that has its own q: each part, the quiet look (its scan read from below) and the parts' joint look, in that order. */
export function evidenceLooks(r: { parts: readonly PartEvidence[]; jointQ?: number }): { name: string; q: number }[] {
  return [
    ...r.parts.flatMap((p) => [{ name: p.name, q: p.q }, ...(p.qBelow === undefined ? [] : [{ name: 'quiet', q: p.qBelow }])]),
    ...(r.jointQ === undefined ? [] : [{ name: 'joint', q: r.jointQ }]),
  ];
}

/**
 * An image's combined score and calibrated q from its part scores (the scans', then extraParts'):
 * the Gaussian part's alone where the calibration chose it (`witnesses`, witnessesOf: core/surrogates.ts),
 * else every witness's, with their joint look and weighed with the Gaussian part where chosen
 * (combineParts, `quiet`: quietScan); and which of them spoke (`used`: without calibration or a
 * Gaussian part, every witness).
 */
export function combinedOf(scan: ScanSettings, scanScores: number[], parts: number[], rows: number[] | undefined, quiet: number, witnesses: Witnesses = 'all'): Combined & { used: Witnesses } {
  const joint = addsJoint(witnesses);
  const used: Witnesses = rows?.length && scan.gauss ? witnesses : joint ? 'joint' : 'all';
  // The Gaussian part is the last part where the profile has one (extraParts).
  if (used === 'gauss') return { ...combine([parts[parts.length - 1]], partColumn(rows!, parts.length, parts.length - 1)), used };
  return { ...combineParts(scanScores, parts, rows, scan.combine, { flat: scan.flat, quiet, joint, hedgeLast: weighsGauss(used) }), used };
}

/**
 * What a verdict follows (core/surrogates.ts chooseWitnesses): every witness, every witness and their
 * joint look, the Gaussian part alone, or, where the pseudo-anomalies could not tell the first two
 * from the third, either of them weighed with the Gaussian part alone ('+gauss': combine's `hedge`).
 */
export type Witnesses = 'all' | 'joint' | 'gauss' | 'all+gauss' | 'joint+gauss';

/** Whether a choice adds the joint look to the witnesses. */
export const addsJoint = (w: Witnesses): boolean => w === 'joint' || w === 'joint+gauss';

/** Whether a choice weighs the witnesses with the Gaussian part alone (combine's `hedge`). */
export const weighsGauss = (w: Witnesses): boolean => w === 'all+gauss' || w === 'joint+gauss';

/** The fields of a calibration table that say which witnesses its verdicts follow. */
export type WitnessFields = Pick<CalibrationTable, 'gaussAlone' | 'joint' | 'hedged'>;

/** The witnesses a calibration table chose for a scoring; 'all' without a table or a choice (profiles made before). */
export function witnessesOf(table: WitnessFields | undefined, scoring: ScoringName): Witnesses {
  if (table?.gaussAlone?.includes(scoring)) return 'gauss';
  const base = table?.joint?.includes(scoring) ? 'joint' : 'all';
  return table?.hedged?.includes(scoring) ? `${base}+gauss` : base;
}
