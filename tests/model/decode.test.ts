import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage } from '../../src/model/decode-node.ts';
import { crc32 } from '../../src/core/hsp.ts';
import { ImageDecodeError } from '../../src/model/image-errors.ts';

function png(width: number, height: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16 = 8): Uint8Array {
  const p = new PNG({ width, height, colorType, inputColorType: 6, bitDepth, inputHasAlpha: true });
  for (let i = 0; i < width * height; i++) p.data.set([(i * 37) % 256, (i * 11) % 256, 90, colorType >= 4 ? 128 : 255], i * 4);
  return new Uint8Array(PNG.sync.write(p, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true }));
}

function code(bytes: Uint8Array): string {
  try {
    decodeImage(bytes, 'f');
  } catch (e) {
    expect(e).toBeInstanceOf(ImageDecodeError);
    return (e as ImageDecodeError).code;
  }
  return 'ok';
}

/** A PNG signature + IHDR declaring w x h (valid CRC) and a tiny IDAT: a decompression-bomb header. */
function bombHeader(w: number, h: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, w);
  v.setUint32(4, h);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00])), chunk('IEND', new Uint8Array())];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
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

  it('refuses bad files with a clear typed error', () => {
    const good = png(8, 8, 2);
    const jpg = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: new Uint8Array(1024).fill(90) }, 90).data);
    expect(code(new Uint8Array(0))).toBe('empty');
    expect(code(new TextEncoder().encode('hello, I am a text file renamed .png'))).toBe('unsupported');
    expect(code(good.subarray(0, good.length - 20))).toBe('corrupt');
    expect(code(jpg.subarray(0, jpg.length / 2))).toBe('corrupt');
    expect(code(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).toBe('unsupported');
    expect(code(new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x80\x00\x00'))).toBe('unsupported');
    const t0 = performance.now();
    expect(code(bombHeader(20000, 20000))).toBe('too-large');
    expect(performance.now() - t0).toBeLessThan(1000); // refused from the header, not by decoding
    expect(() => decodeImage(bombHeader(20000, 20000), 'bomb.png')).toThrow(/20000x20000 pixels is over the limit/);
    expect(code(png(1, 1, 0))).toBe('ok');
  });
});
