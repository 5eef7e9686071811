// Number formats shared by the views, so a p-value reads the same in every one of them.
import type { LayerPValues } from '../types.ts';

/**
 * A p-value: three decimals, or an exponent when smaller than 0.001; '?' when unknown. Decided on
 * the value as shown (two digits), so 0.000999 reads "0.001" like 0.001, not "1.0e-3" beside it.
 */
export const fmtP = (p: number): string => (!Number.isFinite(p) ? '?' : p === 0 ? '0' : Number(p.toPrecision(2)) < 0.001 ? p.toExponential(1) : p.toFixed(3));

/** Below this a combined score is no witness's q under 0.02, only the tie-break (fmtScore's exponent; the detail says so). */
export const TINY_SCORE = 0.05;

/**
 * An anomaly score: one decimal, or an exponent below 0.05. Under the truncated product an image with
 * no witness at q <= 0.02 scores only its tie-break (about 1e-6 of Fisher's sum), which one decimal
 * would show as "0.0" beside an unusual verdict.
 */
export const fmtScore = (s: number): string => (!Number.isFinite(s) ? String(s) : s === 0 || Math.abs(s) >= TINY_SCORE ? s.toFixed(1) : s.toExponential(1));

/** An activation value in a short label (axis ticks, captions). */
export const fmtValue = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (v === 0) return '0';
  if (a >= 10000 || a < 0.01) return v.toExponential(1);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
};

/** Values with as many digits as tell them apart (axis ticks on a narrow range, a narrow bin's edges), fmtValue's where those do. */
export const fmtTicks = (ts: number[]): string[] => {
  let out = ts.map(fmtValue);
  for (let d = 3; new Set(out).size < new Set(ts).size && d <= 9; d++) out = ts.map((t) => String(+t.toPrecision(d)));
  return out;
};

/**
 * Every bin [a, b) of a histogram, each edge with the digits that tell it from both its neighbours: an
 * edge shared by two bins reads the same in both ("[0.14, 0.16)" then "[0.155, 0.162)" read as
 * overlapping where each bin took its own digits); a bin of zero width holds one value (an atom such
 * as ReLU's 0).
 */
export const fmtBins = (edges: readonly number[]): string[] => {
  const text = edges.map((e, k) => {
    const near = k > 0 ? [edges[k - 1], e] : [e];
    return fmtTicks(k + 1 < edges.length ? [...near, edges[k + 1]] : near)[near.length - 1];
  });
  return edges.slice(0, -1).map((a, k) => (a === edges[k + 1] ? `exactly ${fmtValue(a)}` : `[${text[k]}, ${text[k + 1]})`));
};

/** An activation value with three significant decimals (node descriptions). */
export const fmtValue3 = (v: number): string => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

/** An FPR as the verdicts say it: 0.05 as 5%. */
export const fmtRate = (r: number): string => `${+(r * 100).toFixed(2)}%`;

/** A layer's name as the views show it: an exporter's tensor name without its leading "/" and "_output_0". */
export const layerLabel = (name: string): string => name.replace(/^\//, '').replace(/_output_0$/, '') || name;

/** A transformer's [tokens, features] layer kept per element: its nodes are token-major. */
export const isTokenLayer = (l: Pick<LayerPValues, 'shape' | 'channelAxis' | 'pMin'>): boolean =>
  l.shape.length === 2 && l.channelAxis === 1 && l.pMin.length === l.shape[0] * l.shape[1];

/** Node i of a token layer in words (isTokenLayer): which token, which feature. */
export const tokenPlace = (l: Pick<LayerPValues, 'shape'>, i: number): string => `token ${Math.floor(i / l.shape[1])}, feature ${i % l.shape[1]}`;

/** Whether a calibrated part is one of the model's scans (not the energy or the Gaussian part). */
export const isScanPart = (name: string): boolean => name !== 'energy' && name !== 'gauss';

/** What a calibrated part measures, in words (its name from core/score.ts partNames). */
export function partLabel(name: string): string {
  if (name === 'energy') return 'Model confidence (energy of the logits)';
  if (name === 'gauss') return 'Distance to known-good images in feature space (Gaussian)';
  if (name === 'quiet') return 'Activations unusually quiet (fewer nodes high than in clean images)';
  if (name === 'joint') return 'The parts together (a mix of them that clean images do not show)';
  const [tail, group] = name.split(':');
  const how = tail === 'upper' ? 'high' : tail === 'lower' ? 'low' : 'far out';
  const among = group === 'class' ? ' for the predicted class' : group?.startsWith('pooled') ? ' (other layers)' : '';
  return `Activations unusually ${how}${among}`;
}

/** How many calibration images score as high as this one: q = (k + 1) / (m + 1) counts them (a q below 1 / (m + 1) lies beyond all of them). */
export function asHigh(q: number, m: number): string {
  const k = Math.max(0, Math.round(q * (m + 1)) - 1);
  const of = `${m.toLocaleString('en')} clean calibration images`;
  // q counts the image itself among them, (k + 1) / (m + 1): said, since k / m is what a reader would compute.
  // Below 1 / (m + 1) (a part's q from the tail beyond calibration) no count gives it.
  const why = q * (m + 1) < 1 - 1e-9 ? `(q = ${fmtP(q)}, beyond every one of them)` : `(q = ${(k + 1).toLocaleString('en')}/${(m + 1).toLocaleString('en')} = ${fmtP(q)}, the image counted among them)`;
  return `${k === 0 ? `none of the ${of} scores as high` : `${k.toLocaleString('en')} of the ${of} score as high`} ${why}`;
}

/** Whether an image shown whole in a box of `box` px would be under 3 px thick (a 10000×3 strip). */
export const tooThin = (w: number, h: number, box: number) => Math.max(w / h, h / w) > box / 3;
