// The Gaussian part: Mahalanobis distance (Lee et al. 2018) of the last monitored layer's channel
// means, kept as sufficient statistics so a profile stays mergeable and holds no background row:
// per predicted class the count and the sum of feature rows, and the sum of xxᵀ over all rows.
// A calibrated part like the scans: it sees what per-node marginals cannot, the joint position of
// an image in feature space (MNIST digits on the default model, out-of-domain photos).
import type { GaussStats, LayerLayout } from '../types.ts';
import { cholesky, floorDeadScales, nearestMean, shrinkToIdentity } from './linalg.ts';

export type { GaussStats };

/** Share of a profile's byte budget the statistics may take; past it the profile has no Gaussian part. */
export const GAUSS_SHARE = 0.25;

/** Channels of the last layer: its first axis (per element, pooled or reduced per channel), else one feature per node. */
export function gaussDim(layers: readonly LayerLayout[]): number {
  const l = layers.at(-1)!;
  return l.shape.length >= 2 && l.nodes % l.shape[0] === 0 ? l.shape[0] : l.nodes;
}

/** Bytes the statistics take in a profile header, as JSON numbers (about 20 characters each). */
export function gaussBytes(d: number, classes: number): number {
  return 20 * (classes + classes * d + (d * (d + 1)) / 2);
}

/**
 * Whether a profile of these layers gets the Gaussian part: a model with classes, and statistics
 * within GAUSS_SHARE of the budget (at 8 MB about d = 440 channels with 10 classes).
 */
export function gaussFits(layers: readonly LayerLayout[], classes: number, budget: number): boolean {
  return classes > 0 && gaussBytes(gaussDim(layers), classes) <= GAUSS_SHARE * budget;
}

/**
 * Features of one image: the last layer's channel means (its nodes are channel-major: per element,
 * pooled cells, or one per channel), or its nodes for a layer without channels.
 */
export function gaussFeatures(x: Float32Array, layers: readonly LayerLayout[], out: Float64Array = new Float64Array(gaussDim(layers))): Float64Array {
  const l = layers.at(-1)!;
  const from = x.length - l.nodes;
  const d = out.length;
  const per = l.nodes / d;
  for (let c = 0; c < d; c++) {
    let s = 0;
    for (let k = 0; k < per; k++) s += x[from + c * per + k];
    out[c] = s / per;
  }
  return out;
}

/** Accumulates the statistics over background rows; `merge` adds shards' statistics exactly. */
export class GaussAccumulator {
  private readonly counts: number[];
  private readonly sums: Float64Array;
  private readonly scatter: Float64Array;
  private readonly f: Float64Array;
  readonly d: number;
  constructor(
    private readonly layers: readonly LayerLayout[],
    classes: number,
  ) {
    this.d = gaussDim(layers);
    this.counts = new Array(classes).fill(0);
    this.sums = new Float64Array(classes * this.d);
    this.scatter = new Float64Array((this.d * (this.d + 1)) / 2);
    this.f = new Float64Array(this.d);
  }

  add(batch: Float32Array, rows: number, labels: ArrayLike<number>): void {
    const nodes = batch.length / rows;
    const { d, f } = this;
    for (let r = 0; r < rows; r++) {
      gaussFeatures(batch.subarray(r * nodes, (r + 1) * nodes), this.layers, f);
      const c = labels[r];
      this.counts[c]++;
      for (let i = 0; i < d; i++) this.sums[c * d + i] += f[i];
      let t = 0;
      for (let i = 0; i < d; i++) {
        const fi = f[i];
        for (let j = i; j < d; j++) this.scatter[t++] += fi * f[j];
      }
    }
  }

  finish(): GaussStats {
    return { d: this.d, counts: [...this.counts], sums: Array.from(this.sums), scatter: Array.from(this.scatter) };
  }
}

export function mergeGauss(all: GaussStats[]): GaussStats {
  const [first] = all;
  const add = (key: 'counts' | 'sums' | 'scatter') => first[key].map((_, i) => all.reduce((a, g) => a + g[key][i], 0));
  return { d: first.d, counts: add('counts'), sums: add('sums'), scatter: add('scatter') };
}

export interface GaussFit {
  /** Shrinkage weight toward the scaled identity (OAS). */
  shrinkage: number;
  /** Squared Mahalanobis distance of an image's features to the nearest class mean. */
  score(features: ArrayLike<number>): number;
}

/**
 * The fitted model: class means, the shared within-class covariance in standardised coordinates
 * (each feature divided by its within-class standard deviation, as the Mahalanobis peer does),
 * shrunk toward the scaled identity by the OAS weight (Chen et al. 2010), which needs only the
 * covariance itself (Ledoit-Wolf also needs fourth moments of the rows, which statistics cannot
 * keep):  ρ = min(1, ((1 − 2/d) tr(R²) + tr(R)²) / ((n + 1 − 2/d)(tr(R²) − tr(R)²/d))).
 */
export function fitGauss(g: GaussStats): GaussFit {
  const { d } = g;
  const n = g.counts.reduce((a, b) => a + b, 0);
  const classes = g.counts.flatMap((m, c) => (m > 0 ? [c] : []));
  const means = classes.map((c) => Float64Array.from({ length: d }, (_, i) => g.sums[c * d + i] / g.counts[c]));
  // Within-class scatter: Σ xxᵀ − Σ_c n_c μ_c μ_cᵀ, divided by n.
  const w = new Float64Array(d * d);
  let t = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++, t++) {
      let v = g.scatter[t];
      classes.forEach((c, k) => (v -= g.counts[c] * means[k][i] * means[k][j]));
      w[i * d + j] = w[j * d + i] = v / n;
    }
  }
  const scale = Float64Array.from({ length: d }, (_, i) => Math.sqrt(Math.max(0, w[i * d + i])));
  // Live above rounding: statistics subtracted from sums leave a dead unit tiny, not 0.
  const top = Math.max(...scale);
  floorDeadScales(scale, (v) => v > 1e-12 * top);
  let tr = 0;
  let tr2 = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const v = (w[i * d + j] /= scale[i] * scale[j]);
      tr2 += v * v;
      if (i === j) tr += v;
    }
  }
  const mu = tr / d;
  const denom = (n + 1 - 2 / d) * (tr2 - (tr * tr) / d);
  const shrinkage = Math.max(1e-6, denom > 0 ? Math.min(1, ((1 - 2 / d) * tr2 + tr * tr) / denom) : 1);
  shrinkToIdentity(w, d, shrinkage, mu);
  return { shrinkage, score: nearestMean(cholesky(w, d), d, scale, means) };
}
