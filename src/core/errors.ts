// One error base for everything histoscan throws on purpose: a machine-readable `code` and a
// message a user can act on. Anything else that reaches a caller is a bug.

export type ProfileErrorCode = 'magic' | 'version' | 'checksum' | 'truncated' | 'size' | 'header' | 'edges' | 'counts' | 'mismatch' | 'merge';
/** Not an ONNX file; weights kept in other files; no image-shaped float input; a layer name the graph lacks; an invalid model spec; onnxruntime itself failed. */
export type ModelErrorCode = 'not-onnx' | 'external-data' | 'no-image-input' | 'other-inputs' | 'unknown-layer' | 'bad-spec' | 'runtime';
export type ImageErrorCode = 'empty' | 'unsupported' | 'corrupt' | 'too-large' | 'too-small';
export type ErrorCode = ProfileErrorCode | ModelErrorCode | ImageErrorCode | 'non-finite' | 'cancelled' | 'usage' | 'worker-died' | 'no-model';

/** A key in the global symbol registry, the same for every copy of this module. */
const KINDS = Symbol.for('histoscan.error-kinds');

export class HistoscanError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    message: string,
    readonly code: C,
  ) {
    super(message);
    this.name = new.target.name;
    const kinds: string[] = [];
    for (let c: unknown = new.target; c && c !== Error; c = Object.getPrototypeOf(c)) kinds.push((c as { name: string }).name);
    Object.defineProperty(this, KINDS, { value: kinds });
  }

  /**
   * The package's entry points (histoscan/core, histoscan/node) each load their own copy of this
   * module, so an error thrown by one is an instance of the other's classes too, by class name.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, x)) return true;
    const kinds = (x as { [KINDS]?: string[] } | null)?.[KINDS];
    return Array.isArray(kinds) && kinds.includes(this.name);
  }
}

/** A profile file that cannot be used: wrong magic, version, checksum, truncated, inconsistent, for another model. */
export class ProfileError extends HistoscanError<ProfileErrorCode> {}

/** A model that cannot be loaded, instrumented or run. */
export class ModelError extends HistoscanError<ModelErrorCode> {}

/** An image that cannot be decoded (checked before any pixel buffer is allocated where possible). */
export class ImageDecodeError extends HistoscanError<ImageErrorCode> {}

/** A user's own mistake on the command line or in an API call: printed as one line. */
export class UsageError extends HistoscanError<'usage'> {
  constructor(message: string) {
    super(message, 'usage');
  }
}

export class CancelledError extends HistoscanError<'cancelled'> {
  constructor() {
    super('Cancelled.', 'cancelled');
  }
}

/** An activation that is NaN or infinite, named by layer and node so the user can find it. */
export class ActivationError extends HistoscanError<'non-finite'> {
  constructor(
    readonly layer: string,
    readonly index: number,
    readonly value: number,
  ) {
    super(`Activation ${value} (not finite) in layer "${layer}" at node ${index}: the model produced NaN or Infinity for this input.`, 'non-finite');
  }
}

/** A per-image failure: the batch goes on. */
export interface ImageError {
  file: string;
  error: string;
  /** Machine-readable kind, e.g. 'corrupt', 'too-large', 'non-finite'; 'error' for anything unexpected. */
  code: ErrorCode | 'error';
}

/** The one conversion of an exception into a per-image error (worker and CLI alike). */
export function toImageError(file: string, e: unknown): ImageError {
  return { file, error: e instanceof Error ? e.message : String(e), code: e instanceof HistoscanError ? e.code : 'error' };
}

/** A file's bytes as the API takes them; a path or anything else is refused, saying what to pass. */
export function fileBytes(b: unknown, what: string, ext: string, or = ''): Uint8Array {
  // A Node Buffer's slice() is a view, not a copy, and a small file's Buffer lies in a shared 8-KB pool:
  // decoders that take `.slice().buffer` would read the pool. A plain view's slice() copies.
  if (b instanceof Uint8Array) return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  const given = typeof b === 'string' ? `a string ("${b.slice(0, 40)}"); pass the file's contents, e.g. readFileSync(path)` : b === null ? 'null' : typeof b;
  throw new UsageError(`The ${what} must be ${or}the ${ext} file's bytes (Uint8Array or ArrayBuffer), not ${given}.`);
}
