// Pseudo-anomalies: known-good images made unusual in ways no model should find typical (tiles
// shuffled, noise, blur, two images blended, a quarter turn, colours inverted). A build scores them
// to choose, without any real anomaly, which witnesses the verdict follows (chooseWitnesses): on a
// model whose per-node scans see little (a photo model, a transformer) the Gaussian part alone
// separates them better than the combination, on a small ReLU network the scans add much.
import type { RgbaImage } from '../types.ts';
import { auc, compareMeanAuc } from './metrics.ts';
import { rng } from './rng.ts';
import type { Witnesses } from './witnesses.ts';

export const SURROGATE_KINDS = ['jigsaw', 'noise', 'blur', 'mix', 'rot90', 'invert'] as const;
export type SurrogateKind = (typeof SURROGATE_KINDS)[number];

/**
 * Calibration images each kind is made from (fewer where the calibration set is smaller): the
 * choice came out the same from 50 as from 200 on the development models' sets (docs/decisions.md).
 */
export const SURROGATE_IMAGES = 100;

/** Fewest calibration images worth a choice: below it the verdict keeps every witness. */
export const MIN_SURROGATE_IMAGES = 20;

/** Seed of image i's pseudo-anomaly (its noise, its tile order): builds repeat, whatever order images load in. */
const SURROGATE_SEED = 20261203;

/** How many pseudo-anomalies a build makes from `count` calibration images (0: too few to choose). */
export function surrogateCount(count: number): number {
  const n = Math.min(SURROGATE_IMAGES, count - 1);
  return n >= MIN_SURROGATE_IMAGES ? n * SURROGATE_KINDS.length : 0;
}

/** Which calibration images pseudo-anomaly i is made from (spread over the set), and its kind. */
export function surrogateSource(i: number, count: number): { kind: SurrogateKind; image: number; other: number } {
  const n = surrogateCount(count) / SURROGATE_KINDS.length;
  const j = i % n;
  const image = Math.floor((j * count) / n);
  return { kind: SURROGATE_KINDS[Math.floor(i / n)], image, other: (image + 1) % count };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** A new image of the same size from a per-pixel, per-colour function (alpha kept). */
function mapped(a: RgbaImage, f: (x: number, y: number, c: number) => number, width = a.width, height = a.height): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 4) {
      for (let c = 0; c < 3; c++) data[o + c] = clamp(f(x, y, c));
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}
const at = (a: RgbaImage, x: number, y: number, c: number) => a.data[(y * a.width + x) * 4 + c];

/** A box blur of radius r along one axis (edges repeated), by running sums: O(pixels) at any r. */
function boxPass(a: RgbaImage, r: number, horizontal: boolean): RgbaImage {
  const { width: w, height: h } = a;
  const data = new Uint8ClampedArray(a.data.length);
  const [len, lines] = horizontal ? [w, h] : [h, w];
  const idx = (line: number, t: number) => ((horizontal ? line * w + t : t * w + line) * 4);
  for (let line = 0; line < lines; line++) {
    for (let c = 0; c < 4; c++) {
      const v = (t: number) => a.data[idx(line, Math.min(len - 1, Math.max(0, t))) + c];
      let s = 0;
      for (let t = -r; t <= r; t++) s += v(t);
      for (let t = 0; t < len; t++) {
        data[idx(line, t) + c] = clamp(s / (2 * r + 1));
        s += v(t + r + 1) - v(t - r);
      }
    }
  }
  return { width: w, height: h, data };
}

/**
 * The image box-averaged by the largest whole factor that keeps it at least width x height (itself
 * where that factor is 1): pseudo-anomalies are made near the size the model sees, so a large photo
 * costs what a small one does and its noise is not averaged away when the model's input is resized.
 */
export function nearSize(a: RgbaImage, width: number, height: number): RgbaImage {
  const f = Math.floor(Math.min(a.width / width, a.height / height));
  if (!(f >= 2)) return a;
  const w = Math.floor(a.width / f);
  const h = Math.floor(a.height / f);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) sum += at(a, x * f + dx, y * f + dy, c);
        data[(y * w + x) * 4 + c] = Math.round(sum / (f * f));
      }
    }
  }
  return { width: w, height: h, data };
}

/** Pseudo-anomaly `kind` of image a (b: another known-good image, for 'mix'); `seed`: its own noise and tile order. */
export function surrogate(kind: SurrogateKind, a: RgbaImage, b: RgbaImage, seed: number): RgbaImage {
  const r = rng(SURROGATE_SEED + seed);
  const { width: w, height: h } = a;
  switch (kind) {
    case 'jigsaw': {
      // A 4 x 4 grid of tiles in a random order: local statistics kept, the whole broken.
      const g = Math.max(1, Math.min(4, w, h));
      const tw = Math.floor(w / g);
      const th = Math.floor(h / g);
      const order = Array.from({ length: g * g }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      return mapped(a, (x, y, c) => {
        const tx = Math.min(g - 1, Math.floor(x / tw));
        const ty = Math.min(g - 1, Math.floor(y / th));
        const t = order[ty * g + tx];
        return at(a, Math.min(w - 1, (t % g) * tw + x - tx * tw), Math.min(h - 1, Math.floor(t / g) * th + y - ty * th), c);
      });
    }
    case 'noise': {
      // Gaussian noise of sd 40 grey levels (Box-Muller).
      return mapped(a, (x, y, c) => at(a, x, y, c) + 40 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
    }
    case 'blur': {
      // A box of a fourteenth of the shorter side (3 x 3 on a 28-pixel image).
      const k = Math.max(1, Math.round(Math.min(w, h) / 28));
      return boxPass(boxPass(a, k, true), k, false);
    }
    case 'mix':
      return mapped(a, (x, y, c) => (at(a, x, y, c) + at(b, Math.floor((x * b.width) / w), Math.floor((y * b.height) / h), c)) / 2);
    case 'rot90':
      return mapped(a, (x, y, c) => at(a, y, h - 1 - x, c), h, w);
    case 'invert':
      return mapped(a, (x, y, c) => 255 - at(a, x, y, c));
  }
}

/** Images by index, as a build reads them (detector/holdout.ts ImageSource). */
interface Images {
  count: number;
  name(i: number): string;
  load(i: number): Promise<RgbaImage>;
}

/**
 * `images` as the calibration pass reads them, keeping the ones its pseudo-anomalies are made from at
 * about the model's size (nearSize), so that surrogateImages takes those copies instead of decoding each
 * image a second time (a large JPEG takes a second or more). At most 200 copies, each under twice the
 * model's input on a side: at 224×224 about 40 MB of images that come at its size, under 160 MB of any.
 * A copy is what nearSize would make of the decoded image, so no pseudo-anomaly changes.
 */
export function keepingNear<T extends Images>(images: T, width: number, height: number): T {
  const wanted = new Set<number>();
  for (let p = 0; p < surrogateCount(images.count); p++) {
    const s = surrogateSource(p, images.count);
    wanted.add(s.image).add(s.other);
  }
  const near = new Map<number, RgbaImage>();
  return {
    ...images,
    load: async (i: number) => {
      const kept = near.get(i);
      if (kept) return kept;
      const a = await images.load(i);
      if (wanted.has(i)) near.set(i, nearSize(a, width, height));
      return a;
    },
  };
}

/**
 * The pseudo-anomalies of calibration images as images to read, image by image: the kinds made from
 * one image follow each other, so it is decoded once for them all, not once per kind (six times, and
 * once more as a blend's second image: 100 large photos cost 700 decodes). Each keeps surrogateSource's
 * index, its seed and its name, so the order changes no pseudo-anomaly. `kind(p)`: the p-th one's kind.
 */
export function surrogateImages(images: Images, width: number, height: number): Images & { kind(p: number): SurrogateKind } {
  const kinds = SURROGATE_KINDS.length;
  const n = surrogateCount(images.count) / kinds;
  const source = (p: number) => {
    const i = (p % kinds) * n + Math.floor(p / kinds);
    return { i, ...surrogateSource(i, images.count) };
  };
  // The last two images read, at about the model's size: the one the kinds are made from and the blend's second.
  const recent = new Map<number, Promise<RgbaImage>>();
  const near = (i: number): Promise<RgbaImage> => {
    let got = recent.get(i);
    if (!got) {
      got = images.load(i).then((a) => nearSize(a, width, height));
      recent.set(i, got);
      if (recent.size > 2) recent.delete(recent.keys().next().value!);
    }
    return got;
  };
  return {
    count: n * kinds,
    kind: (p) => source(p).kind,
    name: (p) => {
      const s = source(p);
      return `${s.kind} of ${images.name(s.image)}`;
    },
    load: async (p) => {
      const s = source(p);
      const a = await near(s.image);
      return surrogate(s.kind, a, s.kind === 'mix' ? await near(s.other) : a, s.i);
    },
  };
}

/** The three options the pseudo-anomalies are scored by: every witness, with their joint look, the Gaussian part alone. */
export type WitnessOption = 'all' | 'joint' | 'gauss';

/** What the pseudo-anomalies said: the mean AUC over kinds of every witness, of every witness and their joint look, and of the Gaussian part alone. */
export interface WitnessChoice {
  all: number;
  joint: number;
  gauss: number;
  /** The better of all and joint minus the Gaussian part's mean AUC, and that difference's standard error. */
  diff: number;
  se: number;
  /** What the verdict follows: see chooseWitnesses. */
  chosen: Witnesses;
}

/** What a verdict follows, in the build's words. */
export const FOLLOWS: Record<Witnesses, string> = {
  all: 'all witnesses',
  joint: 'all witnesses and their joint look',
  gauss: 'the Gaussian part alone',
  'all+gauss': 'all witnesses, weighed with the Gaussian part alone',
  'joint+gauss': 'all witnesses and their joint look, weighed with the Gaussian part alone',
};

/**
 * How many standard errors apart the witnesses together and the Gaussian part alone must be for the
 * verdict to follow one of them: nearer, it weighs both. 2, about a 95% two-sided test, chosen by
 * that convention, then checked on the dev halves of the three development models (docs/decisions.md).
 */
export const TIE_SE = 2;

/**
 * Mean AUC over kinds of the clean calibration images' scores against their pseudo-anomalies',
 * for every witness, every witness and their joint look, and the Gaussian part alone. Of the first
 * two the verdict takes the higher (every witness on a tie). Against the Gaussian part alone it
 * follows the higher where they are more than TIE_SE standard errors apart (paired DeLong over the
 * same images, core/metrics.ts compareMeanAuc); nearer, the pseudo-anomalies cannot tell which speaks
 * better, the side they favour may be the worse on real anomalies (a near tie landed either way with
 * more pseudo-anomalies: docs/decisions.md), and the verdict weighs both ('+gauss'). Chosen on the
 * dev halves of the three development models (docs/decisions.md).
 */
export function chooseWitnesses(clean: Record<WitnessOption, number[]>, anomalies: ({ kind: SurrogateKind } & Record<WitnessOption, number>)[]): WitnessChoice {
  const byKind = (key: WitnessOption) => SURROGATE_KINDS.map((k) => anomalies.filter((s) => s.kind === k).map((s) => s[key]));
  const mean = (key: WitnessOption) => {
    const aucs = byKind(key).map((pos) => auc(clean[key], pos)).filter((v) => !Number.isNaN(v));
    return aucs.reduce((a, b) => a + b, 0) / aucs.length;
  };
  const got = { all: mean('all'), joint: mean('joint'), gauss: mean('gauss') };
  const scans = got.joint > got.all ? 'joint' : 'all';
  const [own, gauss] = [byKind(scans), byKind('gauss')];
  const { diff, se } = compareMeanAuc(clean[scans], clean.gauss, own.map((a, i) => ({ a, b: gauss[i] })));
  const chosen: Witnesses = Math.abs(diff) <= TIE_SE * se ? `${scans}+gauss` : diff < 0 ? 'gauss' : scans;
  return { ...got, diff, se, chosen };
}
