/**
 * The one JSON log line each tier writes per request: when, how bad (by status), which trace,
 * route and key id (never the key), what became of it (answer path and intent for chat), how long
 * it took in seconds. A chat message's text is added only when the operator turns it on
 * (LOG_MESSAGES=true), and then with PII redacted. The Node region writes it through pino, the
 * edge as one console.log of JSON.
 */
import type { MiddlewareHandler } from 'hono';
import { redactPii } from '../privacy/pii.ts';
import { traceFrom } from './trace.ts';

export type LogLevel = 'info' | 'warn' | 'error';

export interface RequestLogFields {
  traceId: string;
  method: string;
  /** The route's pattern (`/v1/kb/documents/:id`), not the URL: no ids or query strings. */
  route: string;
  status: number;
  latencySeconds: number;
  keyId?: string;
  /** Chat answers: template, cache, llm or fallback. */
  path?: string;
  intent?: string;
  fallbacks?: string[];
  message?: string;
}

export function levelFor(status: number): LogLevel {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/** The message field: absent unless logging messages is on, PII-redacted and cut to 500 characters. */
export function loggedMessage(text: string | undefined, logMessages: boolean): { message?: string } {
  return logMessages && text ? { message: redactPii(text).slice(0, 500) } : {};
}

/** The whole line for a runtime without pino (the edge): level and ISO time first. */
export function requestLogLine(fields: RequestLogFields, tier: string, now = new Date()): string {
  return JSON.stringify({ time: now.toISOString(), level: levelFor(fields.status), tier, msg: 'request', ...fields });
}

/** What a handler adds to its request's line (`c.get('log')`). */
export interface RequestLog {
  set(fields: Partial<RequestLogFields> & { messageText?: string }): void;
  /** The line waits for the returned function (call it once a streamed answer has ended). */
  defer(): () => void;
}

export type RequestLogVars = { Variables: { log: RequestLog } };

/**
 * The per-request middleware of both tiers: starts the clock and the fields, hands handlers the
 * RequestLog, and writes the line after the handler (or when a deferred stream ends) through
 * `write`, with what `extra` reads from the context then (e.g. the key id).
 */
export function requestLogMiddleware<E extends RequestLogVars>(o: {
  write: (line: RequestLogFields) => void;
  logMessages: (c: Parameters<MiddlewareHandler<E>>[0]) => boolean;
  extra?: (c: Parameters<MiddlewareHandler<E>>[0]) => Partial<RequestLogFields>;
  /** Runs the write once the response is handed back (the edge: ctx.waitUntil); default: at once. */
  later?: (c: Parameters<MiddlewareHandler<E>>[0], write: () => void) => void;
}): MiddlewareHandler<E> {
  return async (c, next) => {
    const t0 = performance.now();
    const fields: Partial<RequestLogFields> = { traceId: traceFrom(c.req.header('traceparent')).traceId, method: c.req.method };
    let deferred = false;
    let route = 'unknown';
    // The latency is taken when the request ends; the line itself may be written after the response.
    const write = () => {
      const latencySeconds = Number(((performance.now() - t0) / 1000).toFixed(4));
      const emit = () => o.write({ ...fields, ...o.extra?.(c), route, status: fields.status ?? c.res.status, latencySeconds } as RequestLogFields);
      if (o.later) o.later(c, emit);
      else emit();
    };
    const log: RequestLog = {
      set: ({ messageText, ...f }) => Object.assign(fields, f, loggedMessage(messageText, o.logMessages(c))),
      defer: () => {
        deferred = true;
        let done = false;
        return () => {
          if (!done) (done = true), write();
        };
      },
    };
    (c as unknown as { set(key: 'log', value: RequestLog): void }).set('log', log);
    try {
      await next();
    } finally {
      route = c.req.routePath ?? 'unknown';
    }
    if (!deferred) write();
  };
}
