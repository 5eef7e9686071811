// What the Node decoders' libraries leave out and browsers read: run-length-encoded BMPs (bmp-ts
// reads their bytes as plain pixels), 4-bit BMPs (bmp-ts stops a row at an odd last pixel) and OS/2
// BMPs (a 12-byte header, which bmp-ts refuses), and the first frame of an animated WebP (libwebp's
// still-image decoder refuses animations). Pure byte work; each fixture decodes to the PNG it was made from, in
// Node and in Chromium alike (tests/model/decode.test.ts, e2e/robustness.spec.ts).
import type { RgbaImage } from '../types.ts';
import { le } from './sniff.ts';

export interface BmpHeader {
  /** The info header's size: 12 for OS/2's (16-bit sizes, 3-byte palette entries, no compression field), 40 or more for Windows'. */
  size: number;
  os2: boolean;
  width: number;
  /** Negative where rows run top-down. */
  height: number;
  bpp: number;
  compression: number;
}

/** A BMP's info header, read once for every check and decoder here; null where the bytes end before it. */
export function bmpHeader(b: Uint8Array): BmpHeader | null {
  if (b.length < 26) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = v.getUint32(14, true);
  if (size === 12) return { size, os2: true, width: v.getUint16(18, true), height: v.getUint16(20, true), bpp: v.getUint16(24, true), compression: 0 };
  if (b.length < 34) return null;
  return { size, os2: false, width: v.getInt32(18, true), height: v.getInt32(22, true), bpp: v.getUint16(28, true), compression: v.getUint32(30, true) };
}

/** The BMP compression field: 1 RLE8, 2 RLE4; 0 where it is not run-length encoded. */
export function bmpRle(b: Uint8Array): 0 | 1 | 2 {
  const h = bmpHeader(b);
  const c = h && h.size >= 40 ? h.compression : 0;
  return c === 1 || c === 2 ? c : 0;
}

/**
 * A run-length-encoded BMP (8 or 4 bits per pixel, bottom-up): runs, absolute runs, line ends and
 * delta moves. Pixels the runs skip stay transparent, as browsers show them.
 */
export function decodeBmpRle(b: Uint8Array, rle: 1 | 2): RgbaImage {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = v.getInt32(18, true);
  const height = v.getInt32(22, true);
  if (width < 1 || height < 1) throw new Error(`a run-length-encoded BMP declares ${width}x${height} pixels`);
  const colors = v.getUint32(46, true) || 1 << (rle === 1 ? 8 : 4);
  const palette = 14 + v.getUint32(14, true);
  const data = new Uint8Array(4 * width * height);
  let [x, y, i] = [0, 0, v.getUint32(10, true)];
  const put = (index: number) => {
    if (x < width && y < height && index < colors && palette + 4 * index + 2 < b.length) {
      const o = 4 * ((height - 1 - y) * width + x);
      const p = palette + 4 * index; // B, G, R, reserved
      [data[o], data[o + 1], data[o + 2], data[o + 3]] = [b[p + 2], b[p + 1], b[p], 255];
    }
    x++;
  };
  // The k-th pixel of a run from byte(s) at `at`: a whole byte (RLE8), or alternating nibbles, high first (RLE4).
  const pixel = (at: number, k: number) => (rle === 1 ? b[at + k] : (b[at + (k >> 1)] >> (k & 1 ? 0 : 4)) & 15);
  while (i + 1 < b.length && y < height) {
    const [n, c] = [b[i], b[i + 1]];
    i += 2;
    if (n > 0) for (let k = 0; k < n; k++) put(rle === 1 ? c : (c >> (k & 1 ? 0 : 4)) & 15);
    else if (c === 0) [x, y] = [0, y + 1];
    else if (c === 1) break;
    else if (c === 2) {
      [x, y] = [x + (b[i] ?? 0), y + (b[i + 1] ?? 0)];
      i += 2;
    } else {
      for (let k = 0; k < c; k++) put(pixel(i, k));
      const bytes = rle === 1 ? c : (c + 1) >> 1;
      i += bytes + (bytes & 1); // absolute runs are padded to 16 bits
    }
  }
  return { width, height, data };
}

/**
 * How many bytes an uncompressed BMP's pixel rows lack (bmp-ts would read past the end and say so in its
 * own words). Rows are padded to 4 bytes (the last row's padding may be missing); only BI_RGB and
 * bitfields (0, 3, 6) store them as they are, and an OS/2 header (12 bytes) only BI_RGB.
 */
export function bmpShortBy(b: Uint8Array): number {
  const h = bmpHeader(b);
  if (!h || (!h.os2 && (h.size < 40 || !BMP_AS_STORED.includes(h.compression)))) return 0;
  const { width: w, bpp } = h;
  const need = le(b, 10, 4) + Math.ceil((w * bpp) / 32) * 4 * (Math.abs(h.height) - 1) + Math.ceil((w * bpp) / 8);
  return Math.max(0, need - b.length);
}

/** The compressions whose pixel rows are stored as they are: BI_RGB and bitfields (BI_BITFIELDS, BI_ALPHABITFIELDS). */
export const BMP_AS_STORED = [0, 3, 6];

/**
 * An uncompressed BMP that bmp-ts misreads or refuses — 4 bits per pixel, or an OS/2 header (12 bytes:
 * 16-bit sizes, 3-byte palette entries) at 1, 4, 8 or 24 bits — else null (bmp-ts reads it).
 */
export function decodeBmpPlain(b: Uint8Array): RgbaImage | null {
  const h = bmpHeader(b);
  if (!h || (!h.os2 && (h.bpp !== 4 || h.compression !== 0))) return null;
  const { os2, bpp, width, size: header, height: rawHeight } = h;
  if (![1, 4, 8, 24].includes(bpp)) throw new Error(`an OS/2 BMP of ${bpp} bits per pixel`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [height, topDown] = [Math.abs(rawHeight), rawHeight < 0];
  if (width < 1 || height < 1) throw new Error(`it declares ${width}x${rawHeight} pixels`);
  const entry = os2 ? 3 : 4;
  const palette = 14 + header;
  const colors = bpp === 24 ? 0 : Math.min(1 << bpp, (!os2 && v.getUint32(46, true)) || 1 << bpp);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const offset = v.getUint32(10, true);
  const short = bmpShortBy(b);
  if (short) throw new Error(`its pixel data ends ${short} bytes early`);
  const data = new Uint8Array(4 * width * height);
  for (let y = 0; y < height; y++) {
    const row = offset + stride * (topDown ? y : height - 1 - y);
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x);
      let p = row + 3 * x; // B, G, R
      if (bpp !== 24) {
        const bit = x * bpp;
        const index = (b[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        p = index < colors ? palette + entry * index : -1;
      }
      if (p >= 0) [data[o], data[o + 1], data[o + 2]] = [b[p + 2], b[p + 1], b[p]];
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}

export const fourcc = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

/** A WebP whose VP8X header sets the animation flag. */
export const isAnimatedWebp = (b: Uint8Array) => b.length >= 30 && fourcc(b, 12) === 'VP8X' && !!(b[20] & 0x02);

/** A WebP's RIFF chunks after its header, as far as the bytes reach: type, where its data starts, its size. */
export function* riffChunks(b: Uint8Array): Generator<{ type: string; at: number; size: number }> {
  for (let at = 12; at + 8 <= b.length; ) {
    const size = le(b, at + 4, 4);
    yield { type: fourcc(b, at), at: at + 8, size };
    at += 8 + size + (size & 1);
  }
}

/**
 * The first frame of an animated WebP as a still WebP of its own, with where it sits on the canvas;
 * null for a still image. A frame is an ANMF chunk: offsets and size, then its ALPH and VP8/VP8L chunks.
 */
export function webpFirstFrame(b: Uint8Array): { still: Uint8Array; x: number; y: number; width: number; height: number } | null {
  if (!isAnimatedWebp(b)) return null;
  const [width, height] = [le(b, 24, 3) + 1, le(b, 27, 3) + 1];
  for (const { type, at, size } of riffChunks(b)) {
    if (type === 'ANMF' && size >= 16) {
      const body = b.subarray(at, Math.min(b.length, at + size));
      const [fx, fy, fw, fh] = [2 * le(body, 0, 3), 2 * le(body, 3, 3), le(body, 6, 3) + 1, le(body, 9, 3) + 1];
      // The canvas size was checked against the pixel limit; a frame must lie within it.
      if (fx + fw > width || fy + fh > height) throw new Error(`its first frame (${fw}x${fh} at ${fx},${fy}) lies outside its ${width}x${height} canvas`);
      const chunks = body.subarray(16);
      // A VP8X header (alpha flag where an ALPH chunk comes first) and the frame's chunks.
      const still = new Uint8Array(30 + chunks.length);
      still.set([..."RIFF"].map((ch) => ch.charCodeAt(0)), 0);
      new DataView(still.buffer).setUint32(4, still.length - 8, true);
      still.set([..."WEBPVP8X"].map((ch) => ch.charCodeAt(0)), 8);
      still.set([10, 0, 0, 0, fourcc(chunks, 0) === 'ALPH' ? 0x10 : 0], 16);
      still.set([(fw - 1) & 255, ((fw - 1) >> 8) & 255, (fw - 1) >> 16, (fh - 1) & 255, ((fh - 1) >> 8) & 255, (fh - 1) >> 16], 24);
      still.set(chunks, 30);
      return { still, x: fx, y: fy, width, height };
    }
  }
  throw new Error('an animated WebP with no frame');
}

/** `frame` drawn at (x, y) on a transparent canvas of width × height (where a frame sits on an animation's canvas). */
export function onCanvas(frame: RgbaImage, x: number, y: number, width: number, height: number): RgbaImage {
  if (x === 0 && y === 0 && frame.width === width && frame.height === height) return frame;
  const data = new Uint8Array(4 * width * height);
  const cols = Math.max(0, Math.min(frame.width, width - x));
  for (let r = 0; r < frame.height && y + r < height && cols > 0; r++) {
    data.set(frame.data.subarray(4 * r * frame.width, 4 * (r * frame.width + cols)), 4 * ((y + r) * width + x));
  }
  return { width, height, data };
}
