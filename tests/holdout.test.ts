// One folder of known-good images split into background and calibration (detector/features.ts holdOut),
// as `profile` without --calibration and the page's build both do it.
import { describe, expect, it } from 'vitest';
import { holdOut, type ImageSource } from '../src/detector/index.ts';
import type { RgbaImage } from '../src/types.ts';

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
