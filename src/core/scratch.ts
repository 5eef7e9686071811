// Per-image working buffers, reused from one image to the next. Chromium pays about 0.75 ms to
// first touch each fresh 256 KB typed array (page faults), as much as a sweep over the histograms:
// scoring one photo-model image used to allocate a dozen. What is handed out is valid until the
// next call with the same key (JS runs one call at a time; each worker has its own copy).
const pool = new Map<string, Float32Array>();

/** A Float32Array of length n for `key`, reused across calls; its contents are not cleared. */
export function scratch(key: string, n: number): Float32Array {
  let a = pool.get(key);
  if (!a || a.length < n) {
    a = new Float32Array(n);
    pool.set(key, a);
  }
  return a.subarray(0, n);
}

const pool64 = new Map<string, Float64Array>();

/** A Float64Array of length n for `key`, reused across calls like scratch()'s. */
export function scratch64(key: string, n: number): Float64Array {
  let a = pool64.get(key);
  if (!a || a.length < n) {
    a = new Float64Array(n);
    pool64.set(key, a);
  }
  return a.subarray(0, n);
}
