// The one place that decides the onnxruntime-web flavour and the execution provider.
// - Node: the package's node build runs the WASM backend (onnxruntime-node would need native
//   CUDA downloads). One thread: the CLI parallelises nothing else and stays predictable.
// - Browser / worker: WebGPU when the device exposes an adapter (asked first, because ORT's
//   WebGPU backend fails late and opaquely without one), else WASM, multi-threaded only when the
//   page is cross-origin isolated (SharedArrayBuffer needs it).
import * as ort from 'onnxruntime-web';
import type { Provider, ProviderRequest } from '../types.ts';

export { ort };

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined' && typeof self === 'undefined';

async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

export interface SessionChoice {
  session: ort.InferenceSession;
  provider: Provider;
  /** Why the provider differs from the one asked for, for the user to see. */
  note?: string;
}

export async function createSession(model: Uint8Array, opts: { provider?: ProviderRequest; numThreads?: number } = {}): Promise<SessionChoice> {
  const want = opts.provider ?? 'auto';
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  ort.env.wasm.numThreads = opts.numThreads ?? (isNode || !isolated ? 1 : Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1));
  ort.env.logLevel = 'error';
  let note: string | undefined;
  if (!isNode && want !== 'wasm') {
    if (await hasWebGpuAdapter()) {
      try {
        const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
        return { session, provider: 'webgpu' };
      } catch (e) {
        note = `WebGPU failed (${(e as Error).message}); using WASM.`;
      }
    } else if (want === 'webgpu') note = 'WebGPU requested but this device has no WebGPU adapter; using WASM.';
  } else if (isNode && want === 'webgpu') note = 'WebGPU is not available under Node; using WASM.';
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { session, provider: 'wasm', note };
}
