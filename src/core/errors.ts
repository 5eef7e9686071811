/** A profile file that cannot be used: wrong magic, version, checksum, truncated, inconsistent. */
export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(
    message: string,
    readonly code:
      | 'magic'
      | 'version'
      | 'checksum'
      | 'truncated'
      | 'size'
      | 'header'
      | 'edges'
      | 'counts'
      | 'mismatch'
      | 'merge',
  ) {
    super(message);
  }
}

/** An activation that is NaN or infinite, named by layer and node so the user can find it. */
export class ActivationError extends Error {
  override name = 'ActivationError';
  readonly code = 'non-finite';
  constructor(
    readonly layer: string,
    readonly index: number,
    readonly value: number,
  ) {
    super(`Activation ${value} (not finite) in layer "${layer}" at node ${index}: the model produced NaN or Infinity for this input.`);
  }
}
