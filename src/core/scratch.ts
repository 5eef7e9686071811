// Per-image working buffers, reused from one image to the next. Chromium pays about 0.75 ms to
// first touch each fresh 256 KB typed array (page faults), as much as a sweep over the histograms:
// scoring one photo-model image used to allocate a dozen. What is handed out is valid until the
// next call with the same key (JS runs one call at a time; each worker has its own copy).
type Typed = Float32Array | Float64Array;
const pools = new Map<new (n: number) => Typed, Map<string, Typed>>();

/** A typed array of `Type` and length n for `key`, reused across calls; its contents are not cleared. */
function take<T extends Typed>(Type: new (n: number) => T, key: string, n: number): T {
  let pool = pools.get(Type);
  if (!pool) pools.set(Type, (pool = new Map()));
  let a = pool.get(key) as T | undefined;
  if (!a || a.length < n) pool.set(key, (a = new Type(n)));
  return a.subarray(0, n) as T;
}

/** A Float32Array of length n for `key`, reused across calls; its contents are not cleared. */
export const scratch = (key: string, n: number): Float32Array => take(Float32Array, key, n);

/** A Float64Array of length n for `key`, reused like scratch()'s. */
export const scratch64 = (key: string, n: number): Float64Array => take(Float64Array, key, n);
