import { describe, expect, it } from 'vitest';
import { chooseWitnesses, TIE_SE, MIN_SURROGATE_IMAGES, keepingNear, nearSize, surrogate, surrogateCount, surrogateImages, surrogateSource, SURROGATE_IMAGES, SURROGATE_KINDS } from '../../src/core/surrogates.ts';
import { combine, partColumn } from '../../src/core/combine.ts';
import { combinedOf } from '../../src/core/witnesses.ts';
import { rng } from '../../src/core/rng.ts';
import type { RgbaImage } from '../../src/types.ts';

function image(w: number, h: number, seed: number): RgbaImage {
  const r = rng(seed);
  return { width: w, height: h, data: Uint8ClampedArray.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(r() * 256))) };
}
const px = (a: RgbaImage, x: number, y: number, c: number) => a.data[(y * a.width + x) * 4 + c];
/** Each pixel's RGB as one number, sorted: the image's pixels as a multiset. */
const pixels = (a: RgbaImage) => Array.from({ length: a.width * a.height }, (_, i) => a.data[4 * i] * 65536 + a.data[4 * i + 1] * 256 + a.data[4 * i + 2]).sort((x, y) => x - y);

describe('pseudo-anomalies made from known-good images', () => {
  const a = image(12, 8, 1);
  const b = image(30, 20, 2);

  it('keep the size (a quarter turn swaps it), are opaque, repeat for a seed and differ from the image', () => {
    for (const kind of SURROGATE_KINDS) {
      const s = surrogate(kind, a, b, 5);
      expect([s.width, s.height], kind).toEqual(kind === 'rot90' ? [8, 12] : [12, 8]);
      expect(s.data.length).toBe(12 * 8 * 4);
      expect(s.data.every((v, i) => i % 4 !== 3 || v === 255)).toBe(true);
      expect(surrogate(kind, a, b, 5).data).toEqual(s.data);
      expect(s.data).not.toEqual(a.data);
    }
    expect(surrogate('noise', a, b, 6).data).not.toEqual(surrogate('noise', a, b, 5).data);
  });

  it('jigsaw moves whole tiles: the same pixels, the 4 x 4 tiles of the image in another order', () => {
    const s = surrogate('jigsaw', a, b, 3);
    expect(pixels(s)).toEqual(pixels(a));
    const tile = (img: RgbaImage, t: number) => Array.from({ length: 6 }, (_, i) => px(img, (t % 4) * 3 + (i % 3), Math.floor(t / 4) * 2 + Math.floor(i / 3), 0)).join();
    const tiles = Array.from({ length: 16 }, (_, t) => tile(a, t)).sort();
    expect(Array.from({ length: 16 }, (_, t) => tile(s, t)).sort()).toEqual(tiles);
  });

  it('blur is the box mean over the (2r + 1)² window with edges repeated, counted directly', () => {
    const big = image(56, 30, 4); // r = round(30 / 28) = 1
    const s = surrogate('blur', big, b, 0);
    const at = (x: number, y: number, c: number) => px(big, Math.min(55, Math.max(0, x)), Math.min(29, Math.max(0, y)), c);
    for (const [x, y] of [[0, 0], [10, 7], [55, 29], [30, 0]]) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += at(x + dx, y + dy, c);
        // Two rounded passes: within one grey level of the exact mean.
        expect(Math.abs(px(s, x, y, c) - sum / 9)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('rot90 turns, invert inverts, mix blends with the other image resampled to this size', () => {
    const r = surrogate('rot90', a, b, 0);
    expect(px(r, 0, 0, 1)).toBe(px(a, 0, 7, 1));
    expect(px(r, 7, 11, 2)).toBe(px(a, 11, 0, 2));
    expect(pixels(r)).toEqual(pixels(a));
    expect(surrogate('invert', surrogate('invert', a, b, 0), b, 0).data).toEqual(a.data);
    expect(surrogate('mix', a, a, 0).data).toEqual(a.data);
    const m = surrogate('mix', a, b, 0);
    expect(px(m, 5, 3, 0)).toBe(Math.round((px(a, 5, 3, 0) + px(b, Math.floor((5 * 30) / 12), Math.floor((3 * 20) / 8), 0)) / 2));
  });

  it('are made near the size the model sees: a large image box-averaged by a whole factor, a small one as it is', () => {
    const big = image(100, 61, 7);
    const s = nearSize(big, 28, 20); // factor floor(min(100 / 28, 61 / 20)) = 3
    expect([s.width, s.height]).toEqual([33, 20]);
    let sum = 0;
    for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) sum += px(big, 3 * 5 + dx, 3 * 7 + dy, 1);
    expect(px(s, 5, 7, 1)).toBe(Math.round(sum / 9));
    expect(nearSize(a, 28, 28)).toBe(a);
    expect(nearSize(big, 60, 40)).toBe(big);
  });

  it('are made from up to SURROGATE_IMAGES calibration images spread over the set, none from too few', () => {
    expect(surrogateCount(MIN_SURROGATE_IMAGES)).toBe(0);
    expect(surrogateCount(MIN_SURROGATE_IMAGES + 1)).toBe(MIN_SURROGATE_IMAGES * SURROGATE_KINDS.length);
    expect(surrogateCount(2000)).toBe(SURROGATE_IMAGES * SURROGATE_KINDS.length);
    const made = Array.from({ length: surrogateCount(2000) }, (_, i) => surrogateSource(i, 2000));
    for (const kind of SURROGATE_KINDS) {
      const of = made.filter((s) => s.kind === kind);
      expect(of.map((s) => s.image)).toEqual(Array.from({ length: 100 }, (_, j) => 20 * j));
      expect(of.every((s) => s.other === s.image + 1)).toBe(true);
    }
  });

  it('are read image by image: each calibration image is decoded once for its kinds, and they are the same pseudo-anomalies', async () => {
    const count = 30;
    const images = Array.from({ length: count }, (_, i) => image(40, 30, 100 + i));
    const loads = new Array<number>(count).fill(0);
    const source = surrogateImages({ count, name: (i) => `img${i}`, load: async (i) => (loads[i]++, images[i]) }, 12, 10);
    expect(source.count).toBe(surrogateCount(count));
    const made = [];
    for (let p = 0; p < source.count; p++) made.push({ name: source.name(p), kind: source.kind(p), image: await source.load(p) });
    // The kind-major order read each source image six times and once more as a blend's second.
    expect(Math.max(...loads)).toBe(1);
    // The same pseudo-anomalies as surrogateSource's, each with its own index's seed.
    const expected = Array.from({ length: source.count }, (_, i) => {
      const s = surrogateSource(i, count);
      const near = (j: number) => nearSize(images[j], 12, 10);
      return { name: `${s.kind} of img${s.image}`, kind: s.kind, image: surrogate(s.kind, near(s.image), near(s.other), i) };
    });
    const key = (m: { name: string }) => m.name;
    expect([...made].sort((x, y) => key(x).localeCompare(key(y)))).toEqual([...expected].sort((x, y) => key(x).localeCompare(key(y))));
  });

  it('are made from the copies the calibration pass kept (keepingNear): no image is decoded again, and they are the same pseudo-anomalies', async () => {
    const count = 30;
    const images = Array.from({ length: count }, (_, i) => image(40, 30, 100 + i));
    const loads = new Array<number>(count).fill(0);
    const read = { count, name: (i: number) => `img${i}`, load: async (i: number) => (loads[i]++, images[i]) };
    const kept = keepingNear(read, 12, 10);
    // The calibration pass: every image read whole, once.
    for (let i = 0; i < count; i++) expect(await kept.load(i)).toBe(images[i]);
    const make = async (src: typeof read) => {
      const source = surrogateImages(src, 12, 10);
      return Promise.all(Array.from({ length: source.count }, (_, p) => source.load(p)));
    };
    const fromKept = await make(kept);
    expect(new Set(loads)).toEqual(new Set([1]));
    expect(fromKept).toEqual(await make(read));
  });
});

describe('the witnesses the verdict follows', () => {
  it('follows one side where it tells the pseudo-anomalies apart beyond TIE_SE standard errors, and weighs both where it does not', () => {
    const r = rng(5);
    const clean = Array.from({ length: 60 }, () => r());
    const kinds = SURROGATE_KINDS.flatMap((kind) => Array.from({ length: 30 }, () => ({ kind, far: 2 + r(), near: r() + 0.2, same: r() })));
    const pick = (all: 'far' | 'near' | 'same', joint: 'far' | 'near' | 'same', gauss: 'far' | 'near' | 'same') =>
      chooseWitnesses({ all: clean, joint: clean, gauss: clean }, kinds.map((k) => ({ kind: k.kind, all: k[all], joint: k[joint], gauss: k[gauss] })));
    // The Gaussian part tells them apart at AUC 1, every witness near chance: far beyond 2 standard errors.
    const g = pick('same', 'same', 'far');
    expect(g.gauss).toBe(1);
    expect(g.diff / g.se).toBeLessThan(-TIE_SE);
    expect(g.chosen).toBe('gauss');
    // The joint look above every witness, and far above the Gaussian part: the joint look.
    expect(pick('near', 'far', 'same').chosen).toBe('joint');
    // Every witness and the joint look tie: the simpler.
    expect(pick('far', 'far', 'same').chosen).toBe('all');
    // The same scores on both sides: no side to take, the verdict weighs both.
    const tie = pick('near', 'same', 'near');
    expect([tie.diff, tie.se]).toEqual([0, 0]);
    expect(tie.chosen).toBe('all+gauss');
    expect(pick('same', 'near', 'near').chosen).toBe('joint+gauss');
  });

  it('weighs both where the gap is within TIE_SE standard errors of its own noise', () => {
    const r = rng(6);
    const clean = Array.from({ length: 40 }, () => r());
    // Two scorers of the same pseudo-anomalies, each the truth plus its own noise: about equal, not equal.
    const kinds = SURROGATE_KINDS.flatMap((kind) => Array.from({ length: 20 }, () => ({ kind, base: r() + 0.3 })));
    const noisy = (v: number) => v + 0.3 * (r() - 0.5);
    const c = chooseWitnesses({ all: clean.map(noisy), joint: clean.map(noisy), gauss: clean.map(noisy) }, kinds.map((k) => ({ kind: k.kind, all: noisy(k.base), joint: noisy(k.base), gauss: noisy(k.base) })));
    expect(c.diff).not.toBe(0);
    expect(Math.abs(c.diff) / c.se).toBeLessThanOrEqual(TIE_SE);
    expect(c.chosen.endsWith('+gauss')).toBe(true);
  });

  it('when alone, scores an image by the Gaussian part and ranks it in that column only', () => {
    const r = rng(9);
    const k = 4; // two scans, energy, Gaussian part
    const rows = Array.from({ length: 50 * k }, () => r());
    const parts = [0.1, 0.99, 0.2, 0.7];
    const scan = { aMax: 0.5, tail: 'both' as const, pointP: 'mid' as const, combine: 'tpm' as const, gauss: {} as never };
    const alone = combinedOf(scan, parts.slice(0, 2), parts, rows, 0, 'gauss');
    let atLeast = 0;
    for (let i = 0; i < 50; i++) if (rows[i * k + 3] >= 0.7) atLeast++;
    expect(alone).toEqual({ score: 0.7, q: (atLeast + 1) / 51, used: 'gauss' });
    expect(partColumn(rows, k, 3)).toBe(partColumn(rows, k, 3));
    // Not chosen, or a profile without the part: every witness, as before.
    const all = combinedOf(scan, parts.slice(0, 2), parts, rows, 0, 'all');
    expect(all).not.toEqual(alone);
    expect(all.used).toBe('all');
    expect(combinedOf({ ...scan, gauss: undefined }, parts.slice(0, 2), parts, rows, 0, 'gauss').q).toBeCloseTo(combinedOf(scan, parts.slice(0, 2), parts, rows, 0, 'all').q, 12);
    // The joint look: one more witness, its q reported.
    const joint = combinedOf(scan, parts.slice(0, 2), parts, rows, 0, 'joint');
    expect(joint.jointQ).toBeGreaterThan(0);
    expect(all.jointQ).toBeUndefined();
    expect({ ...combine([0.7], partColumn(rows, k, 3)), used: 'gauss' }).toEqual(alone);
  });
});
