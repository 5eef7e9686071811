// Feature extraction: the model parsed once, then pixels -> preprocess -> instrumented session ->
// monitored layers -> node values, in batches. Holds no profile and computes no statistics.
import { ActivationError, axisField, CancelledError, checkFinite, layerOffsets, ModelError, summaryReduction, UsageError } from '../core/index.ts';
import { inspectModel } from '../model/onnx.ts';
import { parseModel } from '../model/parse.ts';
import { fingerprint } from '../model/instrument.ts';
import { planProfile, type LayerShape, type Plan, type PlanBudget } from '../model/plan.ts';
import { checkPixels, inputDims, toTensor } from '../model/preprocess.ts';
import { resolveSpec, type SpecSources } from '../model/spec.ts';
import { channelAxisOf, elementCount, layerNodeCount, reduceLayer } from '../model/reduce.ts';
import { InstrumentedModel } from '../model/session.ts';
import { batchAxesOf, imageValues, needsTwo, notPerImage } from './image-axis.ts';
import { turn } from './holdout.ts';
import type { LayerLayout, ModelSpec, ProviderRequest, Reduction, RgbaImage } from '../types.ts';
import type { ImageSource } from './holdout.ts';

/** One reduction for every layer, one per layer (in layer order), or a byte budget the planner fits (model/plan.ts). */
export type ReductionChoice = Reduction | readonly Reduction[] | { plan: PlanBudget };

export interface FeatureOptions extends SpecSources {
  model: Uint8Array;
  /** Called with the model's fingerprint, then with the spec, before the session starts: throw to refuse the model fast. */
  accept?: (fingerprint: string) => void;
  acceptSpec?: (spec: ModelSpec) => void;
  layers: 'auto' | string[];
  reduction: ReductionChoice;
  provider: ProviderRequest;
  numThreads?: number;
  /** Most activation values one session run may output (default MAX_RUN_VALUES). */
  maxRunValues?: number;
}

/**
 * Most activation values (every instrumented layer's, all images) one session run may output: a
 * batch runs in slices of as many images as fit. A 224x224 model outputs millions of values per
 * image, so a batch of 32 in one run would hold gigabytes, past a browser's WASM memory (4 GB)
 * or a phone's; 2^26 float32 (256 MB) still runs a small model's whole batch at once.
 */
export const MAX_RUN_VALUES = 2 ** 26;

/** About how long one run of eachBatch takes, in ms: how often a long pass reports progress and can stop. */
const RUN_MS = 500;

/** A layer reduced one way (throws where the reduction does not apply to its shape). */
const laidOut = (l: LayerShape, reduction: Reduction): LayerLayout => ({ name: l.name, shape: [...l.shape], ...axisField(l.channelAxis), reduction, nodes: layerNodeCount(l.shape, reduction, l.channelAxis) });

/** The monitored layers under a reduction choice, and the budget plan behind them when there is one. */
function layout(shapes: readonly LayerShape[], choice: ReductionChoice, classes: number): { layers: LayerLayout[]; plan: Plan | null } {
  if (typeof choice === 'object' && 'plan' in choice) {
    const plan = planProfile(shapes, choice.plan, classes);
    return { layers: plan.layers.map(({ name, shape, channelAxis, reduction, nodes }) => ({ name, shape, ...axisField(channelAxis), reduction, nodes })), plan };
  }
  const per: readonly Reduction[] = typeof choice === 'string' ? shapes.map(() => choice) : choice;
  if (per.length !== shapes.length) throw new UsageError(`${per.length} reductions given for ${shapes.length} monitored layers.`);
  const layers = shapes.map((l, i) => {
    try {
      return laidOut(l, per[i]);
    } catch (e) {
      throw new UsageError(`Layer "${l.name}": ${(e as Error).message}`);
    }
  });
  return { layers, plan: null };
}

export interface NodeBatch {
  logits: Float32Array[];
  /** Row-major [images, nodes]. */
  nodes: Float32Array;
  /** Rows whose node values are not finite (the rest of the batch is good). */
  errors: Map<number, ActivationError>;
  preprocessMs: number;
  inferenceMs: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Index -> error of images that failed (to load, or with non-finite values); skipped on later passes too. */
  skip?: Map<number, Error>;
  signal?: { aborted: boolean };
  onBatch?: (images: number) => void;
}

export class FeatureExtractor {
  readonly nodes: number;
  private readonly offsets: number[];
  /** Monitored layer of each session output, -1 where the plan dropped it. */
  private readonly slot: number[];
  private constructor(
    readonly model: InstrumentedModel,
    readonly spec: ModelSpec,
    /** Every layer the session outputs, with its shape for one image. */
    readonly shapes: readonly LayerShape[],
    /** Per session output, the axis that counts images (0, or a tokens-first tensor's batch axis). */
    private readonly batchAxes: readonly number[],
    readonly layers: LayerLayout[],
    /** The budget plan behind `layers`; null when the reductions were given. */
    readonly plan: Plan | null,
    readonly fingerprint: string,
    /** Logits per image: the classes the model predicts. */
    readonly classes: number,
    /** Images per session run: the model's fixed batch, or as many as MAX_RUN_VALUES holds. */
    private readonly perRun: number,
  ) {
    this.nodes = layers.reduce((s, l) => s + l.nodes, 0);
    this.offsets = layerOffsets(layers);
    this.slot = shapes.map((s) => layers.findIndex((l) => l.name === s.name));
  }

  /** The layers' shared reduction, or 'mixed' (the profile header's global field). */
  get reduction(): Reduction | 'mixed' {
    return summaryReduction(this.layers.map((l) => l.reduction ?? 'element'));
  }

  /**
   * The same session under another reduction choice: no second parse, session or blank run.
   * Both objects share the session; release only the one kept.
   */
  withReductions(choice: ReductionChoice): FeatureExtractor {
    const { layers, plan } = layout(this.shapes, choice, this.classes);
    return new FeatureExtractor(this.model, this.spec, this.shapes, this.batchAxes, layers, plan, this.fingerprint, this.classes, this.perRun);
  }

  /**
   * The same session reading these of its layers with these reductions (a profile's own layout), or
   * null where it does not output one of them or a reduction does not apply to its shape.
   */
  readingAs(wanted: readonly { name: string; reduction: Reduction }[]): FeatureExtractor | null {
    const layers: LayerLayout[] = [];
    for (const { name, reduction } of wanted) {
      const l = this.shapes.find((x) => x.name === name);
      if (!l) return null;
      try {
        layers.push(laidOut(l, reduction));
      } catch {
        return null;
      }
    }
    return new FeatureExtractor(this.model, this.spec, this.shapes, this.batchAxes, layers, null, this.fingerprint, this.classes, this.perRun);
  }

  static async create(opts: FeatureOptions): Promise<FeatureExtractor> {
    const proto = parseModel(opts.model); // "not an ONNX model" before anything else; parsed once
    const info = inspectModel(proto);
    const fp = await fingerprint(opts.model);
    opts.accept?.(fp);
    const spec = resolveSpec(info, opts);
    opts.acceptSpec?.(spec);
    const model = await InstrumentedModel.create(
      proto,
      { layers: opts.layers, provider: opts.provider, numThreads: opts.numThreads, inputName: spec.inputName, outputName: spec.outputName, probabilities: spec.probabilities },
      info,
    );
    // One run on a blank image tells each layer's shape for one image, and where its image axis is.
    const blank = toTensor({ width: spec.width, height: spec.height, data: new Uint8Array(spec.width * spec.height * 4) }, spec);
    const out = await model.run(blank, inputDims(spec, 1));
    const batch = model.input.shape[0];
    const fixed = typeof batch === 'number' && batch > 0 ? batch : null;
    const two = fixed === null && out.activations.some(needsTwo) ? await model.run(new Float32Array([...blank, ...blank]), inputDims(spec, 2)).catch(() => null) : null;
    const batchAxes = batchAxesOf(out.activations, two?.activations ?? null, fixed);
    const odd = out.activations.map((a, j) => notPerImage(a, batchAxes[j])).find(Boolean);
    if (odd) {
      model.release();
      throw new ModelError(odd, 'unknown-layer');
    }
    const shapes = out.activations.map((a, j) => {
      const shape = a.dims.filter((_, k) => k !== batchAxes[j]);
      // The planner reads meanOf and copyOf only where those layers are monitored too.
      const [of, copy] = [info.meanOf[a.name], info.copyOf[a.name]];
      return { name: a.name, shape, ...axisField(channelAxisOf(shape, info.featureAxis[a.name])), ...(of ? { meanOf: of } : {}), ...(copy ? { copyOf: copy } : {}) };
    });
    try {
      const { layers, plan } = layout(shapes, opts.reduction, out.logits.length);
      const values = shapes.reduce((a, l) => a + elementCount(l.shape), out.logits.length);
      const perRun = Math.max(1, Math.min(fixed ?? Infinity, Math.floor((opts.maxRunValues ?? MAX_RUN_VALUES) / values)));
      return new FeatureExtractor(model, spec, shapes, batchAxes, layers, plan, fp, out.logits.length, perRun);
    } catch (e) {
      model.release();
      throw e;
    }
  }

  get provider() {
    return this.model.provider;
  }

  /** The model's input for one image, as the model receives it (after resize and colour conversion). */
  input(img: RgbaImage): Float32Array {
    return toTensor(img, this.spec);
  }

  /** Logits and node values of a batch of images; an image with non-finite values is named in `errors`. */
  async nodeValues(images: RgbaImage[]): Promise<NodeBatch> {
    await turn();
    // In slices of perRun: a model exported with a fixed batch size (often 1), or one whose
    // activations for the whole batch would not fit MAX_RUN_VALUES.
    const step = this.perRun;
    if (images.length > step) {
      const out: NodeBatch = { logits: [], nodes: new Float32Array(images.length * this.nodes), errors: new Map(), preprocessMs: 0, inferenceMs: 0 };
      for (let i = 0; i < images.length; i += step) {
        const p = await this.nodeValues(images.slice(i, i + step));
        out.nodes.set(p.nodes, i * this.nodes);
        out.logits.push(...p.logits);
        for (const [r, e] of p.errors) out.errors.set(i + r, e);
        out.preprocessMs += p.preprocessMs;
        out.inferenceMs += p.inferenceMs;
      }
      return out;
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
    out.activations.forEach((a, k) => {
      const li = this.slot[k];
      if (li < 0) return;
      const { shape, reduction = 'element', channelAxis = 0 } = this.layers[li];
      for (let i = 0; i < images.length; i++) {
        const r = reduceLayer(imageValues(a.data, a.dims, this.batchAxes[k], i), shape, reduction, channelAxis);
        nodes.set(r, i * this.nodes + this.offsets[li]);
      }
    });
    const errors = new Map<number, ActivationError>();
    for (let i = 0; i < images.length; i++) {
      try {
        checkFinite(nodes.subarray(i * this.nodes, (i + 1) * this.nodes), this.layers);
      } catch (e) {
        errors.set(i, e as ActivationError);
      }
    }
    return { logits, nodes, errors, preprocessMs: t1 - t0, inferenceMs: performance.now() - t1 };
  }

  /**
   * Run a source through the model in batches. Images that fail to load or give non-finite values
   * are recorded in `skip` (index -> message) and left out, also on later passes over the same
   * source. `fn` gets the node values of the good images (row-major) and their indices.
   */
  async eachBatch(src: ImageSource, fn: (nodes: Float32Array, loaded: number[], logits: Float32Array[], imgs: RgbaImage[]) => void, opts: BatchOptions): Promise<void> {
    const skip = opts.skip ?? new Map<number, Error>();
    // Runs of at most batchSize images, and of what one session run holds (perRun), and of as many as
    // take about RUN_MS from the first image's pace on: progress moves, and a cancel stops, about every
    // half second on a large model on a slow backend (seconds per image) as on a small one. How images
    // are grouped in runs does not change their values (checked bit for bit on two models, both runtimes).
    const most = Math.min(opts.batchSize, this.perRun);
    let step = 1;
    for (let start = 0; start < src.count; ) {
      if (opts.signal?.aborted) throw new CancelledError();
      const t0 = performance.now();
      const end = Math.min(src.count, start + step);
      const imgs: RgbaImage[] = [];
      const loaded: number[] = [];
      for (let i = start; i < end; i++) {
        if (skip.has(i)) continue;
        try {
          await turn(); // a large photo's decode takes a third of a second
          const img = await src.load(i);
          checkPixels(img, src.name(i)); // pixels a caller's source made wrong: that image is skipped, named
          imgs.push(img);
          loaded.push(i);
        } catch (e) {
          skip.set(i, e instanceof Error ? e : new Error(String(e)));
        }
      }
      if (imgs.length) {
        const { nodes, logits, errors } = await this.nodeValues(imgs);
        if (errors.size === 0) fn(nodes, loaded, logits, imgs);
        else {
          // Only the images with non-finite values drop out of the batch.
          for (const [r, e] of errors) skip.set(loaded[r], e);
          const keep = loaded.map((_, r) => r).filter((r) => !errors.has(r));
          const N = this.nodes;
          const good = new Float32Array(keep.length * N);
          keep.forEach((r, k) => good.set(nodes.subarray(r * N, (r + 1) * N), k * N));
          if (keep.length) fn(good, keep.map((r) => loaded[r]), keep.map((r) => logits[r]), keep.map((r) => imgs[r]));
        }
      }
      opts.onBatch?.(end - start);
      step = Math.max(1, Math.min(most, Math.floor((RUN_MS * (end - start)) / Math.max(1, performance.now() - t0))));
      start = end;
    }
  }

  release(): void {
    this.model.release();
  }
}
