/**
 * Chooses WebGPU or WASM by measured cost on the device at hand, never by preference. WASM is the
 * default; WebGPU is chosen only when (1) the browser gives an adapter, (2) it is a hardware one
 * (never a fallback or software adapter: `isFallbackAdapter`, SwiftShader, llvmpipe, WARP…) and
 * (3) a quick timed probe says a message would run faster on it: the GPU's measured round trip
 * (a compute dispatch and its readback) plus a measured cost per dispatch, times the kernels the
 * models' shapes need, against the models' arithmetic at the CPU's measured speed. No runtime
 * byte is downloaded to decide, and the probe costs a few ms. For the store's bag-of-words models
 * (no transformer layers) WASM always wins; for a MiniLM-shaped encoder on a real GPU WebGPU can.
 * Refuses to guess: a probe that fails or times out counts as "WebGPU does not win".
 */

/** What a model's config.json says about the work per message (BERT-style keys). */
export interface ModelShape {
  hidden: number;
  layers: number;
  intermediate: number;
}

export interface CostProbe {
  /** ms for one million multiply-adds on this CPU (JS loop, scaled to onnxruntime's SIMD kernels). */
  cpuMsPerMflop: number;
  /** ms for one compute dispatch and its readback to the CPU. */
  gpuRoundTripMs: number;
  /** ms each further dispatch adds to a command buffer. */
  gpuDispatchMs: number;
}

export interface CostEstimate {
  wasmMs: number;
  webgpuMs: number;
}

/** A typical visitor message, in tokens. */
const TOKENS = 16;
/** onnxruntime-web's WASM SIMD kernels against the plain JS loop the probe times (conservative). */
const WASM_OVER_JS = 4;
/** WebGPU must win by this factor: its sessions take seconds to warm up and its build is larger. */
const MARGIN = 1.5;

export function shapeOf(config: Record<string, unknown>): ModelShape {
  const n = (k: string, d: number) => (typeof config[k] === 'number' ? (config[k] as number) : d);
  const hidden = n('hidden_size', 384);
  return { hidden, layers: n('num_hidden_layers', 0), intermediate: n('intermediate_size', hidden * 4) };
}

/** Multiply-adds (millions) and kernel dispatches for one message through one model. */
function workOf(s: ModelShape): { mflop: number; dispatches: number } {
  const perLayer = TOKENS * (4 * s.hidden * s.hidden + 2 * s.hidden * s.intermediate) + 2 * TOKENS * TOKENS * s.hidden;
  const pooling = TOKENS * s.hidden + s.hidden * s.hidden;
  return { mflop: (s.layers * perLayer + pooling) / 1e6, dispatches: 10 + 20 * s.layers };
}

export function estimateCost(shapes: ModelShape[], probe: CostProbe): CostEstimate {
  let wasmMs = 0;
  let webgpuMs = 0;
  for (const s of shapes) {
    const w = workOf(s);
    wasmMs += w.mflop * probe.cpuMsPerMflop;
    webgpuMs += probe.gpuRoundTripMs + w.dispatches * probe.gpuDispatchMs;
  }
  return { wasmMs, webgpuMs };
}

export function webgpuWins(e: CostEstimate): boolean {
  return e.webgpuMs * MARGIN < e.wasmMs;
}

/** Why an adapter is a software one, or null for hardware. */
export function softwareAdapter(a: GpuAdapterLike): string | null {
  const i = a.info ?? {};
  if (i.isFallbackAdapter === true || a.isFallbackAdapter === true) return 'a fallback (software) adapter';
  const name = [i.vendor, i.architecture, i.description, i.device].filter(Boolean).join(' ');
  if (/swiftshader|llvmpipe|softpipe|lavapipe|microsoft basic render|\bwarp\b/i.test(name)) return `a software adapter (${name})`;
  return null;
}

export interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  requestDevice?: () => Promise<unknown>;
}

const REPS = 8;

/** The CPU's speed: blocks of 8 64×64 matrix products in JS, for ~12 ms; the fastest run counts (the first ones run before the JIT has compiled the loop). */
export function measureCpu(): number {
  const n = 64;
  const a = new Float32Array(n * n).map((_, i) => (i % 7) / 7);
  const b = new Float32Array(n * n).map((_, i) => (i % 5) / 5);
  const c = new Float32Array(n * n);
  let best = Infinity;
  const t0 = performance.now();
  do {
    const t = performance.now();
    for (let r = 0; r < REPS; r++)
      for (let i = 0; i < n; i++)
        for (let k = 0; k < n; k++) {
          const x = a[i * n + k];
          for (let j = 0; j < n; j++) c[i * n + j] += x * b[k * n + j];
        }
    best = Math.min(best, performance.now() - t);
  } while (performance.now() - t0 < 12);
  // Timers are coarse in browsers (0.1 ms without cross-origin isolation): a timed block is ~2 ms.
  return Math.max(best, 0.1) / ((REPS * n * n * n) / 1e6) / WASM_OVER_JS;
}

// Minimal WebGPU typings for the probe (the DOM lib in this repo has no @webgpu/types).
interface GpuBuffer {
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface GpuDevice {
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: unknown): { getBindGroupLayout(i: number): unknown };
  createBuffer(d: { size: number; usage: number }): GpuBuffer;
  createBindGroup(d: unknown): unknown;
  createCommandEncoder(): {
    beginComputePass(): { setPipeline(p: unknown): void; setBindGroup(i: number, g: unknown): void; dispatchWorkgroups(x: number): void; end(): void };
    copyBufferToBuffer(a: GpuBuffer, ao: number, b: GpuBuffer, bo: number, size: number): void;
    finish(): unknown;
  };
  queue: { submit(c: unknown[]): void };
  destroy(): void;
}

const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01, MAP_MODE_READ = 0x01;

/** Times round trips of 1 and of 33 tiny compute dispatches (median of 5 each, after a warm-up). */
async function probeGpu(adapter: GpuAdapterLike): Promise<{ gpuRoundTripMs: number; gpuDispatchMs: number }> {
  const device = (await adapter.requestDevice!()) as GpuDevice;
  try {
    const module = device.createShaderModule({ code: '@group(0) @binding(0) var<storage, read_write> v: array<f32>; @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) i: vec3<u32>) { v[i.x] = v[i.x] * 0.5 + 1.0; }' });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const data = device.createBuffer({ size: 1024, usage: STORAGE | COPY_SRC });
    const read = device.createBuffer({ size: 1024, usage: MAP_READ | COPY_DST });
    const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: data } }] });
    const once = async (dispatches: number) => {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      for (let d = 0; d < dispatches; d++) {
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(4);
        pass.end();
      }
      enc.copyBufferToBuffer(data, 0, read, 0, 1024);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(MAP_MODE_READ);
      read.getMappedRange();
      read.unmap();
      return performance.now() - t0;
    };
    const median = async (dispatches: number) => {
      const xs: number[] = [];
      for (let r = 0; r < 5; r++) xs.push(await once(dispatches));
      return xs.sort((a, b) => a - b)[2];
    };
    await once(1);
    const one = await median(1);
    const many = await median(33);
    data.destroy();
    read.destroy();
    return { gpuRoundTripMs: one, gpuDispatchMs: Math.max(0, (many - one) / 32) };
  } finally {
    device.destroy();
  }
}

export type BackendDecision = { backend: 'wasm'; reason: string; estimate?: CostEstimate } | { backend: 'webgpu'; estimate: CostEstimate };

/** The measured choice for `adapter` and these model shapes (WASM unless WebGPU wins). */
export async function decideBackend(adapter: GpuAdapterLike, shapes: () => Promise<ModelShape[]>, timeoutMs = 1500): Promise<BackendDecision> {
  const soft = softwareAdapter(adapter);
  if (soft) return { backend: 'wasm', reason: `${soft}: WASM is faster` };
  if (!adapter.requestDevice) return { backend: 'wasm', reason: 'the adapter cannot be probed' };
  try {
    const gpu = await Promise.race([probeGpu(adapter), new Promise<never>((_, no) => setTimeout(() => no(new Error(`GPU probe over ${timeoutMs} ms`)), timeoutMs))]);
    const estimate = estimateCost(await shapes(), { cpuMsPerMflop: measureCpu(), ...gpu });
    const r = (x: number) => Math.round(x * 100) / 100;
    return webgpuWins(estimate)
      ? { backend: 'webgpu', estimate }
      : { backend: 'wasm', reason: `measured: WASM ≈${r(estimate.wasmMs)} ms per message, WebGPU ≈${r(estimate.webgpuMs)} ms`, estimate };
  } catch (e) {
    return { backend: 'wasm', reason: `GPU probe failed: ${(e as Error).message}` };
  }
}
