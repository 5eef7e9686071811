// Where a model's spec comes from and whether it holds: the model's input shape, a spec file whole or
// in part, a Hugging Face preprocessor_config.json, the profile's own spec; checked against what the
// model's input fixes. (Pixels to tensor under a spec: preprocess.ts.)
import { defined } from '../core/defined.ts';
import { ModelError } from '../core/errors.ts';
import { counted } from '../core/words.ts';
import { classOutput, isFloat, perImageVector, UINT8, type ModelInfo } from './onnx.ts';
import { channelNorm, inputDims } from './preprocess.ts';
import { elementCount } from './reduce.ts';
import type { ModelSpec } from '../types.ts';

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
  // The page and the element take a spec, the CLI flags too: the message names both.
  const fail = (why: string, flags: boolean | string[] = true): never => {
    const open = Array.isArray(flags) ? flags : ['size', 'channels', 'layout'];
    const and = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}` : xs[0]);
    const fields = and(open.map((f) => (f === 'size' ? '"height" and "width"' : `"${f}"`)));
    const how = flags
      ? `. Give ${!Array.isArray(flags) ? 'the input size and layout' : flags.length > 1 ? 'them' : 'it'} in a spec (${fields}; a Hugging Face export's preprocessor_config.json serves as one; in the page, pick the spec .json with the model), or on the command line with ${and(open.map((f) => `--${f}`))}.`
      : '.';
    // An input that a size or layout would complete is there: only its shape is open.
    throw new ModelError(`${Array.isArray(flags) ? "The image input's shape is open" : 'No image input'}: ${why}${how}`, 'no-image-input');
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
  if (!takesPixels(input.elemType)) fail(`input "${input.name}" takes ${typeName(input.elemType)}; histoscan feeds an image as float32, float16 or uint8 (export the model with one of those inputs, e.g. a Cast after it)`, false);
  const guess = imageShape(shape) ?? {};
  const explicit = overrides.height && overrides.width && overrides.channels && overrides.layout;
  if (!explicit && shape.length !== 4 && shape.length !== 3) fail(`${desc}, not a batch of images (rank 4 or 3)`);
  const given = defined(overrides);
  const spec = { inputName: input.name, scale: input.elemType === UINT8 ? 1 : 255, mean: [0], std: [1], resize: 'stretch' as const, ...guess, ...given };
  // A fixed channel axis of another count (RGBA, two-channel): no flag can make it an image histoscan feeds.
  const channelLike = shape.length === 4 && [shape[1], shape[3]].every((d) => typeof d === 'number' && d !== 1 && d !== 3);
  if (!spec.channels && channelLike) fail(`${desc}; histoscan feeds gray (1 channel) or RGB (3 channels) images, and neither axis 1 nor axis 3 holds 1 or 3`, false);
  // Name what is still open, so a user who gave --size learns that only --layout is missing.
  const open = [!(spec.height && spec.width) && 'size', !spec.channels && 'channels', !spec.layout && 'layout'].filter((x): x is string => !!x);
  // One side fixed (a text-line model of any width): name the other, and the size that keeps the fixed one.
  const side = spec.height && !spec.width ? `width (its height is ${spec.height}: e.g. --size ${spec.height}x320, or the width it was trained on)` : spec.width && !spec.height ? `height (its width is ${spec.width}: e.g. --size 320x${spec.width})` : null;
  const named = open.map((f) => (f === 'size' && side ? side : f));
  if (open.length) fail(`${desc}; its ${named.join(' and ')} ${open.length > 1 ? 'are' : 'is'} not fixed`, open);
  return parseSpec(spec);
}

/** How an image meets the input's size (`preprocess.ts toTensor`). */
export const RESIZES: readonly ModelSpec['resize'][] = ['stretch', 'center-crop', 'pad'];
/** The fields a spec may give. */
const SPEC_FIELDS = ['inputName', 'outputName', 'height', 'width', 'channels', 'layout', 'scale', 'mean', 'std', 'bgr', 'resize', 'crop', 'matte', 'classNames', 'probabilities'];

/** Whether JSON gives any field of a spec (a file that merely shares a model's name gives none). */
export function isSpecLike(json: unknown): boolean {
  return !!json && typeof json === 'object' && !Array.isArray(json) && SPEC_FIELDS.some((k) => k in json);
}

/** ONNX element types by name, for messages. */
const TYPE_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'strings', 9: 'booleans', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16' };
const typeName = (t: number) => (TYPE_NAMES[t] ? `${TYPE_NAMES[t]} (ONNX element type ${t})` : `ONNX element type ${t}`);

/** Validate a whole spec (a complete spec file, or a spec stored in a profile); throws ModelError 'bad-spec'. */
export function parseSpec(json: unknown): ModelSpec {
  return checkSpec(json, true) as ModelSpec;
}

/**
 * Validate the fields a user's spec gives (a spec file, the element's `spec` property): what it
 * leaves out the model's input says (specFromModel). A field name it does not know is refused, so a
 * typo is not dropped in silence.
 */
export function parseSpecFields(json: unknown): Partial<ModelSpec> {
  return checkSpec(json, false);
}

function checkSpec(json: unknown, whole: boolean): Partial<ModelSpec> {
  const bad = (why: string): never => {
    throw new ModelError(`Invalid model spec: ${why}.`, 'bad-spec');
  };
  if (!json || typeof json !== 'object' || Array.isArray(json)) bad('not a JSON object');
  const o = json as Record<string, unknown>;
  const unknown = whole ? undefined : Object.keys(o).find((k) => !SPEC_FIELDS.includes(k));
  if (unknown) bad(`no field "${unknown}" (a spec's fields: ${SPEC_FIELDS.join(', ')})`);
  // A whole spec needs every field without a default; a partial one checks the fields it has.
  const need = (k: string) => whole || o[k] !== undefined;
  if (need('inputName') && (typeof o.inputName !== 'string' || !o.inputName)) bad('inputName must be a non-empty string');
  if (o.outputName !== undefined && (typeof o.outputName !== 'string' || !o.outputName)) bad('outputName must be a non-empty string');
  for (const k of ['height', 'width'] as const) if (need(k) && (!Number.isInteger(o[k]) || (o[k] as number) < 1 || (o[k] as number) > 8192)) bad(`${k} must be an integer in [1, 8192], not ${JSON.stringify(o[k])}`);
  if (need('channels') && o.channels !== 1 && o.channels !== 3) bad(`channels must be 1 or 3, not ${JSON.stringify(o.channels)}`);
  if (need('layout') && o.layout !== 'nchw' && o.layout !== 'nhwc') bad(`layout must be "nchw" or "nhwc", not ${JSON.stringify(o.layout)}`);
  if (need('scale') && (typeof o.scale !== 'number' || !(o.scale > 0) || !Number.isFinite(o.scale))) bad('scale must be a positive number (255 maps 8-bit pixels to [0, 1])');
  const arr = (k: 'mean' | 'std') => {
    const v = o[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) return bad(`${k} must be a list of numbers`);
    const fits = v.length === 1 || (o.channels === undefined ? v.length === 3 : v.length === o.channels);
    if (!fits) bad(`${k} must have ${o.channels === 1 ? '1 value for a gray input (channels 1, as the spec or the model says)' : `1 or ${(o.channels as number | undefined) ?? 3} values`}, not ${v.length}`);
    return v as number[];
  };
  const mean = o.mean === undefined ? undefined : arr('mean');
  const std = o.std === undefined ? undefined : arr('std');
  if (std?.some((s) => s === 0)) bad('std must not be 0');
  if (o.resize !== undefined && !RESIZES.includes(o.resize as ModelSpec['resize'])) bad(`resize must be ${RESIZES.map((r) => `"${r}"`).join(', ')}, not ${JSON.stringify(o.resize)}`);
  if (o.crop !== undefined && (typeof o.crop !== 'number' || !(o.crop > 0 && o.crop <= 1))) bad(`crop (the share of the centred region kept) must be a number in (0, 1], such as 0.875, not ${JSON.stringify(o.crop)}`);
  if (o.crop !== undefined && o.crop !== 1 && o.resize !== undefined && o.resize !== 'center-crop') bad(`crop applies to resize "center-crop", and this spec resizes by "${String(o.resize)}"`);
  if (o.bgr !== undefined && typeof o.bgr !== 'boolean') bad('bgr must be true or false');
  if (o.bgr === true && o.channels === 1) bad('bgr (channel order) applies to 3 channels, and this spec feeds 1 (gray): leave it out');
  if (o.matte !== undefined && o.matte !== 'black' && o.matte !== 'white') bad(`matte (what transparent pixels are laid over) must be "black" or "white", not ${JSON.stringify(o.matte)}`);
  if (o.classNames !== undefined && !Array.isArray(o.classNames)) bad('classNames must be a list of strings');
  if (o.probabilities !== undefined && o.probabilities !== 'softmax' && o.probabilities !== 'sigmoid') bad(`probabilities must be "softmax" (one class per image) or "sigmoid" (each class its own: multi-label), not ${JSON.stringify(o.probabilities)}`);
  const given = <T>(k: string, v: T) => (o[k] === undefined ? {} : { [k]: v });
  return {
    ...given('inputName', o.inputName),
    ...given('outputName', o.outputName),
    ...given('height', o.height),
    ...given('width', o.width),
    ...given('channels', o.channels),
    ...given('layout', o.layout),
    ...given('scale', o.scale),
    ...(whole ? { mean: mean ?? [0], std: std ?? [1], resize: (o.resize ?? 'stretch') as ModelSpec['resize'] } : { ...given('mean', mean), ...given('std', std), ...given('resize', o.resize) }),
    ...(o.bgr ? { bgr: true } : {}),
    ...(typeof o.crop === 'number' && o.crop < 1 ? { crop: o.crop } : {}),
    ...given('matte', o.matte),
    ...(Array.isArray(o.classNames) ? { classNames: (o.classNames as unknown[]).map(String) } : {}),
    ...given('probabilities', o.probabilities),
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
 * What a preprocessor_config.json says about the input: its size (the crop when it centre-crops, and
 * the share of the resized image that crop keeps), scaling (1 / rescale_factor) and normalisation. Input name, channels and layout come from the model.
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
  const resized = side(o.size);
  // ConvNeXt's crop_pct: a short side under 384 is resized to size / crop_pct, then size is cropped from its middle.
  const pct = !crop && typeof o.crop_pct === 'number' && o.crop_pct > 0 && o.crop_pct < 1 && resized && resized.height < 384 ? o.crop_pct : undefined;
  const size = crop ?? resized ?? bad('it gives no size (size.height and size.width, size.shortest_edge, or crop_size)');
  // A crop from a larger resize (256 then 224) keeps that share of the centred region, not all of it.
  const share = pct ?? (crop && resized && resized.height > crop.height ? crop.height / resized.height : undefined);
  const list = (v: unknown, d: number) => (Array.isArray(v) ? v.map(Number) : typeof v === 'number' ? [v] : [d]);
  const normalise = o.do_normalize !== false;
  return {
    ...size,
    scale: o.do_rescale === false ? 1 : 1 / Number(o.rescale_factor ?? 1 / 255),
    mean: normalise ? list(o.image_mean, 0) : [0],
    std: normalise ? list(o.image_std, 1) : [1],
    resize: crop || pct ? 'center-crop' : 'stretch',
    ...(share ? { crop: share } : {}),
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
 * A spec file's JSON as a source: a histoscan spec, whole or in part, or a preprocessor_config.json,
 * with class names from an id2label merged into it from the model's config.json. The model says what
 * either leaves out.
 */
export function specSource(json: unknown): Pick<SpecSources, 'spec'> {
  if (!isPreprocessorConfig(json)) return { spec: parseSpecFields(json) };
  const classNames = classNamesFromConfig(json);
  return { spec: { ...fromPreprocessorConfig(json), ...(classNames ? { classNames } : {}) } };
}

/** Where a model's preprocessing can come from, most specific first. */
export interface SpecSources {
  /** Single fields given by the user (CLI flags); they win over everything. */
  overrides?: Partial<ModelSpec>;
  /** A spec the user named (a --spec file, the element's `spec` property), whole or in part. */
  spec?: Partial<ModelSpec>;
  /** The spec stored in the profile being used. */
  profileSpec?: ModelSpec;
  /** A `<model>.json` found beside the model file, whole or in part. */
  beside?: Partial<ModelSpec>;
}

/**
 * The one spec fallback: the profile's spec, else one beside the model, else what the model's input
 * shape says; the user's spec and single overrides on top. (Where a profile is used, fields that
 * differ from its own are refused later: detector/index.ts checkCompatible.) A spec beside the model
 * gives a profile only its class names: the profile keeps the preprocessing it was built with,
 * flags included, and the CLI says where the file beside differs (cli/spec-flags.ts besideNote).
 */
export function resolveSpec(info: ModelInfo, sources: SpecSources): ModelSpec {
  const s = { ...sources, spec: checkedPart('spec', sources.spec), beside: checkedPart('beside', sources.beside) };
  const overrides = checkedPart('overrides', defined(sources.overrides ?? {}));
  const labels = s.beside?.classNames ? { classNames: s.beside.classNames } : {};
  const spec = s.profileSpec ? parseSpec({ ...s.profileSpec, ...labels, ...s.spec, ...overrides }) : specFromModel(info, { ...(s.spec ?? s.beside), ...overrides });
  checkFixedSize(info, spec);
  checkClassNames(info, spec);
  return spec;
}

/**
 * A spec part as a caller passed it (the Node API takes objects, as JSON.parse gives them), its fields
 * checked: a misspelt field or a file's path would otherwise leave the model's own preprocessing unsaid.
 */
function checkedPart<T>(what: keyof SpecSources, part: T): T {
  if (part === undefined) return part;
  if (typeof part === 'string') {
    throw new ModelError(`The ${what} must be a spec's fields as an object (such as { "mean": [0.5], "std": [0.5] }), not the string ${JSON.stringify(part)}: specSources({ spec: ${JSON.stringify(part)} }, 'model.onnx') reads a spec file.`, 'bad-spec');
  }
  parseSpecFields(part);
  return part;
}

/** Class names that do not match the class output's length would label every result wrongly. */
function checkClassNames(info: ModelInfo, spec: ModelSpec): void {
  const output = info.outputs.find((o) => o.name === (spec.outputName ?? classOutput(info)));
  const names = spec.classNames;
  if (!names || !output || !perImageVector(output.shape)) return;
  const per = output.shape.slice(1);
  if (!per.every((d) => typeof d === 'number')) return;
  const k = elementCount(per as number[]);
  if (names.length === k) return;
  throw new ModelError(
    `The spec names ${names.length} class${names.length === 1 ? '' : 'es'} ("classNames"), but the model's output "${output.name}" [${output.shape.join(', ')}] gives ${k} per image. Give one name per class, in the output's order, or leave "classNames" out.`,
    'bad-spec',
  );
}

/** A size, channel count or layout the model's input fixes otherwise: refused here rather than by onnxruntime mid-run. */
function checkFixedSize(info: ModelInfo, spec: ModelSpec): void {
  const input = info.inputs.find((i) => i.name === spec.inputName);
  if (!input) return;
  const want = inputDims(spec, 1).slice(1);
  // A gray [N, H, W] input has no channel axis.
  const fed = input.shape.length === 3 && spec.channels === 1 ? want.filter((_, i) => i !== (spec.layout === 'nchw' ? 0 : 2)) : want;
  const has = input.shape.slice(1);
  if (fed.length !== has.length || has.every((d, i) => typeof d !== 'number' || d < 1 || d === fed[i])) return;
  throw new ModelError(
    `The model's input "${input.name}" is fixed at [${input.shape.join(', ')}], but the spec feeds [N, ${fed.join(', ')}] (${spec.height}×${spec.width}, ${counted(spec.channels, 'channel')}, ${spec.layout}). Drop what disagrees with the model: the spec's "height", "width", "channels" or "layout", or the command line's --size, --channels or --layout.`,
    'bad-spec',
  );
}

/** Below this width of the input's range over pixels 0 to 255, a spec's mean and std are in another unit than its scale. */
const SLIVER = 0.05;

/**
 * Where a spec maps every pixel value (0 to 255) into a sliver of the input's range, which no model is
 * trained on: mean and std given for pixels in [0, 255] while scale divides them by 255 (a Keras
 * model's 127.5). Undefined where the range is wide enough.
 */
export function pixelRangeWarning(spec: ModelSpec): string | undefined {
  const ends = Array.from({ length: spec.channels }, (_, c) => {
    const [m, s] = channelNorm(spec, c);
    return [(0 / spec.scale - m) / s, (255 / spec.scale - m) / s];
  });
  const [lo, hi] = ends.reduce((a, b) => (Math.abs(b[1] - b[0]) < Math.abs(a[1] - a[0]) ? b : a));
  if (Math.abs(hi - lo) >= SLIVER) return undefined;
  const top = +(255 / spec.scale).toPrecision(3);
  return `the preprocessing maps pixels 0 to 255 to [${lo.toFixed(3)}, ${hi.toFixed(3)}]: the model sees nearly the same value in every pixel. Mean and std apply after the division by scale (${spec.scale}: pixels in [0, ${top}]), so for inputs in [-1, 1] give mean 0.5 and std 0.5 (or scale 127.5, mean 1 and std 1).`;
}
