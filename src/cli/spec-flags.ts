// The model's preprocessing as the command line gives it: single flags, a --spec file, a spec beside
// the model; and what the CLI says where the preprocessing was assumed or a profile's own is used.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { preprocessingChanges, UsageError } from '../core/index.ts';
import { isPreprocessorConfig, isSpecLike, parseSpec, specSource, type SpecSources } from '../model/spec.ts';
import type { ModelSpec } from '../types.ts';
import { readBytes } from './io.ts';

export interface SpecFlags {
  spec?: string;
  size?: string;
  channels?: string;
  layout?: string;
  scale?: string;
  mean?: string;
  std?: string;
  bgr?: boolean;
  matte?: 'black' | 'white';
  centerCrop?: boolean;
  resize?: ModelSpec['resize'];
  crop?: string;
  input?: string;
  output?: string;
}

const numbers = (s: string, flag: string) => {
  const v = s.split(',').map(Number);
  if (v.some((x) => !Number.isFinite(x))) throw new UsageError(`${flag} wants numbers, got "${s}"`);
  return v;
};

/**
 * Where the preprocessing spec can come from on the command line: single flags, a --spec file,
 * a `<model>.json` beside the model. The profile's own spec and the model's input shape are
 * the pipeline's fallbacks (model/spec.ts resolveSpec).
 */
export function specSources(flags: SpecFlags, modelPath: string): SpecSources {
  const o: Partial<ModelSpec> = {};
  if (flags.size) {
    const m = /^([1-9]\d*)x([1-9]\d*)$/i.exec(flags.size);
    if (!m) throw new UsageError(`--size wants HxW in pixels, e.g. 224x224, got "${flags.size}"`);
    o.height = Number(m[1]);
    o.width = Number(m[2]);
  }
  if (flags.channels) {
    if (flags.channels !== '1' && flags.channels !== '3') throw new UsageError('--channels wants 1 or 3');
    o.channels = Number(flags.channels) as 1 | 3;
  }
  if (flags.layout) {
    if (flags.layout !== 'nchw' && flags.layout !== 'nhwc') throw new UsageError('--layout wants nchw or nhwc');
    o.layout = flags.layout;
  }
  if (flags.scale) o.scale = numbers(flags.scale, '--scale')[0];
  if (flags.mean) o.mean = numbers(flags.mean, '--mean');
  if (flags.std) o.std = numbers(flags.std, '--std');
  if (flags.bgr) o.bgr = true;
  if (flags.matte) o.matte = flags.matte;
  if (flags.centerCrop && flags.resize && flags.resize !== 'center-crop') throw new UsageError(`--center-crop and --resize ${flags.resize} disagree`);
  if (flags.resize) o.resize = flags.resize;
  else if (flags.centerCrop || flags.crop) o.resize = 'center-crop'; // a share to keep is of a centre crop
  if (flags.crop) o.crop = numbers(flags.crop, '--crop')[0];
  if (flags.input) o.inputName = flags.input;
  if (flags.output) o.outputName = flags.output;
  const named = flags.spec ? { spec: specFile(flags.spec, true) } : {};
  const path = besidePath(modelPath);
  const beside = !flags.spec && existsSync(path) ? specFile(path, false) : undefined;
  return { overrides: o, ...named, beside };
}

const besidePath = (modelPath: string) => join(dirname(modelPath), `${basename(modelPath, extname(modelPath))}.json`);

/**
 * A profile keeps the preprocessing it was built with (model/spec.ts resolveSpec): where the spec
 * beside the model says otherwise (edited since, or the profile built with flags), say which is used.
 */
export function besideNote(src: SpecSources, modelPath: string, profileSpec: ModelSpec | undefined): string | undefined {
  if (!src.beside || !profileSpec) return undefined;
  const changes = preprocessingChanges(profileSpec, parseSpec({ ...profileSpec, ...src.beside }), ['in the profile', 'in the file']);
  if (!changes.length) return undefined;
  return `${besidePath(modelPath)} preprocesses otherwise than the profile (${changes.join('; ')}): the profile's own is used; if the file is right, build the profile again.`;
}

/**
 * Where nothing but the model's input gave the preprocessing (no spec file, no flag for the pixel
 * values or the resize): what was assumed, for the user to check against how the model was trained;
 * where the pixel values were given and the resize was not, that the images will be stretched.
 */
export function assumedPreprocessing(src: SpecSources, spec: ModelSpec): string | undefined {
  const o = src.overrides ?? {};
  const given = o.resize ?? src.spec?.resize ?? src.beside?.resize;
  if (src.spec || src.beside || o.scale !== undefined || o.mean || o.std || o.bgr) {
    // The pixel values were given, the resize was not: a photo's aspect ratio is lost without a word.
    return given || spec.resize !== 'stretch' ? undefined : `no resize was given: images are stretched to ${spec.height}x${spec.width} (HxW, as --size), whatever their aspect ratio; if the model was trained on centre crops or padded text lines, give --resize center-crop|pad (or "resize" in the spec); --resize stretch says this is meant.`;
  }
  if (given) return undefined;
  const pixels = spec.scale === 1 ? 'pixels as they are (0 to 255)' : `pixels to [0, ${+(255 / spec.scale).toPrecision(3)}]`;
  return `preprocessing assumed from the input alone: ${pixels}, no mean or std, ${spec.channels === 3 ? 'RGB' : 'gray'}, stretched to ${spec.height}x${spec.width} (HxW, as --size); if the model was trained otherwise, give --mean/--std (--scale, --bgr, --resize center-crop|pad) or --spec.`;
}

/**
 * A spec file's fields. One found beside the model (`named` false) that is not JSON or gives no
 * spec field is another file sharing the model's name (a TensorFlow.js model.json): not a spec.
 */
function specFile(path: string, named: boolean): Partial<ModelSpec> | undefined {
  if (named && !existsSync(path)) throw new UsageError(`No such spec file: ${path}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(readBytes(path, 'spec')));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (!named) return undefined;
    throw new UsageError(`The spec file ${path} is not JSON: ${(e as Error).message}`);
  }
  if (!named && !isSpecLike(json) && !isPreprocessorConfig(json)) return undefined;
  // A preprocessor_config.json takes its class names from the config.json beside it (a Hugging Face model folder).
  const config = isPreprocessorConfig(json) ? join(dirname(path), 'config.json') : '';
  const labels = config && existsSync(config) ? { id2label: (JSON.parse(readFileSync(config, 'utf8')) as { id2label?: unknown }).id2label } : null;
  try {
    return specSource(labels ? { ...(json as object), ...labels } : json).spec;
  } catch (e) {
    throw new UsageError(`${(e as Error).message} In ${path}${named ? '' : ' (read as the spec of the model beside it)'}.`);
  }
}
