// Node-side plumbing of the CLI: files, folders, specs, atomic writes. No pipeline logic here.
import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { decodeProfile, preprocessingChanges, UsageError, type Profile } from '../core/index.ts';
import { holdOut, type ImageSource } from '../detector/index.ts';
import { DEFAULTS } from '../defaults.ts';
import { decodeImage } from '../model/decode-node.ts';
import { IMAGE_EXTENSIONS } from '../model/image-errors.ts';
import { inspectModel, type ModelInfo } from '../model/onnx.ts';
import { isPreprocessorConfig, isSpecLike, parseSpec, specSource, type SpecSources } from '../model/spec.ts';
import type { ModelSpec } from '../types.ts';

const IMAGE_EXT = new Set(IMAGE_EXTENSIONS.map((e) => `.${e}`));

/**
 * Image files of the given paths: a file as given; a folder, the image files in it and in its
 * subfolders (a folder per class, as training sets are laid out), in sorted path order. Files a
 * folder holds that are not images by their name are left out and counted on stderr, so a user
 * sees why they were not checked.
 */
export function listImages(paths: string[]): string[] {
  const out: string[] = [];
  const left: string[] = [];
  const broken: string[] = [];
  const unreadable: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string, top = false) => {
    let names: string[];
    try {
      const real = realpathSync(dir);
      if (seen.has(real)) return; // a link back up the tree
      seen.add(real);
      names = readdirSync(dir).sort();
    } catch (e) {
      // A folder given is the user's to fix; one found inside is left out, and said so, so the rest is still checked.
      if (top) throw new UsageError(`Cannot read the folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      unreadable.push(dir);
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (n.startsWith('.')) continue;
      if (!existsSync(p)) {
        broken.push(p); // a link to nothing
        continue;
      }
      if (statSync(p).isDirectory()) walk(p);
      else (IMAGE_EXT.has(extname(n).toLowerCase()) ? out : left).push(p);
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`No such file or folder: ${p}`);
    if (statSync(p).isDirectory()) walk(p, true);
    else out.push(p);
  }
  // What was left out, counted, with the first few named.
  const note = (list: string[], what: string, why: string) => {
    if (list.length) console.error(`note: left out ${list.length} ${what}${list.length > 1 ? 's' : ''} ${why}: ${list.slice(0, 3).join(', ')}${list.length > 3 ? ', …' : ''}`);
  };
  note(unreadable, 'folder', 'that could not be read');
  note(broken, 'link', 'to nothing');
  note(left, 'file', `not named as images (${[...IMAGE_EXT].join(' ')})`);
  return out;
}

/** Every `step`-th file starting at `k` (0-based) for `--shard K/N`. */
export function shard(files: string[], spec?: string): string[] {
  if (!spec) return files;
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard wants K/N with 0 <= K < N, got "${spec}"`);
  const [k, n] = [Number(m[1]), Number(m[2])];
  return files.filter((_, i) => i % n === k);
}

export function fileSource(files: string[]): ImageSource {
  return {
    count: files.length,
    name: (i) => files[i],
    load: async (i) => decodeImage(new Uint8Array(readFileSync(files[i])), basename(files[i])),
  };
}

/**
 * Every 5th image of `dir` held out to calibrate (detector/features.ts holdOut), and the note that
 * says so, for the caller to print once the model has opened (a model that does not is said first).
 */
export function heldOut(given: ImageSource, dir: string, alternatives: string): { background: ImageSource; calibration: ImageSource | null; note?: string } {
  const split = holdOut(given, DEFAULTS.calibrationShare);
  if (!split.calibration) return split;
  const every = Math.round(1 / DEFAULTS.calibrationShare);
  return { ...split, note: `calibrating on ${split.calibration.count} of the ${given.count} images in ${dir} (every ${every}th), the other ${split.background.count} are the background; ${alternatives}.` };
}

export function readModel(path: string): { bytes: Uint8Array; info: ModelInfo } {
  const bytes = readModelBytes(path);
  return { bytes, info: inspectModel(bytes) };
}

/** The model file's bytes, unparsed (the detector parses them once). */
export function readModelBytes(path: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`No such model file: ${path}`);
  return readBytes(path, 'model');
}

export function readProfile(path: string): Profile {
  if (!existsSync(path)) throw new UsageError(`No such profile file: ${path}`);
  return decodeProfile(readBytes(path, 'profile'));
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`Cannot read the ${what} file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

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
 * the pipeline's fallbacks (model/preprocess.ts resolveSpec).
 */
export function specSources(flags: SpecFlags, modelPath: string): SpecSources {
  const o: Partial<ModelSpec> = {};
  if (flags.size) {
    const m = /^(\d+)x(\d+)$/i.exec(flags.size);
    if (!m) throw new UsageError(`--size wants HxW, e.g. 224x224, got "${flags.size}"`);
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
  else if (flags.centerCrop) o.resize = 'center-crop';
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
 * values or the resize): what was assumed, for the user to check against how the model was trained.
 */
export function assumedPreprocessing(src: SpecSources, spec: ModelSpec): string | undefined {
  const o = src.overrides ?? {};
  if (src.spec || src.beside || o.scale !== undefined || o.mean || o.std || o.resize || o.bgr) return undefined;
  const pixels = spec.scale === 1 ? 'pixels as they are (0 to 255)' : `pixels to [0, ${+(255 / spec.scale).toPrecision(3)}]`;
  return `preprocessing assumed from the input alone: ${pixels}, no mean or std, ${spec.channels === 3 ? 'RGB' : 'gray'}, stretched to ${spec.height}x${spec.width}; if the model was trained otherwise, give --mean/--std (--scale, --bgr, --resize center-crop|pad) or --spec.`;
}

/**
 * A spec file's fields. One found beside the model (`named` false) that is not JSON or gives no
 * spec field is another file sharing the model's name (a TensorFlow.js model.json): not a spec.
 */
function specFile(path: string, named: boolean): Partial<ModelSpec> | undefined {
  if (named && !existsSync(path)) throw new UsageError(`No such spec file: ${path}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
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

/** Write via a temporary file and rename, so an interrupted run leaves no half-written file. */
export function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } finally {
    if (existsSync(tmp)) rmSync(tmp);
  }
}

/** NumPy .npy v1.0 of a float32 C-order array. */
export function npy(data: Float32Array, shape: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
