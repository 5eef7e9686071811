// One folder of known-good images split into background and calibration (detector/holdout.ts holdOut),
// as `profile` without --calibration and the page's build both do it.
import { describe, expect, it } from 'vitest';
import { holdOut, holdOutDecoded, readable, type ImageSource } from '../src/detector/index.ts';
import { imagesGiven } from '../src/detector/holdout.ts';
import type { RgbaImage } from '../src/types.ts';
import { CancelledError } from '../src/core/errors.ts';

const source = (names: string[]): ImageSource => ({
  count: names.length,
  name: (i) => names[i],
  load: async (i) => ({ width: 1, height: 1, data: new Uint8Array([i, 0, 0, 255]) }) as RgbaImage,
});
const namesOf = (s: ImageSource | null) => (s ? Array.from({ length: s.count }, (_, i) => s.name(i)) : []);

describe('holdOut', () => {
  it('spreads the calibration through the order: a folder sorted by class calibrates on every class alike', () => {
    const names = ['cat', 'dog', 'fox', 'owl', 'yak'].flatMap((c) => Array.from({ length: 20 }, (_, i) => `${c}/${String(i).padStart(2, '0')}.png`));
    const { background, calibration } = holdOut(source(names), 0.2);
    const cal = namesOf(calibration);
    expect(cal).toHaveLength(20);
    for (const c of ['cat', 'dog', 'fox', 'owl', 'yak']) expect(cal.filter((n) => n.startsWith(c))).toHaveLength(4);
    // Every image once, in its own order.
    expect([...namesOf(background), ...cal].sort()).toEqual([...names].sort());
    expect(namesOf(background)).toEqual(names.filter((n) => !cal.includes(n)));
  });

  it('loads the image it names; the share sets the count; under 10 images none calibrate', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `img-${i}`);
    const { calibration, background } = holdOut(source(names), 0.2);
    expect(namesOf(calibration)).toEqual(['img-4', 'img-9', 'img-14', 'img-19']);
    expect((await calibration!.load(1)).data[0]).toBe(9);
    expect((await background.load(4)).data[0]).toBe(5);
    expect(holdOut(source(names), 0.5).calibration!.count).toBe(11);
    expect(holdOut(source(names.slice(0, 10)), 0.2).calibration!.count).toBe(2);
    const few = holdOut(source(names.slice(0, 9)), 0.2);
    expect([few.background.count, few.calibration]).toEqual([9, null]);
  });
});

describe('holdOut of a small set', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `img-${String(i).padStart(3, '0')}`);
  it('calibrates on the images the verdict needs where every 5th gives fewer, while the background keeps half', () => {
    // 60 images: every 5th is 12, too few to flag at FPR 5% (19 needed); 19, spread, instead.
    const { background, calibration } = holdOut(source(names(60)), 0.2, 19);
    const cal = namesOf(calibration);
    expect([cal.length, background.count]).toEqual([19, 41]);
    expect([...namesOf(background), ...cal].sort()).toEqual(names(60));
    // Spread through the order: every third of the folder holds about a third of them.
    for (const third of [0, 1, 2]) expect(cal.filter((n) => Math.floor(Number(n.slice(4)) / 20) === third).length).toBeGreaterThanOrEqual(6);
    // Exactly half may calibrate; past that, every 5th as before (the profile cannot flag, and says so).
    expect(holdOut(source(names(38)), 0.2, 19).calibration!.count).toBe(19);
    expect(holdOut(source(names(37)), 0.2, 19).calibration!.count).toBe(7);
    // Enough by the share: the same split as without the floor.
    expect(namesOf(holdOut(source(names(100)), 0.2, 19).calibration)).toEqual(namesOf(holdOut(source(names(100)), 0.2).calibration));
    expect(holdOut(source(names(9)), 0.2, 19).calibration).toBeNull();
  });
});

describe('readable', () => {
  const names = Array.from({ length: 14 }, (_, i) => `img-${i}`);
  const broken = new Set([0, 5, 11]);
  const checked: ImageSource = {
    ...source(names),
    check: async (i) => {
      if (broken.has(i)) throw new Error(`img-${i}: not an image`);
    },
  };

  it('imagesGiven: the fewest images a build holds a calibration of that size out of', () => {
    const calibrating = (n: number) => holdOut(source(Array.from({ length: n }, (_, i) => `${i}.png`)), 0.2, 19).calibration?.count ?? 0;
    for (const count of [1, 12, 19, 20, 179, 299]) {
      const n = imagesGiven(count, 0.2, 19);
      expect(calibrating(n), `${count}`).toBeGreaterThanOrEqual(count);
      expect(calibrating(n - 1), `${count}`).toBeLessThan(count);
    }
    expect([imagesGiven(19, 0.2, 19), imagesGiven(179, 0.2, 19), imagesGiven(299, 0.2, 19)]).toEqual([38, 895, 1495]);
  });

  it('leaves out the images whose check fails, with why, before a split is planned on the rest', async () => {
    const { images, refused } = await readable(checked);
    expect(namesOf(images)).toEqual(names.filter((_, i) => !broken.has(i)));
    expect(refused).toEqual([0, 5, 11].map((i) => ({ file: `img-${i}`, error: `img-${i}: not an image`, code: 'error' })));
    expect((await images.load(4)).data[0]).toBe(6); // loads the image it names
    // The split of what is left keeps the check: picked twice, it still names the right file.
    const { calibration } = holdOut(images, 0.2);
    expect(namesOf(calibration)).toEqual(['img-6', 'img-12']);
    await expect(holdOut(checked, 0.5).calibration!.check!(2)).rejects.toThrow('img-5');
  });

  it('gives the source whole where nothing passes (the build says why each failed) or nothing is checked', async () => {
    const none: ImageSource = { ...source(['a', 'b']), check: async () => Promise.reject(new Error('no')) };
    expect(await readable(none)).toEqual({ images: none, refused: [] });
    const plain = source(names);
    expect((await readable(plain)).images).toBe(plain);
  });
});

describe('holdOutDecoded', () => {
  it('gives a calibration place whose image does not decode to the next background image that does, so the verdict calibrates on as many as planned', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `img-${i}`);
    // img-9 passes its header check and fails to decode (a right header over a corrupt stream); so does img-10, the first stand-in.
    const corrupt = new Set([9, 10]);
    const src: ImageSource = { ...source(names), check: async () => {}, load: async (i) => (corrupt.has(i) ? Promise.reject(new Error(`img-${i}: corrupt`)) : source(names).load(i)) };
    const { background, calibration, refused, readable: n } = await holdOutDecoded(src, 0.2);
    expect(namesOf(calibration)).toEqual(['img-4', 'img-11', 'img-14', 'img-19']);
    expect(refused.map((r) => r.file)).toEqual(['img-9', 'img-10']);
    expect(namesOf(background)).toEqual(names.filter((_, i) => ![4, 9, 10, 11, 14, 19].includes(i)));
    expect(n).toBe(23);
    // Without a failure: holdOut's split.
    const whole = await holdOutDecoded(source(names), 0.2);
    expect([namesOf(whole.calibration), namesOf(whole.background)]).toEqual([namesOf(holdOut(source(names), 0.2).calibration), namesOf(holdOut(source(names), 0.2).background)]);
  });

  it('stops at a cancel between decodes', async () => {
    const signal = { aborted: false };
    let loads = 0;
    const src: ImageSource = { ...source(Array.from({ length: 50 }, (_, i) => `img-${i}`)), load: async (i) => (++loads === 3 && (signal.aborted = true), source(['x']).load(i)) };
    await expect(holdOutDecoded(src, 0.2, 0, signal)).rejects.toThrow(CancelledError);
    expect(loads).toBe(3);
  });
});
