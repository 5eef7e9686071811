// TIFF decoding with UTIF (no browser decodes TIFF, so the page and the CLI both use this): the
// first full-size image of the file, its size checked against the limit before any pixel is
// decoded, turned by its Orientation tag as a browser turns a JPEG by EXIF.
import UTIF from 'utif2';
import { ImageDecodeError } from '../core/errors.ts';
import type { RgbaImage } from '../types.ts';
import { halfValue } from './half.ts';
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

/** The bytes of an uncompressed file whose samples lie in planes (PlanarConfiguration 2), plane after plane. */
function planes(ifd: UTIF.IFD, file: Uint8Array, width: number, height: number, spp: number, size: number): Uint8Array {
  if ((first(ifd.t259) ?? 1) !== 1) throw new Error('samples in separate planes, compressed');
  const rows = Math.min(first(ifd.t278) ?? height, height);
  const perPlane = Math.ceil(height / rows);
  const offsets = all(ifd.t273);
  const out = new Uint8Array(width * height * spp * size);
  for (let s = 0; s < spp; s++) {
    for (let k = 0; k < perPlane; k++) {
      const n = Math.min(rows, height - k * rows) * width * size;
      const at = offsets[s * perPlane + k];
      if (at === undefined || at + n > file.length) throw new Error('a plane is missing or cut');
      out.set(file.subarray(at, at + n), (s * height + k * rows) * width * size);
    }
  }
  return out;
}

/**
 * Gray (photometric 0 or 1) or RGB (2) samples of 8, 16 or 32 bits — unsigned, signed or float (half or single),
 * interleaved or in planes — to RGBA, as scientific TIFFs hold them; null for what UTIF reads itself
 * (1- to 4-bit, palette, YCbCr). A sample beyond the colour is alpha where ExtraSamples says so
 * (premultiplied alpha is divided out). UTIF's toRGBA8 reads a 16-bit gray pixel of several samples
 * as one sample, and planar files not at all. Wider samples keep their top 8 bits, as a browser shows a
 * 16-bit PNG; signed ones are offset to unsigned first; floats are clamped to [0, 1].
 */
function samplesToRgba(ifd: UTIF.IFD, file: Uint8Array, width: number, height: number): Uint8Array | null {
  const photometric = first(ifd.t262);
  const bits = all(ifd.t258);
  const bps = bits[0] ?? 1;
  const format = first(ifd.t339) ?? 1;
  const color = photometric === 2 ? 3 : 1;
  const spp = first(ifd.t277) ?? color;
  const compression = first(ifd.t259) ?? 1;
  // JPEG-compressed files come out of UTIF's decoder as it chooses: left to its own conversion.
  const ours = photometric !== undefined && photometric <= 2 && [8, 16, 32].includes(bps) && bits.every((b) => b === bps) && [1, 2, 3].includes(format) && (format !== 3 || bps >= 16) && spp >= color && ![6, 7, 34892].includes(compression);
  if (!ours) return null;
  const size = bps / 8;
  const area = width * height;
  const planar = first(ifd.t284) === 2;
  const data = planar ? planes(ifd, file, width, height, spp, size) : (ifd as { data?: Uint8Array }).data;
  if (!data || data.length < area * spp * size) throw new Error('its pixel data is shorter than its size');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // UTIF turns interleaved 16-bit samples little-endian; planes are the file's own bytes.
  const little = bps === 16 && !planar ? true : (ifd as { isLE?: boolean }).isLE !== false;
  const unit = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v || 0)));
  const read: (at: number) => number =
    format === 3
      ? bps === 16 ? (at) => unit(halfValue(view.getUint16(at, little))) : (at) => unit(view.getFloat32(at, little))
      : bps === 8
        ? format === 2 ? (at) => view.getInt8(at) + 128 : (at) => view.getUint8(at)
        : bps === 16
          ? format === 2 ? (at) => (view.getInt16(at, little) + 32768) >> 8 : (at) => view.getUint16(at, little) >> 8
          : format === 2 ? (at) => Math.floor((view.getInt32(at, little) + 2 ** 31) / 2 ** 24) : (at) => view.getUint32(at, little) >>> 24;
  const sample = planar ? (i: number, s: number) => read((s * area + i) * size) : (i: number, s: number) => read((i * spp + s) * size);
  const alpha = spp > color ? all(ifd.t338)[0] ?? 0 : 0; // 1: premultiplied, 2: straight, 0: not alpha
  const out = new Uint8Array(4 * area);
  for (let i = 0; i < area; i++) {
    const a = alpha ? sample(i, color) : 255;
    for (let c = 0; c < 3; c++) {
      let v = sample(i, color === 3 ? c : 0);
      if (photometric === 0) v = 255 - v;
      if (alpha === 1) v = a ? Math.min(255, Math.round((v * 255) / a)) : 0;
      out[4 * i + c] = v;
    }
    out[4 * i + 3] = a;
  }
  return out;
}

/**
 * Why a file's strips or tiles cannot be what its size says, or null. UTIF inflates each whole, with
 * no bound on its output, and decodes every one listed: a 1×1 image whose 1 MB strip inflated to
 * 1 GB took 2.2 GB, and a thousand strips pointing at one such stream ran for minutes. So: no more
 * chunks than the image has, none larger than its pixels could need in any compression (deflate
 * stores data with 5 bytes a block more, LZW's 12-bit codes 1.5 times, a JPEG's tables a few kB;
 * twice the raw size and 64 kB allowed), tiles no larger than the image allows, and no byte in two chunks.
 */
function chunkProblem(ifd: UTIF.IFD, width: number, height: number, offsets: number[], counts: number[], fileLength: number): string | null {
  const spp = first(ifd.t277) ?? 1;
  const bits = all(ifd.t258).reduce((a, b) => a + b, 0) || spp;
  const planar = first(ifd.t284) === 2;
  const tw = first(ifd.t322);
  const th = first(ifd.t323);
  const rowBits = planar ? bits / spp : bits;
  let chunks: number;
  let raw: number;
  if (tw !== undefined && th !== undefined) {
    if (tw < 1 || th < 1 || tw * th > Math.max(4 * width * height, 1 << 20)) return `tiles of ${tw}×${th} are far larger than its ${width}×${height} pixels`;
    chunks = Math.ceil(width / tw) * Math.ceil(height / th);
    raw = th * Math.ceil((tw * rowBits) / 8);
  } else {
    const rows = Math.max(1, Math.min(first(ifd.t278) ?? height, height));
    chunks = Math.ceil(height / rows);
    raw = rows * Math.ceil((width * rowBits) / 8);
  }
  if (planar) chunks *= spp;
  if (offsets.length > chunks) return `${offsets.length} strips or tiles are more than its ${width}×${height} pixels have (${chunks})`;
  const most = 2 * raw + 65536;
  const big = counts.findIndex((c) => c > most);
  if (big >= 0) return `strip or tile ${big} holds ${counts[big].toLocaleString('en')} bytes, more than its pixels could need (${raw.toLocaleString('en')})`;
  if (counts.reduce((a, b) => a + b, 0) > fileLength) return 'strips or tiles overlap';
  return null;
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
  const bomb = chunkProblem(ifd, width, height, offsets, counts, bytes.length);
  if (bomb) throw new ImageDecodeError(`${name}: the TIFF's ${bomb}: it is corrupt, or built to exhaust memory, so it is not decoded.`, 'corrupt');
  let data: Uint8Array;
  try {
    // UTIF logs a line for each tiled image: on the CLI's stdout it would break --json.
    const log = console.log;
    console.log = () => {};
    try {
      UTIF.decodeImage(buffer, ifd);
    } finally {
      console.log = log;
    }
    data = first(ifd.t262) === 5 ? cmykToRgba(ifd, width * height) : (samplesToRgba(ifd, bytes, width, height) ?? UTIF.toRGBA8(ifd));
  } catch (e) {
    // UTIF throws bare values too (a bit depth it does not read).
    const why = e instanceof Error ? e.message : typeof e === 'number' ? `unsupported value ${e}` : String(e ?? '');
    throw corrupt(`corrupt or of a kind not read here${why ? ` (${why})` : ''}`);
  }
  if (data.length !== 4 * width * height) throw corrupt('of a kind not read here (its samples did not give RGBA pixels)');
  // Compression 6, 7 and 34892 are JPEG's.
  return { ...orient({ width, height, data }, first(ifd.t274) ?? 1), lossy: [6, 7, 34892].includes(first(ifd.t259) ?? 1) && 'JPEG-compressed TIFF' };
}
