/** Prometheus metrics of the regional service (prom-client), exposed on GET /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({ name: 'switchyard_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'switchyard_batch_size',
      help: 'Items per model batch (dynamic batching)',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    stageDuration: new Histogram({
      name: 'switchyard_stage_duration_seconds',
      help: 'Pipeline stage duration (classify, embed, retrieve, rerank, llm_first_token, llm_total, guardrails)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    fallbacks: new Counter({ name: 'switchyard_fallbacks_total', help: 'Degradations that fired, by kind', labelNames: ['kind'], registers: [registry] }),
    tokens: new Counter({ name: 'switchyard_llm_tokens_total', help: 'LLM tokens by direction and generator', labelNames: ['direction', 'generator'], registers: [registry] }),
    queueDepth: new Gauge({ name: 'switchyard_queue_depth', help: 'Items waiting per model batcher or LLM priority class', labelNames: ['queue'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
