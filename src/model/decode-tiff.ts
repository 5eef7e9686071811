// TIFF decoding with UTIF (no browser decodes TIFF, so the page and the CLI both use this): the
// first full-size image of the file, its size checked against the limit before any pixel is
// decoded, turned by its Orientation tag as a browser turns a JPEG by EXIF.
import UTIF from 'utif2';
import { ImageDecodeError } from '../core/errors.ts';
import type { RgbaImage } from '../types.ts';
import { checkSize } from './image-errors.ts';
import { orient } from './orientation.ts';

const first = (v: unknown): number | undefined => (Array.isArray(v) ? Number(v[0]) : undefined);
const all = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

/**
 * UTIF follows the chain of image directories until a next-offset of 0, so a chain that loops back
 * would never end: it is cut (in our copy) where it first repeats an offset or passes 1,000 directories.
 */
function cutLoop(buffer: ArrayBuffer): void {
  const view = new DataView(buffer);
  const little = view.getUint8(0) === 0x49;
  const seen = new Set<number>();
  for (let at = 4; at + 4 <= buffer.byteLength; ) {
    const ifd = view.getUint32(at, little);
    if (ifd === 0) return;
    if (seen.has(ifd) || seen.size === 1000) return view.setUint32(at, 0, little);
    seen.add(ifd);
    if (ifd + 2 > buffer.byteLength) return;
    at = ifd + 2 + 12 * view.getUint16(ifd, little);
  }
}

/**
 * 8-bit CMYK (photometric 5, with an extra alpha sample where there is one) to RGB by the naive
 * inversion UTIF falls back to, which it cannot reach outside a window (it looks up window.UDOC).
 */
function cmykToRgba(ifd: UTIF.IFD, area: number): Uint8Array {
  const bits = first(ifd.t258) ?? 8;
  const samples = first(ifd.t277) ?? 4;
  const src = (ifd as { data?: Uint8Array }).data;
  if (bits !== 8 || samples < 4 || !src || src.length < area * samples) throw new Error(`CMYK with ${bits}-bit samples`);
  const out = new Uint8Array(4 * area);
  for (let i = 0; i < area; i++) {
    const [s, o] = [i * samples, 4 * i];
    const k = (255 - src[s + 3]) / 255;
    out[o] = Math.round((255 - src[s]) * k);
    out[o + 1] = Math.round((255 - src[s + 1]) * k);
    out[o + 2] = Math.round((255 - src[s + 2]) * k);
    out[o + 3] = samples > 4 ? src[s + 4] : 255;
  }
  return out;
}

export function decodeTiff(bytes: Uint8Array, name: string, maxPixels: number): RgbaImage {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  cutLoop(buffer);
  const corrupt = (why: string) => new ImageDecodeError(`${name}: the TIFF is ${why}.`, 'corrupt');
  let ifds: UTIF.IFD[];
  try {
    ifds = UTIF.decode(buffer);
  } catch (e) {
    throw corrupt(`corrupt (${(e as Error).message})`);
  }
  // NewSubfileType bit 0 marks a reduced-resolution copy (a thumbnail or a pyramid level).
  const ifd = ifds.find((d) => !((first(d.t254) ?? 0) & 1)) ?? ifds[0];
  const [width, height] = [first(ifd?.t256), first(ifd?.t257)];
  if (width === undefined || height === undefined) throw corrupt('corrupt: it holds no image with a size');
  checkSize(name, width, height, maxPixels);
  // A cut file: a strip or tile that reaches past the end (UTIF would decode zeros).
  const offsets = all(ifd.t273 ?? ifd.t324);
  const counts = all(ifd.t279 ?? ifd.t325);
  if (offsets.length === 0 || offsets.some((o, i) => o + (counts[i] ?? 0) > bytes.length)) throw corrupt('truncated or corrupt');
  let data: Uint8Array;
  try {
    UTIF.decodeImage(buffer, ifd);
    data = first(ifd.t262) === 5 ? cmykToRgba(ifd, width * height) : UTIF.toRGBA8(ifd);
  } catch (e) {
    // UTIF throws bare values too (a bit depth it does not read).
    const why = e instanceof Error ? e.message : typeof e === 'number' ? `unsupported value ${e}` : String(e ?? '');
    throw corrupt(`corrupt or of a kind not read here${why ? ` (${why})` : ''}`);
  }
  if (data.length !== 4 * width * height) throw corrupt('of a kind not read here (its samples did not give RGBA pixels)');
  return orient({ width, height, data }, first(ifd.t274) ?? 1);
}
