// eval's warnings where its sets share images: the same input to the model (by its node values' key),
// or another coding of a picture a fitted set holds (core/twins.ts BackgroundIndex).
import { BackgroundIndex, NEAR_COPIES_SAID, rowKeys } from '../core/index.ts';
import type { NodeSet } from '../node-sets.ts';

/** A set the methods fit on, as the twin checks see it: its name, and its images' keys and strided nodes. */
export interface Fitted {
  name: string;
  index: BackgroundIndex;
}

function fittedOf(s: NodeSet): Fitted {
  const index = new BackgroundIndex(s.nodes);
  index.add(s.values, s.nodes);
  return { name: s.name, index };
}

/**
 * Images that another set also holds (the same input to the model): a test image in the background
 * or the calibration looks more typical than a new one, an image in the clean set and an anomalous one,
 * or in two anomalous ones (a folder given twice), is compared with itself, and a calibration image in
 * the background ranks as more typical than new images. Either way the figures are not those of new images.
 * `calibrationChecked`: the calibration said its own overlap with the background (the build's checks), not again here.
 */
export function twinWarnings(clean: NodeSet, anomalous: NodeSet[], background: NodeSet | Fitted | null, calibration: NodeSet | null, calibrationChecked = false): string[] {
  const keys = new Map([clean, ...anomalous, ...(calibration ? [calibration] : [])].map((s) => [s, rowKeys(s.values, s.nodes)]));
  // The fitted sets are indexed (their near-copies are looked for too); a test set is its keys alone.
  const bg = background && ('index' in background ? background : fittedOf(background));
  const fitted = [bg, calibration && fittedOf(calibration)].filter((s) => s !== null);
  const keysOf = (b: NodeSet) => {
    const theirs = new Set(keys.get(b));
    return { name: b.name, has: (k: string) => theirs.has(k) };
  };
  const out: string[] = [];
  const check = (a: NodeSet, b: { name: string; has(key: string): boolean }) => {
    const twins = keys.get(a)!.flatMap((k, r) => (b.has(k) ? [r] : []));
    if (twins.length) out.push(`${twins.length} of the ${a.rows} ${a.name} images are also among the ${b.name} images (the same input to the model, e.g. ${a.files[twins[0]]}): the figures they enter are not those of new images.`);
  };
  const inIndex = (b: Fitted) => ({ name: b.name, has: (k: string) => b.index.has(k) });
  for (const a of [clean, ...anomalous]) for (const b of fitted) check(a, inIndex(b));
  const inClean = keysOf(clean);
  for (const a of anomalous) check(a, inClean);
  anomalous.forEach((a, i) => anomalous.slice(0, i).forEach((b) => check(a, keysOf(b))));
  if (calibration && bg && !calibrationChecked) check(calibration, inIndex(bg));
  // Another coding of a fitted set's picture ranks as more typical than a new picture: among the
  // clean images the FPR and AUCs read better, among the calibration worse.
  const nearCopies = (a: NodeSet, b: Fitted, so: string) => {
    // Exact twins are said above.
    const near = keys.get(a)!.flatMap((k, r) => (!b.index.has(k) && b.index.near(a.values.subarray(r * a.nodes, (r + 1) * a.nodes)) >= 0 ? [r] : []));
    if (near.length && near.length >= NEAR_COPIES_SAID * a.rows) out.push(`${near.length} of the ${a.rows} ${a.name} images are near-copies of ${b.name} images (another coding, palette or bit depth of the same picture, e.g. ${a.files[near[0]]}): they rank as more typical than new pictures, so ${so}. Keep every version of a picture in one folder.`);
  };
  for (const b of fitted) nearCopies(clean, b, 'the realised FPR and the AUCs read better than they are');
  if (calibration && bg && !calibrationChecked) nearCopies(calibration, bg, 'the verdict flags new known-good images at well above its FPR');
  return out;
}
