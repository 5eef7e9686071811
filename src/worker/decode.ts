// Browser (worker) image decoding: the browser's own decoders via createImageBitmap and an
// OffscreenCanvas, after the same header checks as Node (size limits before any decoding).
import { ImageDecodeError } from '../core/errors.ts';
import { checkImageBytes, TAIL_BYTES } from '../model/image-errors.ts';
import type { RgbaImage } from '../types.ts';

export const MAX_PIXELS = 40_000_000;

export async function decodeBlob(blob: Blob, name: string, maxPixels = MAX_PIXELS): Promise<RgbaImage> {
  const head = new Uint8Array(await blob.slice(0, 65536).arrayBuffer());
  const tail = new Uint8Array(await blob.slice(Math.max(0, blob.size - TAIL_BYTES)).arrayBuffer());
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
