import { describe, expect, it, vi } from 'vitest';
import jpeg from 'jpeg-js';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { decodeImage } from '../../src/model/decode-node.ts';
import { toHalf } from '../../src/model/half.ts';
import { bombHeader, chunk, concat, ihdr, manyFrameWebp, png, SIGNATURE } from '../fixtures/png-bytes.ts';
import { ImageDecodeError } from '../../src/core/errors.ts';
import { checkImageBytes } from '../../src/model/image-errors.ts';
import { sniffImage } from '../../src/model/sniff.ts';

async function code(bytes: Uint8Array): Promise<string> {
  try {
    await decodeImage(bytes, 'f');
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

/** A TIFF directory entry: tag, type (3 SHORT, 4 LONG) and its values. */
type Entry = [number, 3 | 4, number[]];

/**
 * A hand-made TIFF (PIL writes little-endian with the directory first): either byte order, the
 * pixel bytes first and the directory at the end, as some writers lay a file out. Values of more
 * than 4 bytes go after the directory.
 */
function tiffFile(pixels: ArrayLike<number>, entries: Entry[], big: boolean): Uint8Array {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const ifd = 8 + pixels.length;
  const bytesOf = ([, type, vs]: Entry) => (type === 3 ? 2 : 4) * vs.length;
  let spill = ifd + 2 + 12 * sorted.length + 4;
  const out = new Uint8Array(spill + sorted.reduce((a, e) => a + (bytesOf(e) > 4 ? bytesOf(e) : 0), 0));
  const v = new DataView(out.buffer);
  out.set(big ? [0x4d, 0x4d] : [0x49, 0x49]);
  v.setUint16(2, 42, !big);
  v.setUint32(4, ifd, !big);
  out.set(Array.from(pixels), 8);
  v.setUint16(ifd, sorted.length, !big);
  sorted.forEach((e, i) => {
    const [tag, type, vs] = e;
    const at = ifd + 2 + 12 * i;
    v.setUint16(at, tag, !big);
    v.setUint16(at + 2, type, !big);
    v.setUint32(at + 4, vs.length, !big);
    let to = at + 8;
    if (bytesOf(e) > 4) {
      v.setUint32(to, spill, !big);
      to = spill;
      spill += bytesOf(e);
    }
    vs.forEach((x, k) => (type === 3 ? v.setUint16(to + 2 * k, x, !big) : v.setUint32(to + 4 * k, x, !big)));
  });
  return out;
}

/** An uncompressed 8-bit RGB TIFF, with more SHORT tags where given. */
function tiff(w: number, h: number, rgb: ArrayLike<number>, big: boolean, extra: [number, number][] = []): Uint8Array {
  const tags: Entry[] = [[256, 4, [w]], [257, 4, [h]], [258, 3, [8, 8, 8]], [259, 3, [1]], [262, 3, [2]], [273, 4, [8]], [277, 3, [3]], [278, 4, [h]], [279, 4, [rgb.length]]];
  return tiffFile(rgb, [...tags, ...extra.map(([t, x]): Entry => [t, 3, [x]])], big);
}

/** A JPEG whose SOF0 declares w x h and that stops there. */
function jpegHeader(w: number, h: number): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0, 0xff, 0xd9]);
}

describe('Node image decoding', () => {
  it('decodes gray, RGB, gray+alpha, RGBA and 16-bit PNGs and JPEGs to RGBA', async () => {
    for (const [ct, depth] of [[0, 8], [2, 8], [4, 8], [6, 8], [2, 16]] as const) {
      const img = await decodeImage(png(5, 3, ct, depth), 'x.png');
      expect([img.width, img.height, img.data.length]).toEqual([5, 3, 60]);
    }
    const raw = { width: 4, height: 4, data: new Uint8Array(64).fill(200) };
    const j = await decodeImage(new Uint8Array(jpeg.encode(raw, 90).data), 'x.jpg');
    expect([j.width, j.height]).toEqual([4, 4]);
    expect(Math.abs(j.data[0] - 200)).toBeLessThan(4);
  });

  it('decodes palette (with tRNS) and 16-bit gray PNGs to the pixels a browser shows', async () => {
    const p = await decodeImage(palettePng(), 'palette.png');
    expect([p.width, p.height]).toEqual([3, 2]);
    expect(Array.from(p.data.subarray(0, 12))).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 128]);
    // 16-bit gray, 2x1: samples 0x0aff and 0xfa80 (big-endian), their top 8 bits as browsers show them (rounding gives 11 and 251).
    const rows = Uint8Array.from([0, 0x0a, 0xff, 0xfa, 0x80]);
    const g = await decodeImage(concat([SIGNATURE, ihdr(2, 1, 16, 0), chunk('IDAT', new Uint8Array(deflateSync(rows))), chunk('IEND', new Uint8Array())]), 'g16.png');
    expect(Array.from(g.data)).toEqual([10, 10, 10, 255, 250, 250, 250, 255]);
  });

  it('sniffs formats and declared sizes from the magic bytes', () => {
    expect(sniffImage(png(7, 5, 2))).toEqual({ format: 'png', width: 7, height: 5 });
    expect(sniffImage(jpegHeader(640, 480))).toEqual({ format: 'jpeg', width: 640, height: 480, frame: { marker: 0xc0, precision: 8 } });
    const j = new Uint8Array(jpeg.encode({ width: 9, height: 4, data: new Uint8Array(144).fill(30) }, 80).data);
    expect(sniffImage(j)).toMatchObject({ format: 'jpeg', width: 9, height: 4 });
    expect(sniffImage(new TextEncoder().encode('GIF89a\x05\x00\x03\x00')).format).toBe('gif');
    expect(sniffImage(new TextEncoder().encode('<?xml version="1.0"?><svg/>')).format).toBe('svg');
    expect(sniffImage(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')).format).toBe('webp');
    expect(sniffImage(Uint8Array.from([0x42, 0x4d, 0, 0])).format).toBe('bmp');
    expect(sniffImage(new TextEncoder().encode('just some notes')).format).toBe('text');
    expect(sniffImage(Uint8Array.from([0, 1, 2, 3, 0xfe, 0])).format).toBe('unknown');
  });

  it('AVIF (lossless fixtures): the size from its ispe property, the pixels of the PNG it was made from; refused before decoding when too large, an error when cut', async () => {
    const f = (n: string) => new Uint8Array(readFileSync(`e2e/fixtures/formats/${n}`));
    for (const [avif, png] of [['clean.avif', 'data/clean/00002.png'], ['photo-40.avif', 'e2e/fixtures/formats/photo-40.png']]) {
      const b = f(avif);
      const want = await decodeImage(new Uint8Array(readFileSync(png)), png);
      expect(sniffImage(b)).toEqual({ format: 'avif', width: want.width, height: want.height });
      const got = await decodeImage(b, avif);
      expect([got.width, got.height]).toEqual([want.width, want.height]);
      expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
    }
    // The same file declaring 60000x60000 in its ispe box (width and height after the box header, version and flags).
    const big = f('photo-40.avif').slice();
    const at = Buffer.from(big).indexOf('ispe') - 4;
    new DataView(big.buffer).setUint32(at + 12, 60000);
    new DataView(big.buffer).setUint32(at + 16, 60000);
    await expect(decodeImage(big, 'big.avif')).rejects.toThrow(/big\.avif: 60000x60000 pixels is over the limit/);
    const cut = f('photo-40.avif').slice(0, 600);
    await expect(decodeImage(cut, 'cut.avif')).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('names the image formats it does not decode (a phone photo, one saved from the web), with the ones it does', () => {
    const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    // The first box of an ISO media file names its brand: the start of an AVIF and of an iPhone's HEIC.
    const cases: [Uint8Array, RegExp][] = [
      [bytes('\0\0\0\x18ftypheic\0\0\0\0mif1heic'), /this is a HEIC\/HEIF image \(as phones save photos\), a format not decoded here; use PNG, JPEG, GIF, WebP, BMP, TIFF, AVIF\./],
      [bytes('\xff\x0a\xfa\x7f'), /this is a JPEG XL image/],
      [bytes('8BPS\0\x01\0\0'), /this is a Photoshop document/],
      [bytes('\0\0\x01\0\x01\0\x10\x10'), /this is an icon \(ICO\/CUR\)/],
      [bytes('P6\n2 2\n255\n\x80\x81'), /this is a Netpbm image/],
      [bytes('/* XPM */\nstatic char *icon[] = {'), /this is an XPM image/],
    ];
    for (const [b, message] of cases) {
      expect(sniffImage(b).format).toBe('other');
      expect(() => checkImageBytes(b, 'photo', 1e6)).toThrow(message);
    }
  });

  it('a GIF frame far larger than its screen is over the limit from the header; BMPs of a kind browsers do not read are refused, not scored black', async () => {
    const bigFrame = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x80\x3e\x80\x3e\x00\x02\x02\x44\x01\x00;', 'latin1');
    expect(() => checkImageBytes(new Uint8Array(bigFrame), 'big.gif', 64e6)).toThrow(/16000x16000 pixels is over the limit/);
    // A 2x2 24-bit BMP whose header says compression 5 (a PNG inside) or 64 bits per pixel.
    const bmp = (bpp: number, compression: number) => {
      const b = new Uint8Array(54 + 16);
      const v = new DataView(b.buffer);
      b.set([0x42, 0x4d]);
      v.setUint32(2, b.length, true);
      v.setUint32(10, 54, true);
      v.setUint32(14, 40, true);
      v.setInt32(18, 2, true);
      v.setInt32(22, 2, true);
      v.setUint16(26, 1, true);
      v.setUint16(28, bpp, true);
      v.setUint32(30, compression, true);
      return b;
    };
    expect((await decodeImage(bmp(24, 0), 'ok.bmp')).width).toBe(2);
    for (const [bpp, c] of [[0, 5], [0, 4], [24, 9], [64, 0]]) await expect(decodeImage(bmp(bpp, c), 'odd.bmp')).rejects.toThrow(`a BMP of ${bpp} bits per pixel and compression ${c}, a kind not read here`);
    // An animated WebP of more frames than a browser decodes in reasonable time: refused before any is decoded.
    await expect(decodeImage(manyFrameWebp(10_001), 'many.webp')).rejects.toThrow(/many\.webp: an animated WebP of 10,001 frames, more than the 10,000/);
    await expect(decodeImage(manyFrameWebp(10_001), 'many.webp')).rejects.toMatchObject({ code: 'too-large' });
  });

  it('GIF, WebP (all three headers), BMP and TIFF: sizes from the header, cut files refused by the header checks', () => {
    const f = (n: string) => new Uint8Array(readFileSync(`e2e/fixtures/formats/${n}`));
    expect(sniffImage(f('clean.gif'))).toEqual({ format: 'gif', width: 28, height: 28 });
    expect(sniffImage(f('clean.bmp'))).toEqual({ format: 'bmp', width: 28, height: 28 });
    expect(sniffImage(f('clean-lossless.webp'))).toEqual({ format: 'webp', width: 28, height: 28 });
    expect(sniffImage(f('clean-lossy.webp'))).toEqual({ format: 'webp', width: 40, height: 30 });
    expect(sniffImage(f('clean-alpha.webp'))).toEqual({ format: 'webp', width: 33, height: 21 });
    expect(sniffImage(f('clean.tif'))).toEqual({ format: 'tiff', width: 28, height: 28 });
    expect(sniffImage(tiff(3, 2, new Uint8Array(18), true))).toEqual({ format: 'tiff', width: 3, height: 2 });
    expect(sniffImage(tiff(3, 2, new Uint8Array(18), true).subarray(0, 30))).toEqual({ format: 'tiff' }); // directory not read yet
    const check = (b: Uint8Array, max = 1e6) => {
      try {
        return checkImageBytes(b, 'x', max).format;
      } catch (e) {
        return (e as ImageDecodeError).code;
      }
    };
    for (const n of ['clean.gif', 'clean.bmp', 'clean-lossless.webp', 'clean-lossy.webp', 'clean-alpha.webp']) {
      expect(check(f(n))).not.toBe('corrupt');
      expect(check(f(n).subarray(0, f(n).length - 9))).toBe('corrupt'); // cut: size field or trailer says so
      expect(check(f(n), 100)).toBe('too-large');
    }
    expect(check(new TextEncoder().encode('RIFF\x10\0\0\0WEBPVP8?\0\0\0\0'))).toBe('corrupt'); // no size to check
  });

  it('a BMP whose size field agrees with a cut says its pixel data ends early, in its own words', async () => {
    const whole = new Uint8Array(readFileSync('e2e/fixtures/formats/clean.bmp'));
    const cut = whole.slice(0, whole.length - 100);
    new DataView(cut.buffer).setUint32(2, cut.length, true);
    await expect(decodeImage(cut, 'cut.bmp')).rejects.toThrow('cut.bmp: the BMP is corrupt or truncated (its pixel data ends 100 bytes early).');
    expect(() => checkImageBytes(new TextEncoder().encode('hello'), 'n.txt', 1e6)).toThrow(/text file/);
  });

  it('each lossless GIF, BMP, WebP and TIFF decodes to the pixels of the PNG it was made from', async () => {
    const f = (n: string) => new Uint8Array(readFileSync(`e2e/fixtures/formats/${n}`));
    const pixels = async (n: string) => Array.from((await decodeImage(f(n), n)).data);
    const gray = Array.from((await decodeImage(new Uint8Array(readFileSync('data/clean/00002.png')))).data);
    for (const n of ['clean.gif', 'clean.bmp', 'clean-lossless.webp', 'clean.tif', 'clean-lzw.tif']) expect(await pixels(n), n).toEqual(gray);
    const photo = await pixels('photo-40.png');
    for (const n of ['photo-40.bmp', 'photo-40-lossless.webp', 'photo-40.tif']) expect(await pixels(n), n).toEqual(photo);
    expect(await pixels('photo-40.gif')).toEqual(await pixels('photo-40-p.png'));
    // What the libraries leave to histoscan's own code: run-length-encoded BMPs, an animated WebP's first
    // frame, CMYK TIFF, a PNG's EXIF orientation (stored turned a quarter left, shown upright).
    for (const n of ['clean-rle8.bmp', 'clean-animated.webp', 'clean-cmyk.tif', 'clean-exif6.png']) expect(await pixels(n), n).toEqual(gray);
    expect(await pixels('clean-rle4.bmp')).toEqual(await pixels('clean-16.png'));
    expect(await pixels('clean-555.bmp')).toEqual(await pixels('clean-555.png')); // 5-bit fields scaled as browsers do
    // What bmp-ts misreads or refuses: 4 bits per pixel at an odd width, the OS/2 header.
    expect(await pixels('clean-4bit-27.bmp')).toEqual(await pixels('clean-16-27.png'));
    expect(await pixels('clean-os2.bmp')).toEqual(gray);
    expect(await pixels('photo-40-os2.bmp')).toEqual(photo);
    // An AVIF's rotation and mirror (a quarter turn counter-clockwise, then top and bottom exchanged), applied as browsers do.
    expect(await pixels('photo-40-irot1-imir0.avif')).toEqual(await pixels('photo-40-irot1-imir0.png'));
    // Lossy WebP, with and without alpha: the size from the header; the alpha kept.
    const alpha = await decodeImage(f('clean-alpha.webp'));
    expect([alpha.width, alpha.height, alpha.data[3]]).toEqual([33, 21, 200]);
    expect((await decodeImage(f('clean-lossy.webp'))).width).toBe(40);
  });

  it('TIFF: either byte order with the directory last, the first image of a multi-image file, Orientation applied', async () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]; // 3x2
    const rgba = (img: { data: ArrayLike<number> }) => Array.from(img.data).filter((_, i) => i % 4 !== 3);
    for (const big of [false, true]) expect(rgba(await decodeImage(tiff(3, 2, rgb, big), 'x.tif'))).toEqual(rgb);
    // Orientation 3 (rotated 180°): the last pixel first.
    const turned = rgba(await decodeImage(tiff(3, 2, rgb, true, [[274, 3]]), 'x.tif'));
    expect(turned.slice(0, 3)).toEqual([70, 80, 90]);
    // A directory chain that loops back on itself is read once (UTIF alone would follow it forever).
    const loop = tiff(3, 2, rgb, false);
    new DataView(loop.buffer).setUint32(loop.length - 4, 8 + rgb.length, true);
    expect(rgba(await decodeImage(loop, 'loop.tif'))).toEqual(rgb);
    // A file whose only image is marked reduced-resolution (NewSubfileType 1) is still read.
    expect((await decodeImage(tiff(3, 2, rgb, false, [[254, 1]]), 'thumb.tif')).width).toBe(3);
    // A tiled file (one 16x16 tile) is read, and nothing is written to the console: UTIF logs a line for
    // each tiled image, which broke the CLI's --json output.
    const tile = new Uint8Array(16 * 16 * 3);
    for (let y = 0; y < 2; y++) tile.set(rgb.slice(9 * y, 9 * y + 9), 16 * 3 * y);
    const tiled = tiffFile(tile, [[256, 4, [3]], [257, 4, [2]], [258, 3, [8, 8, 8]], [259, 3, [1]], [262, 3, [2]], [277, 3, [3]], [322, 3, [16]], [323, 3, [16]], [324, 4, [8]], [325, 4, [tile.length]]], false);
    const log = vi.spyOn(console, 'log');
    expect(rgba(await decodeImage(tiled, 'tiled.tif'))).toEqual(rgb);
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
  });

  it('TIFF decompression bombs are refused from the directory: a strip larger than its pixels could need, more strips than the image has, strips that overlap, tiles far larger than the image', async () => {
    // A 1x1 gray deflate TIFF whose strip holds 100 kB (a probe's 1 MB strip inflated to 1 GB and took 2.2 GB).
    let x = 1;
    const noise = Uint8Array.from({ length: 100_000 }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24);
    const stream = new Uint8Array(deflateSync(noise));
    const gray = (offsets: number[], counts: number[], extra: Entry[] = []) =>
      tiffFile(stream, [[256, 4, [1]], [257, 4, [1]], [258, 3, [8]], [259, 3, [8]], [262, 3, [1]], [273, 4, offsets], [277, 3, [1]], [278, 4, [1]], [279, 4, counts], ...extra], false);
    const refused = async (bytes: Uint8Array) => (await decodeImage(bytes, 'bomb.tif').then(() => '', (e: Error) => e.message));
    expect(await refused(gray([8], [stream.length]))).toMatch(/^bomb\.tif: the TIFF's strip or tile 0 holds [\d,]+ bytes, more than its pixels could need \(1\): it is corrupt, or built to exhaust memory/);
    // The same stream listed a thousand times (each a second of inflating): refused by its count, before any.
    expect(await refused(gray(Array(1000).fill(8), Array(1000).fill(100)))).toMatch(/1000 strips or tiles are more than its 1×1 pixels have \(1\)/);
    // Two rows in two strips that are the same bytes.
    const two = tiffFile(new Uint8Array(200), [[256, 4, [100]], [257, 4, [2]], [258, 3, [8]], [259, 3, [1]], [262, 3, [1]], [273, 4, [8, 8]], [277, 3, [1]], [278, 4, [1]], [279, 4, [200, 200]]], false);
    expect(await refused(two)).toMatch(/strips or tiles overlap/);
    // A 1x1 image in one 40000x40000 tile (UTIF would allocate its buffer from the tile's size).
    const tile = tiffFile(new Uint8Array(16), [[256, 4, [1]], [257, 4, [1]], [258, 3, [8]], [259, 3, [8]], [262, 3, [1]], [277, 3, [1]], [322, 4, [40000]], [323, 4, [40000]], [324, 4, [8]], [325, 4, [16]]], false);
    expect(await refused(tile)).toMatch(/tiles of 40000×40000 are far larger than its 1×1 pixels/);
    // A real deflate strip of the size its pixels need is read.
    const ok = new Uint8Array(deflateSync(new Uint8Array([77])));
    const small = tiffFile(ok, [[256, 4, [1]], [257, 4, [1]], [258, 3, [8]], [259, 3, [8]], [262, 3, [1]], [273, 4, [8]], [277, 3, [1]], [278, 4, [1]], [279, 4, [ok.length]]], false);
    expect(Array.from((await decodeImage(small, 'ok.tif')).data)).toEqual([77, 77, 77, 255]);
  });

  it("TIFF as scientific writers store it: 16-bit gray with an alpha sample, planes, signed and float samples, premultiplied alpha, WhiteIsZero", async () => {
    const [w, h] = [3, 2];
    // Each pixel's samples as stored, little-endian, interleaved unless planar.
    const file = (o: { bits: number; spp: number; photometric: number; format?: number; extra?: number; planar?: boolean; samples: number[][] }, big = false) => {
      const size = o.bits / 8;
      const order = o.planar ? Array.from({ length: o.spp }, (_, s) => o.samples.map((px) => px[s])).flat() : o.samples.flat();
      const bytes = new Uint8Array(order.length * size);
      const v = new DataView(bytes.buffer);
      order.forEach((x, i) => (o.format === 3 ? (size === 2 ? v.setUint16(i * 2, toHalf(Float32Array.of(x))[0], !big) : v.setFloat32(i * size, x, !big)) : size === 1 ? v.setUint8(i, x & 255) : size === 2 ? v.setUint16(i * 2, x & 0xffff, !big) : v.setUint32(i * 4, x >>> 0, !big)));
      const plane = bytes.length / o.spp;
      const tags: Entry[] = [[256, 4, [w]], [257, 4, [h]], [258, 3, Array(o.spp).fill(o.bits)], [259, 3, [1]], [262, 3, [o.photometric]], [277, 3, [o.spp]], [278, 4, [h]]];
      tags.push(o.planar ? [273, 4, Array.from({ length: o.spp }, (_, s) => 8 + s * plane)] : [273, 4, [8]], o.planar ? [279, 4, Array(o.spp).fill(plane)] : [279, 4, [bytes.length]]);
      if (o.planar) tags.push([284, 3, [2]]);
      if (o.format) tags.push([339, 3, Array(o.spp).fill(o.format)]);
      if (o.extra !== undefined) tags.push([338, 3, [o.extra]]);
      return tiffFile(bytes, tags, big);
    };
    const pixels = async (bytes: Uint8Array) => {
      const d = (await decodeImage(bytes, 'x.tif')).data;
      return Array.from({ length: w * h }, (_, i) => Array.from(d.subarray(4 * i, 4 * i + 4)));
    };
    const gray = [0, 10000, 20000, 30000, 40000, 65535];
    const rgba = (g: number[], a = 255) => g.map((x) => [x, x, x, a]);
    // 16-bit gray with straight alpha (and a gray with a sample that is no alpha): top 8 bits, as a 16-bit PNG shows.
    for (const big of [false, true]) expect(await pixels(file({ bits: 16, spp: 2, photometric: 1, extra: 2, samples: gray.map((g) => [g, 0x8000]) }, big))).toEqual(rgba(gray.map((g) => g >> 8), 128));
    expect(await pixels(file({ bits: 16, spp: 4, photometric: 1, extra: 0, samples: gray.map((g) => [g, 1, 2, 3]) }))).toEqual(rgba(gray.map((g) => g >> 8)));
    // RGB in planes, 8 and 16 bits.
    const rgb = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30], [40, 50, 60], [70, 80, 90]];
    expect(await pixels(file({ bits: 8, spp: 3, photometric: 2, planar: true, samples: rgb }))).toEqual(rgb.map((p) => [...p, 255]));
    for (const big of [false, true]) expect(await pixels(file({ bits: 16, spp: 3, photometric: 2, planar: true, samples: rgb.map((p) => p.map((x) => x * 257)) }, big))).toEqual(rgb.map((p) => [...p, 255]));
    // Signed 16-bit: offset to unsigned (-32768 black, 0 mid-gray); float 0..1, clamped; WhiteIsZero inverted.
    expect(await pixels(file({ bits: 16, spp: 1, photometric: 1, format: 2, samples: [[-32768], [-1], [0], [256], [32767], [-256]] }))).toEqual(rgba([0, 127, 128, 129, 255, 127]));
    expect(await pixels(file({ bits: 32, spp: 1, photometric: 1, format: 3, samples: [[0], [0.5], [1], [-3], [7], [0.25]] }))).toEqual(rgba([0, 128, 255, 0, 255, 64]));
    // Half floats, as 16-bit float TIFFs store them (UTIF alone read them as integers: the wrong pixels, no error).
    for (const big of [false, true]) expect(await pixels(file({ bits: 16, spp: 3, photometric: 2, format: 3, samples: rgb.map((p) => p.map((x) => x / 255)) }, big))).toEqual(rgb.map((p) => [...p, 255]));
    expect(await pixels(file({ bits: 8, spp: 1, photometric: 0, samples: [[0], [255], [100], [1], [2], [3]] }))).toEqual(rgba([255, 0, 155, 254, 253, 252]));
    // Premultiplied alpha is divided out.
    expect((await pixels(file({ bits: 8, spp: 4, photometric: 2, extra: 1, samples: rgb.map(([r, g, b]) => [r >> 1, g >> 1, b >> 1, 128]) })))[3]).toEqual([10, 20, 30, 128]);
  });

  it('a GIF whose first frame reaches past its logical screen grows the screen, as Chromium shows it', async () => {
    // 4 colours (black, red, green, blue); pixel (x, y) of the frame is colour (x + y) % 4.
    const gif = (sw: number, sh: number, left: number, top: number, fw: number, fh: number) => {
      const px = Array.from({ length: fw * fh }, (_, i) => ((i % fw) + Math.floor(i / fw)) % 4);
      // LZW at minimum code size 2 with a clear code before every 2 literals, so every code keeps 3 bits.
      const codes = [...px.flatMap((p, i) => (i % 2 ? [p] : [4, p])), 5];
      const lzw: number[] = [];
      let [bits, n] = [0, 0];
      for (const c of codes) {
        bits |= c << n;
        for (n += 3; n >= 8; n -= 8, bits >>= 8) lzw.push(bits & 255);
      }
      if (n) lzw.push(bits & 255);
      const le16 = (v: number) => [v & 255, v >> 8];
      return Uint8Array.from([...Buffer.from('GIF89a'), ...le16(sw), ...le16(sh), 0xf1, 0, 0, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0x2c, ...le16(left), ...le16(top), ...le16(fw), ...le16(fh), 0, 2, lzw.length, ...lzw, 0, 0x3b]);
    };
    const at = (img: { width: number; data: ArrayLike<number> }, x: number, y: number) => Array.from(img.data).slice(4 * (y * img.width + x), 4 * (y * img.width + x) + 4);
    const outside = await decodeImage(gif(8, 8, 4, 4, 8, 8), 'outside.gif');
    expect([outside.width, outside.height, at(outside, 0, 0), at(outside, 4, 4), at(outside, 11, 11)]).toEqual([12, 12, [0, 0, 0, 0], [0, 0, 0, 255], [0, 255, 0, 255]]);
    const bigger = await decodeImage(gif(4, 4, 0, 0, 8, 8), 'bigger.gif');
    expect([bigger.width, bigger.height, at(bigger, 5, 0)]).toEqual([8, 8, [255, 0, 0, 255]]);
  });

  it("takes a Node Buffer as it comes from readFileSync: a small file's lies in a shared pool", async () => {
    for (const n of ['clean.gif', 'clean-lossless.webp']) {
      const pooled = readFileSync(`e2e/fixtures/formats/${n}`);
      expect(pooled.buffer.byteLength, n).toBeGreaterThan(pooled.length); // the premise: a view on a larger pool
      expect(Array.from((await decodeImage(pooled, n)).data), n).toEqual(Array.from((await decodeImage(new Uint8Array(pooled), n)).data));
    }
  });

  it('a PNG whose chunk checksum is wrong but whose pixels are whole decodes, as browsers show it', async () => {
    const good = new Uint8Array(readFileSync('data/clean/00002.png'));
    const bad = good.slice();
    bad[29] ^= 0xff; // the IHDR chunk's CRC
    expect(Array.from((await decodeImage(bad, 'x.png')).data)).toEqual(Array.from((await decodeImage(good, 'x.png')).data));
  });

  it('a PNG whose pixel stream does not inflate is corrupt every time, never pixels of uninitialised memory', async () => {
    // Bytes that are no zlib stream: pngjs's own inflate "decoded" this to random rows now and then.
    const bad = concat([SIGNATURE, ihdr(28, 28, 8, 0), chunk('IDAT', new Uint8Array(64).fill(255)), chunk('IEND', new Uint8Array(0))]);
    for (let i = 0; i < 20; i++) await expect(decodeImage(bad, 'x.png')).rejects.toThrow('x.png: the PNG is corrupt or truncated (incorrect header check).');
    // A stream cut short in its middle too.
    const whole = deflateSync(new Uint8Array(29 * 28).fill(0));
    const cut = concat([SIGNATURE, ihdr(28, 28, 8, 0), chunk('IDAT', whole.subarray(0, whole.length - 6)), chunk('IEND', new Uint8Array(0))]);
    await expect(decodeImage(cut, 'x.png')).rejects.toThrow(/x\.png: the PNG is corrupt or truncated/);
  });

  it('a JPEG coded in a way the Node decoder does not read (arithmetic, lossless, hierarchical, 12-bit) is named as such', async () => {
    const j = new Uint8Array(jpeg.encode({ width: 9, height: 4, data: new Uint8Array(144).fill(30) }, 80).data);
    const sof = j.findIndex((b, i) => b === 0xff && j[i + 1] === 0xc0);
    const as = (marker: number, precision = 8) => Uint8Array.from(j, (b, i) => (i === sof + 1 ? marker : i === sof + 4 ? precision : b));
    for (const [bytes, kind] of [[as(0xc9), 'arithmetic-coded'], [as(0xca), 'arithmetic-coded'], [as(0xc3), 'lossless'], [as(0xc5), 'hierarchical'], [as(0xc1, 12), '12-bit']] as const) {
      await expect(decodeImage(bytes, 'x.jpg')).rejects.toMatchObject({ code: 'unsupported', message: expect.stringContaining(`this JPEG is ${kind}`) });
    }
    expect((await decodeImage(as(0xc1), 'x.jpg')).width).toBe(9); // extended Huffman at 8 bits: read
  });

  it('refuses bad files with a clear typed error', async () => {
    const good = png(8, 8, 2);
    const jpg = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: new Uint8Array(1024).fill(90) }, 90).data);
    expect(await code(new Uint8Array(0))).toBe('empty');
    expect(await code(new TextEncoder().encode('hello, I am a text file renamed .png'))).toBe('unsupported');
    expect(await code(good.subarray(0, good.length - 20))).toBe('corrupt');
    expect(await code(jpg.subarray(0, jpg.length / 2))).toBe('corrupt');
    expect(await code(new TextEncoder().encode('<svg viewBox="0 0 1 1"><script>alert(1)</script></svg>'))).toBe('unsupported');
    expect(await code(new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x80\x00\x00'))).toBe('corrupt'); // no trailer
    const t0 = performance.now();
    expect(await code(bombHeader(20000, 20000))).toBe('too-large');
    expect(performance.now() - t0).toBeLessThan(1000); // refused from the header, not by decoding
    await expect(decodeImage(bombHeader(20000, 20000), 'bomb.png')).rejects.toThrow(/20000x20000 pixels is over the limit/);
    expect(await code(png(1, 1, 0))).toBe('ok');
    // A JPEG header declaring 60000x60000 is refused the same way; limits are configurable.
    expect(await code(jpegHeader(60000, 60000))).toBe('too-large');
    expect(await code(concat([jpg, new Uint8Array(300).fill(7)]))).toBe('ok'); // data appended after EOI (some cameras do)
    // More than the tail the checks read (a phone's motion photo appends its video): the JPEG's own
    // structure is walked to its end marker, so a cut one with data after it is still refused.
    const video = concat([new Uint8Array([0, 0, 0, 24]), new TextEncoder().encode('ftypmp42'), new Uint8Array(200_000).fill(7)]);
    expect(await code(concat([jpg, video]))).toBe('ok');
    expect(await code(concat([jpg.subarray(0, jpg.length / 2), video]))).toBe('corrupt');
    expect(checkImageBytes(concat([jpg, video]).subarray(0, 65536), 'x.jpg', 1e6, new Uint8Array(4096).fill(7), jpg.length + 200_032).needsWhole).toBe(true);
    await expect(decodeImage(png(8, 8, 2), 'small-limit.png', { maxPixels: 63 })).rejects.toThrow(/over the limit/);
    expect((await decodeImage(png(8, 8, 2), 'limit.png', { maxPixels: 64 })).width).toBe(8);
    expect(await code(bombHeader(0, 10))).toBe('too-small');
    expect(await code(Uint8Array.from([0xff, 0xd8, 0xff]))).toBe('corrupt');
    await expect(decodeImage(new TextEncoder().encode('hello'), 'notes.png')).rejects.toThrow(/notes\.png: this is a text file/);
    await expect(decodeImage(new TextEncoder().encode('<svg/>'), 'a.png')).rejects.toThrow(/SVG.*; use PNG, JPEG, GIF, WebP, BMP, TIFF/);
    // Bytes of no known kind list the formats once; a profile picked as an image says where it goes.
    await expect(decodeImage(Uint8Array.from([0, 1, 2, 3, 0xfe, 0xfd, 0, 9]), 'x.png')).rejects.toThrow(/^x\.png: this is not an image of a format read here; use PNG, JPEG, GIF, WebP, BMP, TIFF, AVIF\.$/);
    await expect(decodeImage(new Uint8Array(readFileSync('public/profiles/fashion-cnn.hsp')), 'fashion-cnn.hsp')).rejects.toThrow(/^fashion-cnn\.hsp: this is a histoscan profile \(\.hsp\), not an image: load it as the profile/);
    // Cut or broken files of the formats beside PNG and JPEG: GIF and WebP by their decoders, TIFF by its strips.
    const f = (n: string) => new Uint8Array(readFileSync(`e2e/fixtures/formats/${n}`));
    const broken = f('photo-40.gif').slice();
    broken.fill(0x13, 100, 2000); // the frame's descriptor and data overwritten, trailer intact
    await expect(decodeImage(broken, 'broken.gif')).rejects.toThrow(/broken\.gif: the GIF is corrupt or truncated \(it holds no frame\)/);
    // A 2x2 canvas whose first frame declares 60000x60000: refused from the header, as over the limit (the page too).
    const bigFrame = Uint8Array.from([...new TextEncoder().encode('GIF89a'), 2, 0, 2, 0, 0, 0, 0, 0x2c, 0, 0, 0, 0, 0x60, 0xea, 0x60, 0xea, 0, 2, 0, 0x3b]);
    await expect(decodeImage(bigFrame, 'frame.gif')).rejects.toThrow(/frame\.gif: 60000x60000 pixels is over the limit/);
    const tif = tiff(3, 2, new Uint8Array(18), false);
    expect(await code(concat([tif.subarray(0, 8), tif.subarray(26)]))).toBe('corrupt'); // the strip cut out
    await expect(decodeImage(tiff(20000, 20000, new Uint8Array(18), true), 'bomb.tif')).rejects.toThrow(/bomb\.tif: 20000x20000 pixels is over the limit/);
    expect(await code(Uint8Array.from([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0, 0]))).toBe('corrupt'); // a directory without entries
  });
});
