// Decode errors shared by the Node and browser decoders (DOM-free): what is refused before any
// pixel is decoded (format, size, a cut file), from the header model/sniff.ts reads.
import { ImageDecodeError } from '../core/errors.ts';
import { isProfileBytes } from '../core/hsp.ts';
import { gifFirstFrame } from './gif-blocks.ts';
import { le, sniffImage, type SniffResult } from './sniff.ts';

/** The leading bytes `checkImageBytes` reads for the headers, and the trailing ones for the end marker (some cameras append data after a JPEG's EOI). */
export const [HEAD_BYTES, TAIL_BYTES] = [65536, 4096];
/**
 * Most pixels an image may have, checked from its header before any decoding: a 48–50 MP phone
 * photo (8000×6000, 8160×6120) fits, as a 256 MB RGBA buffer at most (model/preprocess.ts resizes it
 * row by row, without a full-size float copy), in a browser tab or the CLI alike.
 */
export const MAX_PIXELS = 64_000_000;
/** Files up to this size are read whole (and, in the browser, sent to the worker as bytes); larger ones only at their head and tail before the checks. */
export const WHOLE_READ_BYTES = 4 << 20;

/**
 * Whether a JPEG's own structure reaches its end-of-image marker within `b`: its segments by their
 * lengths, each scan's coded data up to the next marker (a 0xFF in it is stuffed or a restart). What
 * follows the marker (a phone's motion-photo video, a trailer) is not the image's.
 */
function jpegReachesEnd(b: Uint8Array): boolean {
  for (let i = 2; i + 1 < b.length; ) {
    if (b[i] !== 0xff) return false;
    const m = b[i + 1];
    if (m === 0xd9) return true;
    if (m === 0xff || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += m === 0xff ? 1 : 2; // fill byte, or a marker without a length
      continue;
    }
    i += 2 + ((b[i + 2] ?? 0) << 8) + (b[i + 3] ?? 0);
    if (m !== 0xda) continue;
    for (i = b.indexOf(0xff, i); i >= 0 && i + 1 < b.length; i = b.indexOf(0xff, i + 1)) {
      const next = b[i + 1];
      if (next !== 0 && !(next >= 0xd0 && next <= 0xd7)) break;
    }
    if (i < 0) return false;
  }
  return false;
}

/**
 * A PNG ends with an IEND chunk, a JPEG with an EOI marker and a GIF with its 0x3B trailer; a WebP
 * (RIFF) and a BMP declare their file size in the header. A cut file fails these. A JPEG with data
 * after its marker (more than the tail holds) needs the whole file: undefined where `head` is not it.
 */
function looksComplete(format: string, head: Uint8Array, tail: Uint8Array, size: number): boolean | undefined {
  if (format === 'png') return new TextDecoder('latin1').decode(tail).includes('IEND');
  if (format === 'webp') return head.length >= 8 && le(head, 4, 4) + 8 <= size;
  if (format === 'bmp') return head.length >= 6 && le(head, 2, 4) <= size; // some writers leave it 0
  if (format === 'tiff' || format === 'avif') return true; // no trailer: the decoder checks that the image data is in the file
  if (format === 'gif') {
    let end = tail.length;
    while (end > 0 && tail[end - 1] === 0) end--; // padding after the trailer
    return end > 0 && tail[end - 1] === 0x3b;
  }
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return head.length === size ? jpegReachesEnd(head) : undefined;
}

/**
 * File names a folder's images have, in the page and the CLI alike. Formats not decoded here (SVG,
 * HEIC, JPEG XL) are named too, so that each gets its own error rather than being left out.
 */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'jfif', 'jpe', 'gif', 'webp', 'bmp', 'tif', 'tiff', 'avif', 'svg', 'heic', 'heif', 'jxl'];

/** What histoscan decodes, in the page and in the CLI alike (GIF: its first frame; TIFF: its first full-size image). */
export const FORMATS = ['png', 'jpeg', 'gif', 'webp', 'bmp', 'tiff', 'avif'] as const;
export type RasterFormat = (typeof FORMATS)[number];
const NAMES: Record<RasterFormat, string> = { png: 'PNG', jpeg: 'JPEG', gif: 'GIF', webp: 'WebP', bmp: 'BMP', tiff: 'TIFF', avif: 'AVIF' };
/** How a format is written in messages. */
export const formatName = (f: RasterFormat) => NAMES[f];

/** Throws for a declared size over the pixel limit ('too-large', before any pixel is decoded) or without pixels ('too-small'). */
export function checkSize(name: string, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ImageDecodeError(`${name}: ${width}x${height} pixels is over the limit of ${maxPixels.toLocaleString('en')}; refused before decoding.`, 'too-large');
  }
  if (width < 1 || height < 1) throw new ImageDecodeError(`${name}: the image declares ${width}x${height} pixels.`, 'too-small');
}

/**
 * Throws the right ImageDecodeError for bytes that must not be decoded; returns the sniffed info.
 * `bytes` is the file, or its first HEAD_BYTES; `tail` its last TAIL_BYTES
 * bytes; `size` its length. `needsWhole`: only the whole file can tell (a JPEG with data after its
 * end marker), so check it again with the whole file before decoding.
 */
export function checkImageBytes(
  bytes: Uint8Array,
  name: string,
  maxPixels: number,
  tail: Uint8Array = bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)),
  size = bytes.length,
): SniffResult & { format: RasterFormat; needsWhole?: true } {
  if (bytes.length === 0) throw new ImageDecodeError(`${name}: the file is empty (0 bytes).`, 'empty');
  const info = sniffImage(bytes);
  const known = FORMATS.map(formatName).join(', ');
  const unsupported: Record<string, string> = {
    svg: 'SVG is a vector drawing (and may carry scripts); it is not decoded',
    text: 'this is a text file, not an image',
    unknown: 'this is not an image of a format read here',
  };
  if (isProfileBytes(bytes)) throw new ImageDecodeError(`${name}: this is a histoscan profile (.hsp), not an image: load it as the profile ("Load a .hsp profile…" in the page, --profile on the command line).`, 'unsupported');
  if (!(FORMATS as readonly string[]).includes(info.format)) {
    const why = info.format === 'other' ? `this is ${info.name}, a format not decoded here` : unsupported[info.format];
    throw new ImageDecodeError(`${name}: ${why}; use ${known}.`, 'unsupported');
  }
  const format = info.format as RasterFormat;
  // The browser decoders get no pixel limit of their own: a size the header does not say is refused.
  // The PNG, JPEG and TIFF decoders check the size themselves (a TIFF may say it at the file's end).
  if (info.width === undefined && format !== 'png' && format !== 'jpeg' && format !== 'tiff') {
    throw new ImageDecodeError(`${name}: the ${formatName(format)} header does not say its size; it is corrupt.`, 'corrupt');
  }
  if (info.width !== undefined && info.height !== undefined) checkSize(name, info.width, info.height, maxPixels);
  // A GIF's first frame may reach past its logical screen, which a browser then grows to hold it.
  const frame = format === 'gif' ? gifFirstFrame(bytes) : null;
  if (frame) checkSize(name, Math.max(info.width ?? 0, frame.left + frame.width), Math.max(info.height ?? 0, frame.top + frame.height), maxPixels);
  const complete = looksComplete(format, bytes, tail, size);
  if (complete === false) throw new ImageDecodeError(`${name}: the ${formatName(format)} is truncated or corrupt.`, 'corrupt');
  return { ...info, format, ...(complete === undefined && { needsWhole: true as const }) };
}
