/**
 * One JSON log line per request at the edge, written with console.log (workerd has no pino;
 * Workers Logs and `wrangler tail` take JSON lines as structured). What is in the line is
 * shared/api/request-log.ts's. The chat route adds the answer's path and intent; a streamed
 * answer's line is written when the stream ends (or the client leaves), not when headers go out.
 */
import type { MiddlewareHandler } from 'hono';
import type { ChatEvent } from '../../../shared/api/chat.ts';
import { loggedMessage, requestLogLine, type RequestLogFields } from '../../../shared/api/request-log.ts';
import { traceFrom } from '../../../shared/api/trace.ts';

export interface EdgeRequestLog {
  set(fields: Partial<RequestLogFields> & { messageText?: string }): void;
  /** The line waits for the returned function. */
  defer(): () => void;
}

export type EdgeLogVars = { Variables: { log: EdgeRequestLog } };

export function edgeRequestLog(): MiddlewareHandler<{ Bindings: { LOG_MESSAGES?: string } } & EdgeLogVars> {
  return async (c, next) => {
    const t0 = performance.now();
    const fields: Partial<RequestLogFields> = { traceId: traceFrom(c.req.header('traceparent')).traceId, method: c.req.method };
    let deferred = false;
    let route = 'unknown';
    const write = () => {
      const line = { ...fields, route, status: fields.status ?? c.res.status, latencySeconds: Number(((performance.now() - t0) / 1000).toFixed(4)) } as RequestLogFields;
      console.log(requestLogLine(line, 'edge'));
    };
    c.set('log', {
      set: ({ messageText, ...f }) => Object.assign(fields, f, loggedMessage(messageText, c.env?.LOG_MESSAGES === 'true')),
      defer: () => {
        deferred = true;
        let done = false;
        return () => {
          if (!done) (done = true), write();
        };
      },
    });
    try {
      await next();
    } finally {
      route = c.req.routePath ?? 'unknown';
    }
    if (!deferred) write();
  };
}

/** Passes a chat's events through, noting its path, intent and fallbacks; writes the line once it ends. */
export async function* loggedEvents(log: EdgeRequestLog, events: AsyncGenerator<ChatEvent>): AsyncGenerator<ChatEvent> {
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
