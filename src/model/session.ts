import { createSession, ort } from './runtime.ts';
import { inspectModel, instrumentModel, ModelError, resolveLayers, type ModelInfo } from './onnx.ts';
import type { Provider, ProviderRequest } from '../types.ts';

export interface Activation {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** An ONNX session whose chosen intermediate tensors are extra outputs. */
export class InstrumentedModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: ModelInfo,
    readonly layers: string[],
    readonly provider: Provider,
    readonly note: string | undefined,
    readonly inputName: string,
    readonly outputName: string,
  ) {}

  static async create(modelBytes: Uint8Array, opts: { layers?: 'auto' | string[]; provider?: ProviderRequest; numThreads?: number; inputName?: string; outputName?: string } = {}): Promise<InstrumentedModel> {
    const info = inspectModel(modelBytes);
    const layers = resolveLayers(info, opts.layers ?? 'auto');
    const inputName = opts.inputName ?? info.inputs[0]?.name;
    if (!inputName) throw new ModelError('The model has no input.', 'no-image-input');
    const outputName = opts.outputName ?? info.outputs[0].name;
    let choice;
    try {
      choice = await createSession(instrumentModel(modelBytes, layers), opts);
    } catch (e) {
      throw new ModelError(`onnxruntime could not load the model: ${(e as Error).message}`, 'runtime');
    }
    return new InstrumentedModel(choice.session, info, layers, choice.provider, choice.note, inputName, outputName);
  }

  /** Run a batch; returns the logits and each monitored layer's tensor (batch first). */
  async run(input: Float32Array, dims: number[]): Promise<{ logits: Float32Array; logitDims: number[]; activations: Activation[] }> {
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run({ [this.inputName]: new ort.Tensor('float32', input, dims) }, [this.outputName, ...this.layers]);
    } catch (e) {
      throw new ModelError(`Inference failed: ${(e as Error).message}`, 'runtime');
    }
    const read = async (name: string) => {
      const t = out[name];
      const data = (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array;
      return { dims: t.dims.map(Number), data: data instanceof Float32Array ? data : Float32Array.from(data as unknown as ArrayLike<number>) };
    };
    const logits = await read(this.outputName);
    const activations: Activation[] = [];
    for (const name of this.layers) {
      const a = await read(name);
      for (let i = 0; i < a.data.length; i++) {
        if (!Number.isFinite(a.data[i])) {
          throw new ModelError(`The model produced ${a.data[i]} in layer "${name}" at element ${i}: its activations are not finite for this input.`, 'nan-activation');
        }
      }
      activations.push({ name, ...a });
    }
    for (const t of Object.values(out)) t.dispose?.();
    return { logits: logits.data, logitDims: logits.dims, activations };
  }

  release(): void {
    void this.session.release();
  }
}
