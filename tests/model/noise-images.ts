// Seeded noise images for tests of models nobody made for histoscan: what such a fixture model
// sees does not matter, only that the images differ and come back the same for the same seed.
import { rng } from '../../src/core/rng.ts';
import type { ImageSource } from '../../src/detector/index.ts';
import type { RgbaImage } from '../../src/types.ts';

/** A size×size opaque RGBA image of uniform noise. */
export function noiseImage(seed: number, size: number): RgbaImage {
  const r = rng(seed);
  return { width: size, height: size, data: Uint8Array.from({ length: size * size * 4 }, (_, k) => (k % 4 === 3 ? 255 : Math.floor(r() * 256))) };
}

/** `count` of them as an image source; image i of `seed` is noiseImage(seed · 1000 + i). */
export const noiseImages = (seed: number, count: number, size: number): ImageSource => ({
  count,
  name: (i) => `noise-${seed}-${i}`,
  load: async (i) => noiseImage(seed * 1000 + i, size),
});
