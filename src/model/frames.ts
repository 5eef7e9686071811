// How many frames an animated image holds. histoscan checks the first frame (what a browser's still
// decoder gives, and what the CLI decodes too) and says so; counted from the bytes alike in the page
// and the CLI. A count from the first bytes only of a large file is a lower bound (`exact: false`).
import type { RgbaImage } from '../types.ts';
import { fourcc, isAnimatedWebp, riffChunks } from './decode-extra.ts';
import { le } from './image-errors.ts';

export interface Frames {
  count: number;
  /** False where the bytes ended before the file did (the page reads a large file's head only). */
  exact: boolean;
}

const be32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** GIF: image descriptors (0x2C) between the header and the trailer, each with its sub-blocks skipped. */
function gifFrames(b: Uint8Array): Frames {
  let at = 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0); // header, screen descriptor, global colour table
  let count = 0;
  const skipBlocks = () => {
    while (at < b.length && b[at] !== 0) at += b[at] + 1;
    at += 1;
  };
  while (at < b.length) {
    const kind = b[at];
    if (kind === 0x3b) return { count, exact: true };
    if (kind === 0x21) {
      at += 2; // extension introducer and label
      skipBlocks();
    } else if (kind === 0x2c) {
      count++;
      const packed = b[at + 9];
      at += 10 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0) + 1; // descriptor, local colour table, LZW code size
      skipBlocks();
    } else return { count, exact: true }; // not a block: a damaged file, counted as far as it reads
  }
  return { count, exact: false };
}

/** APNG: the frame count its acTL chunk declares, which comes before the image data. */
function pngFrames(b: Uint8Array): Frames {
  for (let at = 8; at + 12 <= b.length; ) {
    const [size, type] = [be32(b, at), fourcc(b, at + 4)];
    if (type === 'acTL') return { count: be32(b, at + 8), exact: true };
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + size;
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

/** The decoded image, with its frames where the file holds more than one. */
export function animated(img: RgbaImage, bytes: Uint8Array): RgbaImage {
  const frames = frameCount(bytes);
  return frames.count > 1 ? { ...img, frames } : img;
}
