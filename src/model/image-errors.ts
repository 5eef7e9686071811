// Image format sniffing and decode errors shared by the Node and browser decoders (DOM-free).

import { ImageDecodeError } from '../core/errors.ts';

export interface SniffResult {
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'svg' | 'text' | 'unknown';
  width?: number;
  height?: number;
}

/** Format from magic bytes (never the file name) and, for PNG and JPEG, the declared size. */
export function sniffImage(b: Uint8Array): SniffResult {
  const at = (i: number) => b[i] ?? 0;
  const be16 = (i: number) => (at(i) << 8) | at(i + 1);
  const be32 = (i: number) => ((at(i) << 24) | (at(i + 1) << 16) | (at(i + 2) << 8) | at(i + 3)) >>> 0;
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
        return { format: 'jpeg', height: be16(i + 5), width: be16(i + 7) };
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
  if (ascii.startsWith('GIF8')) return { format: 'gif', width: at(6) | (at(7) << 8), height: at(8) | (at(9) << 8) };
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return { format: 'webp' };
  if (ascii.startsWith('BM')) return { format: 'bmp' };
  if (/^\s*(<\?xml|<svg|<!DOCTYPE svg)/i.test(ascii) || /<svg[\s>]/i.test(ascii)) return { format: 'svg' };
  const sample = b.subarray(0, 512);
  if (sample.length && sample.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128)) return { format: 'text' };
  return { format: 'unknown' };
}

/** How many trailing bytes `checkImageBytes` looks at for the end marker (some cameras append data after a JPEG's EOI). */
export const TAIL_BYTES = 4096;
/** Files up to this size are read whole (and, in the browser, sent to the worker as bytes); larger ones only at their head and tail before the checks. */
export const WHOLE_READ_BYTES = 4 << 20;

/** A PNG ends with an IEND chunk and a JPEG with an EOI marker; a cut file lacks them. */
function looksComplete(format: string, tail: Uint8Array): boolean {
  if (format === 'png') return new TextDecoder('latin1').decode(tail).includes('IEND');
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}

/**
 * Throws the right ImageDecodeError for bytes that must not be decoded; returns the sniffed info.
 * `bytes` is the file, or its start (64 KiB is plenty for the headers); `tail` its last TAIL_BYTES bytes.
 */
export function checkImageBytes(bytes: Uint8Array, name: string, maxPixels: number, tail: Uint8Array = bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES))): SniffResult {
  if (bytes.length === 0) throw new ImageDecodeError(`${name}: the file is empty (0 bytes).`, 'empty');
  const info = sniffImage(bytes);
  const unsupported: Record<string, string> = {
    gif: 'GIF (animated or not) is not supported',
    webp: 'WebP is not supported',
    bmp: 'BMP is not supported',
    svg: 'SVG is a vector drawing (and may carry scripts); it is not decoded',
    text: 'this is a text file, not an image',
    unknown: 'this is not a PNG or JPEG image',
  };
  if (info.format !== 'png' && info.format !== 'jpeg') {
    throw new ImageDecodeError(`${name}: ${unsupported[info.format]}; use PNG or JPEG.`, 'unsupported');
  }
  if (info.width !== undefined && info.height !== undefined) {
    if (info.width * info.height > maxPixels) {
      throw new ImageDecodeError(`${name}: ${info.width}x${info.height} pixels is over the limit of ${maxPixels.toLocaleString('en')}; refused before decoding.`, 'too-large');
    }
    if (info.width < 1 || info.height < 1) throw new ImageDecodeError(`${name}: the image declares ${info.width}x${info.height} pixels.`, 'too-small');
  }
  if (!looksComplete(info.format, tail)) throw new ImageDecodeError(`${name}: the ${info.format.toUpperCase()} is truncated or corrupt.`, 'corrupt');
  return info;
}
