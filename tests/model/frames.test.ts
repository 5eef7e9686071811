// An animation is checked on its first frame, and says so: frames counted from the bytes (model/frames.ts).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { decodeImage } from '../../src/model/decode-node.ts';
import { frameCount } from '../../src/model/frames.ts';
import { preprocessSteps } from '../../src/model/preprocess.ts';
import { parseSpec } from '../../src/model/spec.ts';
import { chunk, concat, ihdr, SIGNATURE } from '../fixtures/png-bytes.ts';

const f = (n: string) => new Uint8Array(readFileSync(`e2e/fixtures/formats/${n}`));
const le16 = (v: number) => [v & 255, v >> 8];

/** A 1×1 GIF of `frames` frames, frame i of palette colour i % 2 (black, white), looping. */
function gif(frames: number): Uint8Array {
  const frame = (i: number) => [
    0x21, 0xf9, 4, 0, ...le16(10), 0, 0, // graphic control: 0.1 s
    0x2c, 0, 0, 0, 0, ...le16(1), ...le16(1), 0, // descriptor, no local colour table
    2, 2, i % 2 ? 0x4c : 0x44, 0x01, 0, // LZW: clear, index i % 2, end
  ];
  const loop = [0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0];
  return Uint8Array.from([...Buffer.from('GIF89a'), ...le16(1), ...le16(1), 0x80, 0, 0, 0, 0, 0, 255, 255, 255, ...loop, ...Array.from({ length: frames }, (_, i) => frame(i)).flat(), 0x3b]);
}

/** A 1×1 gray PNG with an APNG acTL chunk declaring `frames` frames (the still image is its first frame). */
function apng(frames: number): Uint8Array {
  const actl = new Uint8Array(8);
  new DataView(actl.buffer).setUint32(0, frames);
  return concat([SIGNATURE, ihdr(1, 1, 8, 0), chunk('acTL', actl), chunk('IDAT', new Uint8Array(deflateSync(Uint8Array.from([0, 77])))), chunk('IEND', new Uint8Array())]);
}

describe('frameCount', () => {
  it('counts a GIF\'s frames, an APNG\'s declared frames and an animated WebP\'s; a still image is one', () => {
    expect(frameCount(gif(3))).toEqual({ count: 3, exact: true });
    expect(frameCount(gif(1))).toEqual({ count: 1, exact: true });
    expect(frameCount(apng(12))).toEqual({ count: 12, exact: true });
    expect(frameCount(f('clean-animated.webp'))).toEqual({ count: 2, exact: true });
    for (const n of ['clean.gif', 'photo-40.gif', 'clean-lossless.webp', 'clean-alpha.webp', 'photo-40.png', 'clean.bmp']) expect(frameCount(f(n)).count, n).toBe(1);
  });

  it('from the first bytes of a file only, a lower bound', () => {
    const whole = gif(5);
    const head = whole.subarray(0, whole.length - 30);
    const { count, exact } = frameCount(head);
    expect(exact).toBe(false);
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThan(5);
  });
});

describe('an animation checked on its first frame', () => {
  const spec = parseSpec({ inputName: 'x', height: 1, width: 1, channels: 1, layout: 'nchw', scale: 255, mean: [0], std: [1], resize: 'stretch' });
  it('decodes the first frame and says how many there are, where preprocessing is told', async () => {
    const img = await decodeImage(gif(3), 'spin.gif');
    expect(Array.from(img.data)).toEqual([0, 0, 0, 255]);
    expect(img.frames).toEqual({ count: 3, exact: true });
    expect(preprocessSteps(img, spec)).toEqual(['the first of 3 frames']);
    const png = await decodeImage(apng(12), 'spin.png');
    expect(Array.from(png.data)).toEqual([77, 77, 77, 255]);
    expect(preprocessSteps(png, spec)).toEqual(['the first of 12 frames']);
    // A still image says nothing of frames.
    const still = await decodeImage(gif(1), 'still.gif');
    expect(still.frames).toBeUndefined();
    expect(preprocessSteps(still, spec)).toEqual([]);
    expect(preprocessSteps({ ...img, frames: { count: 4, exact: false } }, spec)).toEqual(['the first of 4 or more frames']);
  });
});
