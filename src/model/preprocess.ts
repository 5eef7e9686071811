// Pixels to model input, from a model spec. Pure and DOM-free: the worker and the CLI both call
// it on RGBA pixels, so the same image gives the same tensor in the browser and in Node.
import { ModelError, type ModelInfo } from './onnx.ts';
import type { ModelSpec, RgbaImage } from '../types.ts';

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

function resizePlane(src: Float32Array, w: number, h: number, dw: number, dh: number): Float32Array {
  const a = dw === w ? src : resizeAxis(src, w, h, dw, true);
  return dh === h ? a : resizeAxis(a, dw, h, dh, false);
}

/**
 * One image to a Float32Array in the model's layout: x = (pixel / scale - mean[c]) / std[c].
 * Transparent pixels are composited over black (the background of MNIST-like data); grayscale
 * is round(0.299 R + 0.587 G + 0.114 B) on the 8-bit values, before resizing.
 */
export function toTensor(img: RgbaImage, spec: ModelSpec): Float32Array {
  const { width: w, height: h, data } = img;
  let x0 = 0;
  let y0 = 0;
  let cw = w;
  let ch = h;
  if (spec.resize === 'center-crop') {
    const target = spec.width / spec.height;
    if (w / h > target) {
      cw = Math.max(1, Math.round(h * target));
      x0 = Math.floor((w - cw) / 2);
    } else {
      ch = Math.max(1, Math.round(w / target));
      y0 = Math.floor((h - ch) / 2);
    }
  }
  const planes: Float32Array[] = [];
  const C = spec.channels;
  for (let c = 0; c < C; c++) planes.push(new Float32Array(cw * ch));
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = ((y + y0) * w + (x + x0)) * 4;
      const a = data[i + 3] / 255;
      const r = data[i] * a;
      const g = data[i + 1] * a;
      const b = data[i + 2] * a;
      const o = y * cw + x;
      if (C === 1) planes[0][o] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else {
        planes[0][o] = spec.bgr ? b : r;
        planes[1][o] = g;
        planes[2][o] = spec.bgr ? r : b;
      }
    }
  }
  const H = spec.height;
  const W = spec.width;
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    const p = resizePlane(planes[c], cw, ch, W, H);
    const mean = spec.mean[c] ?? spec.mean[0] ?? 0;
    const std = spec.std[c] ?? spec.std[0] ?? 1;
    for (let i = 0; i < H * W; i++) {
      const v = (p[i] / spec.scale - mean) / std;
      if (spec.layout === 'nchw') out[c * H * W + i] = v;
      else out[i * C + c] = v;
    }
  }
  return out;
}

/** Spec from a static image input: [N,C,H,W] or [N,H,W,C] with C in {1, 3}; pixels to [0, 1]. */
export function specFromModel(info: ModelInfo, overrides: Partial<ModelSpec> = {}): ModelSpec {
  const input = overrides.inputName ? info.inputs.find((i) => i.name === overrides.inputName) : info.inputs[0];
  const fail = (why: string): never => {
    throw new ModelError(`No image input: ${why}. Give the input size and layout with --size, --channels and --layout or a --spec file.`, 'no-image-input');
  };
  if (!input) fail('the model has no inputs');
  const shape = input!.shape;
  let guess: Partial<ModelSpec> = {};
  if (input!.elemType !== 1 && input!.elemType !== 0) fail(`input "${input!.name}" is not float32`);
  if (shape.length === 4) {
    const [, a, b, c] = shape;
    if ((a === 1 || a === 3) && typeof b === 'number' && typeof c === 'number') guess = { channels: a, height: b, width: c, layout: 'nchw' };
    else if ((c === 1 || c === 3) && typeof a === 'number' && typeof b === 'number') guess = { channels: c, height: a, width: b, layout: 'nhwc' };
  } else if (!overrides.height) fail(`input "${input!.name}" has shape [${shape.join(', ')}], not an image batch`);
  const spec = { inputName: input!.name, scale: 255, mean: [0], std: [1], resize: 'stretch' as const, ...guess, ...overrides };
  if (!spec.height || !spec.width || !spec.channels || !spec.layout) fail(`input "${input!.name}" has shape [${shape.join(', ')}]; its size or channels are not fixed`);
  return parseSpec(spec);
}

/** Validate a spec (a spec file, or a spec stored in a profile). */
export function parseSpec(json: unknown): ModelSpec {
  const o = json as Record<string, unknown>;
  const bad = (why: string): never => {
    throw new ModelError(`Invalid model spec: ${why}.`, 'no-image-input');
  };
  if (!o || typeof o !== 'object') bad('not a JSON object');
  if (typeof o.inputName !== 'string') bad('inputName must be a string');
  for (const k of ['height', 'width'] as const) if (!Number.isInteger(o[k]) || (o[k] as number) < 1 || (o[k] as number) > 8192) bad(`${k} must be an integer in [1, 8192]`);
  if (o.channels !== 1 && o.channels !== 3) bad('channels must be 1 or 3');
  if (o.layout !== 'nchw' && o.layout !== 'nhwc') bad('layout must be nchw or nhwc');
  if (typeof o.scale !== 'number' || !(o.scale > 0)) bad('scale must be a positive number');
  const arr = (k: string, d: number) => {
    const v = o[k] ?? [d];
    if (!Array.isArray(v) || !v.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(`${k} must be a list of numbers`);
    return v as number[];
  };
  const std = arr('std', 1);
  if (std.some((s) => s === 0)) bad('std must not be 0');
  const resize = (o.resize ?? 'stretch') as string;
  if (resize !== 'stretch' && resize !== 'center-crop') bad('resize must be stretch or center-crop');
  return {
    inputName: o.inputName as string,
    ...(typeof o.outputName === 'string' ? { outputName: o.outputName } : {}),
    height: o.height as number,
    width: o.width as number,
    channels: o.channels as 1 | 3,
    layout: o.layout as 'nchw' | 'nhwc',
    scale: o.scale as number,
    mean: arr('mean', 0),
    std,
    ...(o.bgr ? { bgr: true } : {}),
    resize: resize as 'stretch' | 'center-crop',
    ...(Array.isArray(o.classNames) ? { classNames: (o.classNames as unknown[]).map(String) } : {}),
  };
}
