/**
 * Prometheus metrics of the regional service (prom-client), exposed on GET /metrics. Labels are
 * low-cardinality only: route templates, status codes, model roles and versions, answer paths,
 * generator names — never a session, user or trace id. "Cost per session" is a ratio of counters
 * (`switchyard_llm_cost_usd_total / switchyard_sessions_started_total`) or the distribution of
 * `switchyard_session_cost_usd` (observed when a session goes idle; ops/session-tally.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SessionTally } from './ops/session-tally.ts';

/** Bounds (seconds) of the HTTP and model latency histograms; the dashboard's quantiles use them too. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const MODEL_BUCKETS_S = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

export type ModelRole = 'classifier' | 'embedder' | 'reranker' | 'generator';

/** What the saturation gauges read at scrape time (set by services.ts). */
export interface SaturationSource {
  /** Items waiting per queue: model batchers by name, LLM priority classes as llm_<class>. */
  queues(): Record<string, number>;
  llm(): { active: number; concurrency: number };
}

export interface TurnObservation {
  sessionId: string;
  path: string;
  generator: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** The pipeline's stage timeouts that are a model's fault, by fallback kind. */
const TIMEOUT_ROLE: Record<string, ModelRole> = {
  classifier_timeout: 'classifier',
  embedder_timeout: 'embedder',
  reranker_timeout: 'reranker',
  llm_timeout: 'generator',
};

export function createMetrics(opts: { sessionIdleMs?: number; maxSessions?: number } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let saturation: SaturationSource | null = null;
  /** The version serving now per role, for errors that are known only by role (timeouts). */
  const serving = new Map<ModelRole, { model: string; version: string }>();

  const answers = new Counter({ name: 'switchyard_answers_total', help: 'Answers of /v1/generate by path (llm, cache = a remembered answer, fallback = handoff)', labelNames: ['path'], registers });
  const sessionTokens = new Histogram({
    name: 'switchyard_session_tokens',
    help: 'LLM tokens (in + out) per session, observed when the session has been idle for the session timeout',
    buckets: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 100_000],
    registers,
  });
  const sessionCost = new Histogram({
    name: 'switchyard_session_cost_usd',
    help: 'Estimated LLM cost (USD) per session, observed when the session has been idle for the session timeout',
    buckets: [0, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers,
  });
  const sessionTurns = new Histogram({ name: 'switchyard_session_turns', help: 'Answered turns per session (observed when the session goes idle)', buckets: [1, 2, 3, 5, 8, 13, 21, 50], registers });
  const sessions = new SessionTally({
    idleMs: opts.sessionIdleMs ?? 30 * 60_000,
    maxSessions: opts.maxSessions ?? 100_000,
    onClose: (t) => {
      sessionTokens.observe(t.tokens);
      sessionCost.observe(t.costUsd);
      sessionTurns.observe(t.turns);
    },
  });

  const m = {
    registry,
    httpRequests: new Counter({ name: 'switchyard_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }),
    httpDuration: new Histogram({ name: 'switchyard_http_request_duration_seconds', help: 'HTTP request duration by route', labelNames: ['route'], buckets: LATENCY_BUCKETS_S, registers }),
    batchSize: new Histogram({ name: 'switchyard_batch_size', help: 'Items per model batch (dynamic batching)', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers }),
    stageDuration: new Histogram({
      name: 'switchyard_stage_duration_seconds',
      help: 'Pipeline stage duration (classify, embed, retrieve, rerank, llm_first_token, llm_total, guardrails)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    modelReloads: new Counter({ name: 'switchyard_model_reloads_total', help: 'Hot reloads of a promoted model version by role and result (loaded, refused: the old version kept serving)', labelNames: ['role', 'result'], registers }),
    fallbacks: new Counter({ name: 'switchyard_fallbacks_total', help: 'Degradations that fired, by kind', labelNames: ['kind'], registers }),
    orderLookups: new Counter({ name: 'switchyard_order_lookups_total', help: "Order lookups for the pack's order route by result: found, not_found, email_mismatch (ORDER_VERIFY=email: found, placed with another email; answered as not found), unavailable (failed or timed out: the answer was generated)", labelNames: ['result'], registers }),
    orderEmailAsks: new Counter({ name: 'switchyard_order_email_asks_total', help: 'Order messages that named an id but no email (ORDER_VERIFY=email): asked for the email, with no lookup', registers }),
    orderChecks: new Counter({ name: 'switchyard_order_checks_total', help: "A session's standing with an order (ORDER_VERIFY=email) by result: proven (gave its email; remembered for the session), remembered (a follow-up answered by that proof, no email asked), refused (more emails than ORDER_VERIFY_MAX_ATTEMPTS: no lookup)", labelNames: ['result'], registers }),
    turnWrites: new Counter({ name: 'switchyard_turn_writes_total', help: 'Chat turn writes by result: stored, retried (a failed attempt that was tried again), lost (every attempt failed; logged with the trace id)', labelNames: ['result'], registers }),
    tokens: new Counter({ name: 'switchyard_llm_tokens_total', help: 'LLM tokens by direction and generator', labelNames: ['direction', 'generator'], registers }),
    cost: new Counter({ name: 'switchyard_llm_cost_usd_total', help: 'Estimated LLM cost in USD by generator (LLM_PRICE_SMALL / LLM_PRICE_LARGE)', labelNames: ['generator'], registers }),
    queueDepth: new Gauge({
      name: 'switchyard_queue_depth',
      help: 'Items waiting per model batcher or LLM priority class',
      labelNames: ['queue'],
      registers,
      collect() {
        for (const [queue, n] of Object.entries(saturation?.queues() ?? {})) this.set({ queue }, n);
      },
    }),
    llmActive: new Gauge({
      name: 'switchyard_llm_active',
      help: 'LLM generations running now (saturation: compare with switchyard_llm_concurrency)',
      registers,
      collect() {
        if (saturation) this.set(saturation.llm().active);
      },
    }),
    llmConcurrency: new Gauge({
      name: 'switchyard_llm_concurrency',
      help: 'Most LLM generations that may run at once (LLM_CONCURRENCY)',
      registers,
      collect() {
        if (saturation) this.set(saturation.llm().concurrency);
      },
    }),
    modelLatency: new Histogram({
      name: 'switchyard_model_latency_seconds',
      help: 'Time a caller waits for one model call (queueing in the batcher included; for the generator, the whole stream), by role, model and version',
      labelNames: ['role', 'model', 'version'],
      buckets: MODEL_BUCKETS_S,
      registers,
    }),
    modelErrors: new Counter({
      name: 'switchyard_model_errors_total',
      help: 'Failed model calls by role, model, version and kind (error: it threw; timeout: the pipeline gave up on it)',
      labelNames: ['role', 'model', 'version', 'kind'],
      registers,
    }),
    answers,
    cacheLookups: new Counter({
      name: 'switchyard_cache_lookups_total',
      help: "Lookups of the region's remembered answers (made when the LLM gave no usable answer), by result",
      labelNames: ['result'],
      registers,
    }),
    llmBypass: new Gauge({
      name: 'switchyard_llm_bypass_ratio',
      help: 'Share of /v1/generate answers given without the LLM (cache or fallback) since start',
      registers,
      async collect() {
        const v = (await answers.get()).values;
        const total = v.reduce((a, x) => a + x.value, 0);
        const llm = v.filter((x) => x.labels.path === 'llm').reduce((a, x) => a + x.value, 0);
        this.set(total ? (total - llm) / total : 0);
      },
    }),
    turnTokens: new Histogram({ name: 'switchyard_turn_tokens', help: 'LLM tokens per answered turn, by direction', labelNames: ['direction'], buckets: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000], registers }),
    turnCost: new Histogram({ name: 'switchyard_turn_cost_usd', help: 'Estimated LLM cost (USD) per answered turn', buckets: [0, 0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1], registers }),
    sessionsStarted: new Counter({ name: 'switchyard_sessions_started_total', help: 'Sessions (distinct session ids) seen for the first time by this process, or again after going idle', registers }),
    sessionsActive: new Gauge({
      name: 'switchyard_sessions_active',
      help: 'Sessions with a turn within the session timeout',
      registers,
      collect() {
        this.set(sessions.active(Date.now()));
      },
    }),
    sessionTokens,
    sessionCost,
    sessionTurns,
    sessions,

    /** Where the saturation gauges read queue depths and LLM concurrency. */
    setSaturationSource(src: SaturationSource): void {
      saturation = src;
    },
    saturation(): { queues: Record<string, number>; llm: { active: number; concurrency: number } } {
      return { queues: saturation?.queues() ?? {}, llm: saturation?.llm() ?? { active: 0, concurrency: 0 } };
    },

    /**
     * Wraps a model call so that its latency and errors are counted under the role, model and
     * version (the version is recorded as the one serving for its role). A call aborted by its
     * caller's signal is not an error of the model.
     */
    meter<A extends unknown[], R>(role: ModelRole, label: { name: string; version: string }, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
      const labels = { role, model: label.name, version: label.version };
      serving.set(role, { model: label.name, version: label.version });
      const latency = m.modelLatency.labels(labels);
      return async (...args: A) => {
        const t0 = performance.now();
        try {
          return await fn(...args);
        } catch (e) {
          const signal = args.find((a): a is AbortSignal => a instanceof AbortSignal);
          if (!signal?.aborted) m.modelErrors.inc({ ...labels, kind: 'error' });
          throw e;
        } finally {
          latency.observe((performance.now() - t0) / 1000);
        }
      };
    },

    /** Marks `label` as the version serving `role` (e.g. the generator's model, known per answer). */
    serving(role: ModelRole, label: { name: string; version: string }): void {
      serving.set(role, { model: label.name, version: label.version });
    },

    /** Counts a pipeline degradation; a stage timeout also counts as a timeout of the model serving it. */
    fallback(kind: string): void {
      m.fallbacks.inc({ kind });
      const role = TIMEOUT_ROLE[kind];
      const s = role && serving.get(role);
      if (s) m.modelErrors.inc({ role, ...s, kind: 'timeout' });
    },

    /** Counts one answered /v1/generate turn: path, tokens, cost, and the session's running totals. */
    turn(t: TurnObservation, now = Date.now()): void {
      answers.inc({ path: t.path });
      if (t.path === 'cache' || t.path === 'fallback') m.cacheLookups.inc({ result: t.path === 'cache' ? 'hit' : 'miss' });
      m.tokens.inc({ direction: 'in', generator: t.generator }, t.tokensIn);
      m.tokens.inc({ direction: 'out', generator: t.generator }, t.tokensOut);
      m.cost.inc({ generator: t.generator }, t.costUsd);
      m.turnTokens.observe({ direction: 'in' }, t.tokensIn);
      m.turnTokens.observe({ direction: 'out' }, t.tokensOut);
      m.turnCost.observe(t.costUsd);
      if (sessions.add(t.sessionId, t.tokensIn + t.tokensOut, t.costUsd, now)) m.sessionsStarted.inc();
    },
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
