// The Node decoder turns JPEGs by their EXIF orientation, as createImageBitmap does in browsers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/model/decode-node.ts';
import { jpegOrientation } from '../../src/model/orientation.ts';
import type { RgbaImage } from '../../src/types.ts';
import { encodeJpeg, readPng, rotateCcw, withOrientation } from '../fixtures/exif-jpeg.ts';

/** 32x16, dark, with an 8x8 block of 250 at the top-left and of 128 at the top-right. */
function marked(): RgbaImage {
  const w = 32;
  const h = 16;
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = y < 8 && x < 8 ? 250 : y < 8 && x >= w - 8 ? 128 : 10;
      data.set([v, v, v, 255], (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

/** Mean red value of the 8x8 block at a corner. */
function corner(img: RgbaImage, c: 'TL' | 'TR' | 'BL' | 'BR'): number {
  const x0 = c.endsWith('L') ? 0 : img.width - 8;
  const y0 = c.startsWith('T') ? 0 : img.height - 8;
  let s = 0;
  for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) s += img.data[(y * img.width + x) * 4];
  return s / 64;
}

// Where the stored top-left (250) and top-right (128) blocks are displayed, per orientation.
const EXPECTED: Record<number, ['TL' | 'TR' | 'BL' | 'BR', 'TL' | 'TR' | 'BL' | 'BR']> = {
  1: ['TL', 'TR'],
  2: ['TR', 'TL'],
  3: ['BR', 'BL'],
  4: ['BL', 'BR'],
  5: ['TL', 'BL'],
  6: ['TR', 'BR'],
  7: ['BR', 'TR'],
  8: ['BL', 'TL'],
};

describe('EXIF orientation in the Node decoder', () => {
  const plain = encodeJpeg(marked());

  for (const littleEndian of [false, true]) {
    it(`applies orientations 1-8 (${littleEndian ? 'Intel' : 'Motorola'} byte order)`, async () => {
      for (let o = 1; o <= 8; o++) {
        const bytes = withOrientation(plain, o, littleEndian);
        expect(jpegOrientation(bytes)).toBe(o);
        const img = await decodeImage(bytes, `o${o}.jpg`);
        expect([img.width, img.height], `orientation ${o}`).toEqual(o >= 5 ? [16, 32] : [32, 16]);
        const [a, b] = EXPECTED[o];
        expect(corner(img, a), `orientation ${o}: top-left block at ${a}`).toBeGreaterThan(240);
        expect(Math.abs(corner(img, b) - 128), `orientation ${o}: top-right block at ${b}`).toBeLessThan(6);
      }
    });
  }

  it('a photo stored sideways with orientation 6 decodes upright, like the unrotated picture', async () => {
    const upright = readPng('data/clean/00000.png');
    const a = await decodeImage(encodeJpeg(upright), 'upright.jpg');
    const b = await decodeImage(withOrientation(encodeJpeg(rotateCcw(upright)), 6), 'phone.jpg');
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    let diff = 0;
    for (let i = 0; i < a.data.length; i += 4) diff += Math.abs(a.data[i] - b.data[i]);
    expect(diff / (a.width * a.height)).toBeLessThan(2); // JPEG rounding only
    // Without the tag the same bytes stay sideways: far from upright.
    const sideways = await decodeImage(encodeJpeg(rotateCcw(upright)), 'sideways.jpg');
    let off = 0;
    for (let i = 0; i < a.data.length; i += 4) off += Math.abs(a.data[i] - sideways.data[i]);
    expect(off / (a.width * a.height)).toBeGreaterThan(20);
  });

  it('ignores absent, out-of-range and truncated EXIF, as browsers do', async () => {
    expect(jpegOrientation(plain)).toBe(1);
    expect(jpegOrientation(withOrientation(plain, 9))).toBe(1);
    const cut = withOrientation(plain, 6).slice();
    cut[2 + 4 + 6] = 0x00; // break the TIFF byte-order mark
    expect(jpegOrientation(cut)).toBe(1);
    expect((await decodeImage(cut, 'cut.jpg')).width).toBe(32);
  });

  it("reads it where Chromium does: one SHORT, after an APP1 'Exif\\0' with any pad byte", () => {
    const six = withOrientation(plain, 6);
    // The entry's count (IFD0 at TIFF offset 8: SOI, APP1 head and "Exif\0\0" come first) raised to 2: not read.
    const entry = 2 + 4 + 6 + 8 + 2;
    const two = six.slice();
    two[entry + 7] = 2; // big-endian count, low byte
    expect([jpegOrientation(six), jpegOrientation(two)]).toEqual([6, 1]);
    const pad = six.slice();
    pad[2 + 4 + 5] = 0xff;
    expect(jpegOrientation(pad)).toBe(6);
  });
});

describe('EXIF orientation of a PNG', () => {
  /** The PNG's chunks: [type, whole chunk bytes]. */
  const chunks = (b: Uint8Array) => {
    const out: [string, Uint8Array][] = [];
    for (let at = 8; at + 12 <= b.length; ) {
      const len = new DataView(b.buffer, b.byteOffset).getUint32(at);
      out.push([String.fromCharCode(...b.subarray(at + 4, at + 8)), b.subarray(at, at + 12 + len)]);
      at += 12 + len;
    }
    return out;
  };
  const join = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  };

  it('is read before the pixels only, as Chromium reads it: an eXIf chunk after IDAT leaves the image as stored', async () => {
    const file = new Uint8Array(readFileSync('e2e/fixtures/formats/clean-exif6.png'));
    const parts = chunks(file);
    const exif = parts.find(([t]) => t === 'eXIf')![1];
    const others = parts.filter(([t]) => t !== 'eXIf');
    const signature = file.subarray(0, 8);
    const stored = await decodeImage(join([signature, ...others.map(([, c]) => c)]), 'none.png');
    const after = join([signature, ...others.slice(0, -1).map(([, c]) => c), exif, others.at(-1)![1]]);
    expect(Array.from((await decodeImage(after, 'after.png')).data)).toEqual(Array.from(stored.data));
    // Before IDAT it turns the image (the fixture is stored a quarter turn left).
    expect(Array.from((await decodeImage(file, 'before.png')).data)).not.toEqual(Array.from(stored.data));
  });
});
