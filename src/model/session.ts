// An onnxruntime session on the instrumented model: one run gives the logits (before a closing
// Softmax) and the monitored layers' tensors, and nothing else is fetched.
import { createSession, ort, wasmFetchProblem } from './runtime.ts';
import type { ModelProto } from 'onnx-buf';
import { ModelError, UsageError } from '../core/errors.ts';
import { fromHalf, toHalf } from './half.ts';
import { channelAxisOf, elementCount, reduceLayer } from './reduce.ts';
import { classOutput, FLOAT16, inspectModel, perImageVector, UINT8, type IoInfo, type ModelInfo } from './onnx.ts';
import { parseModel } from './parse.ts';
import { instrumentModel, resolveLayers } from './instrument.ts';
import type { ModelSpec, Provider, ProviderRequest } from '../types.ts';

export interface Activation {
  name: string;
  /** Dimensions as the model gives them, batch first. */
  dims: number[];
  data: Float32Array;
  /** The tensor's element type as the model gives it ('float32', 'float16', 'int64', …), read as float32 in `data`. */
  type: string;
}

export interface RunResult {
  logits: Float32Array;
  logitDims: number[];
  activations: Activation[];
}

/**
 * Class scores per image. An output with a grid or tokens besides its classes (a segmentation map
 * [N, C, H, W], per-token scores [N, T, C]) is read as each class's mean over them: the classes
 * the image holds most of, and one vector per image for the class column, the class histograms
 * and the energy.
 */
function classScores(t: { dims: number[]; data: Float32Array }, features?: 'first' | 'last'): { dims: number[]; data: Float32Array } {
  if (perImageVector(t.dims)) return t;
  const per = t.dims.slice(1);
  const n = t.dims[0];
  const size = elementCount(per);
  const axis = channelAxisOf(per, features);
  const data = new Float32Array(n * per[axis]);
  for (let i = 0; i < n; i++) data.set(reduceLayer(t.data.subarray(i * size, (i + 1) * size), per, 'channel-mean', axis), i * per[axis]);
  return { dims: [n, per[axis]], data };
}

export type ClassProbabilities = 'softmax' | 'as-is' | 'sigmoid';

export interface InstrumentedModelOptions {
  layers?: 'auto' | string[];
  provider?: ProviderRequest;
  numThreads?: number;
  /** Model input to feed; the first real input when absent. */
  inputName?: string;
  /** Logits output; the first float graph output when absent. */
  outputName?: string;
  /** How its scores become probabilities, where the spec says (ModelSpec.probabilities). */
  probabilities?: ModelSpec['probabilities'];
}

/** An ONNX session whose chosen intermediate tensors are extra outputs. */
export class InstrumentedModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly Tensor: typeof ort.Tensor,
    readonly info: ModelInfo,
    readonly layers: string[],
    readonly provider: Provider,
    /** Why the provider differs from the one asked for, when it does. */
    readonly note: string | undefined,
    /** The declared input an image is fed to (name, shape, element type). */
    readonly input: IoInfo,
    readonly outputName: string,
    /** The tensor read as the logits: the output, or the input of the Softmax that closes it. */
    readonly logitsName: string,
    /** The spec's word on how its scores become probabilities, if any. */
    probabilities?: ModelSpec['probabilities'],
  ) {
    const o = info.outputs.find((x) => x.name === outputName);
    this.classProbabilities = info.sigmoidOutputs.includes(outputName) ? 'as-is' : (probabilities ?? (o?.shape.slice(1).every((d) => d === 1) ? 'sigmoid' : 'softmax'));
    this.classMap = !!o?.shape.length && !perImageVector(o.shape);
  }

  /**
   * The class scores are a map's means over its positions (classScores: per-token [N, T, C], a
   * segmentation map [N, C, H, W]), whose top class is often the same for every image (a CTC blank, the background).
   */
  readonly classMap: boolean;

  /**
   * How the class scores become the probabilities shown: a softmax over logits; as they are where a
   * Sigmoid closes the output (each class its own probability); a sigmoid of a single logit (a binary
   * score), where softmax would say 100% for every image; a spec's `probabilities` where it gives one
   * (a multi-label model's logits), unless a Sigmoid closes the output already.
   */
  readonly classProbabilities: ClassProbabilities;

  /** `info` saves a second parse when the caller has inspected the model already. */
  static async create(bytes: Uint8Array | ModelProto, opts: InstrumentedModelOptions = {}, info?: ModelInfo): Promise<InstrumentedModel> {
    const model = bytes instanceof Uint8Array ? parseModel(bytes) : bytes;
    info ??= inspectModel(model);
    const layers = resolveLayers(info, opts.layers ?? 'auto');
    const inputName = opts.inputName ?? info.inputs[0]?.name;
    if (!inputName) throw new ModelError('The model has no input to feed an image to.', 'no-image-input');
    const input = info.inputs.find((i) => i.name === inputName);
    if (!input) {
      throw new ModelError(`The model has no input "${inputName}"; its inputs are ${info.inputs.map((i) => `"${i.name}"`).join(', ')}.`, 'no-image-input');
    }
    // An input with no default (initializer) must be fed: histoscan has only the image for it.
    const others = info.inputs.filter((i) => i.name !== inputName);
    if (others.length) {
      const list = others.map((i) => `"${i.name}" [${i.shape.join(', ')}]`).join(', ');
      throw new ModelError(
        `The model takes ${others.length === 1 ? 'another input' : 'other inputs'} besides the image ("${inputName}"): ${list}. histoscan feeds one image input and nothing else; export the model with the image as its only input (the others as constants or initializers).`,
        'other-inputs',
      );
    }
    const outputName = opts.outputName ?? classOutput(info);
    if (!info.outputs.some((o) => o.name === outputName)) {
      throw new ModelError(`The model has no output "${outputName}"; its outputs are ${info.outputs.map((o) => `"${o.name}"`).join(', ')}.`, 'unknown-layer');
    }
    const logitsName = info.beforeSoftmax[outputName] ?? outputName;
    let choice;
    try {
      choice = await createSession(instrumentModel(model, [logitsName, ...layers]), { ...opts, half: info.half });
    } catch (e) {
      if (e instanceof UsageError) throw e; // a provider this platform lacks, not the model
      const message = (e as Error).message;
      // The browser's words name 'unsafe-eval'; what WebAssembly needs is the narrower 'wasm-unsafe-eval'.
      const csp = /Content Security Policy/i.test(message) ? "The page's Content-Security-Policy blocks WebAssembly: add 'wasm-unsafe-eval' to its script-src (README: the policy an embedding page needs). " : '';
      // "no available backend" (onnxruntime-web): its WebAssembly runtime did not load, not the model (a download
      // that failed, a file the server does not have).
      const runtime = !csp && /no available backend/i.test(message);
      const why = wasmFetchProblem() || 'check the connection and that the server has its .wasm file';
      throw new ModelError(runtime ? `onnxruntime's WebAssembly runtime could not be loaded (${why}): ${message}` : `${csp}onnxruntime could not load the model: ${message}`, 'runtime');
    }
    return new InstrumentedModel(choice.session, choice.Tensor, info, layers, choice.provider, choice.note, input, outputName, logitsName, opts.probabilities);
  }

  /**
   * The dims to feed: the caller's image batch dims, with a unit channel axis dropped when the
   * model takes rank-3 gray images ([N,H,W]).
   */
  private feedDims(dims: number[]): number[] {
    const declared = this.input.shape;
    if (declared.length === 3 && dims.length === 4) {
      if (dims[1] === 1) return [dims[0], dims[2], dims[3]];
      if (dims[3] === 1) return dims.slice(0, 3);
    }
    return dims;
  }

  /** Run a batch; returns the logits and each monitored layer's tensor (batch first). */
  async run(input: Float32Array, dims: number[]): Promise<RunResult> {
    const size = elementCount(dims);
    if (size !== input.length) throw new RangeError(`Input has ${input.length} values but dims [${dims.join(', ')}] need ${size}.`);
    // A batch fixed above the images given (an export for batches of 8): blank images fill it, and their rows are dropped.
    const fixed = this.input.shape[0];
    if (typeof fixed === 'number' && fixed > dims[0]) {
      const full = new Float32Array((input.length / dims[0]) * fixed);
      full.set(input);
      const out = await this.run(full, [fixed, ...dims.slice(1)]);
      // A tensor whose first axis is not the batch (tokens-first) is kept whole: the first rows are not its images', and features.ts refuses it.
      const keep = <T extends { dims: number[]; data: Float32Array }>(t: T): T => (t.dims[0] !== fixed ? t : { ...t, dims: [dims[0], ...t.dims.slice(1)], data: t.data.subarray(0, (t.data.length / fixed) * dims[0]) });
      const logits = keep({ dims: out.logitDims, data: out.logits });
      return { logits: logits.data, logitDims: logits.dims, activations: out.activations.map(keep) };
    }
    let out: ort.InferenceSession.OnnxValueMapType;
    // A uint8 input gets the pixels (its spec's scale is 1), rounded into [0, 255]; a float16 one their half-precision bits.
    const at = this.feedDims(dims);
    const type = this.input.elemType;
    const feed =
      type === UINT8
        ? new this.Tensor('uint8', Uint8Array.from(input, (v) => Math.min(255, Math.max(0, Math.round(v)))), at)
        : type === FLOAT16
          ? new this.Tensor('float16', toHalf(input), at)
          : new this.Tensor('float32', input, at);
    try {
      out = await this.session.run({ [this.input.name]: feed }, [...new Set([this.logitsName, ...this.layers])]);
    } catch (e) {
      // A symbolic input size filled in by the spec is the usual cause: say which size was fed.
      const fixed = this.input.shape.slice(1).every((d) => typeof d === 'number');
      // Detectors with a feature pyramid (PP-OCR's, YOLO's) add maps that a size their downsampling does not divide leaves unequal.
      const open = this.feedDims(dims).filter((d, i) => i > 0 && typeof this.input.shape[i] !== 'number' && d > 4 && d % 32);
      const strides = open.length ? `; a convolutional model whose size is open often takes only sides that its downsampling divides (multiples of 32 for many detectors), which ${open.join(' and ')} ${open.length > 1 ? 'are' : 'is'} not` : '';
      const hint = fixed ? '' : ` (fed an input of [${this.feedDims(dims).join(', ')}]: is that the shape this model takes? Give it with --size, --channels and --layout or a spec${strides})`;
      throw new ModelError(`Inference failed${hint}: ${(e as Error).message}`, 'runtime');
    }
    try {
      const read = async (name: string) => {
        const t = out[name];
        const raw = t.location === 'cpu' ? t.data : await t.getData();
        // float16 comes as its bits where the platform has no Float16Array (then as that, which converts as numbers).
        const data = raw instanceof Float32Array ? raw : t.type === 'float16' && raw instanceof Uint16Array ? fromHalf(raw) : Float32Array.from(raw as ArrayLike<number>, Number);
        return { dims: t.dims.map(Number), data, type: t.type };
      };
      const logits = classScores(await read(this.logitsName), this.info.featureAxis[this.logitsName]);
      const activations: Activation[] = [];
      // Non-finite values are the caller's to find per image: one bad image must not sink its batch.
      for (const name of this.layers) activations.push({ name, ...(await read(name)) });
      return { logits: logits.data, logitDims: logits.dims, activations };
    } finally {
      for (const t of Object.values(out)) t.dispose?.();
    }
  }

  release(): void {
    void this.session.release().catch(() => undefined);
  }
}
