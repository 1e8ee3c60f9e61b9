/**
 * Counts a generation backend's latency and errors per model: each generate() stream is timed
 * from its first request to its end under role "generator", model = the backend's name and
 * version = the model id its `meta` chunk reports (e.g. a Bedrock model id, or "extractive").
 * A stream the caller stopped (abort, or it stopped iterating) is not an error of the model.
 */
import type { Metrics } from '../metrics.ts';
import { LlmError, type LlmBackend, type LlmChunk, type LlmRequest } from './types.ts';

export class MeteredBackend implements LlmBackend {
  readonly name: string;
  readonly pricing: LlmBackend['pricing'];

  constructor(
    private readonly inner: LlmBackend,
    private readonly metrics: Metrics,
    /** Version label until a meta chunk names the model (e.g. "builtin"). */
    private readonly defaultVersion: string,
  ) {
    this.name = inner.name;
    this.pricing = inner.pricing;
    metrics.serving('generator', { name: inner.name, version: defaultVersion });
  }

  generate(req: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(req);
  }

  private async *run(req: LlmRequest): AsyncGenerator<LlmChunk> {
    const t0 = performance.now();
    let version = this.defaultVersion;
    let failed = false;
    try {
      for await (const chunk of this.inner.generate(req)) {
        if (chunk.type === 'meta' && chunk.model) {
          version = chunk.model;
          this.metrics.serving('generator', { name: this.name, version });
        }
        yield chunk;
      }
    } catch (e) {
      failed = !(req.signal?.aborted || (e instanceof LlmError && e.code === 'ABORTED'));
      throw e;
    } finally {
      const labels = { role: 'generator', model: this.name, version };
      this.metrics.modelLatency.observe(labels, (performance.now() - t0) / 1000);
      if (failed) this.metrics.modelErrors.inc({ ...labels, kind: 'error' });
    }
  }
}
