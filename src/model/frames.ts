// How many frames an animated image holds. histoscan checks the first frame (what a browser's still
// decoder gives, and what the CLI decodes too) and says so; counted from the bytes alike in the page
// and the CLI. A count from the first bytes only of a large file is a lower bound (`exact: false`).
import { ImageDecodeError } from '../core/errors.ts';
import type { RgbaImage } from '../types.ts';
import { fourcc, isAnimatedWebp, riffChunks } from './decode-extra.ts';
import { walkGif } from './gif-blocks.ts';
import { pngChunks } from './png-chunks.ts';
import { le } from './sniff.ts';

export interface Frames {
  count: number;
  /** False where the bytes ended before the file did (the page reads a large file's head only). */
  exact: boolean;
}

const be32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** GIF: image descriptors (0x2C) between the header and the trailer (gif-blocks.ts walkGif). */
function gifFrames(b: Uint8Array): Frames {
  let count = 0;
  const ended = walkGif(b, () => void count++);
  return { count, exact: ended !== 'short' };
}

/** APNG: the frame count its acTL chunk declares, which comes before the image data. */
function pngFrames(b: Uint8Array): Frames {
  for (const { type, at } of pngChunks(b)) {
    if (type === 'acTL') return { count: be32(b, at), exact: true };
    if (type === 'IDAT' || type === 'IEND') break;
  }
  return { count: 1, exact: true };
}

/** Animated WebP: its ANMF chunks (a still WebP has none). */
function webpFrames(b: Uint8Array): Frames {
  if (!isAnimatedWebp(b)) return { count: 1, exact: true };
  let [count, end] = [0, 12];
  for (const { type, at, size } of riffChunks(b)) {
    if (type === 'ANMF') count++;
    end = at + size + (size & 1);
  }
  return { count, exact: end >= le(b, 4, 4) + 8 }; // the walk reached the end the RIFF header declares
}

/** The frames of a GIF, PNG or WebP's bytes (or the file's first bytes); one for any other image. */
export function frameCount(b: Uint8Array): Frames {
  if (fourcc(b, 0) === 'GIF8') return gifFrames(b);
  if (fourcc(b, 0) === '\x89PNG') return pngFrames(b);
  if (fourcc(b, 0) === 'RIFF' && fourcc(b, 8) === 'WEBP') return webpFrames(b);
  return { count: 1, exact: true };
}

/**
 * Animated WebPs over this many frames are refused: a browser decodes every frame to give the first
 * (100,000 frames of 2x2 took Chromium 105 s, and the page's batch waited behind it); histoscan checks
 * the first frame only, the CLI and the page alike.
 */
const MAX_WEBP_FRAMES = 10_000;

/** Throws where `bytes` (the whole file) is an animated WebP of more than MAX_WEBP_FRAMES frames. */
export function checkWebpFrames(bytes: Uint8Array, name: string): void {
  if (!isAnimatedWebp(bytes)) return;
  const { count } = webpFrames(bytes);
  if (count > MAX_WEBP_FRAMES) {
    throw new ImageDecodeError(`${name}: an animated WebP of ${count.toLocaleString('en')} frames, more than the ${MAX_WEBP_FRAMES.toLocaleString('en')} a browser decodes in reasonable time; histoscan checks the first frame: save that as a still image.`, 'too-large');
  }
}

/** The decoded image, with its frames where the file holds more than one. */
export function animated(img: RgbaImage, bytes: Uint8Array): RgbaImage {
  const frames = frameCount(bytes);
  return frames.count > 1 ? { ...img, frames } : img;
}
