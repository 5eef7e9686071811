// JPEG pixels by jpeg-js, turned by their EXIF orientation: the CLI's decoder, and the page's for
// JPEGs of up to JS_PIXELS (worker/decode.ts), so that the page and the CLI give a photo the same
// pixels. A browser's libjpeg upsamples chroma smoothly and jpeg-js does not: at 4:2:0 the two were up
// to 17 levels apart, enough to flip a verdict, and profiles built in the page and the CLI differed.
import jpeg from 'jpeg-js';
import type { RgbaImage } from '../types.ts';
import { jpegOrientation, orient } from './orientation.ts';

/** Throws where jpeg-js cannot read the file (the callers word it). */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbaImage {
  // 64 MP at 4:4:4 needs about 1.2 GB.
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 2048 });
  return orient({ width: img.width, height: img.height, data: img.data }, jpegOrientation(bytes));
}
