// k-NN distance peer (Sun et al. 2022): distance from an image's L2-normalised feature row to its
// k-th nearest L2-normalised background row. Exact brute force: O(n·d) time per image and n·d
// float32 held, fine for the n ≤ ~10⁴, d ≤ ~10³ used here; an index (e.g. Faiss) is what larger
// backgrounds would need.
import type { FeatureRows } from './mahalanobis.ts';

export interface Knn {
  k: number;
  /** Bytes held: the normalised background, float32. */
  bytes: number;
  /** Euclidean distance to the k-th nearest background row (after normalising both). */
  score(x: ArrayLike<number>): number;
}

/** x / ‖x‖ in float64; an all-zero row stays zero (it has no direction). */
function normalised(x: ArrayLike<number>, d: number, out: Float64Array | Float32Array): void {
  let s = 0;
  for (let j = 0; j < d; j++) s += x[j] * x[j];
  const n = Math.sqrt(s) || 1;
  for (let j = 0; j < d; j++) out[j] = x[j] / n;
}

export function fitKnn(feats: FeatureRows, rows: number, d: number, k = 10): Knn {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer, got ${k}.`);
  if (rows < k) throw new RangeError(`k-NN with k=${k} needs at least ${k} background rows, got ${rows}.`);
  const bank = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) normalised(feats.subarray(r * d, (r + 1) * d), d, bank.subarray(r * d, (r + 1) * d));
  const q = new Float64Array(d);
  const best = new Float64Array(k); // the k smallest squared distances so far, ascending
  return {
    k,
    bytes: bank.byteLength,
    score(x) {
      normalised(x, d, q);
      best.fill(Infinity);
      for (let r = 0, off = 0; r < rows; r++, off += d) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const t = bank[off + j] - q[j];
          s += t * t;
        }
        if (s >= best[k - 1]) continue;
        let i = k - 1; // insertion into the sorted top-k: O(k) only for the rare near rows
        while (i > 0 && best[i - 1] > s) {
          best[i] = best[i - 1];
          i--;
        }
        best[i] = s;
      }
      return Math.sqrt(best[k - 1]);
    },
  };
}
