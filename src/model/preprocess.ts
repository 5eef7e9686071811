// Pixels to model input, from a model spec. Pure and DOM-free: the worker and the CLI both call
// it on RGBA pixels, so the same image gives the same tensor in the browser and in Node.
import { ModelError } from '../core/errors.ts';
import { isFloat, UINT8, type ModelInfo } from './onnx.ts';
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
 * One image (RGBA, 8-bit) to a Float32Array in the model's layout, batch axis excluded:
 * x = (pixel / scale - mean[c]) / std[c].
 * - Alpha: transparent pixels are composited over BLACK (the background of MNIST / Fashion-MNIST
 *   style data; a transparent PNG of a garment then looks like the training images).
 * - Gray (channels 1): round(0.299 R + 0.587 G + 0.114 B) on the 8-bit composited values, before
 *   resizing (so it matches PIL's convert('L')).
 * - Channels 3: RGB, or BGR when spec.bgr.
 * - Resize to spec.height x spec.width: 'stretch', or 'center-crop' (the largest centred region
 *   with the target aspect ratio, then resize). Sampling is separable: bilinear (pixel-centre
 *   aligned, like align_corners=false) when enlarging an axis, area-average when shrinking it, so
 *   large photos do not alias; a constant image stays constant either way.
 */
export function toTensor(img: RgbaImage, spec: ModelSpec): Float32Array {
  const { width: w, height: h, data } = img;
  if (!(w >= 1 && h >= 1) || data.length < w * h * 4) {
    throw new RangeError(`Image of ${w}x${h} pixels needs ${w * h * 4} RGBA bytes, has ${data.length}.`);
  }
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

/** [channels, height, width, layout] when `shape` is a float image batch with static size, else null. */
function imageShape(shape: (number | string)[]): Partial<Pick<ModelSpec, 'channels' | 'height' | 'width' | 'layout'>> | null {
  const num = (v: number | string | undefined): v is number => typeof v === 'number' && v > 0;
  if (shape.length === 4) {
    const [, a, b, c] = shape;
    if ((a === 1 || a === 3) && num(b) && num(c)) return { channels: a, height: b, width: c, layout: 'nchw' };
    if ((c === 1 || c === 3) && num(a) && num(b)) return { channels: c, height: a, width: b, layout: 'nhwc' };
    // A symbolic height or width (Hugging Face exports; text-line models of any width): the channels,
    // the layout and the side that is fixed, the rest left to the spec.
    const sides = (h: number | string | undefined, w: number | string | undefined) => ({ ...(num(h) ? { height: h } : {}), ...(num(w) ? { width: w } : {}) });
    if ((a === 1 || a === 3) && !(num(b) && num(c))) return { channels: a, layout: 'nchw', ...sides(b, c) };
    if ((c === 1 || c === 3) && !(num(a) && num(b))) return { channels: c, layout: 'nhwc', ...sides(a, b) };
  }
  // [N, H, W]: gray images without a channel axis (the session drops the unit channel when feeding).
  if (shape.length === 3 && num(shape[1]) && num(shape[2])) return { channels: 1, height: shape[1], width: shape[2], layout: 'nchw' };
  return null;
}

/**
 * Spec from a static image input: [N,C,H,W] (nchw) or [N,H,W,C] (nhwc) with C in {1, 3}, or a gray
 * [N,H,W]; pixels to [0, 1] (scale 255, mean 0, std 1), stretch resize. `overrides` win, and may
 * supply what the shape leaves open (a symbolic size, an ambiguous layout).
 */
export function specFromModel(info: ModelInfo, overrides: Partial<ModelSpec> = {}): ModelSpec {
  // `flags`: whether a size, layout or spec could help, and the message says how to give them.
  const fail = (why: string, flags = true): never => {
    const how = flags ? '. Give the input size and layout with --size, --channels and --layout or a --spec file (a histoscan spec, or the preprocessor_config.json a Hugging Face export ships).' : '.';
    throw new ModelError(`No image input: ${why}${how}`, 'no-image-input');
  };
  // float32 (0: undeclared) or float16, or uint8 pixels as such (exports that fold the scaling into the graph)
  const takesPixels = (t: number) => t === 0 || isFloat(t) || t === UINT8;
  let input = overrides.inputName ? info.inputs.find((i) => i.name === overrides.inputName) : undefined;
  if (overrides.inputName && !input) fail(`the model has no input "${overrides.inputName}" (its inputs: ${info.inputs.map((i) => i.name).join(', ') || 'none'})`);
  input ??= info.inputs.find((i) => takesPixels(i.elemType) && imageShape(i.shape)) ?? info.inputs.find((i) => takesPixels(i.elemType) && (i.shape.length === 4 || i.shape.length === 3)) ?? info.inputs[0];
  if (!input) return fail('the model has no inputs');
  const shape = input.shape;
  const desc = `input "${input.name}" has shape [${shape.join(', ')}]`;
  // No size or layout helps here: say what the input takes instead.
  if (!takesPixels(input.elemType)) fail(`input "${input.name}" takes ONNX element type ${input.elemType}; histoscan feeds an image as float32, float16 or uint8`, false);
  const guess = imageShape(shape) ?? {};
  const explicit = overrides.height && overrides.width && overrides.channels && overrides.layout;
  if (!explicit && shape.length !== 4 && shape.length !== 3) fail(`${desc}, not a batch of images (rank 4 or 3)`);
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<ModelSpec>;
  const spec = { inputName: input.name, scale: input.elemType === UINT8 ? 1 : 255, mean: [0], std: [1], resize: 'stretch' as const, ...guess, ...given };
  // A fixed channel axis of another count (RGBA, two-channel): no flag can make it an image histoscan feeds.
  const channelLike = shape.length === 4 && [shape[1], shape[3]].every((d) => typeof d === 'number' && d !== 1 && d !== 3);
  if (!spec.channels && channelLike) fail(`${desc}; histoscan feeds gray (1 channel) or RGB (3 channels) images, and neither axis 1 nor axis 3 holds 1 or 3`, false);
  if (!spec.height || !spec.width || !spec.channels || !spec.layout) fail(`${desc}; its size or channels are not fixed`);
  return parseSpec(spec);
}

/** Validate a spec (a spec file, or a spec stored in a profile); throws ModelError 'bad-spec'. */
export function parseSpec(json: unknown): ModelSpec {
  const bad = (why: string): never => {
    throw new ModelError(`Invalid model spec: ${why}.`, 'bad-spec');
  };
  if (!json || typeof json !== 'object' || Array.isArray(json)) bad('not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.inputName !== 'string' || !o.inputName) bad('inputName must be a non-empty string');
  if (o.outputName !== undefined && typeof o.outputName !== 'string') bad('outputName must be a string');
  for (const k of ['height', 'width'] as const) if (!Number.isInteger(o[k]) || (o[k] as number) < 1 || (o[k] as number) > 8192) bad(`${k} must be an integer in [1, 8192], not ${JSON.stringify(o[k])}`);
  if (o.channels !== 1 && o.channels !== 3) bad(`channels must be 1 or 3, not ${JSON.stringify(o.channels)}`);
  const channels = o.channels as 1 | 3;
  if (o.layout !== 'nchw' && o.layout !== 'nhwc') bad(`layout must be "nchw" or "nhwc", not ${JSON.stringify(o.layout)}`);
  if (typeof o.scale !== 'number' || !(o.scale > 0) || !Number.isFinite(o.scale)) bad('scale must be a positive number (255 maps 8-bit pixels to [0, 1])');
  const arr = (k: string, d: number) => {
    const v = o[k] ?? [d];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(`${k} must be a list of numbers`);
    const a = v as number[];
    if (a.length !== 1 && a.length !== channels) bad(`${k} must have 1 or ${channels} values, not ${a.length}`);
    return a;
  };
  const mean = arr('mean', 0);
  const std = arr('std', 1);
  if (std.some((s) => s === 0)) bad('std must not be 0');
  const resize = o.resize ?? 'stretch';
  if (resize !== 'stretch' && resize !== 'center-crop') bad(`resize must be "stretch" or "center-crop", not ${JSON.stringify(resize)}`);
  if (o.bgr !== undefined && typeof o.bgr !== 'boolean') bad('bgr must be true or false');
  if (o.classNames !== undefined && !Array.isArray(o.classNames)) bad('classNames must be a list of strings');
  return {
    inputName: o.inputName as string,
    ...(typeof o.outputName === 'string' ? { outputName: o.outputName } : {}),
    height: o.height as number,
    width: o.width as number,
    channels,
    layout: o.layout as 'nchw' | 'nhwc',
    scale: o.scale as number,
    mean,
    std,
    ...(o.bgr ? { bgr: true } : {}),
    resize: resize as 'stretch' | 'center-crop',
    ...(Array.isArray(o.classNames) ? { classNames: (o.classNames as unknown[]).map(String) } : {}),
  };
}

/**
 * Whether JSON is a Hugging Face image processor's preprocessor_config.json (what transformers.js
 * models ship beside their ONNX files) rather than a histoscan spec.
 */
export function isPreprocessorConfig(json: unknown): json is Record<string, unknown> {
  const o = json as Record<string, unknown> | null;
  return !!o && typeof o === 'object' && !('inputName' in o) && ('image_processor_type' in o || 'feature_extractor_type' in o || 'image_mean' in o);
}

/**
 * What a preprocessor_config.json says about the input: its size (the crop when it centre-crops),
 * scaling (1 / rescale_factor) and normalisation. Input name, channels and layout come from the model.
 */
export function fromPreprocessorConfig(o: Record<string, unknown>): Partial<ModelSpec> {
  const bad = (why: string): never => {
    throw new ModelError(`Invalid preprocessor_config.json: ${why}.`, 'bad-spec');
  };
  const side = (v: unknown): { height: number; width: number } | undefined => {
    if (typeof v === 'number') return { height: v, width: v };
    const s = v as Record<string, number> | undefined;
    if (s && typeof s === 'object') {
      if (s.height && s.width) return { height: s.height, width: s.width };
      if (s.shortest_edge) return { height: s.shortest_edge, width: s.shortest_edge };
    }
    return undefined;
  };
  const crop = o.do_center_crop === true ? side(o.crop_size) : undefined;
  const size = crop ?? side(o.size) ?? bad('it gives no size (size.height and size.width, size.shortest_edge, or crop_size)');
  const list = (v: unknown, d: number) => (Array.isArray(v) ? v.map(Number) : typeof v === 'number' ? [v] : [d]);
  const normalise = o.do_normalize !== false;
  return {
    ...size,
    scale: o.do_rescale === false ? 1 : 1 / Number(o.rescale_factor ?? 1 / 255),
    mean: normalise ? list(o.image_mean, 0) : [0],
    std: normalise ? list(o.image_std, 1) : [1],
    resize: crop ? 'center-crop' : 'stretch',
  };
}

/** Class names from a Hugging Face model config.json's id2label ({"0": "tench", …}), when it has one for every index. */
export function classNamesFromConfig(json: unknown): string[] | undefined {
  const labels = (json as { id2label?: Record<string, unknown> } | null)?.id2label;
  if (!labels || typeof labels !== 'object') return undefined;
  const names = Array.from({ length: Object.keys(labels).length }, (_, i) => labels[String(i)]);
  return names.length && names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
}

/**
 * A spec file's JSON as a source: a histoscan spec, or a preprocessor_config.json for the model to
 * complete, with class names from an id2label merged into it from the model's config.json.
 */
export function specSource(json: unknown): Pick<SpecSources, 'spec' | 'preprocessor'> {
  if (!isPreprocessorConfig(json)) return { spec: parseSpec(json) };
  const classNames = classNamesFromConfig(json);
  return { preprocessor: { ...fromPreprocessorConfig(json), ...(classNames ? { classNames } : {}) } };
}

/** Where a model's preprocessing can come from, most specific first. */
export interface SpecSources {
  /** Single fields given by the user (CLI flags); they win over everything. */
  overrides?: Partial<ModelSpec>;
  /** A spec the user named (a --spec file, the element's `spec` property). */
  spec?: ModelSpec;
  /** A preprocessor_config.json the user named in its place: size and scaling; the model says the rest. */
  preprocessor?: Partial<ModelSpec>;
  /** The spec stored in the profile being used. */
  profileSpec?: ModelSpec;
  /** A `<model>.json` found beside the model file. */
  beside?: ModelSpec;
}

/**
 * The one spec fallback: the user's spec (or preprocessor config, completed from the model), else the
 * profile's, else one beside the model, else what the model's static input shape implies; single
 * overrides applied on top.
 */
export function resolveSpec(info: ModelInfo, s: SpecSources): ModelSpec {
  const overrides = Object.fromEntries(Object.entries(s.overrides ?? {}).filter(([, v]) => v !== undefined)) as Partial<ModelSpec>;
  if (!s.spec && s.preprocessor) return specFromModel(info, { ...s.preprocessor, ...overrides });
  const base = s.spec ?? s.profileSpec ?? s.beside;
  return base ? parseSpec({ ...base, ...overrides }) : specFromModel(info, overrides);
}

/** Input tensor dims of a batch of images under a spec. */
export function inputDims(spec: ModelSpec, batch: number): number[] {
  return spec.layout === 'nchw' ? [batch, spec.channels, spec.height, spec.width] : [batch, spec.height, spec.width, spec.channels];
}
