import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { decodeImage } from '../../src/model/decode-node.ts';
import { bombHeader, chunk, concat, ihdr, png, SIGNATURE } from '../fixtures/png-bytes.ts';
import { ImageDecodeError } from '../../src/core/errors.ts';
import { BROWSER_FORMATS, checkImageBytes, sniffImage } from '../../src/model/image-errors.ts';

function code(bytes: Uint8Array): string {
  try {
    decodeImage(bytes, 'f');
  } catch (e) {
    expect(e).toBeInstanceOf(ImageDecodeError);
    return (e as ImageDecodeError).code;
  }
  return 'ok';
}

/** A hand-made palette PNG (pngjs cannot write one): 3x2, 8-bit indices into 3 colours, the last one half transparent. */
function palettePng(): Uint8Array {
  const plte = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]);
  const trns = Uint8Array.from([255, 255, 128]);
  const rows = Uint8Array.from([0, 0, 1, 2, 0, 2, 1, 0]); // filter byte 0 + 3 indices, twice
  return concat([SIGNATURE, ihdr(3, 2, 8, 3), chunk('PLTE', plte), chunk('tRNS', trns), chunk('IDAT', new Uint8Array(deflateSync(rows))), chunk('IEND', new Uint8Array())]);
}

/** A JPEG whose SOF0 declares w x h and that stops there. */
function jpegHeader(w: number, h: number): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0, 0xff, 0xd9]);
}

describe('Node image decoding', () => {
  it('decodes gray, RGB, gray+alpha, RGBA and 16-bit PNGs and JPEGs to RGBA', () => {
    for (const [ct, depth] of [[0, 8], [2, 8], [4, 8], [6, 8], [2, 16]] as const) {
      const img = decodeImage(png(5, 3, ct, depth), 'x.png');
      expect([img.width, img.height, img.data.length]).toEqual([5, 3, 60]);
    }
    const raw = { width: 4, height: 4, data: new Uint8Array(64).fill(200) };
    const j = decodeImage(new Uint8Array(jpeg.encode(raw, 90).data), 'x.jpg');
    expect([j.width, j.height]).toEqual([4, 4]);
    expect(Math.abs(j.data[0] - 200)).toBeLessThan(4);
  });

  it('decodes palette (with tRNS) and 16-bit gray PNGs to the right pixels', () => {
    const p = decodeImage(palettePng(), 'palette.png');
    expect([p.width, p.height]).toEqual([3, 2]);
    expect(Array.from(p.data.subarray(0, 12))).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 128]);
    // 16-bit gray, 2x1: samples 10*257 and 250*257 (big-endian), scaled down to 8 bits.
    const rows = Uint8Array.from([0, 0x0a, 0x0a, 0xfa, 0xfa]);
    const g = decodeImage(concat([SIGNATURE, ihdr(2, 1, 16, 0), chunk('IDAT', new Uint8Array(deflateSync(rows))), chunk('IEND', new Uint8Array())]), 'g16.png');
    expect(Array.from(g.data)).toEqual([10, 10, 10, 255, 250, 250, 250, 255]);
  });

  it('sniffs formats and declared sizes from the magic bytes', () => {
    expect(sniffImage(png(7, 5, 2))).toEqual({ format: 'png', width: 7, height: 5 });
    expect(sniffImage(jpegHeader(640, 480))).toEqual({ format: 'jpeg', width: 640, height: 480 });
    const j = new Uint8Array(jpeg.encode({ width: 9, height: 4, data: new Uint8Array(144).fill(30) }, 80).data);
    expect(sniffImage(j)).toEqual({ format: 'jpeg', width: 9, height: 4 });
    expect(sniffImage(new TextEncoder().encode('GIF89a\x05\x00\x03\x00')).format).toBe('gif');
    expect(sniffImage(new TextEncoder().encode('<?xml version="1.0"?><svg/>')).format).toBe('svg');
    expect(sniffImage(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')).format).toBe('webp');
    expect(sniffImage(Uint8Array.from([0x42, 0x4d, 0, 0])).format).toBe('bmp');
    expect(sniffImage(new TextEncoder().encode('just some notes')).format).toBe('text');
    expect(sniffImage(Uint8Array.from([0, 1, 2, 3, 0xfe, 0])).format).toBe('unknown');
  });

  it('GIF, WebP (all three headers) and BMP: sizes from the header, the browser\'s checks, and Node refuses them by name', () => {
    const f = (n: string) => new Uint8Array(readFileSync(`e2e/fixtures/formats/${n}`));
    expect(sniffImage(f('clean.gif'))).toEqual({ format: 'gif', width: 28, height: 28 });
    expect(sniffImage(f('clean.bmp'))).toEqual({ format: 'bmp', width: 28, height: 28 });
    expect(sniffImage(f('clean-lossless.webp'))).toEqual({ format: 'webp', width: 28, height: 28 });
    expect(sniffImage(f('clean-lossy.webp'))).toEqual({ format: 'webp', width: 40, height: 30 });
    expect(sniffImage(f('clean-alpha.webp'))).toEqual({ format: 'webp', width: 33, height: 21 });
    const browser = (b: Uint8Array, max = 1e6) => {
      try {
        return checkImageBytes(b, 'x', max, undefined, undefined, BROWSER_FORMATS).format;
      } catch (e) {
        return (e as ImageDecodeError).code;
      }
    };
    for (const n of ['clean.gif', 'clean.bmp', 'clean-lossless.webp', 'clean-lossy.webp', 'clean-alpha.webp']) {
      expect(browser(f(n))).not.toBe('corrupt');
      expect(browser(f(n).subarray(0, f(n).length - 9))).toBe('corrupt'); // cut: size field or trailer says so
      expect(browser(f(n), 100)).toBe('too-large');
      expect(() => decodeImage(f(n), n)).toThrow(/is decoded by the page, not by the command line/);
    }
    expect(browser(new TextEncoder().encode('RIFF\x10\0\0\0WEBPVP8?\0\0\0\0'))).toBe('corrupt'); // no size to check
    expect(() => checkImageBytes(new TextEncoder().encode('hello'), 'n.txt', 1e6, undefined, undefined, BROWSER_FORMATS)).toThrow(/text file/);
  });

  it('refuses bad files with a clear typed error', () => {
    const good = png(8, 8, 2);
    const jpg = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: new Uint8Array(1024).fill(90) }, 90).data);
    expect(code(new Uint8Array(0))).toBe('empty');
    expect(code(new TextEncoder().encode('hello, I am a text file renamed .png'))).toBe('unsupported');
    expect(code(good.subarray(0, good.length - 20))).toBe('corrupt');
    expect(code(jpg.subarray(0, jpg.length / 2))).toBe('corrupt');
    expect(code(new TextEncoder().encode('<svg viewBox="0 0 1 1"><script>alert(1)</script></svg>'))).toBe('unsupported');
    expect(code(new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x80\x00\x00'))).toBe('unsupported');
    const t0 = performance.now();
    expect(code(bombHeader(20000, 20000))).toBe('too-large');
    expect(performance.now() - t0).toBeLessThan(1000); // refused from the header, not by decoding
    expect(() => decodeImage(bombHeader(20000, 20000), 'bomb.png')).toThrow(/20000x20000 pixels is over the limit/);
    expect(code(png(1, 1, 0))).toBe('ok');
    // A JPEG header declaring 60000x60000 is refused the same way; limits are configurable.
    expect(code(jpegHeader(60000, 60000))).toBe('too-large');
    expect(code(concat([jpg, new Uint8Array(300).fill(7)]))).toBe('ok'); // data appended after EOI (some cameras do)
    expect(() => decodeImage(png(8, 8, 2), 'small-limit.png', { maxPixels: 63 })).toThrow(/over the limit/);
    expect(decodeImage(png(8, 8, 2), 'limit.png', { maxPixels: 64 }).width).toBe(8);
    expect(code(bombHeader(0, 10))).toBe('too-small');
    expect(code(Uint8Array.from([0xff, 0xd8, 0xff]))).toBe('corrupt');
    expect(() => decodeImage(new TextEncoder().encode('hello'), 'notes.png')).toThrow(/notes\.png: this is a text file/);
    expect(() => decodeImage(new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), 'a.png')).toThrow(/GIF is decoded by the page, not by the command line; use PNG, JPEG/);
    expect(() => decodeImage(new TextEncoder().encode('<svg/>'), 'a.png')).toThrow(/SVG/);
  });
});
