/**
 * The edge's OpenAI-compatible chat route, `POST /v1/chat/completions`: the request is mapped to a
 * ChatRequest (shared/api/openai/chat-request.ts) and runs the same pipeline as `/v1/chat`, so
 * template and cache answers never reach the region. Errors on this route use OpenAI's shape.
 * Takes no API key (like `/v1/chat`): an `Authorization` header is accepted and not checked.
 */
import { Hono } from 'hono';
import { MAX_BODY_BYTES } from '../../../shared/api/chat.ts';
import { readJsonBody } from '../../../shared/api/errors.ts';
import { mapChatCompletionRequest } from '../../../shared/api/openai/chat-request.ts';
import { awaitRoute, classifierThresholds, completionJson, completionStream, routeHeaders, SSE_HEADERS, type RoutingThresholds } from '../../../shared/api/openai/chat-response.ts';
import { traceHeaders } from '../../../shared/api/trace.ts';
import type { EdgeDeps } from '../edge-deps.ts';
import type { EdgeEnv } from '../env.ts';
import { runChat } from '../chat/run-chat.ts';
import type { RequestLog } from '../../../shared/api/request-log.ts';
import { openAiErrorResponse } from './errors.ts';
import { loggedEvents } from './request-log.ts';

export const openAiChatRoutes = new Hono<{ Bindings: EdgeEnv }>();

openAiChatRoutes.onError(openAiErrorResponse);

openAiChatRoutes.post('/v1/chat/completions', async (c) => {
  // Messages may carry up to 16 turns of history besides the answered one.
  const { chat, options } = mapChatCompletionRequest(await readJsonBody(c.req.raw, MAX_BODY_BYTES * 4), () => crypto.randomUUID());
  // OpenAI's messages are the whole conversation: no session store is read or written.
  const { events: answer, trace, deps } = await runChat(c, chat, { stateless: true });
  // The request's log line is written once the answer ends (as /v1/chat's), not as its first text goes out.
  const log = (c as unknown as { get(key: 'log'): RequestLog | undefined }).get('log');
  // the log line carries the answer's trace id (as /v1/chat's), not one of its own
  log?.set({ traceId: trace.traceId, messageText: chat.message });
  const events = log ? loggedEvents(log, answer) : answer;
  const route = await awaitRoute(events);
  const ctx = { id: `chatcmpl-${crypto.randomUUID().replace(/-/g, '')}`, created: Math.floor(Date.now() / 1000), thresholds: thresholdsOf(deps, route.intent) };
  const headers = { ...traceHeaders(trace), ...routeHeaders(route) };
  if (!options.stream) return c.json(await completionJson(route, events, options, ctx), 200, headers);
  return new Response(completionStream(route, events, options, ctx, (e) => console.error('chat completion stream failed:', (e as Error).message)), { headers: { ...headers, ...SSE_HEADERS } });
});

function thresholdsOf(d: EdgeDeps, intent: string): RoutingThresholds {
  const cache = d.cache?.opts.thresholds;
  return {
    ...classifierThresholds(d.models.ok ? d.models.models.classifier.calibration : undefined),
    // the intent's own hit threshold (per-intent, within the cache key frame) when it has one
    ...(cache && d.cache ? { cache_hit: d.cache.hitThreshold(intent), cache_stale: d.cache.staleThreshold(intent) } : {}),
  };
}
