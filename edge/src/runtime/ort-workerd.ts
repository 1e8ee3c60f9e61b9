/**
 * onnxruntime-web inside workerd. Workers refuse to compile WebAssembly from bytes, so the
 * runtime's .wasm is bundled as a precompiled CompiledWasm module and WebAssembly.instantiate is
 * pointed at it: when onnxruntime's Emscripten loader asks to instantiate its (placeholder)
 * binary, it gets an instance of the bundled module. One thread, no proxy worker. Nothing runs at
 * import: the first session instantiates the runtime (the `ort.instantiate` phase of a load).
 */
import * as ort from 'onnxruntime-web/wasm';
import ortWasm from '../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import { serializeRuns, type OrtSession, type OrtTensorConstructor } from '../../../shared/models/onnx-session.ts';
import type { LoadProfile } from './load-profile.ts';

let patched = false;
/** The load whose first session instantiates the runtime (it records the time). */
let instantiating: LoadProfile | undefined;

function patchInstantiate(): void {
  if (patched) return;
  patched = true;
  const original = WebAssembly.instantiate.bind(WebAssembly) as (m: WebAssembly.Module, i?: WebAssembly.Imports) => Promise<WebAssembly.Instance>;
  (WebAssembly as unknown as { instantiate: unknown }).instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (source instanceof WebAssembly.Module) return original(source, imports);
    const start = performance.now();
    const instance = await original(ortWasm, imports);
    instantiating?.add('ort.instantiate', start, performance.now() - start);
    return { instance, module: ortWasm };
  };
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  // A placeholder: the loader must believe it has the binary so it never tries to fetch one.
  ort.env.wasm.wasmBinary = new Uint8Array(8).buffer;
}

/**
 * A session of `onnx`. A graph optimised at build time (`preOptimized`, scripts/optimized-graph.ts)
 * is loaded with the optimisers off: on a fresh isolate their code, and the kernels constant
 * folding runs, would otherwise be compiled (lazily, function by function) during the first
 * session; the outputs are the same. Any other graph is optimised here, as before.
 */
export async function workerdSession(onnx: Uint8Array, profile?: LoadProfile, preOptimized = false): Promise<OrtSession> {
  patchInstantiate();
  instantiating = profile;
  const session = await ort.InferenceSession.create(onnx, { graphOptimizationLevel: preOptimized ? 'disabled' : 'all', executionProviders: ['wasm'] });
  return serializeRuns(session as unknown as OrtSession);
}

export const Tensor = ort.Tensor as unknown as OrtTensorConstructor;
