/**
 * The chat wire contract shared by the edge's `/v1/chat`, the region's `/v1/generate` and the
 * browser widget: one request shape and one server-sent-event vocabulary (route, delta, done, error).
 */
import { z } from 'zod';
import { MAX_MESSAGE_CHARS } from './limits.ts';

// Zod-free pieces live in their own modules (the browser widget bundles them without zod).
export { MAX_BODY_BYTES, MAX_MESSAGE_CHARS } from './limits.ts';
export { SseParser } from './sse.ts';

export const RoutePath = z.enum(['template', 'cache', 'llm', 'fallback']);
export type RoutePath = z.infer<typeof RoutePath>;

export const ChatRequest = z.object({
  message: z.string().trim().min(1, 'message must not be empty').max(MAX_MESSAGE_CHARS, `message is over ${MAX_MESSAGE_CHARS} characters`),
  sessionId: z.string().min(1).max(128),
  userId: z.string().min(1).max(128).optional(),
  locale: z.string().min(2).max(35).optional(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

/** What the edge sends the region: the chat request plus what the edge already knows. */
export const GenerateRequest = ChatRequest.extend({
  intent: z.string().max(64).optional(),
  confidence: z.number().min(0).max(1).optional(),
  /** Set by the edge when this answer may be written to its semantic cache. */
  cacheable: z.boolean().optional(),
  priority: z.enum(['high', 'normal', 'low']).optional(),
});
export type GenerateRequest = z.infer<typeof GenerateRequest>;

export const RouteEvent = z.object({
  intent: z.string(),
  confidence: z.number(),
  path: RoutePath,
  modelVersion: z.string(),
  traceId: z.string(),
  /** Which degradations fired on the way (e.g. "classifier_unavailable", "region_timeout"). */
  fallbacks: z.array(z.string()).default([]),
  cache: z.object({ similarity: z.number(), stale: z.boolean(), entryId: z.string() }).optional(),
  /** Which generator answered, when the region did (e.g. "bedrock:claude-haiku", "extractive"). */
  generator: z.string().optional(),
  /** name@version of the reranker that ordered the passages, when the region reranked. */
  rerankerVersion: z.string().optional(),
});
export type RouteEvent = z.infer<typeof RouteEvent>;

export const DeltaEvent = z.object({ text: z.string() });
export type DeltaEvent = z.infer<typeof DeltaEvent>;

export const Usage = z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number().optional() });
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
