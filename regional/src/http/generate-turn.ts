/**
 * One answer of the region for any of its chat routes (`/v1/generate`, `/v1/chat/completions`):
 * the generate pipeline with the live rollouts' variants, then (when the answer ends) the turn's
 * metrics, conversation log and the key's usage, and shadow runs once the response is handed back.
 * Refuses nothing itself; the routes validate and authenticate first.
 */
import type { ServerResponse } from 'node:http';
import type { GenerateRequest } from '../../../shared/api/chat.ts';
import { hashApiKey } from '../store/api-keys.ts';
import { generatePipeline, type PipelineResult } from '../generate/pipeline.ts';
import { redactPii } from '../../../shared/privacy/pii.ts';
import { readSessionTurns, recordExchange } from '../conversation/session-turns.ts';
import { hybridSearch } from '../retrieval/hybrid.ts';
import { observePrediction } from '../ops/drift-monitor.ts';
import { liveRollouts } from '../ops/live-rollouts.ts';
import type { ApiKeyRecord } from '../store/types.ts';
import type { Services } from '../services.ts';
import { today } from './auth.ts';
import { persistWithRetry } from './persist-retry.ts';
import type { RequestLog } from '../../../shared/api/request-log.ts';

/** Rough token count for usage (4 characters ≈ 1 token) when a generator reports none. */
export const approxTokens = (s: string) => Math.ceil(s.length / 4);

/**
 * A generate request's input, estimated before it runs (what the daily quota is checked against):
 * the message, the history, and a mid-stream failover's continuation text, which the next target
 * reads as its assistant prefill.
 */
export const requestTokens = (body: GenerateRequest) =>
  approxTokens(body.message) + (body.history ?? []).reduce((n, t) => n + approxTokens(t.content), 0) + approxTokens(body.continuation?.text ?? '');

export interface Turn {
  events: ReturnType<typeof generatePipeline>;
  /** Records the finished turn (metrics, conversation, usage); a no-op when the pipeline did not finish. */
  finish(): Promise<void>;
  /** Starts the shadow runs when no Node response will tell us it was handed back. */
  afterResponse(): void;
}

export function startTurn(s: Services, body: GenerateRequest, o: { key: ApiKeyRecord; traceId: string; signal: AbortSignal; outgoing?: ServerResponse; log?: RequestLog }): Turn {
  let result: PipelineResult | undefined;
  // Rollout rules pick the classifier, reranker and LLM configuration variants (sticky per user, else session).
  const live = liveRollouts(s).begin(body);
  const events = generatePipeline(
    body,
    {
      // Served classifications feed the drift monitor (batch jobs do not).
      classify: live.classify && (async (text) => {
        const p = await live.classify!(text);
        observePrediction(p.intent, p.confidence);
        return p;
      }),
      classifierVersion: live.classifierVersion,
      llmSettings: live.llmSettings,
      retrieve: async (q, k) => {
        const r = await hybridSearch(s.store, s.embedder, q, { k, embedTimeoutMs: s.config.EMBED_TIMEOUT_MS });
        return { hits: r.hits, fallbacks: r.fallbacks };
      },
      rerank: live.rerank,
      rerankerVersion: live.rerankerVersion,
      llm: s.llm,
      titles: s.titles,
      conversation: s.conversation,
      intents: s.intents,
      idPatterns: s.idPatterns,
      handoff: s.handoff,
      fallbackAnswers: s.fallbackAnswers,
      catalog: s.catalog,
      decisive: s.decisive,
      orders: s.orders,
      timeouts: {
        classifyMs: s.config.CLASSIFY_TIMEOUT_MS,
        retrieveMs: s.config.RETRIEVE_TIMEOUT_MS,
        rerankMs: s.config.RERANK_TIMEOUT_MS,
        llmFirstTokenMs: s.config.LLM_FIRST_TOKEN_TIMEOUT_MS,
        llmTotalMs: s.config.LLM_TOTAL_TIMEOUT_MS,
        historyMs: s.config.HISTORY_TIMEOUT_MS,
      },
      // The session's stored turns, unless the request carries its own history.
      history: (sessionId) => readSessionTurns(s.store, sessionId, { idleMs: s.config.SESSION_IDLE_MS }),
      historyTokenBudget: s.config.HISTORY_TOKEN_BUDGET,
      llmPii: s.config.LLM_PII,
      guardrailMode: s.config.GUARDRAILS,
      onStage: (stage, ms) => s.metrics.stageDuration.observe({ stage }, ms / 1000),
      onFallback: (kind) => s.metrics.fallback(kind),
    },
    { traceId: o.traceId, signal: o.signal, result: (r) => (result = r) },
  );
  const shadows = () => result && live.shadow(result);
  // Shadow runs start once the response has been handed back (without a Node response: afterResponse).
  o.outgoing?.once('close', shadows);
  return {
    events,
    async finish() {
      if (!result) return;
      const r = result;
      o.log?.set({ path: r.route.path, intent: r.route.intent, fallbacks: r.done.fallbacks ?? r.route.fallbacks });
      const usage = r.done.usage;
      const tokensIn = usage?.inputTokens || approxTokens(body.message);
      const tokensOut = usage?.outputTokens || approxTokens(r.text);
      s.metrics.turn({ sessionId: body.sessionId, path: r.route.path, generator: r.route.generator ?? 'none', tokensIn, tokensOut, costUsd: usage?.costUsd ?? 0 });
      live.record(r);
      await persistTurn(s, body, r, o.traceId, tokensIn, tokensOut, live.llmConfigVersion);
      await s.store.incrementUsage(o.key.id, today(), { requests: 1, tokensIn, tokensOut, costUsd: usage?.costUsd ?? 0 });
    },
    afterResponse() {
      if (!o.outgoing) setImmediate(shadows);
    },
  };
}

async function persistTurn(s: Services, body: GenerateRequest, r: PipelineResult, traceId: string, tokensIn: number, tokensOut: number, llmConfig: string) {
  const modelVersions = { classifier: r.route.modelVersion, generator: r.route.generator ?? 'none', embedder: s.embedder.name, llmConfig, ...(r.route.rerankerVersion ? { reranker: r.route.rerankerVersion } : {}) };
  // One transaction: a failed attempt wrote nothing, so retrying it cannot store the exchange twice.
  await persistWithRetry([() => recordExchange(s.store, body, r, { traceId, tokensIn, tokensOut, modelVersions })], {
    onResult: (result) => s.metrics.turnWrites.inc({ result }),
    onLost: (e) => {
      // The answer is out; the next turn on this session will just see less history.
      s.metrics.fallback('session_unavailable');
      console.error(`could not store the turn (trace ${traceId}) after retries:`, redactPii((e as Error).message));
    },
  });
  try {
    await s.store.appendPredictionLog({
      modelName: 'intent-classifier',
      modelVersion: r.route.modelVersion,
      inputHash: hashApiKey(body.message),
      output: { intent: r.route.intent, confidence: r.route.confidence },
      latencyMs: r.done.latencyMs.classify ?? 0,
    });
  } catch (e) {
    console.error('could not log the prediction:', redactPii((e as Error).message));
  }
}

/**
 * A streamed turn's events, each sent as soon as it is made. Node's HTTP response corks its socket
 * on a write and uncorks it on the next tick, and the next tick waits until the microtask queue is
 * empty: while events follow one another without I/O between them (the route event and the first
 * text of the extractive generator, of a catalog answer, of a remembered answer), nothing left the
 * process until the whole answer was made and the turn stored (the socket stayed corked). Yielding
 * to the event loop after each event but `done` lets each one go out at once; `done` still goes
 * out with the stream's end, after the turn is stored.
 */
export async function* sentAsMade<E extends { event: string }>(events: AsyncIterable<E>): AsyncGenerator<E> {
  for await (const e of events) {
    yield e;
    if (e.event !== 'done') await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Logs a failure to record a turn (never the answer's text). */
export function logFinishError(e: unknown): void {
  console.error('could not record the turn:', redactPii((e as Error).message));
}
