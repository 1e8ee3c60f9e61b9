/**
 * The widget's backend choice by measured cost (browser/src/runtime/backend-choice.ts), on this
 * machine's CPU as measured by the same probe the widget runs: the store's bag-of-words models
 * stay on WASM even against a GPU far quicker than any real one, a MiniLM-shaped encoder (the
 * benches' stand-in shapes) goes to WebGPU on a GPU with a typical round trip, and software
 * adapters are refused before any probe.
 */
import { describe, expect, it } from 'vitest';
import { decideBackend, estimateCost, measureCpu, shapeOf, softwareAdapter, webgpuWins } from '../browser/src/runtime/backend-choice.ts';
import { MINILM_L6_SHAPE } from '../models/pipeline/bert-standin.ts';
import classifierConfig from '../models/default/store-intent/config.json';
import embedderConfig from '../models/default/embedder/config.json';

const store = [shapeOf(classifierConfig), shapeOf(embedderConfig)];
const minilm = [shapeOf({ hidden_size: MINILM_L6_SHAPE.hidden, num_hidden_layers: MINILM_L6_SHAPE.layers, intermediate_size: MINILM_L6_SHAPE.intermediate })];

describe('backend choice by measured cost', () => {
  const cpuMsPerMflop = measureCpu();

  it('measures the CPU', () => {
    expect(cpuMsPerMflop).toBeGreaterThan(0);
    expect(cpuMsPerMflop).toBeLessThan(10);
  });

  it('keeps the store models on WASM even against a 0.05 ms GPU round trip', () => {
    const e = estimateCost(store, { cpuMsPerMflop, gpuRoundTripMs: 0.05, gpuDispatchMs: 0.002 });
    expect(e.wasmMs).toBeLessThan(e.webgpuMs);
    expect(webgpuWins(e)).toBe(false);
  });

  it('sends a MiniLM-shaped encoder to WebGPU on a GPU with a 1 ms round trip, and keeps it on WASM when the GPU is slow', () => {
    const fast = estimateCost(minilm, { cpuMsPerMflop, gpuRoundTripMs: 1, gpuDispatchMs: 0.02 });
    expect(webgpuWins(fast)).toBe(true);
    const slow = estimateCost(minilm, { cpuMsPerMflop, gpuRoundTripMs: 1, gpuDispatchMs: fast.wasmMs / 100 });
    expect(webgpuWins(slow)).toBe(false);
  });

  it('refuses fallback and software adapters without probing them', async () => {
    expect(softwareAdapter({ info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } })).toMatch(/fallback/);
    expect(softwareAdapter({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } })).toMatch(/software adapter/);
    expect(softwareAdapter({ info: { vendor: 'nvidia', architecture: 'ampere' } })).toBeNull();
    let probed = false;
    const d = await decideBackend({ info: { vendor: 'google', architecture: 'swiftshader' }, requestDevice: async () => ((probed = true), {}) }, async () => store);
    expect(d).toMatchObject({ backend: 'wasm' });
    expect(probed).toBe(false);
  });

  it('counts a failing GPU probe as "WebGPU does not win"', async () => {
    const d = await decideBackend({ info: { vendor: 'nvidia' }, requestDevice: async () => Promise.reject(new Error('device lost')) }, async () => minilm);
    expect(d).toEqual({ backend: 'wasm', reason: 'GPU probe failed: device lost' });
  });
});
