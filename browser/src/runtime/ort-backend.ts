/**
 * Picks the on-device runtime: onnxruntime-web's WebGPU execution provider when `navigator.gpu`
 * gives an adapter, else WASM (SIMD; threads only when the page is cross-origin isolated, since
 * they need SharedArrayBuffer). Each build's Emscripten loader (.mjs) is loaded from next to the
 * bundle, and its .wasm is read through VerifiedFiles (sha256-pinned at build time, kept in
 * Cache Storage) and handed to onnxruntime, so onnxruntime itself fetches nothing large.
 */
import * as ortWasm from 'onnxruntime-web/wasm';
import * as ortGpu from 'onnxruntime-web/webgpu';
import { runtimeFiles } from 'switchyard:build-info';
import { serializeRuns, type OrtSession, type OrtTensorConstructor } from '../../../shared/models/onnx-session.ts';
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

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string };
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

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

export async function pickRuntime(opts: { baseUrl: URL; files: VerifiedFiles; prefer?: BackendPreference }): Promise<DeviceRuntime> {
  const prefer = opts.prefer ?? 'auto';
  let adapter: GpuAdapterLike | null = null;
  let webgpuSkipped: string | undefined = prefer === 'wasm' ? 'backend="wasm" was requested' : undefined;
  if (prefer !== 'wasm') {
    const found = await webgpuAdapter(3000);
    adapter = found.adapter;
    webgpuSkipped = found.reason;
  }
  const backend: Backend = adapter ? 'webgpu' : 'wasm';
  const ort = backend === 'webgpu' ? ortGpu : ortWasm;
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
