// EXIF orientation (a JPEG's APP1, a PNG's eXIf chunk), and an AVIF's rotation and mirror properties,
// for the decoders of the CLI and of the page's JS path. Browsers apply them in createImageBitmap, so
// without this a phone photo reaches the model turned one way on the page and another way in the CLI.
// IFD0's Orientation is read here, not by an EXIF library: the page reads it too, without Node's Buffer.
import type { RgbaImage } from '../types.ts';
import { be, pngExif } from './sniff.ts';

/** The APP1 "Exif" payload of a JPEG (before the first scan), or null. */
function jpegExif(bytes: Uint8Array): Uint8Array | null {
  let i = 2; // after SOI
  while (i + 4 <= bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data or end: no EXIF before it
    const len = (bytes[i + 2] << 8) | bytes[i + 3];
    if (len < 2 || i + 2 + len > bytes.length) return null;
    const start = i + 4;
    if (marker === 0xe1 && len >= 8 && String.fromCharCode(...bytes.subarray(start, start + 5)) === 'Exif\0') {
      return bytes.subarray(start, i + 2 + len);
    }
    i += 2 + len;
  }
  return null;
}

/** EXIF orientation 1–8 of a JPEG; 1 when absent or unreadable (as browsers treat broken EXIF). */
export const jpegOrientation = (bytes: Uint8Array): number => exifOrientation(jpegExif(bytes));

/** EXIF orientation 1–8 of a PNG's eXIf chunk, which browsers apply too. */
export const pngOrientation = (bytes: Uint8Array): number => exifOrientation(pngExif(bytes));

/**
 * An AVIF's primary image's rotation ('irot': a quarter turns counter-clockwise) and mirror ('imir': axis 0
 * exchanges top and bottom, 1 left and right; ISO/IEC 23008-12:2022 6.5.10-12) as EXIF orientations to
 * apply in turn, in the order the file associates them; [] where it has neither.
 */
export function avifOrientations(b: Uint8Array): number[] {
  /** The boxes in [from, to): type, where its body starts, where it ends. */
  const boxes = (from: number, to: number) => {
    const out: { type: string; at: number; end: number }[] = [];
    for (let i = from; i + 8 <= to; ) {
      const size = be(b, i, 4);
      if (size < 8 || i + size > to) break;
      out.push({ type: String.fromCharCode(...b.subarray(i + 4, i + 8)), at: i + 8, end: i + size });
      i += size;
    }
    return out;
  };
  const meta = boxes(0, b.length).find((x) => x.type === 'meta');
  if (!meta) return [];
  const inMeta = boxes(meta.at + 4, meta.end); // a full box: version and flags first
  const pitm = inMeta.find((x) => x.type === 'pitm');
  const iprp = inMeta.find((x) => x.type === 'iprp');
  if (!pitm || !iprp) return [];
  const primary = be(b, pitm.at + 4, b[pitm.at] === 0 ? 2 : 4);
  const inIprp = boxes(iprp.at, iprp.end);
  const [ipco, ipma] = [inIprp.find((x) => x.type === 'ipco'), inIprp.find((x) => x.type === 'ipma')];
  if (!ipco || !ipma) return [];
  const properties = boxes(ipco.at, ipco.end);
  const [version, wide] = [b[ipma.at], b[ipma.at + 3] & 1];
  let i = ipma.at + 8;
  for (let e = be(b, ipma.at + 4, 4); e > 0 && i < ipma.end; e--) {
    const item = be(b, i, version < 1 ? 2 : 4);
    i += version < 1 ? 2 : 4;
    const n = b[i++];
    const indices = Array.from({ length: n }, (_, k) => (wide ? be(b, i + 2 * k, 2) & 0x7fff : b[i + k] & 0x7f));
    i += n * (wide ? 2 : 1);
    if (item !== primary) continue;
    return indices.flatMap((k) => {
      const p = properties[k - 1];
      if (p?.type === 'irot') return [[1, 8, 3, 6][b[p.at] & 3]];
      if (p?.type === 'imir') return [b[p.at] & 1 ? 2 : 4];
      return [];
    }).filter((o) => o !== 1);
  }
  return [];
}

function exifOrientation(exif: Uint8Array | null): number {
  if (!exif) return 1;
  // A JPEG's APP1 payload starts "Exif\0" and a pad byte (browsers take any); a PNG's eXIf chunk is the TIFF layout itself.
  const t = String.fromCharCode(...exif.subarray(0, 5)) === 'Exif\0' ? exif.subarray(6) : exif;
  if (t.length < 8) return 1;
  const le = t[0] === 0x49 && t[1] === 0x49; // "II"; "MM" is big-endian
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return 1;
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  if (v.getUint16(2, le) !== 42) return 1;
  const ifd = v.getUint32(4, le);
  if (ifd + 2 > t.length) return 1;
  for (let e = 0, n = v.getUint16(ifd, le); e < n; e++) {
    const at = ifd + 2 + 12 * e;
    if (at + 12 > t.length) return 1;
    if (v.getUint16(at, le) !== 0x0112) continue;
    // One SHORT, left-justified in the entry's 4-byte value field (Chromium reads no other form).
    const o = v.getUint16(at + 2, le) === 3 && v.getUint32(at + 4, le) === 1 ? v.getUint16(at + 8, le) : 0;
    return o >= 1 && o <= 8 ? o : 1;
  }
  return 1;
}

/**
 * The image as it should be displayed for EXIF orientation `o` (TIFF 6.0 / EXIF 2.3 values):
 * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90
 * counter-clockwise. 5–8 swap width and height.
 */
export function orient(img: RgbaImage, o: number): RgbaImage {
  if (o <= 1 || o > 8) return img;
  const { width: w, height: h, data } = img;
  const swap = o >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8Array(W * H * 4);
  // Source pixel (sx, sy) of each displayed pixel (x, y).
  const src: (x: number, y: number) => number = {
    2: (x: number, y: number) => y * w + (w - 1 - x),
    3: (x: number, y: number) => (h - 1 - y) * w + (w - 1 - x),
    4: (x: number, y: number) => (h - 1 - y) * w + x,
    5: (x: number, y: number) => x * w + y,
    6: (x: number, y: number) => (h - 1 - x) * w + y,
    7: (x: number, y: number) => (h - 1 - x) * w + (w - 1 - y),
    8: (x: number, y: number) => x * w + (w - 1 - y),
  }[o]!;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = src(x, y) * 4;
      const d = (y * W + x) * 4;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
      out[d + 3] = data[s + 3];
    }
  }
  return { width: W, height: H, data: out };
}
