// Node image decoding (CLI): pngjs and jpeg-js, after the shared header checks.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../types.ts';
import { checkImageBytes, ImageDecodeError } from './image-errors.ts';

export const MAX_PIXELS = 40_000_000;

export function decodeImage(bytes: Uint8Array, name = 'image', maxPixels = MAX_PIXELS): RgbaImage {
  const info = checkImageBytes(bytes, name, maxPixels);
  try {
    if (info.format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new ImageDecodeError('corrupt', `${name}: the ${info.format.toUpperCase()} is corrupt or truncated (${(e as Error).message}).`);
  }
}
