// Browser (worker) image decoding: the browser's own decoders via createImageBitmap and an
// OffscreenCanvas (GIF's first frame, WebP, BMP, AVIF, large PNGs and JPEGs), the CLI's own for small
// PNGs and JPEGs, and UTIF for TIFF, which no browser decodes, after the same header checks as Node
// (size limits before any decoding).
import { ImageDecodeError } from '../core/errors.ts';
import { checkImageBytes, formatName, HEAD_BYTES, MAX_PIXELS, TAIL_BYTES, WHOLE_READ_BYTES } from '../model/image-errors.ts';
import { jpegCoding, lossyCoding, pngExif } from '../model/sniff.ts';
import { animated, checkWebpFrames } from '../model/frames.ts';
import { isAnimatedWebp } from '../model/decode-extra.ts';
import { decodeJpeg } from '../model/decode-jpeg.ts';
import type { RgbaImage } from '../types.ts';
import { decode as decodePng, type DecodedPng } from 'fast-png';

/** PNGs up to this many pixels are decoded in JS (pngInJs), larger ones by the browser. */
const JS_PIXELS = 4_000_000;
/**
 * JPEGs up to this many pixels are decoded in JS, as the CLI decodes them (decodeJpeg), so they get
 * the CLI's pixels and are refused where it refuses them; larger ones by the browser, many times
 * faster (jpeg-js takes about 0.1 s a megapixel), where shrinking to the model's input averages most
 * of the decoders' chroma differences away. JPEGs the CLI does not read (arithmetic-coded, lossless,
 * 12-bit) go to the browser, which may.
 */
const JS_JPEG_PIXELS = 1_000_000;
/** Bytes from..to of a Blob: each read is a round trip to the browser process. */
const slice = async (file: Blob, from: number, to: number) => new Uint8Array(await file.slice(from, to).arrayBuffer());

/** The head and tail checks decodeBlob starts with, alone (holdout.ts readable): two small reads, no decode. */
export async function checkBlob(file: Blob, name: string, maxPixels = MAX_PIXELS): Promise<void> {
  checkImageBytes(await slice(file, 0, HEAD_BYTES), name, maxPixels, await slice(file, Math.max(0, file.size - TAIL_BYTES), file.size), file.size);
}

/** A file as a Blob, or the bytes of a small one (the page reads those and transfers them: see ui/client.ts). */
export async function decodeBlob(file: Blob | ArrayBuffer, name: string, maxPixels = MAX_PIXELS): Promise<RgbaImage> {
  // Each Blob read from a worker is a round trip to the browser process (~2 ms here, half of a
  // small image's decode), so a small file is read once and its head and tail are views on it.
  const whole = file instanceof ArrayBuffer ? new Uint8Array(file) : file.size <= WHOLE_READ_BYTES ? new Uint8Array(await file.arrayBuffer()) : null;
  const size = whole ? whole.length : (file as Blob).size;
  const read = async (from: number, to: number) => (whole ? whole.subarray(from, to) : slice(file as Blob, from, to));
  const head = await read(0, HEAD_BYTES);
  const tail = await read(Math.max(0, size - TAIL_BYTES), size);
  let info = checkImageBytes(head, name, maxPixels, tail, size);
  // A JPEG's size may come after 64 KiB (large APP segments first): the browser's decoder has no pixel
  // limit of its own, so the size is read from the whole file, and a JPEG that never says it is refused.
  const unsized = info.format === 'jpeg' && info.width === undefined;
  if (info.needsWhole || unsized) info = { ...info, ...checkImageBytes(await read(0, size), name, maxPixels) };
  if (unsized && info.width === undefined) throw new ImageDecodeError(`${name}: the JPEG header does not say its size; it is corrupt.`, 'corrupt');
  // An animation's frames are counted through the whole file before the browser decodes them all.
  if (info.format === 'webp' && isAnimatedWebp(head)) checkWebpFrames(whole ?? (await read(0, size)), name);
  if (info.format === 'tiff') {
    // UTIF and its inflate are loaded with the first TIFF, not with every page.
    const { decodeTiff } = await import('../model/decode-tiff.ts');
    return decodeTiff(whole ?? new Uint8Array(await (file as Blob).arrayBuffer()), name, maxPixels);
  }
  const pixels = (info.width ?? Infinity) * (info.height ?? Infinity);
  if (pixels <= JS_JPEG_PIXELS && info.format === 'jpeg' && !(info.frame && jpegCoding(info.frame))) {
    // The CLI's decoder, however large the file, and its verdict on a broken stream.
    const bytes = whole ?? (await read(0, size));
    return { ...animated(jpegInJs(bytes, name), bytes), lossy: lossyCoding(info, bytes) };
  }
  const js = whole && pixels <= JS_PIXELS && info.format === 'png' ? pngInJs(whole) : null;
  if (js) return { ...animated(js, whole!), lossy: lossyCoding(info, whole!) };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file instanceof Blob ? file : new Blob([file]), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch {
    // Browsers cap a canvas side (Chromium at 32,767 pixels), whatever the pixel count.
    const long = Math.max(info.width ?? 0, info.height ?? 0) > 32767;
    const why = long ? `at ${info.width}x${info.height} pixels it has a side longer than a browser decodes (32,767); the command line reads it` : 'it is corrupt or truncated';
    throw new ImageDecodeError(`${name}: the browser could not decode this ${formatName(info.format)}; ${why}.`, long ? 'too-large' : 'corrupt');
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { ...animated({ width: canvas.width, height: canvas.height, data }, whole ?? head), lossy: lossyCoding(info, whole ?? head) };
}

/** A JPEG as the CLI decodes it, refused in the CLI's words where jpeg-js cannot read it (a browser would show a cut stream's first rows). */
function jpegInJs(bytes: Uint8Array, name: string): RgbaImage {
  try {
    return decodeJpeg(bytes, JS_JPEG_PIXELS);
  } catch (e) {
    throw new ImageDecodeError(`${name}: the JPEG is corrupt or truncated (${(e as Error).message}).`, 'corrupt');
  }
}

/**
 * Small 8-bit PNGs are decoded here, in JS: for a 28×28 image the browser's path (createImageBitmap,
 * then a canvas to read the pixels) took most of the time of a check, and a PNG is lossless, so the
 * pixels are the file's own (the Node CLI's pngjs gives the same). Anything else — 16-bit or
 * packed-bit images, tRNS transparency, an EXIF orientation, or a file fast-png cannot read — goes to the browser,
 * which also words the error for a corrupt file.
 */
export function pngInJs(bytes: Uint8Array): RgbaImage | null {
  if (pngExif(bytes)) return null; // an EXIF orientation, which the browser applies
  let p: DecodedPng;
  try {
    p = decodePng(bytes);
  } catch {
    return null;
  }
  if (p.depth !== 8 || p.transparency) return null;
  const n = p.width * p.height;
  const src = p.data;
  const data = new Uint8ClampedArray(4 * n);
  const pal = p.palette;
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    if (pal) {
      const e = pal[src[i]] ?? [0, 0, 0];
      data[o] = e[0];
      data[o + 1] = e[1];
      data[o + 2] = e[2];
      data[o + 3] = e[3] ?? 255;
    } else if (p.channels <= 2) {
      const g = src[p.channels * i];
      data[o] = data[o + 1] = data[o + 2] = g;
      data[o + 3] = p.channels === 2 ? src[2 * i + 1] : 255;
    } else {
      data[o] = src[p.channels * i];
      data[o + 1] = src[p.channels * i + 1];
      data[o + 2] = src[p.channels * i + 2];
      data[o + 3] = p.channels === 4 ? src[4 * i + 3] : 255;
    }
  }
  return { width: p.width, height: p.height, data };
}
