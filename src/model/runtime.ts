// The one place that decides the onnxruntime package and the execution provider, so that the
// CLI, the worker and the tests all get the same runtime (cf. transformers.js src/backends/onnx.js).
// - Browsers: `onnxruntime-web`, whose default build holds both the WASM and the WebGPU (JSEP)
//   backends; its .wasm is located by onnxruntime-web itself relative to its own module (vite emits
//   it as an asset), so no path and no remote host is configured here.
// - Node: onnxruntime-node's native CPU provider where that optional dependency installed (its npm
//   package ships the CPU binaries; ONNXRUNTIME_NODE_INSTALL=skip keeps its install script from
//   fetching CUDA libraries), 1.8x faster for a photo-model profile build here; else, or when WASM
//   is asked for, onnxruntime-web's WASM backend with one thread, so that the CLI runs one model at
//   a time and stays predictable. Both give the same numbers within 1e-4 (tests/model/native.test.ts),
//   relative to a value's size where values are large (a probe: 4.2e-4 on nodes of about 90).
// - Browser / worker: WebGPU when the device exposes an adapter (asked first, because ORT's WebGPU
//   backend fails late and opaquely without one), else WASM — multi-threaded (up to 4) only when
//   the page is cross-origin isolated, since threads need SharedArrayBuffer.
import { create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-web';
import { ModelProtoSchema } from 'onnx-buf';
import { UsageError } from '../core/errors.ts';
import type { Provider, ProviderRequest } from '../types.ts';

export { ort };

/** A float32 tensor for session inputs, so callers need not import onnxruntime-web themselves. */
export function tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** onnxruntime-node when it is installed and loads, else null (read once). */
let native: Promise<typeof ort | null> | undefined;
function nativeRuntime(): Promise<typeof ort | null> {
  // A specifier bundlers do not follow, nor fold into a literal (which an app's dev server would then
  // try to resolve, and fail on where the optional package did not install): browser builds never see it.
  const name = ['onnxruntime', 'node'].join('-');
  // Its native runtime sends usage telemetry (the model's graph and producer names, a device id kept
  // in HOME) unless told not to: nothing leaves the machine, as the README promises. A user's own
  // setting of the variable is theirs.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  native ??= import(/* @vite-ignore */ /* webpackIgnore: true */ name).then(
    (m: { default?: typeof ort } & typeof ort) => m.default ?? m,
    () => null,
  );
  return native;
}

const isNode =
  typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined' && typeof (globalThis as { importScripts?: unknown }).importScripts === 'undefined';

type GpuAdapter = { features: ReadonlySet<string>; isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean; architecture?: string } };
type GpuNavigator = Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } };

async function webGpuAdapter(): Promise<GpuAdapter | null> {
  const gpu = (globalThis.navigator as GpuNavigator | undefined)?.gpu;
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

export interface SessionChoice {
  session: ort.InferenceSession;
  /** The input tensor class of the package that runs `session`. */
  Tensor: typeof ort.Tensor;
  provider: Provider;
  /** Why the provider differs from the one asked for, for the user to see. */
  note?: string;
}

/** WASM threads: the caller's choice, else 1 under Node or without cross-origin isolation, else min(4, cores). */
function wasmThreads(requested?: number): number {
  if (requested !== undefined) return Math.max(1, Math.floor(requested));
  if (isNode) return 1;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1)) : 1;
}

/** Why 'webgpu' is refused under Node (the CLI's --provider refuses it in its own words). */
const WEBGPU_NODE = "WebGPU is not available under Node; use provider 'auto' (onnxruntime-node's native CPU runtime where it installed, else WASM), 'cpu' or 'wasm', or the browser component for WebGPU.";

/**
 * A GPU device lost (a driver update, a laptop's switch of GPUs, the GPU process ending) leaves every
 * later run pending for ever (onnxruntime-web 1.30): the worker ends with the reason as an uncaught
 * error, and the page starts a fresh one, on a new device or on WASM, and checks the images again
 * (ui/client.ts). Nothing here destroys the device: a worker that is done is terminated whole.
 */
function endOnDeviceLoss(device: unknown): void {
  // A GPUDevice (onnxruntime's types leave it unknown without the WebGPU DOM types).
  void (device as { lost?: Promise<{ reason: string; message: string }> } | undefined)?.lost?.then((info) => {
    setTimeout(() => {
      throw new Error(`the GPU device was lost (${info.message || info.reason})`);
    });
  });
}

/** A model of one Identity node: creating a session of it is what makes onnxruntime-web load its WebAssembly (made when a browser's runtime starts, not as the module loads). */
function identityModel(): Uint8Array {
  const io = (name: string) => ({ name, type: { value: { case: 'tensorType' as const, value: { elemType: 1, shape: { dim: [{ value: { case: 'dimValue' as const, value: 1n } }] } } } } });
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, { irVersion: 8n, opsetImport: [{ domain: '', version: 13n }], graph: { name: 'runtime', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [io('x')], output: [io('y')] } }));
}

/**
 * How long a download may go without a byte before it is given up. A connection that stalls would
 * otherwise leave the start waiting for ever, and the browser's cache entry for the URL held, so that
 * "Try again" waited behind it (a probe: 3.5 minutes at "95% of 34.1 MB…"). A slow connection that
 * keeps sending is never cut.
 */
export const STALL_MS = 30_000;

/** Calls `stalled` once `ms` pass without a poke (each chunk of a download pokes it); `stop` when it has all come. */
export function stallWatch(stalled: () => void, ms = STALL_MS): { poke(): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => clearTimeout(timer);
  return { poke: () => (stop(), (timer = setTimeout(stalled, ms))), stop };
}

/** A response's length as its body will give it: 0 where the server does not say it, or says it compressed (the body gives more). */
export const bodyLength = (res: Response): number => (res.headers.get('content-encoding') ? 0 : Number(res.headers.get('content-length')) || 0);

/** A page where a file was asked for: dev servers and single-page hosts answer a missing file with their index page, status 200. */
export const isHtml = (res: Response): boolean => /^text\/html/i.test(res.headers.get('content-type') ?? '');

/**
 * Counts the bytes of the .wasm that onnxruntime-web fetches itself (its URL is its bundler's to
 * choose): its largest download on a first visit, 28 MB, is otherwise a long silent wait. Its size is
 * 0 where the server does not say its length, or says it compressed (the stream gives more), until it has all come.
 */
function countingWasm(onBytes: (got: number, size: number) => void): () => void {
  const plain = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await plain(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!/\.wasm([?#]|$)/.test(url)) return res;
    // Said where the start fails (model/session.ts): onnxruntime's own words name neither the file nor the answer.
    if (!res.ok) wasmProblem = `${url} answered HTTP ${res.status}`;
    else if (isHtml(res)) wasmProblem = `${url} answered with an HTML page, not the .wasm file`;
    if (!res.body) return res;
    const size = bodyLength(res);
    let got = 0;
    // A stalled download fails (and its source is cancelled), as the worker's own downloads do (worker/download.ts).
    let stream: TransformStreamDefaultController<Uint8Array> | undefined;
    const watch = stallWatch(() => stream?.error(new Error(`no data came for ${STALL_MS / 1000} s from ${url}`)));
    const counted = new TransformStream<Uint8Array, Uint8Array>({
      start(out) {
        stream = out;
        watch.poke();
      },
      transform(chunk, out) {
        watch.poke();
        got += chunk.byteLength;
        onBytes(got, size);
        out.enqueue(chunk);
      },
      flush() {
        watch.stop();
        if (!size) onBytes(got, got); // all of it came: its size is known now
      },
    });
    return new Response(res.body.pipeThrough(counted), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return () => {
    globalThis.fetch = plain;
  };
}

let started: Promise<void> | undefined;
let wasmProblem = '';

/** What the server answered for onnxruntime's .wasm where that was no file (its URL and status), else ''. */
export const wasmFetchProblem = (): string => wasmProblem;

/**
 * In a browser, loads onnxruntime-web's WebAssembly now (once per worker), so that its download and
 * compile go on while the model and profile download, not after them; `onBytes` hears its download.
 * createSession waits for it, and fails with its error where it failed. Nothing under Node.
 */
export function startRuntime(numThreads?: number, onBytes?: (got: number, size: number) => void): Promise<void> {
  if (isNode) return Promise.resolve();
  started ??= (async () => {
    // Read by ORT when its WASM module first initialises, as createSession sets it.
    ort.env.wasm.numThreads = wasmThreads(numThreads);
    const restore = onBytes ? countingWasm(onBytes) : () => {};
    try {
      await (await ort.InferenceSession.create(identityModel(), { executionProviders: ['wasm'] })).release();
    } finally {
      restore();
    }
  })();
  // Heard by createSession; a start that fails before it gets there must not be an unhandled rejection.
  started.catch(() => {});
  return started;
}

/** `half`: the model computes in float16 somewhere (model/onnx.ts ModelInfo.half). */
export async function createSession(model: Uint8Array, opts: { provider?: ProviderRequest; numThreads?: number; half?: boolean } = {}): Promise<SessionChoice> {
  const want = opts.provider ?? 'auto';
  // Read by ORT when its WASM module first initialises; later changes are ignored.
  ort.env.wasm.numThreads = wasmThreads(opts.numThreads);
  ort.env.logLevel = 'error';
  let note: string | undefined;
  if (isNode) {
    // Refused rather than run elsewhere in silence: a caller asking for WebGPU expects a GPU (as the CLI refuses --provider webgpu).
    if (want === 'webgpu') throw new UsageError(WEBGPU_NODE);
    const node = want === 'wasm' ? null : await nativeRuntime();
    if (node) {
      // Its environment logs as it starts (a telemetry warning, in colour, where HOME cannot be written): only errors.
      node.env.logLevel = 'error';
      const threads = opts.numThreads === undefined ? {} : { intraOpNumThreads: Math.max(1, Math.floor(opts.numThreads)) };
      // Log level fatal: a failed run reaches the user as one ModelError line, not also as onnxruntime's own log.
      // Its layout optimisations ('all') crash the process on some float16 graphs (1.30: a small ViT), so those stop short of them.
      const level = opts.half ? 'extended' : 'all';
      const session = await node.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: level, logSeverityLevel: 4, ...threads });
      return { session, Tensor: node.Tensor, provider: 'cpu' };
    }
    if (want === 'cpu') note = 'onnxruntime-node is not installed: using WASM.';
  } else {
    // Its WASM runtime loads once; two sessions created while it loads would both start it (onnxruntime-web refuses that).
    await startRuntime(opts.numThreads);
  }
  if (!isNode && (want === 'auto' || want === 'webgpu')) {
    // 'cpu' in a browser is WASM: its only CPU runtime.
    const adapter = await webGpuAdapter();
    // Without float16 shaders onnxruntime's WebGPU backend runs a float16 graph to zeros, silently (1.30, SwiftShader).
    // A software adapter (SwiftShader where no GPU is usable) ran a 224×224 model 20–40 times slower than WASM.
    const software = adapter && (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
    if (adapter && opts.half && !adapter.features.has('shader-f16')) {
      note = 'This WebGPU adapter has no float16 shaders (shader-f16), which this float16 model needs: using WASM.';
    } else if (software && want === 'auto') {
      note = `The only WebGPU adapter here is a software one${adapter.info?.architecture ? ` (${adapter.info.architecture})` : ''}, slower than WASM: using WASM (provider "webgpu" uses it anyway).`;
    } else if (adapter) {
      try {
        const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
        endOnDeviceLoss(await ort.env.webgpu.device);
        return { session, Tensor: ort.Tensor, provider: 'webgpu' };
      } catch (e) {
        note = `WebGPU failed (${(e as Error).message}): using WASM.`;
      }
    } else {
      note = want === 'webgpu' ? 'WebGPU requested but this device has no WebGPU adapter: using WASM.' : 'No WebGPU adapter on this device: using WASM.';
    }
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { session, Tensor: ort.Tensor, provider: 'wasm', ...(note ? { note } : {}) };
}
