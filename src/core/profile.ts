import type { BinStrategy, LayerLayout, ProfileHeader, ScanTail } from '../types.ts';
import { ActivationError, ProfileError } from './errors.ts';
import { locateNode } from './layout.ts';
import { rng } from './rng.ts';
import { binOf, tailLevels, type Profile } from './bins.ts';

export interface BuilderOptions {
  layers: LayerLayout[];
  bins: number;
  strategy: BinStrategy;
  /** Which tail the `tail` strategy refines ('two' and 'both' refine both). */
  tail?: ScanTail;
  /** Take edges from this profile (shards that merge exactly); skips the edge pass. */
  edgesFrom?: Profile;
  /** Rows kept in the bounded reservoir for `tail` quantiles; default adapts to the node count. */
  sampleSize?: number;
  seed?: number;
  /** Also count nodes [from, to) per predicted class (`add` then needs each row's class). */
  classes?: { count: number; from: number; to: number };
}

/**
 * Streaming profile builder. Two passes over the background, never holding it:
 *  1. `observe(batch)` — exact per-node min/max, and for `tail` a bounded reservoir sample of
 *     rows (uniform reservoir over all rows, seeded) from which interior quantile edges come.
 *     Exact extremes matter (uniform bins span them); interior tail quantiles only need a sample.
 *  2. `add(batch)` — counts per bin. The first `add` fixes the edges.
 * With `edgesFrom`, pass 1 is skipped: edges are the given profile's, so shards merge exactly.
 */
export class ProfileBuilder {
  readonly nodes: number;
  readonly bins: number;
  readonly strategy: BinStrategy;
  readonly tail: ScanTail;
  private readonly layers: LayerLayout[];
  private readonly sampleSize: number;
  private readonly random: () => number;
  private edges: Float32Array | null = null;
  private min: Float32Array;
  private max: Float32Array;
  private counts: Uint32Array;
  private lo: Float32Array;
  private hi: Float32Array;
  private seen = 0;
  private counted = 0;
  private sample: Float32Array | null = null;
  private sampleRows = 0;
  private readonly classes: BuilderOptions['classes'];
  private classCounts: Uint32Array;
  private classHist: Uint32Array;

  constructor(opts: BuilderOptions) {
    this.layers = opts.layers;
    this.nodes = opts.layers.reduce((s, l) => s + l.nodes, 0);
    this.bins = opts.edgesFrom?.header.bins ?? opts.bins;
    this.strategy = opts.edgesFrom?.header.strategy ?? opts.strategy;
    this.tail = opts.tail ?? 'upper';
    if (!Number.isInteger(this.bins) || this.bins < 1 || this.bins > 65535) {
      throw new RangeError(`bins must be an integer in [1, 65535], got ${this.bins}`);
    }
    if (opts.edgesFrom) {
      if (opts.edgesFrom.header.nodes !== this.nodes) {
        throw new ProfileError(
          `Edges come from a profile with ${opts.edgesFrom.header.nodes} nodes, but this build has ${this.nodes}.`,
          'mismatch',
        );
      }
      this.edges = opts.edgesFrom.edges.slice();
    }
    // Bound the reservoir to ~64 M floats (256 MB) whatever the node count.
    this.sampleSize = opts.sampleSize ?? Math.max(256, Math.min(4096, Math.floor(64e6 / Math.max(1, this.nodes))));
    this.random = rng(opts.seed ?? 1);
    this.min = new Float32Array(this.nodes).fill(Infinity);
    this.max = new Float32Array(this.nodes).fill(-Infinity);
    this.lo = new Float32Array(this.nodes).fill(Infinity);
    this.hi = new Float32Array(this.nodes).fill(-Infinity);
    this.counts = new Uint32Array(this.nodes * this.bins);
    this.classes = opts.classes ?? (opts.edgesFrom?.header.classes ? { ...opts.edgesFrom.header.classes, count: opts.edgesFrom.header.classes.counts.length } : undefined);
    const c = this.classes;
    if (c && !(Number.isInteger(c.count) && c.count >= 1 && c.from >= 0 && c.from < c.to && c.to <= this.nodes)) {
      throw new RangeError(`Class-conditional range [${c.from}, ${c.to}) of ${c.count} classes does not fit ${this.nodes} nodes.`);
    }
    this.classCounts = new Uint32Array(c?.count ?? 0);
    this.classHist = new Uint32Array(c ? c.count * (c.to - c.from) * this.bins : 0);
  }

  /** True while edges are still open: feed the background to `observe` first. */
  get needsEdgePass(): boolean {
    return this.edges === null;
  }

  private check(batch: Float32Array, rows: number): void {
    if (batch.length !== rows * this.nodes) {
      throw new RangeError(`Batch has ${batch.length} values, expected ${rows} rows x ${this.nodes} nodes.`);
    }
    for (let i = 0; i < batch.length; i++) {
      const v = batch[i];
      if (!Number.isFinite(v)) {
        const { layer, index } = locateNode(this.layers, i % this.nodes);
        throw new ActivationError(layer, index, v);
      }
    }
  }

  /** Pass 1: extremes and the reservoir sample. `batch` is row-major [rows, nodes]. */
  observe(batch: Float32Array, rows: number): void {
    if (this.edges) throw new Error('Edges are already fixed; observe() belongs to the first pass.');
    this.check(batch, rows);
    const { nodes, min, max } = this;
    for (let r = 0; r < rows; r++) {
      const off = r * nodes;
      for (let j = 0; j < nodes; j++) {
        const v = batch[off + j];
        if (v < min[j]) min[j] = v;
        if (v > max[j]) max[j] = v;
      }
      if (this.strategy === 'tail') this.reservoir(batch.subarray(off, off + nodes));
      this.seen++;
    }
  }

  private reservoir(row: Float32Array): void {
    if (!this.sample) this.sample = new Float32Array(this.sampleSize * this.nodes);
    let slot = -1;
    if (this.sampleRows < this.sampleSize) slot = this.sampleRows++;
    else {
      const r = Math.floor(this.random() * (this.seen + 1));
      if (r < this.sampleSize) slot = r;
    }
    if (slot >= 0) this.sample.set(row, slot * this.nodes);
  }

  private fixEdges(): void {
    if (this.seen === 0) throw new Error('No background rows observed: call observe() on the background before add().');
    const { nodes, bins, min, max } = this;
    if (this.strategy === 'uniform') {
      const e = new Float32Array(nodes * 2);
      for (let j = 0; j < nodes; j++) {
        e[2 * j] = min[j];
        e[2 * j + 1] = max[j];
      }
      this.edges = e;
      return;
    }
    const s = this.sampleRows;
    const levels = tailLevels(bins, Math.min(0.5, 2 / s), this.tail);
    const e = new Float32Array(nodes * (bins + 1));
    const col = new Float32Array(s);
    const sample = this.sample!;
    for (let j = 0; j < nodes; j++) {
      for (let r = 0; r < s; r++) col[r] = sample[r * nodes + j];
      col.sort();
      const base = j * (bins + 1);
      e[base] = min[j];
      for (let k = 1; k < bins; k++) {
        const v = col[Math.min(s - 1, Math.max(0, Math.ceil(levels[k - 1] * s) - 1))];
        // Keep edges monotone and inside the exact extremes.
        e[base + k] = Math.min(max[j], Math.max(e[base + k - 1], v));
      }
      e[base + bins] = max[j];
    }
    this.edges = e;
    this.sample = null;
  }

  /** Pass 2: count every background row into its bin; `labels` are the rows' predicted classes. */
  add(batch: Float32Array, rows: number, labels?: ArrayLike<number>): void {
    if (!this.edges) this.fixEdges();
    this.check(batch, rows);
    const { nodes, bins, strategy, counts, lo, hi, classes, classHist } = this;
    if (classes && (!labels || labels.length !== rows)) throw new RangeError('A class-conditional profile needs the predicted class of every row.');
    const edges = this.edges!;
    for (let r = 0; r < rows; r++) {
      const off = r * nodes;
      for (let j = 0; j < nodes; j++) {
        const v = batch[off + j];
        if (v < lo[j]) lo[j] = v;
        if (v > hi[j]) hi[j] = v;
        counts[j * bins + binOf(strategy, bins, edges, j, v)]++;
      }
      if (classes) {
        const c = labels![r];
        if (!(Number.isInteger(c) && c >= 0 && c < classes.count)) throw new RangeError(`Class ${c} is outside 0..${classes.count - 1}.`);
        this.classCounts[c]++;
        const width = classes.to - classes.from;
        const base = c * width * bins;
        for (let j = classes.from; j < classes.to; j++) classHist[base + (j - classes.from) * bins + binOf(strategy, bins, edges, j, batch[off + j])]++;
      }
    }
    this.counted += rows;
  }

  /** The finished profile; `header` supplies model, spec and provenance fields. */
  finish(header: Omit<ProfileHeader, 'nodes' | 'count' | 'strategy' | 'bins' | 'layers'> & { layers?: LayerLayout[] }): Profile {
    if (this.counted === 0) throw new Error('No background rows counted: call add() on the background.');
    const { nodes, bins, counts, classes } = this;
    const tails = new Uint32Array(nodes * bins + this.classHist.length);
    // Tail sums T_k = sum_{i >= k} c_i, per histogram, pooled first then each class block.
    const all = [counts, this.classHist];
    let out = 0;
    for (const h of all) {
      for (let base = 0; base < h.length; base += bins, out += bins) {
        let acc = 0;
        for (let k = bins - 1; k >= 0; k--) {
          acc += h[base + k];
          tails[out + k] = acc;
        }
      }
    }
    return {
      header: {
        ...header,
        layers: this.layers,
        nodes,
        count: this.counted,
        strategy: this.strategy,
        bins,
        ...(classes ? { classes: { from: classes.from, to: classes.to, counts: Array.from(this.classCounts) } } : {}),
      },
      lo: this.lo,
      hi: this.hi,
      edges: this.edges!,
      tails,
    };
  }
}

/** Convenience: build from in-memory rows (tests, small sets) with both passes. */
export function buildProfile(
  rows: Float32Array,
  count: number,
  opts: BuilderOptions,
  header: Partial<ProfileHeader> = {},
  labels?: ArrayLike<number>,
): Profile {
  const b = new ProfileBuilder(opts);
  if (b.needsEdgePass) b.observe(rows, count);
  b.add(rows, count, labels);
  return b.finish({
    fingerprint: header.fingerprint ?? '',
    reduction: header.reduction ?? 'element',
    scan: header.scan ?? { aMax: 0.5, tail: opts.tail ?? 'upper', pointP: 'mid' },
    ...header,
  });
}
