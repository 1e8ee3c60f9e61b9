/**
 * One JSON log line per request at the edge, written with console.log (workerd has no pino;
 * Workers Logs and `wrangler tail` take JSON lines as structured). What is in the line is
 * shared/api/request-log.ts's. The chat route adds the answer's path and intent; a streamed
 * answer's line is written when the stream ends (or the client leaves), not when headers go out.
 */
import type { MiddlewareHandler } from 'hono';
import type { ChatEvent } from '../../../shared/api/chat.ts';
import { requestLogLine, requestLogMiddleware, type RequestLog, type RequestLogVars } from '../../../shared/api/request-log.ts';

export type EdgeLogVars = RequestLogVars;

/**
 * Runs `fn` once the response has been handed back (a later turn of the event loop, kept alive by
 * ctx.waitUntil); at once where there is no execution context (unit tests of the app).
 */
export function afterResponse(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }, fn: () => void): void {
  let ctx: { waitUntil(p: Promise<unknown>): void };
  try {
    ctx = c.executionCtx;
  } catch {
    return fn();
  }
  ctx.waitUntil(new Promise<void>((r) => setTimeout(r, 0)).then(fn));
}

export function edgeRequestLog(): MiddlewareHandler<{ Bindings: { LOG_MESSAGES?: string } } & EdgeLogVars> {
  return requestLogMiddleware<{ Bindings: { LOG_MESSAGES?: string } } & EdgeLogVars>({
    write: (line) => console.log(requestLogLine(line, 'edge')),
    logMessages: (c) => c.env?.LOG_MESSAGES === 'true',
    // Serialising and printing the line is no part of the answer: it runs after the response.
    later: (c, write) => afterResponse(c, write),
  });
}

/** Passes a chat's events through, noting its path, intent and fallbacks; writes the line once it ends. */
export async function* loggedEvents(log: RequestLog, events: AsyncGenerator<ChatEvent>): AsyncGenerator<ChatEvent> {
  const written = log.defer();
  try {
    for await (const e of events) {
      if (e.event === 'route') log.set({ path: e.data.path, intent: e.data.intent });
      if (e.event === 'done' && e.data.fallbacks?.length) log.set({ fallbacks: e.data.fallbacks });
      yield e;
    }
  } finally {
    written();
  }
}
