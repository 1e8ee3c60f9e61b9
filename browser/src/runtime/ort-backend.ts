/**
 * Prepares the on-device runtime: WASM by default (SIMD; threads only when the page is
 * cross-origin isolated, since they need SharedArrayBuffer), WebGPU only when backend-choice.ts
 * measures that it wins on this device (or `backend="webgpu"` forces it). Each onnxruntime-web
 * build is its own chunk, imported only when chosen, so the WebGPU build's code and 27 MB .wasm
 * are never fetched on the WASM path. The build's Emscripten loader (.mjs) and its .wasm are
 * served by content (files/<sha256>…); the .wasm is read through VerifiedFiles (sha256-pinned at
 * build time, kept in Cache Storage) and handed to onnxruntime, so onnxruntime fetches nothing large.
 */
import { runtimeFiles } from 'switchyard:build-info';
import { serializeRuns, type OrtSession, type OrtTensorConstructor } from '../../../shared/models/onnx-session.ts';
import { decideBackend, type GpuAdapterLike, type ModelShape } from './backend-choice.ts';
import { fileUrl } from './file-url.ts';
import type { VerifiedFiles } from './verified-files.ts';

export type Backend = 'webgpu' | 'wasm';

export interface DeviceRuntime {
  backend: Backend;
  /** WASM threads (1 unless cross-origin isolated). */
  threads: number;
  /** The GPU adapter's description, when WebGPU is used. */
  adapter?: string;
  /** Why WebGPU was not used, when it was not. */
  webgpuSkipped?: string;
  Tensor: OrtTensorConstructor;
  createSession(onnx: Uint8Array): Promise<OrtSession>;
}

export type BackendPreference = 'auto' | 'webgpu' | 'wasm';

interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

type Ort = typeof import('onnxruntime-web/wasm');

/** The binary each build loads, and the Emscripten loader beside it. */
const WASM_FILE = { wasm: 'ort-wasm-simd-threaded.wasm', webgpu: 'ort-wasm-simd-threaded.asyncify.wasm' } as const;

async function webgpuAdapter(timeoutMs: number): Promise<{ adapter: GpuAdapterLike | null; reason?: string }> {
  const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { adapter: null, reason: 'navigator.gpu is unavailable' };
  try {
    const adapter = await Promise.race([
      gpu.requestAdapter({ powerPreference: 'low-power' }),
      new Promise<null>((r) => setTimeout(() => r(null), timeoutMs)),
    ]);
    return adapter ? { adapter } : { adapter: null, reason: 'requestAdapter() returned no adapter' };
  } catch (e) {
    return { adapter: null, reason: `requestAdapter() failed: ${(e as Error).message}` };
  }
}

function describeAdapter(a: GpuAdapterLike): string {
  const i = a.info ?? {};
  return [i.vendor, i.architecture, i.description || i.device].filter(Boolean).join(' ') || 'unknown adapter';
}

export async function pickRuntime(opts: { baseUrl: URL; files: VerifiedFiles; prefer?: BackendPreference; shapes: () => Promise<ModelShape[]> }): Promise<DeviceRuntime> {
  const prefer = opts.prefer ?? 'auto';
  let adapter: GpuAdapterLike | null = null;
  let webgpuSkipped: string | undefined = prefer === 'wasm' ? 'backend="wasm" was requested' : undefined;
  if (prefer !== 'wasm') {
    const found = await webgpuAdapter(3000);
    adapter = found.adapter;
    webgpuSkipped = found.reason;
  }
  if (adapter && prefer === 'auto') {
    const decision = await decideBackend(adapter, opts.shapes);
    if (decision.backend === 'wasm') {
      webgpuSkipped = decision.reason;
      adapter = null;
    }
  }
  const backend: Backend = adapter ? 'webgpu' : 'wasm';
  const ort: Ort = backend === 'webgpu' ? ((await import('onnxruntime-web/webgpu')) as unknown as Ort) : await import('onnxruntime-web/wasm');
  const isolated = globalThis.crossOriginIsolated === true;
  const threads = isolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  const wasmName = WASM_FILE[backend];
  const mjsName = wasmName.replace(/\.wasm$/, '.mjs');
  const sha = runtimeFiles[wasmName];
  const mjsSha = runtimeFiles[mjsName];
  if (!sha || !mjsSha) throw new Error(`the bundle pins no digest for ${sha ? mjsName : wasmName}`);
  const wasmBinary = await opts.files.read(fileUrl(opts.baseUrl, sha, wasmName), sha, wasmName);
  ort.env.wasm.wasmPaths = { mjs: fileUrl(opts.baseUrl, mjsSha, mjsName).href };
  ort.env.wasm.wasmBinary = wasmBinary;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const runtime: DeviceRuntime = {
    backend,
    threads,
    ...(adapter ? { adapter: describeAdapter(adapter) } : {}),
    ...(webgpuSkipped ? { webgpuSkipped } : {}),
    Tensor: ort.Tensor as unknown as OrtTensorConstructor,
    createSession: async (onnx) => {
      const create = (ep: Backend) => ort.InferenceSession.create(onnx, { executionProviders: [ep], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
      if (runtime.backend === 'webgpu') {
        try {
          return serializeRuns((await create('webgpu')) as unknown as OrtSession);
        } catch (e) {
          // The WebGPU build also runs the CPU (WASM) provider: keep going on it.
          runtime.backend = 'wasm';
          runtime.webgpuSkipped = `WebGPU session failed: ${(e as Error).message}`;
        }
      }
      return serializeRuns((await create('wasm')) as unknown as OrtSession);
    },
  };
  return runtime;
}
