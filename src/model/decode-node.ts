// Node image decoding (CLI): pngjs and jpeg-js, after the shared header checks; JPEGs turned by
// their EXIF orientation as browsers do.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../types.ts';
import { ImageDecodeError } from '../core/errors.ts';
import { checkImageBytes } from './image-errors.ts';
import { jpegOrientation, orient } from './orientation.ts';

export const MAX_PIXELS = 40_000_000;

export interface DecodeLimits {
  /** Width x height above which an image is refused from its header, before decoding. */
  maxPixels: number;
}

/**
 * PNG or JPEG bytes (format sniffed from the magic bytes, never the name) to RGBA. Throws
 * ImageDecodeError: 'empty', 'unsupported' (says what the bytes look like), 'too-large' (from the
 * declared header size, before any pixel is allocated), 'too-small', 'corrupt'.
 * `limits` may also be given as the bare pixel limit.
 */
export function decodeImage(bytes: Uint8Array, name = 'image', limits: DecodeLimits | number = { maxPixels: MAX_PIXELS }): RgbaImage {
  const maxPixels = typeof limits === 'number' ? limits : (limits.maxPixels ?? MAX_PIXELS);
  const info = checkImageBytes(bytes, name, maxPixels);
  let decoded: RgbaImage;
  try {
    if (info.format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
    decoded = { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new ImageDecodeError(`${name}: the ${info.format.toUpperCase()} is corrupt or truncated (${(e as Error).message}).`, 'corrupt');
  }
  return orient(decoded, jpegOrientation(bytes));
}
