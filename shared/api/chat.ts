/**
 * The chat wire contract shared by the edge's `/v1/chat`, the region's `/v1/generate` and the
 * browser widget: one request shape and one server-sent-event vocabulary (route, delta, done, error).
 */
import { z } from 'zod';
import { MAX_CONTINUATION_CHARS, MAX_INSTRUCTIONS_CHARS, MAX_MESSAGE_CHARS } from './limits.ts';

// Zod-free pieces live in their own modules (the browser widget bundles them without zod).
export { MAX_BODY_BYTES, MAX_INSTRUCTIONS_CHARS, MAX_MESSAGE_CHARS } from './limits.ts';
export { SseParser } from './sse.ts';

export const RoutePath = z.enum(['template', 'cache', 'llm', 'fallback']);
export type RoutePath = z.infer<typeof RoutePath>;

/** Earlier turns a stateless client may send with its message, oldest first (at most 16). */
export const MAX_HISTORY_TURNS = 16;
export const HistoryTurn = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string().trim().min(1, 'a history turn must not be empty').max(MAX_MESSAGE_CHARS, `a history turn is over ${MAX_MESSAGE_CHARS} characters`),
});
export type HistoryTurn = z.infer<typeof HistoryTurn>;

export const GenerationOptions = z.object({
  maxTokens: z.number().int().min(1).max(100_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  /**
   * The caller's own instructions for a generated answer (an OpenAI client's system and developer
   * messages): shown to the LLM after the operator's system prompt, which they add to and never
   * replace. Template and cache answers are the store's own and do not follow them.
   */
  instructions: z.string().trim().min(1, 'instructions must not be empty').max(MAX_INSTRUCTIONS_CHARS, `instructions are over ${MAX_INSTRUCTIONS_CHARS} characters`).optional(),
});
export type GenerationOptions = z.infer<typeof GenerationOptions>;

export const ChatRequest = z.object({
  message: z.string().trim().min(1, 'message must not be empty').max(MAX_MESSAGE_CHARS, `message is over ${MAX_MESSAGE_CHARS} characters`),
  sessionId: z.string().min(1).max(128),
  userId: z.string().min(1).max(128).optional(),
  locale: z.string().min(2).max(35).optional(),
  /** For clients that keep no session on the server: the conversation so far. */
  history: z.array(HistoryTurn).max(MAX_HISTORY_TURNS, `history holds at most ${MAX_HISTORY_TURNS} turns`).optional(),
  /** Adds the tokens that drove the intent to the route event's `decision`. */
  explain: z.boolean().optional(),
  /** What the caller asks of a generated answer: an output budget (never above the operator's), a temperature, instructions. */
  generation: GenerationOptions.optional(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

/** An entity as the edge resolved it (kind as in shared/cache/entities.ts, canonical value). */
export const ResolvedEntity = z.object({ kind: z.string().min(1).max(16), value: z.string().min(1).max(128) });

/**
 * A follow-up ("and volume 2?", "is it in stock?") rewritten against the session: the standalone
 * text that was classified, and which parts were carried over from earlier turns.
 */
export const Resolution = z.object({
  text: z.string().min(1).max(MAX_MESSAGE_CHARS * 2),
  carried: z.array(z.string().max(64)).max(16),
  entities: z.array(ResolvedEntity).max(32).optional(),
  /** How sure the edge is of the resolution (1: a standalone message); under 0.75 the cache was bypassed. */
  confidence: z.number().min(0).max(1).optional(),
});
export type Resolution = z.infer<typeof Resolution>;

/** A follow-up's resolution cut to the bounds `Resolution` sets, as the edge sends it and the region shows its own. */
export function boundedResolution(r: { text: string; carried: readonly string[]; entities: readonly { kind: string; value: string }[]; confidence: number }): Resolution {
  return {
    text: r.text.slice(0, MAX_MESSAGE_CHARS * 2),
    carried: r.carried.slice(0, 16).map((c) => c.slice(0, 64)),
    entities: r.entities.slice(0, 32).map((e) => ({ kind: e.kind, value: e.value.slice(0, 128) })),
    confidence: r.confidence,
  };
}

/** What the edge sends the region: the chat request plus what the edge already knows. */
export const GenerateRequest = ChatRequest.extend({
  /** The message resolved against the session, when it was a follow-up. */
  resolved: Resolution.optional(),
  intent: z.string().max(64).optional(),
  confidence: z.number().min(0).max(1).optional(),
  /** Set by the edge when this answer may be written to its semantic cache. */
  cacheable: z.boolean().optional(),
  priority: z.enum(['high', 'normal', 'low']).optional(),
  /**
   * Mid-stream failover: another region died while answering, and this is the answer the client
   * already has. The region continues it (the text as the generator's prefill) and streams only
   * the new text; its done event carries `midstream_failover`. Honoured from the edge's key only.
   */
  continuation: z.object({ text: z.string().min(1).max(MAX_CONTINUATION_CHARS, `continuation.text is over ${MAX_CONTINUATION_CHARS} characters`) }).strict().optional(),
});
export type GenerateRequest = z.infer<typeof GenerateRequest>;

/** The cache key frame a lookup compared (shared/cache/key-frame.ts). */
export const KeyFrameInfo = z.object({ intent: z.string(), aspect: z.string(), qualifier: z.string(), entities: z.string() });

/** One semantic-cache decision: nearest similarity in the frame vs the intent's hit threshold. */
export const CacheDecision = z.object({
  hit: z.boolean(),
  /** Cosine of the nearest live entry in the frame; null when the frame held none. */
  similarity: z.number().nullable(),
  threshold: z.number(),
  frame: KeyFrameInfo,
  /** The cue phrases that chose the aspect. */
  cues: z.array(z.string()).optional(),
});
export type CacheDecision = z.infer<typeof CacheDecision>;

/** A token's contribution to the chosen intent's logit (bag of embeddings: exact, additive). */
export const TokenContribution = z.object({ token: z.string(), weight: z.number() });

/**
 * Why a message took its path: the classifier's confidence and the thresholds it was compared
 * with, the cache decision when a lookup happened, and with `explain` the tokens behind the intent.
 */
export const DecisionExplanation = z.object({
  confidence: z.number(),
  /** At or above: the intent is trusted for routing (the intent's own threshold when a routing config gives one). */
  routeThreshold: z.number(),
  /** Whether routeThreshold is the intent's own (a tuned routing config) or the classifier's global one. */
  routeThresholdFrom: z.enum(['intent', 'global']).optional(),
  /** name@version of the routing config whose thresholds applied. */
  routingConfig: z.string().optional(),
  /** Below: out of scope. */
  oosThreshold: z.number(),
  /** At or above (top label `oos`): declined with no LLM. Absent: never. */
  declineThreshold: z.number().optional(),
  confident: z.boolean(),
  cache: CacheDecision.optional(),
  tokens: z.array(TokenContribution).optional(),
});
export type DecisionExplanation = z.infer<typeof DecisionExplanation>;

export const RouteEvent = z.object({
  intent: z.string(),
  confidence: z.number(),
  path: RoutePath,
  modelVersion: z.string(),
  traceId: z.string(),
  /** Which degradations fired on the way (e.g. "classifier_unavailable", "region_timeout"). */
  fallbacks: z.array(z.string()).default([]),
  cache: z
    .object({
      similarity: z.number(),
      stale: z.boolean(),
      entryId: z.string(),
      /** The hit threshold the similarity cleared, and the key frame both shared. */
      threshold: z.number().optional(),
      frame: KeyFrameInfo.optional(),
      /** The entry landed while this message waited for an equal one the region was answering (single flight). */
      coalesced: z.boolean().optional(),
    })
    .optional(),
  /** Why this path: confidence vs thresholds, the cache decision, and (explain) top tokens. */
  decision: DecisionExplanation.optional(),
  /** Which generator answered, when the region did (e.g. "bedrock:claude-haiku", "extractive"). */
  generator: z.string().optional(),
  /** name@version of the reranker that ordered the passages, when the region reranked. */
  rerankerVersion: z.string().optional(),
  /** Set when the message was a follow-up resolved against the session. */
  resolved: Resolution.optional(),
});
export type RouteEvent = z.infer<typeof RouteEvent>;

export const DeltaEvent = z.object({ text: z.string() });
export type DeltaEvent = z.infer<typeof DeltaEvent>;

/**
 * One generation's share of an answer's tokens. A continued answer (`midstream_failover`) has one
 * per target that wrote part of it, in order; `estimated`: that target was cut before it reported
 * its usage, so its tokens are counted from the text (about 4 characters a token).
 */
export const UsagePart = z.object({ inputTokens: z.number(), outputTokens: z.number(), estimated: z.boolean().optional() });
export type UsagePart = z.infer<typeof UsagePart>;
/** The whole answer's tokens (every part summed) and cost; `parts` only when more than one target wrote it. */
export const Usage = z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number().optional(), parts: z.array(UsagePart).optional() });
export type Usage = z.infer<typeof Usage>;

export const DoneEvent = z.object({
  latencyMs: z.object({ classify: z.number(), cache: z.number(), upstream: z.number(), total: z.number() }).catchall(z.number()),
  usage: Usage.optional(),
  sources: z.array(z.object({ id: z.string(), title: z.string().optional() })).optional(),
  /** Every degradation that fired, including those after the route event (e.g. guardrails). */
  fallbacks: z.array(z.string()).optional(),
  /** Set by the region: true when no degradation touched the answer, so the edge may cache it. */
  cacheable: z.boolean().optional(),
});
export type DoneEvent = z.infer<typeof DoneEvent>;

export const ErrorEvent = z.object({ code: z.string(), message: z.string() });

export type ChatEvent =
  | { event: 'route'; data: RouteEvent }
  | { event: 'delta'; data: DeltaEvent }
  | { event: 'done'; data: DoneEvent }
  | { event: 'error'; data: z.infer<typeof ErrorEvent> };

/** The `Accept: application/json` form of a whole chat reply. */
export interface ChatReply {
  route: RouteEvent;
  text: string;
  done: DoneEvent;
}

export function encodeSse(e: ChatEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
