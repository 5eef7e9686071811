// Browser (worker) image decoding: the browser's own decoders via createImageBitmap and an
// OffscreenCanvas, after the same header checks as Node (size limits before any decoding).
import { ImageDecodeError } from '../core/errors.ts';
import { checkImageBytes, TAIL_BYTES } from '../model/image-errors.ts';
import type { RgbaImage } from '../types.ts';

export const MAX_PIXELS = 40_000_000;
/** Files up to this size are read once; larger ones only at their head and tail before the checks. */
const WHOLE_READ_BYTES = 4 << 20;

export async function decodeBlob(blob: Blob, name: string, maxPixels = MAX_PIXELS): Promise<RgbaImage> {
  // Each Blob read from a worker is a round trip to the browser process (~2 ms here, half of a
  // small image's decode), so a small file is read once and its head and tail are views on it.
  const whole = blob.size <= WHOLE_READ_BYTES ? new Uint8Array(await blob.arrayBuffer()) : null;
  const read = async (from: number, to: number) => (whole ? whole.subarray(from, to) : new Uint8Array(await blob.slice(from, to).arrayBuffer()));
  const head = await read(0, 65536);
  const tail = await read(Math.max(0, blob.size - TAIL_BYTES), blob.size);
  const info = checkImageBytes(head, name, maxPixels, tail);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch {
    throw new ImageDecodeError(`${name}: the browser could not decode this ${info.format.toUpperCase()}; it is corrupt or truncated.`, 'corrupt');
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { width: canvas.width, height: canvas.height, data };
}
