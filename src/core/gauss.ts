// The Gaussian part: Mahalanobis distance (Lee et al. 2018) of the channel means of the first and
// last monitored layers to the nearest of many prototype means, kept as sufficient statistics so a
// profile stays mergeable and holds no background row: per prototype (a k-means cluster of about ten
// background rows) the count and the sum of feature rows, and the sum of xxᵀ over all rows. A
// calibrated part like the scans: it sees what per-node marginals cannot, the joint position of an
// image in feature space (MNIST digits on the default model, out-of-domain photos).
import type { GaussStats, LayerLayout } from '../types.ts';
import { cholesky, floorDeadScales, nearestMean, oasShrink } from './linalg.ts';
import { layerOffsets } from './layout.ts';
import { rng } from './rng.ts';
import { FeatureSample, Prototypes } from './prototypes.ts';

export type { GaussStats };

/**
 * Share of a profile's byte budget the scatter (d (d + 1) / 2 float64) may take: it sets how many
 * features fit (282 at 8 MB). Chosen on the dev halves: as JSON numbers 0.1 of the budget beat 0.25
 * (photo model 0.6414 -> 0.6507), where the histograms keep 1.2 MB more; as float64 the same features
 * fit in 0.04; more of them (373 on the photo model, 436 on the ViT) did not help (dev 0.6602 -> 0.657,
 * ViT 0.846 -> 0.847).
 */
export const GAUSS_SHARE = 0.04;

/**
 * Share of the budget the prototypes' sums (d float64 each) may take beside the scatter's, a tenth
 * of the budget in all. Chosen on the dev halves: 0.03 / 0.06 / 0.15 gave the ViT 0.868 / 0.871 /
 * 0.872 and the default model 0.9823 at 0.06, 0.9827 at 0.15 (5.41 MB instead of 4.70); the photo
 * model's small background binds first (ROWS_PER_PROTOTYPE).
 */
export const PROTOTYPE_SHARE = 0.06;

/**
 * Background rows per prototype where the budget leaves room for as many prototypes: a prototype is
 * the mean of a k-means cluster of about this many rows. Binding only on small backgrounds: the photo
 * model's 1,600 rows, where 10 and 4 gave dev means 0.834 and 0.835.
 */
export const ROWS_PER_PROTOTYPE = 10;

/**
 * Prototypes of fewer background rows are no mean to be near (their rows still shape the covariance): a
 * lone outlier of the background must not make images like it look known.
 */
export const MIN_PROTOTYPE_ROWS = 5;

/** What the features need of a layer: one image's shape, its channel axis, its nodes. */
export type Shaped = Pick<LayerLayout, 'shape' | 'nodes' | 'channelAxis'>;

/** Channels of a layer: its channel axis (per element, pooled or reduced per channel), else one feature per node. */
const channels = (l: Shaped) => {
  const c = l.shape.length >= 2 ? l.shape[l.channelAxis ?? 0] : 0;
  return c > 0 && l.nodes % c === 0 ? c : l.nodes;
};

/** Which monitored layers the part reads: the first `first` and the last `layers` (absent: none and 1). */
export type GaussRead = Pick<GaussStats, 'layers' | 'first'>;

/** Indices of the layers read, in order. */
export function gaussReads(n: number, g: GaussRead = {}): number[] {
  const first = Math.min(n, g.first ?? 0);
  const last = Math.max(first, n - (g.layers ?? 1));
  return [...Array(first).keys(), ...Array.from({ length: n - last }, (_, i) => last + i)];
}

/** Features of the layers read: their channels, added up. */
export function gaussDim(layers: readonly Shaped[], g: GaussRead = {}): number {
  return gaussReads(layers.length, g).reduce((a, i) => a + channels(layers[i]), 0);
}

/** The numbers of the statistics for d features and these groups: per-group sums and the scatter's upper triangle. */
export const gaussNumbers = (d: number, groups: number): number => groups * d + (d * (d + 1)) / 2;

/** Bytes the statistics take in a profile: float64 sums and scatter (core/hsp.ts), and about 6 of JSON per group count. */
export function gaussBytes(d: number, groups: number): number {
  return 6 * groups + 8 * gaussNumbers(d, groups);
}

/**
 * What the Gaussian part reads: the channel means of the first `first` and the last `layers` layers,
 * projected to `d` when fewer; and how many k-means prototypes group the background rows.
 */
export interface GaussChoice {
  layers: number;
  first?: number;
  d: number;
  prototypes: number;
}

/** Seed of the projection's signs: fixed, so a profile's projection is rebuilt alike everywhere. */
export const GAUSS_PROJECTION_SEED = 20261201;

/**
 * The Gaussian part of a profile. Its scatter may take GAUSS_SHARE of the budget, which sets the
 * most features d_fit (282 at 8 MB). It reads both ends of the network: the first layers until their
 * channels reach d_fit, and the last layers, latest first, likewise (every layer on a small model),
 * and projects them down to d_fit where they pass it. The background of `count` rows is grouped into
 * one prototype per ROWS_PER_PROTOTYPE rows, as many as PROTOTYPE_SHARE of the budget holds. Null for
 * a budget without room. Chosen on the dev halves of the development models (src/defaults.ts): more
 * layers see more than the head does (Lee et al.'s multi-layer features); the first layers see what
 * changes pixels' statistics (noise, attacks, drawings), the last what changes the content; a random
 * projection keeps what does not fit; prototypes follow the background's modes where one Gaussian
 * per predicted class lumps them (a class holds several looks; a model unsure of its classes, as the
 * photo model is, puts unlike images in one).
 */
export function gaussChoice(layers: readonly Shaped[], budget: number, count: number): GaussChoice | null {
  let fit = 0;
  while (gaussBytes(fit + 1, 0) <= GAUSS_SHARE * budget) fit++;
  if (fit === 0 || count < 2) return null;
  const n = layers.length;
  let last = 1;
  while (last < n && gaussDim(layers, { layers: last }) < fit) last++;
  let first = 0;
  while (first + last < n && gaussDim(layers, { layers: 0, first }) < fit) first++;
  const read = first + last >= n ? { layers: n } : { layers: last, first };
  const d = Math.min(fit, gaussDim(layers, read));
  const perPrototype = gaussBytes(d, 1) - gaussBytes(d, 0);
  const prototypes = Math.max(1, Math.min(Math.floor(count / ROWS_PER_PROTOTYPE), Math.floor((PROTOTYPE_SHARE * budget) / perPrototype)));
  return { ...read, d, prototypes };
}

/**
 * Channel means of the layers read (gaussReads), in order (nodes: per element in the layer's own
 * order, so a [tokens, features] layer holds each channel every d-th node; pooled cells channel-major;
 * or one per channel; a layer without channels gives its nodes).
 */
export function gaussFeatures(x: Float32Array, layers: readonly Shaped[], g: GaussRead = {}, out: Float64Array = new Float64Array(gaussDim(layers, g))): Float64Array {
  const starts = layerOffsets(layers);
  let o = 0;
  for (const i of gaussReads(layers.length, g)) {
    const l = layers[i];
    const from = starts[i];
    const d = channels(l);
    // Values of channel c: x[from + (t * d + c) * inner + k] for t < outer, k < inner; per element
    // in the layer's own order (outer: the axes before the channel axis), pooled cells channel-major.
    const whole = l.shape.reduce((a, b) => a * b, 1) === l.nodes;
    const outer = whole ? l.shape.slice(0, l.channelAxis ?? 0).reduce((a, b) => a * b, 1) : 1;
    const inner = l.nodes / d / outer;
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let t = 0; t < outer; t++) for (let k = 0, at = from + (t * d + c) * inner; k < inner; k++) s += x[at + k];
      out[o++] = s / (outer * inner);
    }
  }
  return out;
}

/**
 * One image's features for statistics of this shape: the channel means (gaussFeatures), times a
 * seeded ±1/√d sign matrix where the statistics hold fewer features than the layers have channels
 * (a Johnson-Lindenstrauss projection: distances kept within a small factor, no fit needed).
 */
export function gaussFeaturizer(layers: readonly LayerLayout[], g: Pick<GaussStats, 'd' | 'layers' | 'first'>): (x: Float32Array) => Float64Array {
  const raw = gaussDim(layers, g);
  const means = new Float64Array(raw);
  const out = new Float64Array(g.d);
  if (g.d === raw) return (x) => gaussFeatures(x, layers, g, out);
  const r = rng(GAUSS_PROJECTION_SEED);
  const scale = 1 / Math.sqrt(g.d);
  const signs = Int8Array.from({ length: g.d * raw }, () => (r() < 0.5 ? -1 : 1));
  return (x) => {
    gaussFeatures(x, layers, g, means);
    for (let i = 0; i < g.d; i++) {
      let s = 0;
      for (let j = 0; j < raw; j++) s += signs[i * raw + j] * means[j];
      out[i] = s * scale;
    }
    return out;
  };
}

/**
 * Accumulates the statistics over background rows, grouped by predicted class (`groups`: how many
 * classes; profiles before prototypes) or by nearest prototype; `mergeGauss` adds shards' statistics exactly.
 */
export class GaussAccumulator {
  private readonly counts: number[];
  private readonly sums: Float64Array;
  private readonly scatter: Float64Array;
  private readonly features: (x: Float32Array) => Float64Array;
  readonly d: number;
  /** `choice`: what it reads (gaussChoice); default the last layer's channel means. */
  constructor(
    layers: readonly LayerLayout[],
    private readonly groups: number | Prototypes,
    private readonly choice: Pick<GaussChoice, 'layers' | 'first' | 'd'> = { layers: 1, d: gaussDim(layers) },
  ) {
    this.d = choice.d;
    const k = typeof groups === 'number' ? groups : groups.k;
    this.features = gaussFeaturizer(layers, choice);
    this.counts = new Array(k).fill(0);
    this.sums = new Float64Array(k * this.d);
    this.scatter = new Float64Array((this.d * (this.d + 1)) / 2);
  }

  /** `labels`: the rows' predicted classes, where the groups are classes. */
  add(batch: Float32Array, rows: number, labels?: ArrayLike<number>): void {
    const nodes = batch.length / rows;
    const { d, groups } = this;
    for (let r = 0; r < rows; r++) {
      const f = this.features(batch.subarray(r * nodes, (r + 1) * nodes));
      const c = typeof groups === 'number' ? labels![r] : groups.nearest(f);
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
    const { layers, first, d } = this.choice;
    const grouping = typeof this.groups === 'number' ? {} : { groups: 'prototypes' as const };
    return { d, layers, ...(first ? { first } : {}), ...grouping, counts: [...this.counts], sums: Array.from(this.sums), scatter: Array.from(this.scatter) };
  }
}

/** The statistics of background rows held in memory [rows, nodes]: prototypes fitted on them, then the rows grouped by them. */
export function gaussStats(layers: readonly LayerLayout[], choice: GaussChoice, values: Float32Array, rows: number): GaussStats {
  const sample = new FeatureSample(gaussFeaturizer(layers, choice), choice.d, choice.prototypes, rows);
  sample.add(values, rows);
  const acc = new GaussAccumulator(layers, sample.prototypes(), choice);
  acc.add(values, rows);
  return acc.finish();
}

export function mergeGauss(all: GaussStats[]): GaussStats {
  const [first] = all;
  const add = (key: 'counts' | 'sums' | 'scatter') => first[key].map((_, i) => all.reduce((a, g) => a + g[key][i], 0));
  return { ...first, counts: add('counts'), sums: add('sums'), scatter: add('scatter') };
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
 * shrunk toward the scaled identity by the OAS weight (core/linalg.ts oasShrink), which needs only
 * the covariance itself: Ledoit-Wolf also needs fourth moments of the rows, which statistics cannot keep.
 */
export function fitGauss(g: GaussStats): GaussFit {
  const { d } = g;
  const n = g.counts.reduce((a, b) => a + b, 0);
  const classes = g.counts.flatMap((m, c) => (m > 0 ? [c] : []));
  const means = classes.map((c) => Float64Array.from({ length: d }, (_, i) => g.sums[c * d + i] / g.counts[c]));
  const held = g.groups === 'prototypes' ? classes.flatMap((c, k) => (g.counts[c] >= MIN_PROTOTYPE_ROWS ? [means[k]] : [])) : [];
  const near = held.length ? held : means;
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
  // A unit is dead when its spread is at the rounding level of the sums it was subtracted from:
  // none beside the largest, or none beside its own E[x²] (a feature that is constant, e.g. a
  // channel always at ReLU6's 6). Its covariances are rounding noise too, which standardising would
  // blow up: they are zeroed, and the shrinkage below gives it the identity's variance.
  let top = 0;
  for (let i = 0; i < d; i++) top = Math.max(top, w[i * d + i]);
  const live = (i: number) => w[i * d + i] > 1e-24 * top && w[i * d + i] > 1e-9 * (g.scatter[i * d - (i * (i - 1)) / 2] / n);
  const scale = Float64Array.from({ length: d }, (_, i) => Math.sqrt(Math.max(0, w[i * d + i])));
  floorDeadScales(scale, (_, i) => live(i));
  for (let i = 0; i < d; i++) if (!live(i)) for (let j = 0; j < d; j++) w[i * d + j] = w[j * d + i] = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[i * d + j] /= scale[i] * scale[j];
  const shrinkage = oasShrink(w, d, n);
  return { shrinkage, score: nearestMean(cholesky(w, d), d, scale, near) };
}
