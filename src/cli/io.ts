// Node-side plumbing of the CLI: files, atomic writes (folders listed: list.ts; the spec from flags and files: spec-flags.ts). No pipeline logic here.
import { denied, statOf } from './list.ts';
export { listImageFiles, listImages, shard } from './list.ts';
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { calibrationNeeded, decodeProfile, ImageDecodeError, isProfileBytes, ModelError, ProfileError, UsageError, type ImageError, type Profile } from '../core/index.ts';
import { holdOutDecoded, type ImageSource } from '../detector/index.ts';
import { DEFAULTS } from '../defaults.ts';
import { decodeImage } from '../model/decode-node.ts';
import { checkImageBytes, HEAD_BYTES, MAX_PIXELS, TAIL_BYTES, WHOLE_READ_BYTES } from '../model/image-errors.ts';
import { inspectModel, type ModelInfo } from '../model/onnx.ts';
import { parseModel } from '../model/parse.ts';

/** An image file's head and tail checked (image-errors.ts checkImageBytes), without reading it whole. */
function checkHeadTail(path: string, size: number): void {
  const fd = openSync(path, 'r');
  try {
    const at = (from: number, n: number) => {
      const b = new Uint8Array(Math.min(n, size - from));
      return b.subarray(0, readSync(fd, b, 0, b.length, from));
    };
    checkImageBytes(at(0, HEAD_BYTES), basename(path), MAX_PIXELS, at(Math.max(0, size - TAIL_BYTES), TAIL_BYTES), size);
  } finally {
    closeSync(fd);
  }
}

/** A failure to read an image file as the image error it is, naming the file. */
function readError(path: string, e: unknown): ImageDecodeError {
  if (e instanceof ImageDecodeError) return e;
  return new ImageDecodeError(`${basename(path)}: the file could not be read (${denied(e) ? 'permission denied' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message)}).`, 'corrupt');
}

/**
 * An image file's bytes. A large file's head and tail are checked first, as the page does, so a big
 * file that is no image (or over the pixel limit) is refused without reading it whole.
 */
export function readImageFile(path: string): Uint8Array {
  try {
    const size = statSync(path).size;
    if (size > WHOLE_READ_BYTES) checkHeadTail(path, size);
    if (size > 2 ** 31 - 1) throw new ImageDecodeError(`${basename(path)}: the file is ${(size / 2 ** 30).toFixed(1)} GiB, more than the command line reads (2 GiB).`, 'too-large');
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw readError(path, e);
  }
}

export function fileSource(files: string[]): ImageSource {
  return {
    count: files.length,
    name: (i) => files[i],
    load: async (i) => decodeImage(readImageFile(files[i]), basename(files[i])),
    check: async (i) => {
      try {
        checkHeadTail(files[i], statSync(files[i]).size);
      } catch (e) {
        throw readError(files[i], e);
      }
    },
  };
}

/**
 * Every 5th image of `dir` held out to calibrate (detector/holdout.ts holdOut), or the fewest that
 * can flag at `fpr` where that is more and half remain, and the note that says so, for the caller to
 * print once the model has opened (a model that does not is said first). Files that are no image or
 * do not decode take no calibration place (`refused`, with why: holdOutDecoded).
 */
export async function heldOut(all: ImageSource, dir: string, alternatives: string, fpr: number): Promise<{ background: ImageSource; calibration: ImageSource | null; note?: string; refused: ImageError[] }> {
  const split = await holdOutDecoded(all, DEFAULTS.calibrationShare, calibrationNeeded(fpr));
  const every = Math.round(1 / DEFAULTS.calibrationShare);
  // What was split: the images that passed their header check, less any calibration image that then did not decode.
  const used = split.background.count + (split.calibration?.count ?? 0);
  const of = split.refused.length ? `${used} readable images (of ${all.count})` : `${used} images`;
  // Under 10 images none is held out (holdOut): a profile that cannot flag, said with the reason.
  // (Keeping them all as background, the other choice `alternatives` may name, is what happens anyway.)
  const whole = used === 1 ? `the one ${of.replace('1 images', 'image')} in ${dir} is` : `all ${of} in ${dir} are`;
  if (!split.calibration) return { ...split, note: `${whole} the background: under 10, none is held out to calibrate (every ${every}th is from 10 on); --calibration DIR names held-out images to calibrate on.` };
  const which = split.calibration.count > Math.floor(used * DEFAULTS.calibrationShare) ? `spread through them: the fewest that can flag at FPR ${fpr}, where every ${every}th would be too few` : `every ${every}th`;
  return { ...split, note: `calibrating on ${split.calibration.count} of the ${of} in ${dir} (${which}), the other ${split.background.count} are the background; ${alternatives}.` };
}

export function readModel(path: string): { bytes: Uint8Array; info: ModelInfo } {
  const bytes = readModelBytes(path);
  try {
    return { bytes, info: inspectModel(bytes) };
  } catch (e) {
    throw naming(path, e);
  }
}

/** The model file's bytes, unparsed (the detector parses them once). */
export function readModelBytes(path: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`No such model file: ${path}`);
  if (statSync(path).isDirectory()) {
    // A Hugging Face model folder keeps its model in onnx/: name what is in it.
    const found = listModels(path);
    throw new UsageError(`${path} is a folder; give the model file in it${found.length ? `: ${found.slice(0, 3).join(', ')}${found.length > 3 ? ', …' : ''}` : ' (it holds no .onnx file)'}.`);
  }
  const bytes = readBytes(path, 'model');
  if (isProfileBytes(bytes)) throw new UsageError(`${path} is a histoscan profile, not a model: give it as --profile, and the .onnx file as --model.`);
  return bytes;
}

/** The .onnx files of a folder and the folders in it, two levels down (a Hugging Face export's onnx/). */
function listModels(dir: string, depth = 2): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    if (n.toLowerCase().endsWith('.onnx')) return [p];
    const st = statOf(p);
    return depth > 1 && st && st !== 'denied' && st.isDirectory() ? listModels(p, depth - 1) : [];
  });
}

export function readProfile(path: string): Profile {
  if (!existsSync(path)) throw new UsageError(`No such profile file: ${path}`);
  const bytes = readBytes(path, 'profile');
  try {
    return decodeProfile(bytes);
  } catch (e) {
    // The model given as the profile (as readModelBytes says of the profile given as the model), not only "no HSPF signature".
    if (e instanceof ProfileError && e.code === 'magic' && isModelBytes(bytes)) throw new UsageError(`${path} is an ONNX model, not a histoscan profile: give it as --model, and the .hsp file as --profile.`);
    throw naming(path, e);
  }
}

/** Bytes that parse as an ONNX model (weights beside it too: still a model, not a profile). */
function isModelBytes(bytes: Uint8Array): boolean {
  try {
    parseModel(bytes);
    return true;
  } catch (e) {
    return e instanceof ModelError && e.code !== 'not-onnx';
  }
}

/**
 * A profile's error, or a model's that is about its file (not an ONNX model), naming the file it came
 * from: a run may read several (merge, --edges-from, --model with --profile).
 */
export function naming(path: string | undefined, e: unknown): unknown {
  if (path && e instanceof ProfileError) return new ProfileError(`${path}: ${e.message}`, e.code);
  if (path && e instanceof ModelError && e.code === 'not-onnx') return new ModelError(`${path}: ${e.message}`, e.code);
  return e;
}

/** A model's, profile's or spec's bytes. A pipe or a device is refused, as among images: it would be read for ever. */
export function readBytes(path: string, what: string): Uint8Array {
  const at = statOf(path);
  if (at && at !== 'denied' && at.isDirectory()) throw new UsageError(`The ${what} file ${path} is a folder; give the file in it.`);
  if (at && at !== 'denied' && !at.isFile()) throw new UsageError(`The ${what} file ${path} is not a regular file (a pipe or a device would be read for ever).`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`Cannot read the ${what} file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** An output file's path, checked when the flags are read: a long build must not end in a folder that is not there. */
export function outFile(path: string): string {
  const at = statOf(path);
  if (at && at !== 'denied' && at.isDirectory()) throw new InvalidArgumentError(`${path} is a folder; give a file name in it`);
  const dir = statOf(dirname(path));
  if (!dir || (dir !== 'denied' && !dir.isDirectory())) throw new InvalidArgumentError(`the folder ${dirname(path)} does not exist`);
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (e) {
    throw new InvalidArgumentError(`cannot write in the folder ${dirname(path)} (${(e as NodeJS.ErrnoException).code})`);
  }
  return path;
}

/** Write via a temporary file and rename, so an interrupted run leaves no half-written file. */
export function writeAtomic(path: string, bytes: Uint8Array | string): void {
  // A name no one can guess, created only if nothing is there ('wx': never through a link someone
  // placed at a predictable name, which would have written the profile into the file it points at).
  const tmp = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  let made = false;
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    made = true;
    renameSync(tmp, path);
    made = false;
  } catch (e) {
    throw new UsageError(`Cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  } finally {
    if (made) rmSync(tmp, { force: true });
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

/** A path as one word of a shell command the user may paste: quoted where it has spaces or other specials. */
export const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
