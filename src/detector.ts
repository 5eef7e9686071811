// The one pipeline: pixels -> preprocess -> instrumented ONNX session -> layer activations ->
// node values -> p-value ranges (profile) -> subset scan -> score -> verdict.
// The browser worker and the Node CLI both drive this object; neither has a copy of it.
import { DEFAULTS } from './defaults.ts';
import {
  allocRanges,
  calibratedQ,
  calibrationTable,
  fisherCombine,
  groupScan,
  histogramPValues,
  individualScan,
  layerOffsets,
  locateNode,
  pointPValues,
  ProfileBuilder,
  ProfileError,
  type Profile,
} from './core/index.ts';
import { verdictOf } from './core/verdict.ts';
import { fingerprint, inspectModel } from './model/onnx.ts';
import { toTensor } from './model/preprocess.ts';
import { reduceLayer } from './model/reduce.ts';
import { InstrumentedModel } from './model/session.ts';
import type {
  BinStrategy,
  GroupScanResult,
  ImageResult,
  LayerLayout,
  ModelSpec,
  NodeRef,
  PointP,
  Progress,
  ScanTail,
  ProviderRequest,
  Reduction,
  RgbaImage,
  ScoringName,
  Timings,
} from './types.ts';

export interface DetectorOptions {
  model: Uint8Array;
  /** Preprocessing; when absent, taken from the profile, else inferred from the model input. */
  spec: ModelSpec;
  /** Monitored layers; a profile's own layers win. */
  layers?: 'auto' | string[];
  reduction?: Reduction;
  provider?: ProviderRequest;
  numThreads?: number;
  profile?: Profile;
}

export interface CheckOptions {
  fpr?: number;
  scoring?: ScoringName;
  /** How many most-anomalous nodes to list. */
  topNodes?: number;
}

export interface BuildOptions {
  bins?: number;
  strategy?: BinStrategy;
  tail?: ScanTail;
  pointP?: PointP;
  aMax?: number;
  edgesFrom?: Profile;
  source?: string;
  modelName?: string;
  batchSize?: number;
  onProgress?: (p: Progress) => void;
  /** Checked between batches: throw to stop (cancellation). */
  signal?: { aborted: boolean };
}

/** Random access to images, so a profile build can make its two passes without holding them. */
export interface ImageSource {
  count: number;
  name(i: number): string;
  load(i: number): Promise<RgbaImage>;
}

export interface SkippedImage {
  file: string;
  error: string;
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('Cancelled.');
  }
}

const softmaxTop = (logits: Float32Array, names: string[] | undefined, k = 3) => {
  const max = Math.max(...logits);
  const exp = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp
    .map((e, index) => ({ index, label: names?.[index] ?? String(index), prob: e / sum }))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k);
};

export class Detector {
  profile: Profile | null = null;
  private constructor(
    readonly model: InstrumentedModel,
    readonly spec: ModelSpec,
    readonly layers: LayerLayout[],
    readonly reduction: Reduction,
    readonly fingerprint: string,
  ) {}

  static async create(opts: DetectorOptions): Promise<Detector> {
    inspectModel(opts.model); // "not an ONNX model" comes before "profile for another model"
    const fp = await fingerprint(opts.model);
    const p = opts.profile;
    if (p) checkFingerprint(p, fp); // before the session: fail fast
    const reduction = p?.header.reduction ?? opts.reduction ?? DEFAULTS.reduction;
    const wanted = p ? p.header.layers.map((l) => l.name) : (opts.layers ?? 'auto');
    const spec = opts.spec;
    const model = await InstrumentedModel.create(opts.model, {
      layers: wanted,
      provider: opts.provider,
      numThreads: opts.numThreads,
      inputName: spec.inputName,
      outputName: spec.outputName,
    });
    // One run on a blank image tells each layer's shape for one image.
    const blank = toTensor({ width: spec.width, height: spec.height, data: new Uint8Array(spec.width * spec.height * 4) }, spec);
    const out = await model.run(blank, inputDims(spec, 1));
    const layers = out.activations.map((a) => {
      const shape = a.dims.slice(1);
      return { name: a.name, shape, nodes: reduceLayer(a.data, shape, reduction).length };
    });
    const d = new Detector(model, spec, layers, reduction, fp);
    if (p) d.useProfile(p);
    return d;
  }

  get nodes(): number {
    return this.layers.reduce((s, l) => s + l.nodes, 0);
  }

  get provider() {
    return this.model.provider;
  }

  /** Use a profile: refused when built for another model or other layers. */
  useProfile(p: Profile): void {
    checkFingerprint(p, this.fingerprint);
    const a = p.header.layers;
    const b = this.layers;
    const same =
      p.header.reduction === this.reduction &&
      a.length === b.length &&
      a.every((l, i) => l.name === b[i].name && l.nodes === b[i].nodes && l.shape.join('x') === b[i].shape.join('x'));
    if (!same) {
      throw new ProfileError(
        `This profile monitors other layers than the model provides (profile: ${a.map((l) => `${l.name}[${l.nodes}]`).join(', ')}; model: ${b.map((l) => `${l.name}[${l.nodes}]`).join(', ')}, reduction ${this.reduction}).`,
        'mismatch',
      );
    }
    this.profile = p;
  }

  /** Logits and node values for a batch of images, nodes row-major [batch, nodes]. */
  async nodeValues(images: RgbaImage[]): Promise<{ logits: Float32Array[]; nodes: Float32Array; preprocessMs: number; inferenceMs: number }> {
    // Models exported with a fixed batch size (often 1) get their batches in slices of that size.
    const fixed = this.model.info.inputs.find((i) => i.name === this.model.inputName)?.shape[0];
    if (typeof fixed === 'number' && fixed > 0 && images.length > fixed) {
      const parts = [];
      for (let i = 0; i < images.length; i += fixed) parts.push(await this.nodeValues(images.slice(i, i + fixed)));
      const nodes = new Float32Array(images.length * this.nodes);
      parts.forEach((p, k) => nodes.set(p.nodes, k * fixed * this.nodes));
      return {
        logits: parts.flatMap((p) => p.logits),
        nodes,
        preprocessMs: parts.reduce((a, p) => a + p.preprocessMs, 0),
        inferenceMs: parts.reduce((a, p) => a + p.inferenceMs, 0),
      };
    }
    const t0 = performance.now();
    const size = this.spec.channels * this.spec.height * this.spec.width;
    const input = new Float32Array(images.length * size);
    images.forEach((img, i) => input.set(toTensor(img, this.spec), i * size));
    const t1 = performance.now();
    const out = await this.model.run(input, inputDims(this.spec, images.length));
    const classes = out.logits.length / images.length;
    const logits = images.map((_, i) => out.logits.slice(i * classes, (i + 1) * classes));
    const nodes = new Float32Array(images.length * this.nodes);
    const offsets = layerOffsets(this.layers);
    out.activations.forEach((a, li) => {
      const per = a.data.length / images.length;
      for (let i = 0; i < images.length; i++) {
        const r = reduceLayer(a.data.subarray(i * per, (i + 1) * per), this.layers[li].shape, this.reduction);
        nodes.set(r, i * this.nodes + offsets[li]);
      }
    });
    return { logits, nodes, preprocessMs: t1 - t0, inferenceMs: performance.now() - t1 };
  }

  /**
   * Run a source through the model in batches. Images that fail to load are recorded in `skip`
   * (index -> message) and left out, also on later passes over the same source. `fn` gets the
   * node values of the loaded images and their indices.
   */
  async eachBatch(
    src: ImageSource,
    fn: (nodes: Float32Array, loaded: number[], logits: Float32Array[]) => void,
    opts: { batchSize?: number; skip?: Map<number, string>; signal?: { aborted: boolean }; onBatch?: (images: number) => void } = {},
  ): Promise<void> {
    const batchSize = opts.batchSize ?? 32;
    const skip = opts.skip ?? new Map<number, string>();
    for (let start = 0; start < src.count; start += batchSize) {
      if (opts.signal?.aborted) throw new CancelledError();
      const imgs: RgbaImage[] = [];
      const loaded: number[] = [];
      for (let i = start; i < Math.min(src.count, start + batchSize); i++) {
        if (skip.has(i)) continue;
        try {
          imgs.push(await src.load(i));
          loaded.push(i);
        } catch (e) {
          skip.set(i, (e as Error).message);
        }
      }
      if (imgs.length) {
        const { nodes, logits } = await this.nodeValues(imgs);
        fn(nodes, loaded, logits);
      }
      opts.onBatch?.(Math.min(batchSize, src.count - start));
    }
  }

  /**
   * p-value ranges, point p-values and the individual scan of one node vector. With scan tail
   * 'both', an upper-tail and a lower-tail scan (nodes unusually active, and unusually silent)
   * are each calibrated and combined by Fisher's method; ranges shown are then two-tailed.
   */
  scoreNodes(values: Float32Array, scoring: ScoringName = 'bj') {
    const p = this.requireProfile();
    const { tail, pointP, aMax } = p.header.scan;
    const t0 = performance.now();
    if (tail !== 'both') {
      const ranges = allocRanges(this.nodes);
      histogramPValues(p, values, ranges, tail);
      const point = pointPValues(ranges, pointP);
      const t1 = performance.now();
      const scan = individualScan(point, { scoring, aMax });
      return { ranges, point, scan, parts: null, pvaluesMs: t1 - t0, scanMs: performance.now() - t1 };
    }
    const up = allocRanges(this.nodes);
    const low = allocRanges(this.nodes);
    histogramPValues(p, values, up, 'upper');
    histogramPValues(p, values, low, 'lower');
    const pu = pointPValues(up, pointP);
    const pl = pointPValues(low, pointP);
    const t1 = performance.now();
    const su = individualScan(pu, { scoring, aMax });
    const sl = individualScan(pl, { scoring, aMax });
    const parts = { upper: su.score, lower: sl.score };
    const cal = p.header.calibration?.parts;
    const qu = cal?.upper[scoring] ? calibratedQ(su.score, cal.upper[scoring]!) : NaN;
    const ql = cal?.lower[scoring] ? calibratedQ(sl.score, cal.lower[scoring]!) : NaN;
    const score = Number.isFinite(qu) && Number.isFinite(ql) ? fisherCombine([qu, ql]) : su.score + sl.score;
    const lowerWins = Number.isFinite(qu) ? ql < qu : sl.score > su.score;
    const best = lowerWins ? sl : su;
    const ranges = allocRanges(this.nodes);
    const point = new Float32Array(this.nodes);
    for (let j = 0; j < this.nodes; j++) {
      ranges.pMin[j] = Math.min(1, 2 * Math.min(up.pMin[j], low.pMin[j]));
      ranges.pMax[j] = Math.min(1, 2 * Math.min(up.pMax[j], low.pMax[j]));
      point[j] = Math.min(1, 2 * Math.min(pu[j], pl[j]));
    }
    return { ranges, point, scan: { ...best, score }, parts, pvaluesMs: t1 - t0, scanMs: performance.now() - t1 };
  }

  private requireProfile(): Profile {
    if (!this.profile) throw new ProfileError('No profile loaded: load a .hsp profile or build one from known-good images.', 'mismatch');
    return this.profile;
  }

  /** Check one decoded image. `decodeMs` is the caller's decode time, reported with the rest. */
  async check(img: RgbaImage, file: string, opts: CheckOptions = {}, decodeMs = 0): Promise<ImageResult> {
    const { logits, nodes, preprocessMs, inferenceMs } = await this.nodeValues([img]);
    return this.result(file, img, logits[0], nodes, opts, { decode: decodeMs, preprocess: preprocessMs, inference: inferenceMs, pvalues: 0, scan: 0 });
  }

  /** Assemble the full result of one image from its logits and node values. */
  result(file: string, img: { width: number; height: number }, logits: Float32Array, values: Float32Array, opts: CheckOptions, timings: Timings): ImageResult {
    const p = this.requireProfile();
    const scoring = opts.scoring ?? DEFAULTS.scoring;
    const fpr = opts.fpr ?? DEFAULTS.fpr;
    const { ranges, point, scan, pvaluesMs, scanMs } = this.scoreNodes(values, scoring);
    const cal = p.header.calibration?.scores[scoring];
    const q = cal?.length ? calibratedQ(scan.score, cal) : NaN;
    const calibrationCount = cal?.length ?? 0;
    const verdict = verdictOf(q, fpr, calibrationCount);
    const offsets = layerOffsets(this.layers);
    const layers = this.layers.map((l, i) => ({
      name: l.name,
      shape: l.shape,
      values: values.slice(offsets[i], offsets[i] + l.nodes),
      pMin: ranges.pMin.slice(offsets[i], offsets[i] + l.nodes),
      pMax: ranges.pMax.slice(offsets[i], offsets[i] + l.nodes),
    }));
    const order = Array.from(scan.subset.length ? scan.subset : point.keys()).sort((a, b) => point[a] - point[b] || a - b);
    const topNodes: NodeRef[] = order.slice(0, opts.topNodes ?? 10).map((node) => ({ node, ...locateNode(this.layers, node), value: values[node], p: point[node] }));
    return {
      file,
      width: img.width,
      height: img.height,
      top: softmaxTop(logits, this.spec.classNames),
      score: scan.score,
      alpha: scan.alpha,
      q,
      flagged: verdict.state === 'unusual',
      verdict: verdict.state,
      verdictReason: verdict.reason,
      calibrationCount,
      fpr,
      scoring,
      layers,
      subset: scan.subset,
      topNodes,
      provider: this.provider,
      timings: { ...timings, pvalues: pvaluesMs, scan: scanMs },
    };
  }

  /** Group scan over a batch of results (images x nodes), e.g. to find a coordinated attack. */
  groupScan(results: ImageResult[], scoring: ScoringName = 'bj', seed = 7): GroupScanResult {
    const p = this.requireProfile();
    const N = this.nodes;
    const P = new Float32Array(results.length * N);
    results.forEach((r, i) => {
      let off = i * N;
      for (const l of r.layers) {
        const pt = pointPValues({ pMin: l.pMin, pMax: l.pMax }, p.header.scan.pointP);
        P.set(pt, off);
        off += pt.length;
      }
    });
    return groupScan(P, results.length, N, { scoring, aMax: p.header.scan.aMax, seed });
  }

  /**
   * Build a profile from known-good images (two streaming passes, see ProfileBuilder), then
   * calibrate the verdict on held-out clean images. Images that fail to decode are skipped and
   * reported; they never stop the build.
   */
  async buildProfile(background: ImageSource, calibration: ImageSource | null, opts: BuildOptions = {}): Promise<{ profile: Profile; skipped: SkippedImage[] }> {
    const builder = new ProfileBuilder({
      layers: this.layers,
      bins: opts.bins ?? DEFAULTS.bins,
      strategy: opts.strategy ?? DEFAULTS.strategy,
      tail: opts.tail ?? DEFAULTS.tail,
      edgesFrom: opts.edgesFrom,
    });
    const skipped = new Map<number, string>();
    const batchSize = opts.batchSize ?? 32;
    const passes = builder.needsEdgePass ? 2 : 1;
    const total = background.count * passes + (calibration?.count ?? 0);
    let done = 0;
    const report = (stage: string) => opts.onProgress?.({ done, total, stage });

    const forEachBatch = (src: ImageSource, stage: string, fn: (nodes: Float32Array, rows: number) => void, skip: Map<number, string>) =>
      this.eachBatch(src, (nodes, loaded) => fn(nodes, loaded.length), {
        batchSize,
        skip,
        signal: opts.signal,
        onBatch: (n) => {
          done += n;
          report(stage);
        },
      });

    report('background');
    if (builder.needsEdgePass) await forEachBatch(background, 'bin edges', (n, r) => builder.observe(n, r), skipped);
    await forEachBatch(background, 'counting', (n, r) => builder.add(n, r), skipped);
    const scan = { aMax: opts.aMax ?? DEFAULTS.aMax, tail: opts.tail ?? DEFAULTS.tail, pointP: opts.pointP ?? DEFAULTS.pointP };
    const profile = builder.finish({
      fingerprint: this.fingerprint,
      modelName: opts.modelName,
      spec: this.spec,
      reduction: this.reduction,
      source: opts.source,
      scan,
      createdAt: new Date().toISOString(),
      generator: 'histoscan 0.1.0',
    });
    const skippedList = [...skipped].map(([i, error]) => ({ file: background.name(i), error }));
    if (calibration && calibration.count > 0) {
      const prev = this.profile;
      this.profile = profile;
      const scores: Record<ScoringName, number[]> = { bj: [], hc: [], ks: [] };
      const upper: Record<ScoringName, number[]> = { bj: [], hc: [], ks: [] };
      const lower: Record<ScoringName, number[]> = { bj: [], hc: [], ks: [] };
      const calSkipped = new Map<number, string>();
      try {
        await forEachBatch(
          calibration,
          'calibration',
          (nodes, rows) => {
            for (let r = 0; r < rows; r++) {
              const v = nodes.subarray(r * this.nodes, (r + 1) * this.nodes);
              for (const s of ['bj', 'hc', 'ks'] as const) {
                const r = this.scoreNodes(v, s);
                scores[s].push(r.scan.score);
                if (r.parts) {
                  upper[s].push(r.parts.upper);
                  lower[s].push(r.parts.lower);
                }
              }
            }
          },
          calSkipped,
        );
      } finally {
        this.profile = prev;
      }
      if (scan.tail === 'both') {
        // Component tables first; then each calibration image's combined score against them.
        const parts = { upper: calibrationTable(upper).scores, lower: calibrationTable(lower).scores };
        for (const s of ['bj', 'hc', 'ks'] as const) {
          scores[s] = upper[s].map((u, i) => fisherCombine([calibratedQ(u, parts.upper[s]!), calibratedQ(lower[s][i], parts.lower[s]!)]));
        }
        profile.header.calibration = { ...calibrationTable(scores), parts };
      } else profile.header.calibration = calibrationTable(scores);
      for (const [i, error] of calSkipped) skippedList.push({ file: calibration.name(i), error });
    }
    return { profile, skipped: skippedList };
  }

  release(): void {
    this.model.release();
  }
}

function checkFingerprint(p: Profile, fp: string): void {
  if (p.header.fingerprint && p.header.fingerprint !== fp) {
    throw new ProfileError(
      `This profile was built for another model (profile fingerprint ${p.header.fingerprint.slice(0, 12)}…, model ${fp.slice(0, 12)}…). Build a profile for this model with "histoscan profile".`,
      'mismatch',
    );
  }
}

export function inputDims(spec: ModelSpec, batch: number): number[] {
  return spec.layout === 'nchw' ? [batch, spec.channels, spec.height, spec.width] : [batch, spec.height, spec.width, spec.channels];
}
