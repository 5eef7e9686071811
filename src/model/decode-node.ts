// Node image decoding (CLI), after the shared header checks: pngjs and jpeg-js (turned by EXIF
// orientation as browsers do; AVIF by its rotation and mirror), gifuct-js (the first frame, as a browser shows a GIF), bmp-ts, the
// WebP decoder of libwebp in WASM (@jsquash/webp), libavif's AVIF decoder in WASM (@jsquash/avif) and
// UTIF for TIFF: the formats the page reads (decode-extra.ts: what bmp-ts and libwebp leave out).
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import decodeAvifWasm, { init as initAvif } from '@jsquash/avif/decode.js';
import decodeWebpWasm, { init as initWebp } from '@jsquash/webp/decode.js';
import * as bmp from 'bmp-ts';
import { decompressFrame, parseGIF, type Frame } from 'gifuct-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../types.ts';
import { fileBytes, ImageDecodeError } from '../core/errors.ts';
import { BMP_AS_STORED, bmpHeader, bmpRle, bmpShortBy, decodeBmpPlain, decodeBmpRle, onCanvas, webpFirstFrame } from './decode-extra.ts';
import { checkImageBytes, formatName, MAX_PIXELS, type RasterFormat } from './image-errors.ts';
import { jpegCoding, lossyCoding } from './sniff.ts';
import { decodeTiff } from './decode-tiff.ts';
import { pngChunks } from './png-chunks.ts';
import { avifOrientations, orient, pngOrientation } from './orientation.ts';
import { decodeJpeg } from './decode-jpeg.ts';
import { animated, checkWebpFrames } from './frames.ts';

export interface DecodeLimits {
  /** Width x height above which an image is refused from its header, before decoding. */
  maxPixels: number;
}

/** A codec's WASM, compiled once from the package's own file (no fetch in Node), before its first decode. */
function wasmDecoder(file: string, init: (m: WebAssembly.Module) => unknown, decode: (buffer: ArrayBuffer) => Promise<ImageData | null>) {
  let ready: Promise<unknown> | undefined;
  return async (bytes: Uint8Array): Promise<RgbaImage> => {
    ready ??= WebAssembly.compile(readFileSync(createRequire(import.meta.url).resolve(file))).then(init);
    await ready;
    const img = await decode(bytes.slice().buffer);
    if (!img) throw new Error('no image decoded');
    return img;
  };
}
const webp = wasmDecoder('@jsquash/webp/codec/dec/webp_dec.wasm', initWebp, decodeWebpWasm);
// libavif's (dav1d's) decoder gives 8 bits per channel, as a browser shows an AVIF.
const avif = wasmDecoder('@jsquash/avif/codec/dec/avif_dec.wasm', initAvif, (b) => decodeAvifWasm(b));

/** A BMP without alpha reads as transparent from bmp-ts (alpha 0 everywhere): opaque, as browsers show it. */
function fromBmp(bytes: Uint8Array): RgbaImage {
  const rle = bmpRle(bytes);
  if (rle) return decodeBmpRle(bytes, rle);
  const plain = decodeBmpPlain(bytes);
  if (plain) return plain;
  if (bytes.length >= 22 && new DataView(bytes.buffer, bytes.byteOffset).getInt32(18, true) < 0) throw new Error('it declares a negative width');
  // What browsers do not read either (a PNG or JPEG inside, unknown compressions, 0 or 64 bits per pixel): bmp-ts
  // gave a black image of them, scored without an error.
  const h = bmpHeader(bytes);
  if (h && (![1, 4, 8, 16, 24, 32].includes(h.bpp) || !BMP_AS_STORED.includes(h.compression))) throw new Error(`it is a BMP of ${h.bpp} bits per pixel and compression ${h.compression}, a kind not read here`);
  const short = bmpShortBy(bytes);
  if (short) throw new Error(`its pixel data ends ${short} bytes early`);
  const b = bmp.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)); // ABGR
  // bmp-ts widens a field of n < 8 bits (16-bit BMPs' 5 or 6) by a shift, 31 to 248; browsers scale it, 31 to 255.
  const masks = b as unknown as { bitPP: number; maskRed: number; maskGreen: number; maskBlue: number; maskAlpha: number };
  const widen = (mask: number) => {
    const n = masks.bitPP === 16 || masks.bitPP === 32 ? mask.toString(2).replace(/0/g, '').length : 8;
    return n > 0 && n < 8 ? (v: number) => Math.round(((v >> (8 - n)) * 255) / ((1 << n) - 1)) : (v: number) => v;
  };
  const [r, g, bl, a] = [widen(masks.maskRed), widen(masks.maskGreen), widen(masks.maskBlue), widen(masks.maskAlpha)];
  const data = new Uint8Array(b.data.length);
  let anyAlpha = false;
  for (let i = 0; i < data.length; i += 4) {
    [data[i], data[i + 1], data[i + 2], data[i + 3]] = [r(b.data[i + 3]), g(b.data[i + 2]), bl(b.data[i + 1]), a(b.data[i])];
    anyAlpha ||= b.data[i] !== 0;
  }
  if (!anyAlpha) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: b.width, height: b.height, data };
}

/** The first frame on the GIF's canvas (outside the frame and at its transparent index: transparent). */
function fromGif(bytes: Uint8Array, maxPixels: number): RgbaImage {
  const gif = parseGIF(bytes.slice().buffer);
  const frame = gif.frames.find((f): f is Frame => 'image' in f);
  if (!frame) throw new Error('it holds no frame');
  // A frame declares its own size, which the canvas size checked before decoding does not bound.
  const { width: fw, height: fh } = frame.image.descriptor;
  if (fw * fh > maxPixels) throw new Error(`its first frame declares ${fw}x${fh} pixels`);
  // A first frame reaching past the logical screen grows it, as browsers show it (Chromium's GIF reader).
  const [cw, ch] = [Math.max(gif.lsd.width, frame.image.descriptor.left + fw), Math.max(gif.lsd.height, frame.image.descriptor.top + fh)];
  if (cw * ch > maxPixels) throw new Error(`its first frame reaches to ${cw}x${ch} pixels`);
  const { dims, patch } = decompressFrame(frame, gif.gct, true);
  return onCanvas({ width: dims.width, height: dims.height, data: patch }, dims.left, dims.top, cw, ch);
}

/** A still WebP, or an animated one's first frame on its canvas (as a browser shows it before it plays). */
async function fromWebp(bytes: Uint8Array): Promise<RgbaImage> {
  const first = webpFirstFrame(bytes);
  if (!first) return webp(bytes);
  return onCanvas(await webp(first.still), first.x, first.y, first.width, first.height);
}

/**
 * The top 8 bits of 16-bit samples, in a loop: Uint8Array.from with a map function collects the
 * samples as JS numbers first, which aborted the process (out of heap) on an 8000×8000 16-bit PNG.
 */
function topBytes(samples: Uint16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] >> 8;
  return out;
}

const decoders: Record<Exclude<RasterFormat, 'tiff'>, (bytes: Uint8Array, maxPixels: number) => RgbaImage | Promise<RgbaImage>> = {
  png: (bytes) => {
    // Chunk checksums are not checked, as browsers do not: the pixels' own zlib stream has one, which
    // Node's zlib checks first. pngjs's own inflate of it (non-interlaced) handed back uninitialised
    // memory for a stream zlib refuses, now and then, as if it were pixels.
    inflateSync(Buffer.concat([...pngChunks(bytes)].filter((c) => c.type === 'IDAT').map((c) => bytes.subarray(c.at, c.at + c.size))));
    // 16-bit samples keep their top 8 bits, as browsers show them (pngjs would round).
    const deep = bytes[24] === 16; // IHDR's bit depth
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { checkCRC: false, skipRescale: deep });
    const data = deep ? topBytes(png.data as unknown as Uint16Array) : new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    return orient({ width: png.width, height: png.height, data }, pngOrientation(bytes));
  },
  jpeg: decodeJpeg,
  gif: fromGif,
  bmp: fromBmp,
  webp: fromWebp,
  avif: async (bytes) => avifOrientations(bytes).reduce(orient, await avif(bytes)),
};

/**
 * Image bytes (format sniffed from the magic bytes, never the name) to RGBA. Rejects with
 * ImageDecodeError: 'empty', 'unsupported' (says what the bytes look like), 'too-large' (from the
 * declared header size, before any pixel is allocated), 'too-small', 'corrupt'.
 * `limits` may also be given as the bare pixel limit.
 */
export async function decodeImage(input: Uint8Array | ArrayBuffer, name = 'image', limits: DecodeLimits | number = { maxPixels: MAX_PIXELS }): Promise<RgbaImage> {
  const bytes = fileBytes(input, 'image', 'image');
  const maxPixels = typeof limits === 'number' ? limits : (limits.maxPixels ?? MAX_PIXELS);
  const sniffed = checkImageBytes(bytes, name, maxPixels);
  const { format, frame } = sniffed;
  if (format === 'tiff') return decodeTiff(bytes, name, maxPixels);
  if (format === 'webp') checkWebpFrames(bytes, name);
  const coding = frame && jpegCoding(frame);
  if (coding) throw new ImageDecodeError(`${name}: this JPEG is ${coding}, which the command line's JPEG decoder does not read (the page does where the browser does); save it as a baseline JPEG or a PNG.`, 'unsupported');
  try {
    return { ...animated(await decoders[format](bytes, maxPixels), bytes), lossy: lossyCoding(sniffed, bytes) };
  } catch (e) {
    throw new ImageDecodeError(`${name}: the ${formatName(format)} is corrupt or truncated (${(e as Error).message}).`, 'corrupt');
  }
}
