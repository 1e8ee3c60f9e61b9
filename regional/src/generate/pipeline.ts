/**
 * The region's answer pipeline for one message, as a stream of chat events:
 *
 *   resolve → [catalog | order] → classify ∥ retrieve (30) → rerank (5) → screen → [decisive] → generate ⇄ guard → [fallback]
 *
 * Catalog: a trusted intent of the pack's `catalog` route class naming exactly one catalog item is
 * answered from the item's row and ends there (stages/catalog.ts); with the edge's intent this is
 * decided before retrieval starts, with the region's own classification right after it.
 *
 * Order: an intent of the pack's `order` route naming an order id is answered from the
 * store's order system (stages/order.ts): the order's record, or "not found", never cached; a
 * lookup that fails or times out goes on as before (`order_lookup_unavailable`). Decided before
 * retrieval with the edge's intent, right after classification with the region's own.
 *
 * Decisive: when the reranker is sure of a FAQ or policy passage and the offline generator quotes
 * it, that quote is the answer, with no LLM call (stages/decisive.ts).
 *
 * Resolve gives the query (the edge's resolution of a follow-up, else the message) that
 * classification, retrieval and the offline generator use, and the conversation so far (the
 * client's `history`, else the session's turns in the region's store) that chat models are shown.
 *
 * Each stage lives in stages/ with its own timeout, fallback and latency metric. Every failure
 * degrades to a marked answer (the route and done events name each degradation); none fails the
 * request or hangs the client.
 *
 * A request with `continuation` (the edge failing over from a region that died mid-answer) runs
 * the same stages and has the generator continue the client's text: only the new text is sent,
 * `midstream_failover` is marked, and a generator that cannot continue ends with LLM_INTERRUPTED
 * (a handoff glued to half an answer would read as part of it). Checks of the whole answer
 * (grounding, what is remembered) run on the joined text.
 */
import type { ChatEvent, DoneEvent, GenerateRequest, RouteEvent } from '../../../shared/api/chat.ts';
import type { DialogueEntities } from '../../../shared/conversation/dialogue-entities.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import type { IntentRoutes } from '../../../shared/routing/intent-routes.ts';
import { llmPriorityFor, type IntentPriorities } from '../../../shared/routing/llm-priority.ts';
import { conversationFor } from '../conversation/history.ts';
import type { LlmBackend, LlmMessage, LlmRequest } from '../llm/types.ts';
import type { ChunkHit } from '../store/types.ts';
import type { FallbackAnswers } from './fallback-answers.ts';
import type { CatalogReplies } from './structured/catalog-reply.ts';
import { answerGrounded } from './guardrails.ts';
import type { EntityPattern } from '../../../shared/cache/entities.ts';
import { builtinLlmSettings, type LlmSettings } from './prompt.ts';
import { CATALOG_GENERATOR, catalogStage } from './stages/catalog.ts';
import { DECISIVE_GENERATOR, decisiveStage, type DecisiveAnswers } from './stages/decisive.ts';
import { ORDER_GENERATOR, ORDER_LOOKUP_UNAVAILABLE, orderStage, type OrderAnswers } from './stages/order.ts';
import { redactPii } from '../../../shared/privacy/pii.ts';
import { classifyStage, type Prediction } from './stages/classify.ts';
import { fallbackStage, isClean, isUsable } from './stages/fallback.ts';
import { generateStage, type AnswerUsage, type LlmUsage } from './stages/generate.ts';
import { SentenceGuard } from './stages/guard.ts';
import { rerankStage } from './stages/rerank.ts';
import { historyStage, resolveAtRegion, resolveQuery } from './stages/resolve.ts';
import { retrieveStage } from './stages/retrieve.ts';
import { startRun, type Run } from './stages/run.ts';
import { screenStage } from './stages/screen.ts';

export { FALLBACK_NOTE } from './stages/fallback.ts';
export { topIndices } from './stages/rerank.ts';

export interface PipelineTimeouts {
  classifyMs: number;
  retrieveMs: number;
  rerankMs: number;
  llmFirstTokenMs: number;
  llmTotalMs: number;
  /** Reading the session's turns (default 250 ms). */
  historyMs?: number;
}

/** Tokens of earlier turns shown to the generator (default; oldest dropped first). */
export const HISTORY_TOKEN_BUDGET = 1000;

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
  /** The domain's intents (domain.json): their LLM priority when the request brings none. */
  intents: IntentPriorities;
  /** The domain's id shapes (entities.json `patterns`): an id the answer names must be in the grounding. */
  idPatterns: readonly EntityPattern[];
  /** What is said when the LLM gave no usable answer and none is remembered (the pack's handoff). */
  handoff: string;
  fallbackAnswers: FallbackAnswers;
  /** The pack's `catalog` route intents, and the catalog's answer for a message naming exactly one item (structured/catalog-reply.ts). */
  catalog?: Pick<CatalogReplies, 'intents' | 'answer'>;
  /** The store's order system and the pack's words for its answers (stages/order.ts); none: order messages are generated. */
  orders?: OrderAnswers;
  /** Answers quoted from a passage the reranker is sure of, with no LLM (stages/decisive.ts); none: every answer is generated. */
  decisive?: DecisiveAnswers;
  timeouts: PipelineTimeouts;
  /** USD per 1k tokens (in, out) by tier, for the cost estimate (default: the LLM backend's own). */
  pricing?: Record<LlmRequest['tier'], { in: number; out: number }>;
  /** 'sentence' checks each sentence before it is sent; 'off' streams tokens unchecked. */
  guardrailMode?: 'sentence' | 'off';
  /** The session's earlier turns, oldest first (the region's conversation store); none: single-turn. */
  history?: (sessionId: string) => Promise<LlmMessage[]>;
  /** Estimated tokens of history shown to the generator; default HISTORY_TOKEN_BUDGET. */
  historyTokenBudget?: number;
  /** 'redact' (default): emails, phone and card numbers are replaced in what the LLM is told; 'keep': sent as typed. */
  llmPii?: 'redact' | 'keep';
  /** The domain's follow-up resolver and intent routes: a request without the edge's resolution is resolved and classified in its conversation here (stages/resolve.ts); none: the message as sent. */
  conversation?: { dialogue: DialogueEntities; routes: IntentRoutes };
  onStage?: (stage: string, ms: number) => void;
  onFallback?: (kind: string) => void;
}

export interface PipelineResult {
  route: RouteEvent;
  text: string;
  done: DoneEvent;
  /** What the LLM was asked (without its signal) and what its answer must be grounded in, for a shadow run on a copy; none for a catalog answer. */
  generation?: { request: Omit<LlmRequest, 'signal'>; grounding: string };
  /** When the reranker ordered the passages: the query and passages it was given (the query is the resolved message when there was one), the indices it put first (best first, at most 5), its latency. */
  reranked?: { query: string; passages: string[]; ranking: number[]; ms: number };
}

export async function* generatePipeline(
  sent: GenerateRequest,
  deps: GenerateDeps,
  ctx: { traceId: string; signal?: AbortSignal; result?: (r: PipelineResult) => void },
): AsyncGenerator<ChatEvent> {
  const run = startRun(deps);
  const { req, resolution, reading: readToResolve } = await resolveAtRegion(sent, deps, run);
  const { query, rewritten } = resolveQuery(req);
  const continuation = !!req.continuation;
  // The edge's intent is known now: a catalog answer starts no retrieval.
  const fromEdge = req.intent ? catalogStage(query, { intent: req.intent, trusted: req.cacheable === true, continuation }, deps, run) : null;
  if (fromEdge) return yield* storeAnswerEvents(fromEdge.text, CATALOG_GENERATOR, eventsFor(req, deps, run, { intent: req.intent!, confidence: req.confidence ?? 0 }, ctx.traceId, [fromEdge.source], false), ctx);
  const orderFromEdge = req.intent ? await orderStage(req, query, { intent: req.intent, continuation }, deps, run, ctx.signal) : null;
  if (orderFromEdge) return yield* storeAnswerEvents(orderFromEdge.text, ORDER_GENERATOR, eventsFor(req, deps, run, { intent: req.intent!, confidence: req.confidence ?? 0 }, ctx.traceId, [orderFromEdge.source], false), ctx, false);
  const classifying = classifyStage(req, query, deps, run, resolution);
  const retrieving = retrieveStage(query, deps, run);
  const reading = readToResolve ?? historyStage(req, deps, run); // the generator needs it last: started after the others
  const pred = await classifying;
  const fromRegion = !req.intent && pred ? catalogStage(query, { intent: pred.intent, trusted: pred.confident === true, continuation }, deps, run) : null;
  if (fromRegion) return yield* storeAnswerEvents(fromRegion.text, CATALOG_GENERATOR, eventsFor(req, deps, run, pred, ctx.traceId, [fromRegion.source], false), ctx);
  const orderFromRegion = !req.intent && pred ? await orderStage(req, query, { intent: pred.intent, continuation }, deps, run, ctx.signal) : null;
  if (orderFromRegion) return yield* storeAnswerEvents(orderFromRegion.text, ORDER_GENERATOR, eventsFor(req, deps, run, pred, ctx.traceId, [orderFromRegion.source], false), ctx, false);
  const retrieved = await retrieving;
  run.stage('retrieve', retrieved.ms);
  retrieved.fallbacks.forEach(run.fallback);
  const { top, reranked, bestLogit } = await rerankStage(query, retrieved.hits, deps, run);
  const screened = screenStage(rewritten ? `${req.message}\n${query}` : req.message, top, run);
  const history = await reading;

  const settings = deps.llmSettings ?? builtinLlmSettings();
  const priority = req.priority ?? llmPriorityFor(pred?.intent, deps.intents);
  const tier = settings.tierFor(pred?.intent, req.message, priority);
  // The LLM is told no email, phone or card number (LLM_PII); an order message whose lookup failed never the email it gave for the ownership check (docs/orders.md).
  const redacting = deps.llmPii !== 'keep' || run.fallbacks.includes(ORDER_LOOKUP_UNAVAILABLE);
  const told = redacting ? { message: redactPii(req.message), resolved: req.resolved && { ...req.resolved, text: redactPii(req.resolved.text) } } : req;
  const toldHistory = redacting && req.history ? history.map((m) => ({ ...m, content: redactPii(m.content) })) : history;
  const instructions = req.generation?.instructions && (redacting ? redactPii(req.generation.instructions) : req.generation.instructions);
  const llmReq: LlmRequest = {
    system: settings.system,
    ...(instructions ? { instructions } : {}),
    messages: conversationFor(toldHistory, told.message, deps.historyTokenBudget ?? HISTORY_TOKEN_BUDGET),
    ...(told.resolved ? { resolved: told.resolved } : {}),
    // The caller may ask for less output than the operator's budget, never more.
    maxTokens: Math.min(settings.maxTokensFor(pred?.intent), req.generation?.maxTokens ?? Infinity),
    ...((req.generation?.temperature ?? settings.temperature) !== undefined ? { temperature: req.generation?.temperature ?? settings.temperature } : {}),
    tier,
    priority,
    context: screened.passages.map((p) => ({ id: p.documentId, title: p.title, text: p.text })),
    ...(pred ? { intent: pred.intent, intentConfidence: pred.confidence } : {}),
    ...(req.continuation ? { prefill: req.continuation.text } : {}),
  };
  const decisive = await decisiveStage(llmReq, top, bestLogit, screened.grounding, deps, run);
  if (decisive) return yield* storeAnswerEvents(decisive.text, DECISIVE_GENERATOR, eventsFor(req, deps, run, pred, ctx.traceId, [decisive.source], true), ctx);
  if (req.continuation) run.fallback('midstream_failover');
  const generation = { request: { ...llmReq }, grounding: screened.grounding };
  const events = eventsFor(req, deps, run, pred, ctx.traceId, screened.sources, !!reranked);

  const guard = new SentenceGuard(deps.guardrailMode ?? 'sentence', screened.grounding, deps.titles, deps.idPatterns);
  const gen = yield* generateStage(llmReq, deps, run, guard, { signal: ctx.signal, routeEvent: (g) => events.route('llm', g) });
  const usage = usageOf(gen.usage, (deps.pricing ?? deps.llm.pricing)?.[tier]);
  const before = req.continuation?.text ?? '';

  for (const p of gen.passages ?? []) if (!screened.sources.some((x) => x.id === p.id)) screened.sources.push({ id: p.id, title: p.title ?? p.id });
  if (gen.routed && isUsable(before + gen.sent)) {
    // Remembered and cacheable only when clean and grounded (no wrong answer is cached), and not
    // shaped by the caller's own output budget, temperature or instructions (not an answer to share).
    const whole = before + gen.sent;
    const clean = !req.generation && isClean(run.fallbacks) && !gen.unsupported && answerGrounded(whole, guard.groundingText, deps.titles, deps.idPatterns);
    if (clean) deps.fallbackAnswers.remember(pred?.intent, { question: req.message, text: whole, sources: screened.sources.map((s) => s.id), at: Date.now() });
    const done = events.done(usage);
    done.data.cacheable = clean;
    ctx.result?.({ route: events.route('llm', gen.generator).data, text: whole, done: done.data, generation, reranked });
    yield done;
    return;
  }

  if (req.continuation && !gen.routed) {
    // Nothing new to add to the client's half answer: it ends as interrupted, as it would have.
    const route = events.route('llm');
    yield route;
    yield { event: 'error', data: { code: 'LLM_INTERRUPTED', message: 'the answer was interrupted' } };
    const done = events.done(usage);
    ctx.result?.({ route: route.data, text: before, done: done.data, generation, reranked });
    yield done;
    return;
  }
  // No usable answer: a remembered answer for the intent, else a handoff.
  if (gen.routed) run.fallback('guardrail_fallback');
  const fb = await fallbackStage(deps.fallbackAnswers, pred?.intent, req.message, deps.handoff);
  const route = events.route(fb.path, gen.routed ? gen.generator : undefined);
  if (!gen.routed) yield route;
  yield { event: 'delta', data: { text: gen.routed ? ` ${fb.text}` : fb.text } };
  const done = events.done(usage);
  ctx.result?.({ route: route.data, text: gen.sent + fb.text, done: done.data, generation, reranked });
  yield done;
}

/** An answer from the store's own data with no LLM (a catalog row, a decisive passage, an order's record): route (path "template"), the text, done (cacheable unless it is one shopper's: an order). */
function* storeAnswerEvents(text: string, generator: string, events: ReturnType<typeof eventsFor>, ctx: { result?: (r: PipelineResult) => void }, cacheable = true): Generator<ChatEvent> {
  const route = events.route('template', generator);
  yield route;
  yield { event: 'delta', data: { text } };
  const done = events.done();
  done.data.cacheable = cacheable;
  ctx.result?.({ route: route.data, text, done: done.data });
  yield done;
}

/** The route and done events of this request, each carrying the degradations so far. */
function eventsFor(req: GenerateRequest, deps: GenerateDeps, run: Run, pred: Prediction | null, traceId: string, sources: { id: string; title: string }[], reranked: boolean) {
  return {
    route: (path: RouteEvent['path'], generator?: string): { event: 'route'; data: RouteEvent } => ({
      event: 'route',
      data: {
        intent: pred?.intent ?? 'unknown',
        confidence: pred?.confidence ?? 0,
        path,
        modelVersion: req.intent ? 'edge' : (deps.classifierVersion ?? 'none'),
        traceId,
        fallbacks: [...run.fallbacks],
        ...(generator ? { generator } : {}),
        ...(reranked && deps.rerankerVersion ? { rerankerVersion: deps.rerankerVersion } : {}),
        // What the region understood of a message it classified itself (a partner's call); the edge shows its own.
        ...(!req.intent && req.resolved ? { resolved: req.resolved } : {}),
      },
    }),
    done: (usage?: DoneEvent['usage']): { event: 'done'; data: DoneEvent } => {
      const lat = run.latency;
      const total = performance.now() - run.t0;
      return {
        event: 'done',
        data: { latencyMs: { classify: lat.classify, cache: 0, upstream: lat.llm, total, ...lat }, ...(usage ? { usage } : {}), sources, fallbacks: [...run.fallbacks] },
      };
    },
  };
}

function usageOf(u: AnswerUsage | undefined, price: { in: number; out: number } | undefined): DoneEvent['usage'] {
  const parts = u?.parts?.map((p) => ({ inputTokens: p.inputTokens, outputTokens: p.outputTokens, ...(p.estimated ? { estimated: true } : {}) }));
  return u && { inputTokens: u.inputTokens, outputTokens: u.outputTokens, ...(price ? { costUsd: costUsd(u, price) } : {}), ...(parts ? { parts } : {}) };
}

/** Prompt-cache reads bill at a tenth of the input price and writes at 1.25× (Bedrock's rule). */
function costUsd(u: LlmUsage, price: { in: number; out: number }): number {
  return (u.inputTokens * price.in + (u.cacheReadTokens ?? 0) * price.in * 0.1 + (u.cacheWriteTokens ?? 0) * price.in * 1.25 + u.outputTokens * price.out) / 1000;
}
