// The worker's JS PNG path gives the pixels the Node CLI's decoder (pngjs) gives, for every 8-bit
// colour type; what it does not take (16-bit, broken files) is left to the browser.
import { readFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/model/decode-node.ts';
import { rng } from '../../src/core/rng.ts';
import { decodeBlob, pngInJs } from '../../src/worker/decode.ts';
import { ImageDecodeError } from '../../src/core/errors.ts';

function randomPng(colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16 = 8): Buffer {
  const r = rng(colorType + bitDepth);
  const png = new PNG({ width: 13, height: 7, colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
  for (let i = 0; i < png.data.length; i++) png.data[i] = Math.floor(256 * r());
  return PNG.sync.write(png, { colorType, inputColorType: 6, bitDepth });
}

describe('PNG decoding in the worker (JS path)', () => {
  it.each([
    ['gray', 0],
    ['rgb', 2],
    ['gray + alpha', 4],
    ['rgba', 6],
  ] as const)('%s: the same RGBA pixels as the Node decoder', async (_, colorType) => {
    const bytes = randomPng(colorType);
    const js = pngInJs(new Uint8Array(bytes))!;
    const node = await decodeImage(bytes, 'x.png');
    expect([js.width, js.height]).toEqual([node.width, node.height]);
    expect(Array.from(js.data)).toEqual(Array.from(node.data));
  });

  it('palette: the same RGBA pixels as the Node decoder', async () => {
    const r = rng(3);
    const palette = Array.from({ length: 16 }, () => [0, 0, 0].map(() => Math.floor(256 * r())));
    const data = Uint8Array.from({ length: 13 * 7 }, () => Math.floor(16 * r()));
    const bytes = encode({ width: 13, height: 7, data, depth: 8, channels: 1, palette });
    const js = pngInJs(bytes)!;
    expect(js).not.toBeNull();
    expect(Array.from(js.data)).toEqual(Array.from((await decodeImage(Buffer.from(bytes), 'p.png')).data));
  });

  it('the project images too (palette-free 8-bit gray): identical pixels', async () => {
    for (const f of ['data/clean/00000.png', 'public/samples/ood-mnist-00000.png', 'public/samples/synth-00000.png']) {
      const bytes = readFileSync(f);
      expect(Array.from(pngInJs(new Uint8Array(bytes))!.data)).toEqual(Array.from((await decodeImage(bytes, f)).data));
    }
  });

  it('leaves 16-bit and broken files to the browser', () => {
    expect(pngInJs(new Uint8Array(randomPng(2, 16)))).toBeNull();
    const broken = new Uint8Array(readFileSync('data/clean/00000.png')).slice(0, 60);
    expect(pngInJs(broken)).toBeNull();
  });

  it("decodeBlob: a small file's bytes (as the page sends them) and its Blob give the same image; the checks apply to both", async () => {
    const file = readFileSync('data/clean/00000.png');
    const bytes = () => file.buffer.slice(file.byteOffset, file.byteOffset + file.length) as ArrayBuffer;
    const fromBlob = await decodeBlob(new Blob([file]), 'x.png');
    const fromBytes = await decodeBlob(bytes(), 'x.png');
    expect([fromBytes.width, fromBytes.height]).toEqual([28, 28]);
    expect(Array.from(fromBytes.data)).toEqual(Array.from(fromBlob.data));
    const cut = bytes().slice(0, file.length - 20);
    await expect(decodeBlob(cut, 'cut.png')).rejects.toThrow(ImageDecodeError);
    await expect(decodeBlob(new ArrayBuffer(0), 'empty.png')).rejects.toThrow(ImageDecodeError);
  });
});
