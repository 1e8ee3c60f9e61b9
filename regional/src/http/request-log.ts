/**
 * One JSON log line per request (pino; shared/api/request-log.ts says what is in it). A handler
 * adds what only it knows through `c.get('log').set(…)` — trace id, answer path, intent, the
 * message — and one that streams calls `defer()` so the line is written when the stream ends
 * (with its outcome) instead of when the headers go out.
 */
import type { MiddlewareHandler } from 'hono';
import { pino, type DestinationStream, type Logger } from 'pino';
import { levelFor, loggedMessage, type RequestLogFields } from '../../../shared/api/request-log.ts';
import { traceFrom } from '../../../shared/api/trace.ts';
import type { ApiKeyRecord } from '../store/types.ts';

export interface RequestLog {
  set(fields: Partial<RequestLogFields> & { messageText?: string }): void;
  /** The line waits for the returned function (call it once the stream has ended). */
  defer(): () => void;
}

/** The region's request logger: JSON lines with an ISO time and the level as a word. */
export function createRequestLogger(level: string, destination?: DestinationStream): Logger {
  const opts = { level, base: { tier: 'regional' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } };
  return destination ? pino(opts, destination) : pino(opts);
}

export type LogVars = { Variables: { log: RequestLog; apiKey: ApiKeyRecord } };

export function requestLog(logger: () => Logger, opts: { logMessages: () => boolean }): MiddlewareHandler<LogVars> {
  return async (c, next) => {
    const t0 = performance.now();
    const fields: Partial<RequestLogFields> = { traceId: traceFrom(c.req.header('traceparent')).traceId, method: c.req.method };
    let deferred = false;
    let route = 'unknown';
    const write = () => {
      const status = fields.status ?? c.res.status;
      const line: RequestLogFields = {
        ...fields,
        traceId: fields.traceId!,
        method: fields.method!,
        route,
        status,
        latencySeconds: Number(((performance.now() - t0) / 1000).toFixed(4)),
        keyId: c.get('apiKey')?.id,
      };
      logger()[levelFor(status)](line, 'request');
    };
    c.set('log', {
      set: ({ messageText, ...f }) => Object.assign(fields, f, loggedMessage(messageText, opts.logMessages())),
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
