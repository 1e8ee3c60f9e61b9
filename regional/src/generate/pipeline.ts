/**
 * The region's answer pipeline for one message: classify (unless the edge did) in parallel with
 * speculative retrieval → hybrid retrieval (30) → rerank (5) → LLM → guardrails, as a stream of
 * chat events. Every stage has a timeout and a fallback, and the answer says which fired.
 */
import type { ChatEvent, DoneEvent, GenerateRequest, RouteEvent } from '../../../shared/api/chat.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import { llmPriorityFor } from '../../../shared/routing/llm-priority.ts';
import type { LlmBackend, LlmRequest } from '../llm/types.ts';
import type { ChunkHit } from '../store/types.ts';
import type { FallbackAnswers } from './fallback-answers.ts';
import { checkGrounding, splitSentences } from './guardrails.ts';
import { screenForInjection } from './injection-screen.ts';
import { BUILTIN_LLM_SETTINGS, type LlmSettings } from './prompt.ts';

export const HANDOFF =
  "Sorry, I can't answer that right now. A person from our team can help: support@kitsunebooks.example (Monday–Friday 8:00 AM–6:00 PM PT, Saturday 10:00 AM–4:00 PM PT).";
export const FALLBACK_NOTE = '(Our assistant is busy, so here is an earlier answer to a similar question.) ';

export interface PipelineTimeouts {
  classifyMs: number;
  retrieveMs: number;
  rerankMs: number;
  llmFirstTokenMs: number;
  llmTotalMs: number;
}

export interface GenerateDeps {
  classify?: (text: string) => Promise<IntentPrediction>;
  classifierVersion?: string;
  /** Hybrid search, top `k`; reports its own degradations (e.g. embedder_timeout). */
  retrieve: (query: string, k: number) => Promise<{ hits: ChunkHit[]; fallbacks: string[] }>;
  rerank?: (query: string, passages: string[]) => Promise<Float32Array>;
  /** name@version of the reranker `rerank` calls, named in the route event when it ordered the passages. */
  rerankerVersion?: string;
  llm: LlmBackend;
  /** System prompt, output budget and tier (an LLM configuration version); default the built-in one. */
  llmSettings?: LlmSettings;
  titles: string[];
  fallbackAnswers: FallbackAnswers;
  timeouts: PipelineTimeouts;
  /** USD per 1k tokens (in, out) by tier, for the cost estimate (default: the LLM backend's own). */
  pricing?: Record<LlmRequest['tier'], { in: number; out: number }>;
  /** 'sentence' checks each sentence before it is sent; 'off' streams tokens unchecked. */
  guardrailMode?: 'sentence' | 'off';
  onStage?: (stage: string, ms: number) => void;
  onFallback?: (kind: string) => void;
}

export interface PipelineResult {
  route: RouteEvent;
  text: string;
  done: DoneEvent;
  /** What the LLM was asked (without its signal) and what its answer must be grounded in, for a shadow run on a copy. */
  generation: { request: Omit<LlmRequest, 'signal'>; grounding: string };
  /** When the reranker ordered the passages: what it was given, the indices it put first (best first, at most 5), its latency. */
  reranked?: { passages: string[]; ranking: number[]; ms: number };
}

class StageTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new StageTimeout(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

export async function* generatePipeline(
  req: GenerateRequest,
  deps: GenerateDeps,
  ctx: { traceId: string; signal?: AbortSignal; result?: (r: PipelineResult) => void },
): AsyncGenerator<ChatEvent> {
  const t0 = performance.now();
  const lat: Record<string, number> = { classify: 0, retrieve: 0, rerank: 0, llm_first_token: 0, llm: 0, guardrails: 0 };
  const fallbacks: string[] = [];
  const fallback = (k: string) => {
    if (!fallbacks.includes(k)) fallbacks.push(k);
    deps.onFallback?.(k);
  };
  const stage = (name: string, ms: number) => {
    lat[name] = ms;
    deps.onStage?.(name, ms);
  };

  // 1. Classification (when the edge did not send an intent) runs in parallel with retrieval.
  let pred: { intent: string; confidence: number } | null = req.intent ? { intent: req.intent, confidence: req.confidence ?? 0 } : null;
  const tc = performance.now();
  const classifying =
    pred || !deps.classify
      ? Promise.resolve(null)
      : withTimeout(deps.classify(req.message), deps.timeouts.classifyMs, 'classifier').catch((e) => {
          fallback(e instanceof StageTimeout ? 'classifier_timeout' : 'classifier_error');
          return null;
        });
  if (!pred && !deps.classify) fallback('classifier_unavailable');
  const tr = performance.now();
  const retrieving = withTimeout(deps.retrieve(req.message, 30), deps.timeouts.retrieveMs, 'retrieval').catch((e) => {
    fallback(e instanceof StageTimeout ? 'retrieval_timeout' : 'retrieval_error');
    return { hits: [] as ChunkHit[], fallbacks: [] as string[] };
  });
  const classified = await classifying;
  if (classified) pred = { intent: classified.intent, confidence: classified.confidence };
  if (!req.intent && deps.classify) stage('classify', performance.now() - tc);
  const retrieved = await retrieving;
  stage('retrieve', performance.now() - tr);
  retrieved.fallbacks.forEach(fallback);

  // 2. Rerank 30 → 5.
  let top = retrieved.hits.slice(0, 5);
  let reranked: PipelineResult['reranked'];
  if (deps.rerank && retrieved.hits.length > 1) {
    const tk = performance.now();
    const texts = retrieved.hits.map((h) => `${h.title}\n${h.text}`);
    try {
      const scores = await withTimeout(deps.rerank(req.message, texts), deps.timeouts.rerankMs, 'reranker');
      const ranking = topIndices(scores, 5);
      top = ranking.map((i) => retrieved.hits[i]);
      reranked = { passages: texts, ranking, ms: performance.now() - tk };
    } catch (e) {
      fallback(e instanceof StageTimeout ? 'reranker_timeout' : 'reranker_error');
    }
    stage('rerank', performance.now() - tk);
  } else if (!deps.rerank) {
    fallback('reranker_unavailable');
  }

  // 3. Prompt-injection screen on the message and the passages.
  if (screenForInjection(req.message).flagged) fallback('injection_suspected_message');
  const passages = top.filter((h) => {
    const flagged = screenForInjection(h.text).flagged;
    if (flagged) fallback('injection_passage_dropped');
    return !flagged;
  });
  const grounding = `${req.message}\n${passages.map((p) => `${p.title}\n${p.text}`).join('\n')}`;
  const sources = dedupe(passages.map((p) => ({ id: p.documentId, title: p.title })));

  const intent = pred?.intent ?? 'unknown';
  const route = (path: RouteEvent['path'], generator?: string): ChatEvent => ({
    event: 'route',
    data: {
      intent,
      confidence: pred?.confidence ?? 0,
      path,
      modelVersion: req.intent ? 'edge' : (deps.classifierVersion ?? 'none'),
      traceId: ctx.traceId,
      fallbacks: [...fallbacks],
      ...(generator ? { generator } : {}),
      ...(reranked && deps.rerankerVersion ? { rerankerVersion: deps.rerankerVersion } : {}),
    },
  });
  const doneEvent = (usage?: DoneEvent['usage']): ChatEvent => {
    const total = performance.now() - t0;
    return {
      event: 'done',
      data: { latencyMs: { classify: lat.classify, cache: 0, upstream: lat.llm, total, ...lat }, ...(usage ? { usage } : {}), sources, fallbacks: [...fallbacks] },
    };
  };

  // 4. Generation, sentence-checked by the guardrails as it streams. Unclassified callers
  // (partners) get the scheduling class of the intent found here, as the edge does for its own.
  const settings = deps.llmSettings ?? BUILTIN_LLM_SETTINGS;
  const priority = req.priority ?? llmPriorityFor(pred?.intent);
  const tier = settings.tierFor(pred?.intent, req.message, priority);
  const llmReq: LlmRequest = {
    system: settings.system,
    messages: [{ role: 'user', content: req.message }],
    // The caller may ask for less output than the operator's budget, never more.
    maxTokens: Math.min(settings.maxTokensFor(pred?.intent), req.generation?.maxTokens ?? Infinity),
    ...((req.generation?.temperature ?? settings.temperature) !== undefined ? { temperature: req.generation?.temperature ?? settings.temperature } : {}),
    tier,
    priority,
    context: passages.map((p) => ({ id: p.documentId, title: p.title, text: p.text })),
  };
  const generation = { request: { ...llmReq }, grounding };
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  ctx.signal?.addEventListener('abort', onAbort);
  llmReq.signal = ctrl.signal;
  const tl = performance.now();
  let generator = deps.llm.name;
  let routed = false;
  let sent = '';
  let pending = '';
  let usage: { inputTokens: number; outputTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number } | undefined;
  const guardMode = deps.guardrailMode ?? 'sentence';
  let guardMs = 0;
  const removed: string[] = [];
  const flushSentences = function* (final: boolean): Generator<ChatEvent> {
    // Every sentence but the last is complete; the last waits for more text unless this is the end.
    const parts = splitSentences(pending);
    const ready = final ? parts : parts.slice(0, -1);
    pending = final ? '' : (parts.at(-1) ?? '');
    for (const s of ready) {
      if (!s) continue;
      const tg = performance.now();
      const g = guardMode === 'off' ? null : checkGrounding(s, grounding, deps.titles);
      guardMs += performance.now() - tg;
      if (g && g.removed.length) {
        removed.push(...g.removed.map((r) => r.reason));
        continue;
      }
      sent += s;
      yield { event: 'delta', data: { text: s } };
    }
  };

  let firstTimer: ReturnType<typeof setTimeout> | undefined;
  let totalTimer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  try {
    firstTimer = setTimeout(() => ((timedOut = true), ctrl.abort()), deps.timeouts.llmFirstTokenMs);
    totalTimer = setTimeout(() => ((timedOut = true), ctrl.abort()), deps.timeouts.llmTotalMs);
    const iter = deps.llm.generate(llmReq)[Symbol.asyncIterator]();
    const aborted = new Promise<never>((_, rej) => ctrl.signal.addEventListener('abort', () => rej(new StageTimeout('llm aborted')), { once: true }));
    aborted.catch(() => {});
    for (;;) {
      const next = await Promise.race([iter.next(), aborted]);
      if (next.done) break;
      const chunk = next.value;
      if (chunk.type === 'meta') generator = chunk.model === 'extractive' ? 'extractive' : `${deps.llm.name}:${chunk.model}${chunk.region ? `@${chunk.region}` : ''}`;
      else if (chunk.type === 'usage') usage = chunk;
      else if (chunk.type === 'delta') {
        if (!routed) {
          clearTimeout(firstTimer);
          stage('llm_first_token', performance.now() - tl);
          if (generator === 'extractive') fallback('llm_not_configured');
          routed = true;
          yield route('llm', generator);
        }
        if (guardMode === 'off') {
          sent += chunk.text;
          yield { event: 'delta', data: { text: chunk.text } };
        } else {
          pending += chunk.text;
          yield* flushSentences(false);
        }
      }
    }
    yield* flushSentences(true);
  } catch (e) {
    const kind = timedOut || e instanceof StageTimeout ? 'llm_timeout' : 'llm_unavailable';
    fallback(kind);
    if (routed) {
      yield* flushSentences(true);
      yield { event: 'error', data: { code: 'LLM_INTERRUPTED', message: 'the answer was interrupted' } };
    }
  } finally {
    clearTimeout(firstTimer);
    clearTimeout(totalTimer);
    ctx.signal?.removeEventListener('abort', onAbort);
  }
  stage('llm', performance.now() - tl);
  stage('guardrails', guardMs);
  if (removed.length) fallback('guardrail_removed_sentences');

  const price = (deps.pricing ?? deps.llm.pricing)?.[tier];
  const usageOut = usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, ...(price ? { costUsd: costUsd(usage, price) } : {}) } : undefined;

  if (routed && sent.replace(/\W/g, '').length >= 12) {
    // Degradations that change the answer; the extractive generator itself is not one.
    // An answer shaped by the caller's own output budget or temperature is not one to share.
    const clean = !req.generation && fallbacks.every((f) => f === 'llm_not_configured' || f === 'reranker_unavailable');
    if (clean) {
      deps.fallbackAnswers.remember(pred?.intent, { question: req.message, text: sent, sources: sources.map((s) => s.id), at: Date.now() });
    }
    const done = doneEvent(usageOut);
    (done.data as DoneEvent).cacheable = clean;
    ctx.result?.({ route: (route('llm', generator).data as RouteEvent), text: sent, done: done.data as DoneEvent, generation, reranked });
    yield done;
    return;
  }

  // 5. No usable answer: a remembered answer for the intent, else a handoff.
  if (routed) fallback('guardrail_fallback');
  const remembered = await deps.fallbackAnswers.find(pred?.intent, req.message);
  const path: RouteEvent['path'] = remembered ? 'cache' : 'fallback';
  const text = remembered ? FALLBACK_NOTE + remembered.text : HANDOFF;
  const r = route(path, routed ? generator : undefined);
  if (!routed) yield r;
  yield { event: 'delta', data: { text: routed ? ` ${text}` : text } };
  const done = doneEvent(usageOut);
  ctx.result?.({ route: r.data as RouteEvent, text: sent + text, done: done.data as DoneEvent, generation, reranked });
  yield done;
}

/** The indices of the `k` highest scores, best first (ties: the earlier index first, as a stable sort leaves them). */
export function topIndices(scores: ArrayLike<number>, k: number): number[] {
  return Array.from(scores, (s, i) => ({ s, i }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.i);
}

/** Prompt-cache reads bill at a tenth of the input price and writes at 1.25× (Bedrock's rule). */
function costUsd(u: { inputTokens: number; outputTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number }, price: { in: number; out: number }): number {
  return (u.inputTokens * price.in + (u.cacheReadTokens ?? 0) * price.in * 0.1 + (u.cacheWriteTokens ?? 0) * price.in * 1.25 + u.outputTokens * price.out) / 1000;
}

function dedupe(list: { id: string; title: string }[]): { id: string; title: string }[] {
  const seen = new Set<string>();
  return list.filter((x) => (seen.has(x.id) ? false : (seen.add(x.id), true)));
}
