// Image formats from their leading bytes (never the file name), with what the header says (size,
// JPEG coding, lossy or not, a PNG's EXIF). Shared by the Node and browser decoders (DOM-free).
import { pngChunks } from './png-chunks.ts';

export interface SniffResult {
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'avif' | 'svg' | 'other' | 'text' | 'unknown';
  width?: number;
  height?: number;
  /** For 'other': the image format it is, which histoscan does not decode. */
  name?: string;
  /** For 'jpeg': its start-of-frame marker (0xc0 baseline, 0xc2 progressive, …) and sample precision in bits. */
  frame?: { marker: number; precision: number };
}

// Image formats that are not decoded here, by their signatures, so that a photo from a phone or
// saved from a web page is named, not called "not an image".
const OTHER: [test: (b: Uint8Array, ascii: string) => boolean, name: string][] = [
  [(_, a) => a.slice(4, 8) === 'ftyp' && /^(hei[cxms]|hev[cx]|mif1|msf1)/.test(a.slice(8, 12)), 'a HEIC/HEIF image (as phones save photos)'],
  [(b, a) => (b[0] === 0xff && b[1] === 0x0a) || a.slice(4, 8) === 'JXL ', 'a JPEG XL image'],
  [(_, a) => a.startsWith('8BPS'), 'a Photoshop document'],
  [(b) => b[0] === 0 && b[1] === 0 && (b[2] === 1 || b[2] === 2) && b[3] === 0 && b[4] > 0 && b[5] === 0, 'an icon (ICO/CUR)'],
  [(_, a) => /^P[1-7]\s/.test(a), 'a Netpbm image (PBM/PGM/PPM/PAM)'],
  [(_, a) => /^\/\* XPM \*\//.test(a), 'an XPM image (pixels written as C source)'],
];

/** The little-endian unsigned integer of n bytes at i (bytes past the end read as 0). */
export function le(b: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let k = n - 1; k >= 0; k--) v = v * 256 + (b[i + k] ?? 0);
  return v;
}

/** The big-endian unsigned integer of n bytes at i (bytes past the end read as 0). */
export function be(b: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 256 + (b[i + k] ?? 0);
  return v;
}

/** The brands an ISO media file (HEIF, AVIF) declares in its leading ftyp box: the major one and the compatible ones. */
function brands(b: Uint8Array, ascii: string): string[] {
  if (ascii.slice(4, 8) !== 'ftyp') return [];
  const end = Math.min(be(b, 0, 4), ascii.length);
  const out = [ascii.slice(8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) out.push(ascii.slice(at, at + 4));
  return out;
}

/**
 * An AVIF's size: the largest 'ispe' (image spatial extents) property in meta > iprp > ipco (a grid
 * image's canvas is larger than its tiles). The meta box comes before the pixel data in the files
 * encoders write, so the head of the file holds it.
 */
function avifSize(b: Uint8Array): { width: number; height: number } | undefined {
  let best: { width: number; height: number } | undefined;
  const type = (at: number) => String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
  const walk = (from: number, to: number, depth: number): void => {
    for (let at = from; at + 8 <= to && depth < 4; ) {
      let size = be(b, at, 4);
      let head = 8;
      if (size === 1) [size, head] = [be(b, at + 8, 8), 16];
      else if (size === 0) size = to - at;
      if (size < head) return;
      const t = type(at);
      const end = Math.min(at + size, to);
      if (t === 'meta') walk(at + head + 4, end, depth + 1); // a full box: version and flags first
      else if (t === 'iprp' || t === 'ipco') walk(at + head, end, depth + 1);
      else if (t === 'ispe' && at + head + 12 <= end) {
        const [width, height] = [be(b, at + head + 4, 4), be(b, at + head + 8, 4)];
        if (!best || width * height > best.width * best.height) best = { width, height };
      }
      at += size;
    }
  };
  walk(0, b.length, 0);
  return best;
}

/**
 * How a JPEG is coded, where it is not baseline or progressive Huffman at 8 bits (what the Node
 * decoder reads; a browser reads arithmetic coding too); undefined for those.
 */
export function jpegCoding(frame: { marker: number; precision: number }): string | undefined {
  const { marker, precision } = frame;
  if (marker >= 0xc9) return 'arithmetic-coded';
  if (marker === 0xc3 || marker === 0xc7) return 'lossless';
  if (marker >= 0xc5) return 'hierarchical';
  if (precision !== 8) return `${precision}-bit`;
  return undefined;
}

/**
 * The lossy compression an image's pixels went through, in words ('JPEG', 'lossy WebP'); false for a lossless
 * file; undefined where the header does not say (AVIF codes either way in its AV1 stream; a WebP whose image
 * chunk lies past the bytes read). Compression alone moves a model's activations (core/verdict.ts codingNote).
 */
export function lossyCoding(s: SniffResult, b: Uint8Array): string | false | undefined {
  if (s.format === 'jpeg') return s.frame && jpegCoding(s.frame) === 'lossless' ? false : 'JPEG';
  if (s.format === 'avif') return undefined;
  if (s.format !== 'webp') return false;
  // A lossy WebP's pixels are a VP8 stream, a lossless one's VP8L; an extended file (VP8X) holds one after its other chunks.
  for (let at = 12; at + 8 <= b.length; at += 8 + le(b, at + 4, 4) + (le(b, at + 4, 4) & 1)) {
    const type = String.fromCharCode(...b.subarray(at, at + 4));
    if (type === 'VP8 ') return 'lossy WebP';
    if (type === 'VP8L') return false;
  }
  return undefined;
}

/** The payload of a PNG's eXIf chunk (EXIF in TIFF layout), or null. */
export function pngExif(b: Uint8Array): Uint8Array | null {
  for (const { type, at, size } of pngChunks(b)) {
    if (type === 'eXIf') return at + size <= b.length ? b.subarray(at, at + size) : null;
    // An eXIf chunk after the pixels is not read, as Chromium does not.
    if (type === 'IDAT' || type === 'IEND') return null;
  }
  return null;
}

/** Format from magic bytes (never the file name) and the declared size where the header gives it. */
export function sniffImage(b: Uint8Array): SniffResult {
  const at = (i: number) => b[i] ?? 0;
  const be16 = (i: number) => be(b, i, 2);
  const be32 = (i: number) => be(b, i, 4);
  if (b.length >= 8 && at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47) {
    return b.length >= 24 ? { format: 'png', width: be32(16), height: be32(20) } : { format: 'png' };
  }
  if (at(0) === 0xff && at(1) === 0xd8) {
    // Walk the markers to the first start-of-frame, which holds the size.
    let i = 2;
    while (i + 9 < b.length) {
      if (at(i) !== 0xff) {
        i++;
        continue;
      }
      const marker = at(i + 1);
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpeg', height: be16(i + 5), width: be16(i + 7), frame: { marker, precision: at(i + 4) } };
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        i += 2;
        continue;
      }
      i += 2 + be16(i + 2);
    }
    return { format: 'jpeg' };
  }
  const ascii = new TextDecoder('latin1').decode(b.subarray(0, 256));
  const le16 = (i: number) => le(b, i, 2);
  if (ascii.startsWith('GIF8')) return { format: 'gif', width: le16(6), height: le16(8) };
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') {
    // The first chunk says the size: lossy (VP8), lossless (VP8L, 14-bit sizes - 1) or extended (VP8X canvas).
    const chunk = ascii.slice(12, 16);
    if (b.length >= 30 && chunk === 'VP8 ') return { format: 'webp', width: le16(26) & 0x3fff, height: le16(28) & 0x3fff };
    if (b.length >= 25 && chunk === 'VP8L') {
      const bits = le(b, 21, 4);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (b.length >= 30 && chunk === 'VP8X') return { format: 'webp', width: le(b, 24, 3) + 1, height: le(b, 27, 3) + 1 };
    return { format: 'webp' };
  }
  // A BMP's info header has one of a few known sizes: a text that starts "BM" is not one.
  if (ascii.startsWith('BM') && (b.length < 18 || [12, 40, 52, 56, 64, 108, 124].includes(le(b, 14, 4)))) {
    if (b.length < 26) return { format: 'bmp' };
    // BITMAPCOREHEADER (12 bytes) has 16-bit sizes; the later headers 32-bit, a negative height meaning top-down.
    if (le16(14) === 12) return { format: 'bmp', width: le16(18), height: le16(20) };
    return { format: 'bmp', width: Math.abs(le(b, 18, 4) | 0), height: Math.abs(le(b, 22, 4) | 0) };
  }
  // TIFF: byte order, 42, the first directory's offset; its ImageWidth (256) and ImageLength (257)
  // entries hold the size when the directory is within the bytes read (writers may put it last).
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) {
    const big = ascii[0] === 'M';
    const u = (i: number, n: number) => (big ? be(b, i, n) : le(b, i, n));
    const ifd = u(4, 4);
    const size: Record<number, number> = {};
    if (ifd >= 8 && ifd + 2 <= b.length) {
      for (let e = 0, at = ifd + 2; e < u(ifd, 2) && at + 12 <= b.length; e++, at += 12) {
        const tag = u(at, 2);
        // SHORT (3) values sit in the entry's first two bytes, LONG (4) in all four.
        if (tag === 256 || tag === 257) size[tag] = u(at + 2, 2) === 3 ? u(at + 8, 2) : u(at + 8, 4);
      }
    }
    return size[256] !== undefined && size[257] !== undefined ? { format: 'tiff', width: size[256], height: size[257] } : { format: 'tiff' };
  }
  if (brands(b, ascii).some((x) => x === 'avif' || x === 'avis')) return { format: 'avif', ...avifSize(b) };
  const other = OTHER.find(([test]) => test(b, ascii));
  if (other) return { format: 'other', name: other[1] };
  if (/^\s*(<\?xml|<svg|<!DOCTYPE svg)/i.test(ascii) || /<svg[\s>]/i.test(ascii)) return { format: 'svg' };
  const sample = b.subarray(0, 512);
  if (sample.length && sample.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128)) return { format: 'text' };
  return { format: 'unknown' };
}
