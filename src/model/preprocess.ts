// Pixels to model input, from a model spec. Pure and DOM-free: the worker and the CLI both call
// it on RGBA pixels, so the same image gives the same tensor in the browser and in Node.
import { UsageError } from '../core/errors.ts';
import type { ModelSpec, RgbaImage } from '../types.ts';

/**
 * Refuses what is not an RgbaImage, naming what is wrong: the Node API takes pixels from callers'
 * own code, where a zero-size image or a Buffer of RGB bytes would otherwise fail deep inside.
 */
export function checkPixels(img: RgbaImage, name = 'image'): void {
  const { width: w, height: h, data } = (img ?? {}) as Partial<RgbaImage>;
  const problem =
    typeof w !== 'number' || typeof h !== 'number' || !(data instanceof Uint8Array || data instanceof Uint8ClampedArray)
      ? 'is not decoded pixels { width, height, data: Uint8Array of RGBA } (decode image files with decodeImage)'
      : !(Number.isInteger(w) && Number.isInteger(h) && w >= 1 && h >= 1)
        ? `has no pixels (${w}x${h})`
        : data.length !== w * h * 4
          ? `has ${data.length} bytes of data where ${w}x${h} RGBA pixels ${data.length > w * h * 4 ? 'are' : 'need'} ${w * h * 4}${data.length === w * h * 3 ? ' (RGB without alpha? give 4 bytes per pixel)' : ''}`
          : '';
  if (problem) throw new UsageError(`${name} ${problem}.`);
}

/** Resample one plane: box-average when shrinking an axis, linear when enlarging. */
function resizeAxis(src: Float32Array, w: number, h: number, dw: number, horizontal: boolean): Float32Array {
  const len = horizontal ? w : h; // axis being resized
  const other = horizontal ? h : w;
  const out = new Float32Array(horizontal ? dw * h : w * dw);
  const scale = len / dw;
  for (let o = 0; o < other; o++) {
    for (let d = 0; d < dw; d++) {
      let v = 0;
      if (scale > 1) {
        const start = d * scale;
        const end = start + scale;
        let acc = 0;
        for (let s = Math.floor(start); s < Math.ceil(end) && s < len; s++) {
          const wgt = Math.min(end, s + 1) - Math.max(start, s);
          acc += wgt * src[horizontal ? o * w + s : s * w + o];
        }
        v = acc / scale;
      } else {
        const x = Math.min(len - 1, Math.max(0, (d + 0.5) * scale - 0.5));
        const x0 = Math.floor(x);
        const x1 = Math.min(len - 1, x0 + 1);
        const t = x - x0;
        const a = src[horizontal ? o * w + x0 : x0 * w + o];
        const b = src[horizontal ? o * w + x1 : x1 * w + o];
        v = a + (b - a) * t;
      }
      out[horizontal ? o * dw + d : d * w + o] = v;
    }
  }
  return out;
}

/**
 * One image (RGBA, 8-bit) to a Float32Array in the model's layout, batch axis excluded:
 * x = (pixel / scale - mean[c]) / std[c].
 * - Alpha: transparent pixels are composited over black (the background of MNIST / Fashion-MNIST
 *   style data; a transparent PNG of a garment then looks like the training images), or over white
 *   with spec.matte (logos, scans and text lines drawn on white).
 * - Gray (channels 1): round(0.299 R + 0.587 G + 0.114 B) on the 8-bit composited values, before
 *   resizing (so it matches PIL's convert('L')).
 * - Channels 3: RGB, or BGR when spec.bgr.
 * - Resize to spec.height x spec.width: 'stretch'; 'center-crop' (the largest centred region
 *   with the target aspect ratio, or the middle spec.crop of it, then resize); or 'pad', as OCR text-line models are fed: the
 *   image's height to the input's, its width by its aspect ratio (rounded up), at the left, the rest
 *   of the row filled with the tensor value 0; a line wider than that is squeezed to the input's
 *   width. Sampling is separable: bilinear (pixel-centre
 *   aligned, like align_corners=false) when enlarging an axis, area-average when shrinking it, so
 *   large photos do not alias; a constant image stays constant either way.
 */
export function toTensor(img: RgbaImage, spec: ModelSpec): Float32Array {
  checkPixels(img);
  const { width: w, height: h, data } = img;
  let x0 = 0;
  let y0 = 0;
  let cw = w;
  let ch = h;
  if (spec.resize === 'center-crop') {
    const target = spec.width / spec.height;
    if (w / h > target) cw = Math.max(1, Math.round(h * target));
    else ch = Math.max(1, Math.round(w / target));
    // The share of that region kept (an image processor's 256-then-224 keeps its middle 0.875).
    const share = spec.crop ?? 1;
    [cw, ch] = [Math.max(1, Math.round(cw * share)), Math.max(1, Math.round(ch * share))];
    [x0, y0] = [Math.floor((w - cw) / 2), Math.floor((h - ch) / 2)];
  }
  const H = spec.height;
  const W = spec.width;
  // The region the image fills: all of it, or under 'pad' the full height and as much width as its ratio gives.
  const rw = spec.resize === 'pad' ? Math.min(W, Math.max(1, Math.ceil((H * cw) / ch))) : W;
  const rh = H;
  const C = spec.channels;
  const matte = spec.matte === 'white' ? 255 : 0;
  // Row by row: each source row's values, resized across, so no full-size float copy of a large photo is held.
  const line = Array.from({ length: C }, () => new Float32Array(cw));
  const across = Array.from({ length: C }, () => new Float32Array(rw * ch));
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = ((y + y0) * w + (x + x0)) * 4;
      const a = data[i + 3] / 255;
      const under = (1 - a) * matte;
      const r = data[i] * a + under;
      const g = data[i + 1] * a + under;
      const b = data[i + 2] * a + under;
      if (C === 1) line[0][x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else {
        line[0][x] = spec.bgr ? b : r;
        line[1][x] = g;
        line[2][x] = spec.bgr ? r : b;
      }
    }
    for (let c = 0; c < C; c++) across[c].set(cw === rw ? line[c] : resizeAxis(line[c], cw, 1, rw, true), y * rw);
  }
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    const p = ch === rh ? across[c] : resizeAxis(across[c], rw, ch, rh, false);
    const [mean, std] = channelNorm(spec, c);
    for (let y = 0; y < rh; y++) {
      for (let x = 0; x < rw; x++) {
        const v = (p[y * rw + x] / spec.scale - mean) / std;
        const i = y * W + x;
        if (spec.layout === 'nchw') out[c * H * W + i] = v;
        else out[i * C + c] = v;
      }
    }
  }
  return out;
}

/** Mean and std of tensor channel c: a spec may give one for every channel. */
export function channelNorm(spec: ModelSpec, c: number): [mean: number, std: number] {
  return [spec.mean[c] ?? spec.mean[0] ?? 0, spec.std[c] ?? spec.std[0] ?? 1];
}

/**
 * One image's tensor back to 8-bit RGBA (toTensor's normalisation undone, BGR and gray to RGB), for
 * the page's "what the model received".
 */
export function fromTensor(x: Float32Array, spec: ModelSpec): RgbaImage & { data: Uint8ClampedArray } {
  const n = spec.width * spec.height;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const ch = spec.channels === 1 ? 0 : spec.bgr ? 2 - c : c;
      const v = spec.layout === 'nchw' ? x[ch * n + i] : x[i * spec.channels + ch];
      const [mean, std] = channelNorm(spec, ch);
      data[i * 4 + c] = (v * std + mean) * spec.scale;
    }
    data[i * 4 + 3] = 255;
  }
  return { width: spec.width, height: spec.height, data };
}

/** Input tensor dims of a batch of images under a spec. */
export function inputDims(spec: ModelSpec, batch: number): number[] {
  return spec.layout === 'nchw' ? [batch, spec.channels, spec.height, spec.width] : [batch, spec.height, spec.width, spec.channels];
}

/**
 * What toTensor does to this image under the spec, in words for the page's "what the model received":
 * how it was resized (or not), whether its transparent pixels were laid over the matte, whether its
 * colours became gray. A reader sees the picture; these say what the picture alone may not.
 */
export function preprocessSteps(img: RgbaImage, spec: ModelSpec): string[] {
  const { width: w, height: h, data } = img;
  const [W, H] = [spec.width, spec.height];
  const from = `${w}×${h}`;
  const steps: string[] = [];
  if (img.frames) steps.push(`the first of ${img.frames.count}${img.frames.exact ? '' : ' or more'} frames`);
  const share = spec.resize === 'center-crop' && spec.crop ? spec.crop : 1;
  const grow = w * share < W && h * share < H ? `enlarged from ${from}` : `resized from ${from}`;
  // A crop that keeps a share is said even where the image has the input's size: it is cut all the same.
  if (share < 1) steps.push(`centre-cropped to the middle ${+(100 * share).toFixed(1)}% in the input's shape and ${grow}`);
  else if (w !== W || h !== H) {
    const sameRatio = Math.abs(w / h - W / H) < 0.01;
    if (spec.resize === 'pad') {
      const rows = h === H ? from : `${h < H ? 'enlarged' : 'resized'} from ${from} to ${H} rows high`;
      steps.push(w / h >= W / H ? `${rows}, squeezed to the input's width` : `${rows}, the rest of each row padded`);
    } else if (sameRatio) steps.push(grow);
    else steps.push(spec.resize === 'center-crop' ? `centre-cropped to the input's shape and ${grow}` : `${grow}, stretched to the input's shape`);
  }
  let [clear, colour] = [false, false];
  for (let i = 0; i < data.length && !(clear && colour); i += 4) {
    clear ||= data[i + 3] < 255;
    colour ||= data[i] !== data[i + 1] || data[i] !== data[i + 2];
  }
  if (clear) steps.push(`transparent pixels laid over ${spec.matte ?? 'black'}`);
  if (spec.channels === 1 && colour) steps.push('colours made gray');
  else if (spec.bgr) steps.push('channels in BGR order');
  return steps;
}
