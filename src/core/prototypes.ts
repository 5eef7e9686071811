// The Gaussian part's prototypes: k-means on a sample of the background's feature rows, and the
// nearest prototype of a row. Background rows are grouped by them (core/gauss.ts GaussAccumulator),
// each group with its own mean, where one group per predicted class is too coarse.
import type { GaussStats } from '../types.ts';
import { floorDeadScales } from './linalg.ts';
import { rng } from './rng.ts';

/** Background rows the prototypes' k-means sees at most (a seeded uniform sample of the background). */
export const PROTOTYPE_SAMPLE = 10_000;

/** Seed of the prototypes' sample and k-means++ seeding: fixed, so a build is reproducible. */
export const PROTOTYPE_SEED = 20261202;

/**
 * The prototypes background rows are grouped by: centroids compared in standardised coordinates
 * (each feature over its spread), so no one layer's scale decides which is nearest.
 */
export class Prototypes {
  /** Centroids over scale, row-major [k, d]; an unused centroid is NaN and never nearest. */
  private readonly scaled: Float64Array;
  readonly k: number;
  constructor(
    centroids: Float64Array,
    readonly d: number,
    private readonly scale: Float64Array,
  ) {
    this.k = centroids.length / d;
    this.scaled = centroids.map((v, i) => v / scale[i % d]);
  }

  /** The nearest centroid to f. */
  nearest(f: ArrayLike<number>): number {
    const { d, scaled, scale } = this;
    let best = 0;
    let least = Infinity;
    for (let c = 0, off = 0; c < this.k; c++, off += d) {
      let s = 0;
      for (let i = 0; i < d && s < least; i++) s += (f[i] / scale[i] - scaled[off + i]) ** 2;
      if (s < least) {
        least = s;
        best = c;
      }
    }
    return best;
  }

  /**
   * The prototypes of a profile's statistics, for shards built on its edges (`--edges-from`): its
   * group means, compared in the spread of its whole background.
   */
  static of(g: GaussStats): Prototypes {
    const { d } = g;
    const n = g.counts.reduce((a, b) => a + b, 0);
    const centroids = Float64Array.from({ length: g.counts.length * d }, (_, i) => g.sums[i] / g.counts[Math.floor(i / d)]);
    const scale = Float64Array.from({ length: d }, (_, i) => {
      const mean = g.counts.reduce((a, _, c) => a + g.sums[c * d + i], 0) / n;
      return Math.sqrt(Math.max(0, g.scatter[i * d - (i * (i - 1)) / 2] / n - mean * mean));
    });
    floorDeadScales(scale, (v) => v > 0);
    return new Prototypes(centroids, d, scale);
  }
}

/**
 * k-means (k-means++ seeding, then Lloyd's steps) on feature rows in standardised coordinates:
 * k prototypes of the background where one Gaussian per predicted class is too coarse (a class
 * holds several modes; a model unsure of its classes groups unlike images together). Hand-written:
 * it runs on typed arrays inside the build's worker, seeded, in a few dozen lines.
 */
export function kMeans(rows: Float64Array, n: number, d: number, k: number, seed = PROTOTYPE_SEED, steps = 10): Prototypes {
  const scale = new Float64Array(d);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i] += rows[r * d + i] / n;
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) scale[i] += (rows[r * d + i] - mean[i]) ** 2 / n;
  for (let i = 0; i < d; i++) scale[i] = Math.sqrt(scale[i]);
  floorDeadScales(scale, (v) => v > 0);
  const z = rows.map((v, i) => v / scale[i % d]);
  k = Math.min(k, n);
  const c = new Float64Array(k * d);
  const dist2 = (r: number, off: number) => {
    let s = 0;
    for (let i = 0; i < d; i++) s += (z[r * d + i] - c[off + i]) ** 2;
    return s;
  };
  // k-means++: each next centroid a row drawn with probability proportional to its squared distance to the nearest so far.
  const random = rng(seed);
  const near = new Float64Array(n).fill(Infinity);
  const start = Math.floor(random() * n);
  c.set(z.subarray(start * d, start * d + d), 0);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let r = 0; r < n; r++) total += near[r] = Math.min(near[r], dist2(r, (j - 1) * d));
    let t = random() * total;
    let pick = n - 1;
    for (let r = 0; r < n && total > 0; r++) if ((t -= near[r]) <= 0) { pick = r; break; }
    c.set(z.subarray(pick * d, pick * d + d), j * d);
  }
  const group = new Int32Array(n);
  for (let step = 0; step < steps; step++) {
    for (let r = 0; r < n; r++) {
      let least = Infinity;
      for (let j = 0; j < k; j++) {
        const s = dist2(r, j * d);
        if (s < least) {
          least = s;
          group[r] = j;
        }
      }
    }
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      counts[group[r]]++;
      for (let i = 0; i < d; i++) sums[group[r] * d + i] += z[r * d + i];
    }
    // An empty cluster keeps its centroid.
    for (let j = 0; j < k; j++) if (counts[j] > 0) for (let i = 0; i < d; i++) c[j * d + i] = sums[j * d + i] / counts[j];
  }
  return new Prototypes(c.map((v, i) => v * scale[i % d]), d, scale);
}

/**
 * A seeded uniform sample (reservoir) of up to PROTOTYPE_SAMPLE background rows' features (`features`:
 * one image's d features, core/gauss.ts gaussFeaturizer): what kMeans fits its k prototypes on.
 * `count`: the background's size, so a small build holds only what it will fill.
 */
export class FeatureSample {
  private readonly rows: Float64Array;
  private readonly cap: number;
  private seen = 0;
  private readonly random = rng(PROTOTYPE_SEED);
  constructor(
    private readonly features: (x: Float32Array) => Float64Array,
    private readonly d: number,
    private readonly k: number,
    count = PROTOTYPE_SAMPLE,
  ) {
    this.cap = Math.max(1, Math.min(PROTOTYPE_SAMPLE, count));
    this.rows = new Float64Array(this.cap * d);
  }

  add(batch: Float32Array, rows: number): void {
    const nodes = batch.length / rows;
    for (let r = 0; r < rows; r++, this.seen++) {
      const at = this.seen < this.cap ? this.seen : Math.floor(this.random() * (this.seen + 1));
      if (at < this.cap) this.rows.set(this.features(batch.subarray(r * nodes, (r + 1) * nodes)), at * this.d);
    }
  }

  prototypes(): Prototypes {
    const n = Math.min(this.seen, this.cap);
    if (n === 0) throw new Error('No background rows sampled: call add() on the background before prototypes().');
    return kMeans(this.rows.subarray(0, n * this.d), n, this.d, this.k);
  }
}
