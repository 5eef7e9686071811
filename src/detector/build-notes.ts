// What a build tells its user, beyond the profile: whether the calibration set can reach the verdict's
// FPR, whether the model seems fed otherwise than it was trained, and why no image could be used.
import { calibrationNeeded, calibrationSpread, combinedOf, FOLLOWS, NEAR_COPIES_SAID, quietScan, SURROGATE_KINDS, TIE_SE, TPM_TAU, wideSpread, witnessesOf, type Part, type ScanSettings, type WitnessChoice } from '../core/index.ts';
import type { BinStrategy, CalibrationTable, Combination, ScoringName } from '../types.ts';
import { counted } from '../core/words.ts';
import { imagesGiven, imagesToCalibrate } from './holdout.ts';
import { DEFAULTS } from '../defaults.ts';

/**
 * What the build should tell its user about the calibration set's size. `groups`: the combination's
 * witnesses (core/witnesses.ts partGroups), e.g. [5, 1, 1] for four scans and the quiet look, then the energy and the Gaussian part.
 */
export function calibrationWarnings(count: number, fpr: number, groups: readonly number[] = [1], combine: Combination = 'fisher', names: readonly string[] = [], farthestOf?: () => Farthest | undefined): string[] {
  const need = calibrationNeeded(fpr);
  if (count < need) {
    // What to give, in numbers (plain words: the page shows them too): a build holds `need` out of imagesToCalibrate(need) images; with m images q reaches 1/(m + 1).
    const fewer = count ? `, or use an FPR of at least ${Math.ceil(1000 / (count + 1)) / 1000}, the smallest ${count} images can flag at` : '';
    return [`this profile cannot flag at FPR ${fpr}: it needs at least ${need} calibration images (more for a steadier verdict), it has ${count}. Calibrate it on ${need} or more held-out known-good images (a build holds them out of ${imagesToCalibrate(need)} or more images given)${fewer}.`];
  }
  // Under min q or TPM an image out in one part of a group of s, no farther than the calibration
  // images that top the group's other parts are in theirs (the tail beyond the calibration scores
  // keeps distances: core/combine.ts TAIL_SHARE), ranks with them (group q = s/(m + 1)), and in each
  // of the g groups about s calibration images rank at least as high: its q is about s g/(m + 1), not 1/(m + 1).
  // Across groups TPM breaks ties by Fisher's sum, so until that group q passes TPM_TAU (m + 1 > s/TPM_TAU)
  // the image also ranks below the calibration images a little out in several witnesses.
  const parts = groups.reduce((a, b) => a + b, 0);
  const s = Math.max(...groups);
  const ties = s * groups.length;
  const lift = combine === 'tpm' && groups.length > 1 && s > 1 ? Math.floor(s / TPM_TAU) : 0;
  const single = Math.max(calibrationNeeded(fpr / ties), lift);
  if (parts > 1 && combine !== 'fisher' && count < single) {
    const below = count < lift ? ', and below those a little out in several witnesses' : '';
    // Named, so that the count can be checked against the detail view's rows (the quiet look is the upper scan read from below).
    const which = names.length ? ` (${names.join(', ')}${parts > names.length ? ', and the upper scan\'s quiet look' : ''})` : '';
    // The image that sets the bar, named: one that is no known-good image (a probe's folder held one) can stop the verdict flagging anything.
    const farthest = farthestOf?.();
    const bar = farthest ? ` The calibration image farthest out sets that bar: ${farthest.file}${farthest.tops.length ? ` (it tops the others in ${farthest.tops.join(', ')})` : ''}. If it is not a known-good image of the kind to be checked, take it out; if it is, keep it (taking it out raises the FPR) and calibrate on more images.` : '';
    return [`with ${count} calibration images and ${parts} calibrated parts${which}, an image out in only one part usually cannot reach q <= ${fpr} unless it is farther out than the calibration images that top the other parts: it ranks with them (q about ${(ties / (count + 1)).toPrecision(2)})${below}; calibrate on at least ${single} images for that (a build holds them out of ${imagesGiven(single, DEFAULTS.calibrationShare, need).toLocaleString('en')} or more images given).${bar}`];
  }
  return [];
}

/** The calibration image farthest out (farthestOut), and the parts in which it tops every other one. */
export interface Farthest {
  file: string;
  tops: string[];
}

/**
 * The calibration image farthest out: each one's combined score against the others, as a new image's
 * would be against them all (the witnesses the table chose, its first scoring), the largest. With
 * fewer calibration images than the FPR needs to let one of them pass, a new image must top it to be
 * flagged. `name`: a calibration row's file.
 */
export function farthestOut(table: CalibrationTable, scan: ScanSettings, scans: readonly Part[], name: (row: number) => string): Farthest | undefined {
  const f = Object.keys(table.scores)[0] as ScoringName | undefined;
  const rows = f && table.scores[f];
  const k = table.parts.length;
  if (!rows || table.count < 2) return undefined;
  const row = (i: number) => rows.slice(i * k, (i + 1) * k);
  let [best, most] = [-1, -Infinity];
  for (let i = 0; i < table.count; i++) {
    const others = [...rows.slice(0, i * k), ...rows.slice((i + 1) * k)];
    const score = combinedOf(scan, row(i).slice(0, scans.length), row(i), others, quietScan(scans), witnessesOf(table, f)).score;
    if (score > most) [best, most] = [i, score];
  }
  const p = row(best);
  const tops = table.parts.filter((_, c) => {
    for (let j = 0; j < table.count; j++) if (j !== best && rows[j * k + c] >= p[c]) return false;
    return true;
  });
  return { file: name(best), tops };
}

/** Calibration images at which one profile's own rate is quoted as steady (docs/cli.md: 3.5%-6.7% at 5%). */
const STEADY_CALIBRATION = 500;

/**
 * Where one profile's own false-positive rate may be twice the FPR (5% of calibration draws flag at
 * more; at 5% under about 60 images): the verdict holds its FPR on average over draws, not for this
 * draw, and nothing else the build says tells a user with a small set that known-good images may be
 * flagged at 10-15%.
 */
export function fprSpreadWarning(count: number, fpr: number): string[] {
  const spread = wideSpread(count, fpr);
  const steady = calibrationSpread(STEADY_CALIBRATION, fpr);
  if (!spread || !steady) return [];
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `with ${count} calibration images this profile's own false-positive rate depends on which images calibrated it: 90% of calibrations on ${count} known-good images flag new known-good images at between ${pct(spread.lo)} and ${pct(spread.hi)} at FPR ${fpr} (${fpr} on average over calibrations, not for this one); ${STEADY_CALIBRATION} calibration images bring that range to ${pct(steady.lo)}-${pct(steady.hi)}. Calibrate on more held-out known-good images for a rate near the FPR.`,
  ];
}

/** Calibration images that are the background's own (the same input to the model): left out. */
export function twinWarning(twins: number, count: number, example: string): string[] {
  if (!twins) return [];
  return [`${twins} of the ${count} calibration images ${twins === 1 ? 'is' : 'are'} also in the background (the same input to the model, e.g. ${example}): left out of the calibration, where they would rank as more typical than new images and the verdict would flag more than its FPR. Calibrate on images the background does not hold.`];
}

/**
 * A profile that keeps no key of its background images (core/twins.ts: older than 0.4.23, or of more
 * images than MAX_PIXEL_KEYS) cannot have its own images left out: a probe calibrated the bundled
 * profile on 300 of its background images, and it flagged 9.2% and 9.0% of clean images at FPR 5%.
 */
export function unkeyedWarning(keyed: boolean): string[] {
  if (keyed) return [];
  return ['this profile keeps no checksum of its background images (written before histoscan 0.4.23, or of more than 50,000 images), so images its background also held cannot be left out of the calibration: they would rank as more typical than new images, and the verdict would flag more than its FPR (up to about twice it). Calibrate on images the background did not hold.'];
}

/**
 * Calibration images that are near-copies of background images (core/twins.ts BackgroundIndex: the same
 * picture coded or stored otherwise). Kept, since nearness is judged, not exact; said where they are
 * a tenth or more of the calibration, as few move the rate little.
 */
export function nearCopyWarning(near: number, count: number, example: string): string[] {
  if (!near || near < NEAR_COPIES_SAID * count) return [];
  return [`${near} of the ${count} calibration images (e.g. ${example}) are near-copies of background images (another coding, palette or bit depth of the same picture, as sample folders often hold): they rank as more typical than new images, so the verdict will flag new known-good images at well above its FPR. Calibrate on pictures the background does not hold (put every version of a picture on one side).`];
}

/** Calibration images that repeat another calibration image's picture (BackgroundIndex.repeats): kept, and said where a tenth or more. */
export function repeatWarning(repeats: number, count: number, example: string): string[] {
  if (!repeats || repeats < NEAR_COPIES_SAID * count) return [];
  return [`${repeats} of the ${count} calibration images (e.g. ${example}) repeat the picture of another calibration image (the same input, or another coding, palette or bit depth of it): each copy is ranked against its twin, as a new image never is, so the verdict will flag new known-good images at well above its FPR. Keep one version of each picture among the calibration images.`];
}

/**
 * Calibration images nearer one another than the background's images are to them (BackgroundIndex.nearerWithin):
 * drawn alike, about half would be. Said where the share is 0.7 or more and 0.5 + 1.9/√m: the share spreads
 * about 1.2 times as far as a binomial's (two images each other's nearest both count), and at 3 binomial
 * standard deviations a probe's draws of the default model's images fired 33 times in 9,000 (m = 19-100), at
 * this bar in none of 5,000. Development figures: calibrations drawn as their backgrounds were, 0.43-0.55
 * (the default model, 200 images); the photo model's crops of 54 photos apart from its background's, 0.90,
 * where the verdict flagged 11.5% of new photos' crops at 5%.
 */
export function groupedWarning(nearer: { share: number; compared: number } | null, count: number): string[] {
  if (!nearer || nearer.share < Math.max(0.7, 0.5 + 1.9 / Math.sqrt(Math.min(count, nearer.compared + 1)))) return [];
  const { share, compared } = nearer;
  return [`${count > compared + 1 ? 'about ' : ''}${Math.round(share * count)} of the ${count} calibration images are nearer another calibration image than any of ${compared} background images spread through the background (drawn alike, about half would be): they come in groups (crops, frames or shots of a few scenes), or are of fewer or other kinds than the background. Grouped images calibrate as fewer images would, so this profile's own false-positive rate can be far from the FPR (on a photo model, calibration crops of 54 photos flagged 11.5% of other photos' crops at 5%). Calibrate on images of many scenes, drawn as the background's were.`];
}

/**
 * A model fed otherwise than it was trained (pixels in [0, 1] where it wants [0, 255], RGB for BGR)
 * often calls everything one thing: say so where it puts nearly all of a varied background in one
 * of three or more classes. Not where the classes are a map's means (`map`: a text recogniser's
 * per-position scores, led by the CTC blank in every image; a segmentation map's background), whose
 * top class is the same for well-fed images too.
 */
export function oneClassWarning(predicted: Map<number, number>, classes: number, names?: string[], map = false): string[] {
  const { total, top, n } = topClass(predicted);
  if (map || classes < 3 || total < 20 || n < ONE_CLASS_SHARE * total) return [];
  return [
    `the model puts ${n} of ${total} background images (${((100 * n) / total).toFixed(0)}%) in one class (${names?.[top] ?? `class ${top}`}). If they are of several kinds, check how images are fed (scale, mean, std, channel order and size: the model's spec, or the command line's --scale, --mean, --std, --bgr and --size): a model fed otherwise than it was trained often calls everything one thing.`,
  ];
}

/**
 * A two-class model that puts (nearly) all its background in one class: images it puts in the other are
 * measured against the first class's images only. A note, not a warning: a binary model's known-good input
 * is often one kind (a probe's orientation model, profiled on upright lines, flagged most upside-down ones).
 */
export function otherClassNote(predicted: Map<number, number>, classes: number, names?: string[], map = false): string[] {
  const { total, top, n } = topClass(predicted);
  if (map || classes !== 2 || total < 20 || n < ONE_CLASS_SHARE * total) return [];
  const name = (c: number) => names?.[c] ?? `class ${c}`;
  return [
    `the model puts ${n} of ${total} background images in one of its two classes (${name(top)}): images it puts in the other (${name(1 - top)}) are measured against images of ${name(top)}, and often read as unusual; if they are known-good inputs too, put some in the background.`,
  ];
}

/**
 * Below this many background images a build warns: p-values cannot go below 1/(n + 1), about 1%,
 * so one node far out counts no more than one a little out (the bundled profile has 10,000).
 */
const SMALL_BACKGROUND = 100;

/** A background too small for the p-values to say much; a shard (`partial`) is one part of a larger one. */
export function smallBackgroundWarning(count: number, partial: boolean): string[] {
  if (partial || count >= SMALL_BACKGROUND) return [];
  return [
    `only ${counted(count, 'background image')}: no node's p-value can go below 1/${count + 1} (${(100 / (count + 1)).toPrecision(2)}%), so a node far beyond every known-good image counts no more than one a little beyond them, and only images out in many nodes at once stand out. Several hundred known-good images or more let the scan see what a few nodes say.`,
  ];
}

/**
 * A profile of few images keeps much of them: its bin edges are values of those images, node by node
 * (every value where n ≤ B + 1; one image's profile is its activations), and with the model an image
 * can be largely rebuilt from its first layers' (a probe rebuilt one from a profile of it: r = 0.93).
 * Said under SMALL_BACKGROUND, shards too: they are shared to be merged.
 */
export function fewImagesWarning(count: number, bins: number, strategy: BinStrategy): string[] {
  if (count >= SMALL_BACKGROUND) return [];
  // Tail bins' edges are the images' values; uniform bins keep each node's lowest and highest.
  const every = count <= (strategy === 'tail' ? bins + 1 : 2);
  const kept = every ? `every activation value of ${count === 1 ? 'it' : 'them'}, node by node` : strategy === 'tail' ? `up to ${bins + 1} of each node's ${count} values` : `each node's lowest and highest value`;
  return [
    `this profile keeps much of its ${counted(count, 'background image')}: ${kept}, as its histograms' bin edges, from which an image can be largely rebuilt with the model. Share it as you would share the images themselves.`,
  ];
}

/** Images counted per predicted class: how many in all, the class with the most, and its count. */
function topClass(predicted: Map<number, number>): { total: number; top: number; n: number } {
  const [top, n] = [...predicted].reduce((a, b) => (b[1] > a[1] ? b : a), [0, 0]);
  return { total: [...predicted.values()].reduce((a, b) => a + b, 0), top, n };
}

/** The share of the background in one class above which oneClassWarning speaks. */
const ONE_CLASS_SHARE = 0.9;

/**
 * A calibration set nearly all of one predicted class, where the background (`background`: its
 * counts per class, where the profile keeps them) is not: the verdict then holds its FPR for that
 * kind of image only (a probe calibrated the default model on 200 trousers, and 75.6% of clean test
 * images were flagged at 5%).
 */
export function oneClassCalibrationWarning(predicted: Map<number, number>, classes: number, background?: readonly number[], names?: string[], map = false): string[] {
  const { total, top, n } = topClass(predicted);
  const bgTotal = background?.reduce((a, b) => a + b, 0) ?? 0;
  const bgShare = bgTotal ? (background![top] ?? 0) / bgTotal : undefined;
  // A map's means (see oneClassWarning) tell no kind of image.
  if (map || classes < 2 || total < 20 || n < ONE_CLASS_SHARE * total || (bgShare ?? 0) >= 0.5 || (bgShare === undefined && classes < 3)) return [];
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  return [
    `the model puts ${n} of ${total} calibration images (${pct(n / total)}) in one class (${names?.[top] ?? `class ${top}`})${bgShare === undefined ? '' : `, where it puts ${pct(bgShare)} of the background`}: the verdict's FPR holds for images like the calibration images, so on images of other kinds it may flag far more. Calibrate on held-out images of every kind you will check.`,
  ];
}

/** Why none of a set's images could be used: the first errors, each as it was. */
export function noneReadMessage(count: number, what: 'background' | 'calibration', skip: Map<number, Error>): string {
  const needs = `${what === 'background' ? 'a profile needs' : 'a calibration needs'} known-good images that decode`;
  if (count === 0) return `No ${what} images were given; ${needs}.`;
  const why = [...skip.values()].slice(0, 3).map((e) => e.message.replace(/\.$/, '')).join('; ');
  return `None of the ${count} ${what} images could be read (${why}${skip.size > 3 ? '; …' : ''}); ${needs}.`;
}

/** Below this mean AUC on the pseudo-anomalies, a build warns that its profile tells little apart. */
const CHANCE_AUC = 0.6;

/** Made-up anomalies told from clean images hardly better than a coin: the profile will not see much either. */
export function chanceWarning(bestMeanAuc: number): string[] {
  if (!(bestMeanAuc < CHANCE_AUC)) return [];
  return [
    `the pseudo-anomalies (${SURROGATE_KINDS.join(', ')} of the calibration images) are told from clean images hardly better than chance (mean AUC ${bestMeanAuc.toFixed(3)} at best): the monitored activations may say little about these images, or the model may be fed otherwise than it was trained (check its preprocessing); try histoscan eval (the command line) on images you know are unusual.`,
  ];
}

/** How `made` pseudo-anomalies chose the witnesses the verdict follows (one scoring's choice: the build reports HC's). */
export function witnessNote(made: number, c: WitnessChoice): string {
  return `${made} pseudo-anomalies made from the calibration images (${SURROGATE_KINDS.join(', ')}) are told from them with mean AUC ${c.all.toFixed(3)} by all witnesses together, ${c.joint.toFixed(3)} with their joint look and ${c.gauss.toFixed(3)} by the Gaussian part alone; ${witnessGap(c)}: the verdict follows ${FOLLOWS[c.chosen]}.`;
}

/** The better of all and joint against the Gaussian part, in standard errors (core/surrogates.ts TIE_SE). */
const witnessGap = (c: WitnessChoice) => {
  const z = c.se > 0 ? Math.abs(c.diff) / c.se : c.diff === 0 ? 0 : Infinity;
  const lead = c.diff >= 0 ? `the better of the first two leads it by ${c.diff.toFixed(3)}` : `it leads the better of the first two by ${(-c.diff).toFixed(3)}`;
  return `${lead} ± ${c.se.toFixed(3)}, ${z.toFixed(1)} standard errors (within ${TIE_SE} the verdict weighs both)`;
};
