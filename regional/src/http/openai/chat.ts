/**
 * The region's OpenAI-compatible chat route for partners, `POST /v1/chat/completions`: their keys,
 * rate limits, quotas and usage as on `/v1/generate`, the same answer pipeline (classified here,
 * since no edge did), and the request and response mapped by shared/api/openai. Errors use
 * OpenAI's shape. The answers are the region's own: no template or cache path runs here.
 */
import type { ServerResponse } from 'node:http';
import { Hono, type MiddlewareHandler } from 'hono';
import { MAX_BODY_BYTES } from '../../../../shared/api/chat.ts';
import { readJsonBody } from '../../../../shared/api/errors.ts';
import { mapChatCompletionRequest } from '../../../../shared/api/openai/chat-request.ts';
import { awaitRoute, classifierThresholds, completionJson, completionStream, routeHeaders, SSE_HEADERS } from '../../../../shared/api/openai/chat-response.ts';
import type { Services } from '../../services.ts';
import type { AuthVars } from '../auth.ts';
import { logFinishError, sentAsMade, startTurn } from '../generate-turn.ts';
import { traceOf } from '../trace-headers.ts';
import { openAiErrors } from './errors.ts';

export function openAiChatRoutes(s: Services, anyKey: MiddlewareHandler<AuthVars>) {
  const app = new Hono<AuthVars>();
  app.onError(openAiErrors);
  app.post('/v1/chat/completions', anyKey, async (c) => {
    const { chat, options } = mapChatCompletionRequest(await readJsonBody(c.req.raw, MAX_BODY_BYTES * 4), () => crypto.randomUUID());
    const traceId = traceOf(c.req.raw).traceId;
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const turn = startTurn(s, chat, { key: c.get('apiKey'), traceId, signal: c.req.raw.signal, outgoing });
    const route = await awaitRoute(turn.events);
    const ctx = {
      id: `chatcmpl-${crypto.randomUUID().replace(/-/g, '')}`,
      created: Math.floor(Date.now() / 1000),
      // The thresholds of the classifier variant that decided this answer (the region has no cache path).
      thresholds: classifierThresholds(s.classifierCalibration?.(route.modelVersion)),
    };
    if (!options.stream) {
      const body = await completionJson(route, recorded(turn), options, ctx);
      return c.json(body, 200, routeHeaders(route));
    }
    return new Response(completionStream(route, recorded(turn, true), options, ctx, (e) => console.error('chat completion stream failed:', (e as Error).message)), {
      headers: { ...routeHeaders(route), ...SSE_HEADERS },
    });
  });
  return app;
}

/** The turn's events (`streamed`: each sent as made), recording the turn once they end (before the last frame goes out). */
async function* recorded(turn: ReturnType<typeof startTurn>, streamed = false) {
  yield* streamed ? sentAsMade(turn.events) : turn.events;
  await turn.finish().catch(logFinishError);
  turn.afterResponse();
}
