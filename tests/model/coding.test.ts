// Lossy coding: JPEG copies of clean images move a model's activations (on the default model 16.5–61.6% of them
// were flagged at FPR 5%, the model's accuracy unchanged), so a profile records how many of its background
// images were lossy-coded, and an unusual lossy image says that its coding alone may be why.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codingNote, mergeProfiles } from '../../src/core/index.ts';
import { Detector, decodeImage, fileSource, listImages } from '../../src/node.ts';
import { lossyCoding, sniffImage } from '../../src/model/sniff.ts';
import { encodeJpeg, readPng } from '../fixtures/exif-jpeg.ts';

const F = 'e2e/fixtures/formats';
const coding = (file: string) => {
  const b = new Uint8Array(readFileSync(file));
  return lossyCoding(sniffImage(b), b);
};

/** JPEG copies (quality 75) of the first `n` clean PNGs, in a folder of their own. */
function jpegCopies(n: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'histoscan-jpeg-'));
  const files = listImages(['data/clean']).slice(0, n);
  for (const [i, f] of files.entries()) writeFileSync(join(dir, `${i}.jpg`), encodeJpeg(readPng(f), 75));
  return listImages([dir]);
}

describe('lossy coding', () => {
  it('is read from the header: JPEG and lossy WebP (also with alpha) are lossy, PNG, GIF, BMP, TIFF and lossless WebP not, AVIF unknown', async () => {
    expect(coding('e2e/fixtures/photo.jpg')).toBe('JPEG');
    expect(coding(`${F}/clean-lossy.webp`)).toBe('lossy WebP');
    expect(coding(`${F}/clean-alpha.webp`)).toBe('lossy WebP');
    for (const f of ['clean-lossless.webp', 'clean.gif', 'clean.bmp', 'clean.tif', 'photo-40.png']) expect(coding(`${F}/${f}`)).toBe(false);
    expect(coding(`${F}/clean.avif`)).toBeUndefined();
    // The decoded image carries it.
    expect((await decodeImage(readFileSync('e2e/fixtures/photo.jpg'), 'photo.jpg')).lossy).toBe('JPEG');
    expect((await decodeImage(readFileSync(`${F}/clean.tif`), 'clean.tif')).lossy).toBe(false);
    // A TIFF may hold JPEG-compressed strips: told from its Compression tag, the pixels near the PNG it was made from.
    const tiff = await decodeImage(readFileSync(`${F}/photo-40-jpeg.tif`), 'photo.tif');
    const png = await decodeImage(readFileSync(`${F}/photo-40.png`), 'photo.png');
    expect(tiff.lossy).toBe('JPEG-compressed TIFF');
    expect(Math.max(...Array.from(tiff.data, (v, i) => Math.abs(v - png.data[i])))).toBeLessThan(64);
  });

  it("says so where the background was (nearly) all lossless, conditionally where the profile does not say, not where it was lossy too", () => {
    expect(codingNote(false, { count: 100, lossy: 0 })).toBeUndefined();
    expect(codingNote('JPEG', { count: 10000, lossy: 0 })).toBe(
      "a JPEG, where all 10,000 of the profile's background images were losslessly coded: compression alone can make a clean image unusual. Build the profile from images coded as the ones you check (some of them saved as JPEG too).",
    );
    expect(codingNote('JPEG', { count: 100, lossy: 3 })).toMatch(/^a JPEG, where only 3 of the profile's 100 background images were lossy-coded: /);
    expect(codingNote('lossy WebP', { count: 100, lossy: 10 })).toBeUndefined();
    expect(codingNote('JPEG', { count: 100 })).toBe("a JPEG: where the profile's background images were not compressed alike, compression alone can make a clean image unusual.");
  });

  it('a profile counts its lossy-coded background images (known only where every image came from a file); merged shards add them up', async () => {
    const jpegs = jpegCopies(30);
    const d = await Detector.create({ model: readFileSync('public/models/fashion-cnn.onnx'), provider: 'wasm' });
    const png = (await d.build(fileSource(listImages(['data/background']).slice(0, 30)), null)).profile;
    const jpg = (await d.build(fileSource(jpegs), null, { edgesFrom: png })).profile;
    expect([png.header.lossy, jpg.header.lossy]).toEqual([0, 30]);
    expect(mergeProfiles([png, jpg]).header.lossy).toBe(30);
    // Pixels given without their file: not known, so not said.
    const pixels = fileSource(listImages(['data/background']).slice(30, 60));
    const given = { ...pixels, load: async (i: number) => ({ ...(await pixels.load(i)), lossy: undefined }) };
    const unknown = (await d.build(given, null, { edgesFrom: png })).profile;
    expect(unknown.header.lossy).toBeUndefined();
    expect(mergeProfiles([png, unknown]).header.lossy).toBeUndefined();

    // Checked against the PNG profile, a JPEG carries the note, a PNG does not.
    d.useProfile(png);
    expect((await d.check(await decodeImage(readFileSync(jpegs[0]), 'a.jpg'), 'a.jpg')).codingNote).toMatch(/^a JPEG, where all 30 of the profile's background images were losslessly coded/);
    expect((await d.check(await decodeImage(readFileSync('data/clean/00000.png'), 'a.png'), 'a.png')).codingNote).toBeUndefined();
    d.release();
  });
});
