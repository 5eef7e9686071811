// The one place that decides the onnxruntime-web flavour and the execution provider, so that the
// CLI, the worker and the tests all get the same runtime (cf. transformers.js src/backends/onnx.js).
// - Flavour: the package's default entry, `onnxruntime-web`. Under Node its "node" export runs the
//   WASM backend (onnxruntime-node would need native/CUDA downloads, 288 MB, and fails offline).
//   In browsers the default build holds both the WASM and the WebGPU (JSEP) backends; its .wasm is
//   located by onnxruntime-web itself relative to its own module (vite emits it as an asset), so
//   no path and no remote host is configured here.
// - Node: WASM, one thread by default: the CLI runs one model at a time and stays predictable.
// - Browser / worker: WebGPU when the device exposes an adapter (asked first, because ORT's WebGPU
//   backend fails late and opaquely without one), else WASM — multi-threaded (up to 4) only when
//   the page is cross-origin isolated, since threads need SharedArrayBuffer.
import * as ort from 'onnxruntime-web';
import type { Provider, ProviderRequest } from '../types.ts';

export { ort };

/** A float32 tensor for session inputs, so callers need not import onnxruntime-web themselves. */
export function tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export const isNode =
  typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined' && typeof (globalThis as { importScripts?: unknown }).importScripts === 'undefined';

type GpuNavigator = Navigator & { gpu?: { requestAdapter(): Promise<unknown> } };

async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (globalThis.navigator as GpuNavigator | undefined)?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
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

/** WASM threads: the caller's choice, else 1 under Node or without cross-origin isolation, else min(4, cores). */
function wasmThreads(requested?: number): number {
  if (requested !== undefined) return Math.max(1, Math.floor(requested));
  if (isNode) return 1;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1)) : 1;
}

export async function createSession(model: Uint8Array, opts: { provider?: ProviderRequest; numThreads?: number } = {}): Promise<SessionChoice> {
  const want = opts.provider ?? 'auto';
  // Read by ORT when its WASM module first initialises; later changes are ignored.
  ort.env.wasm.numThreads = wasmThreads(opts.numThreads);
  ort.env.logLevel = 'error';
  let note: string | undefined;
  if (isNode) {
    if (want === 'webgpu') note = 'WebGPU is not available under Node: using WASM.';
  } else if (want !== 'wasm') {
    if (await hasWebGpuAdapter()) {
      try {
        const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
        return { session, provider: 'webgpu' };
      } catch (e) {
        note = `WebGPU failed (${(e as Error).message}): using WASM.`;
      }
    } else {
      note = want === 'webgpu' ? 'WebGPU requested but this device has no WebGPU adapter: using WASM.' : 'No WebGPU adapter on this device: using WASM.';
    }
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { session, provider: 'wasm', ...(note ? { note } : {}) };
}
