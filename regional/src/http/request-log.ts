/**
 * One JSON log line per request (pino; shared/api/request-log.ts says what is in it). A handler
 * adds what only it knows through `c.get('log').set(…)` — trace id, answer path, intent, the
 * message — and one that streams calls `defer()` so the line is written when the stream ends
 * (with its outcome) instead of when the headers go out.
 */
import type { MiddlewareHandler } from 'hono';
import { pino, type DestinationStream, type Logger } from 'pino';
import { levelFor, requestLogMiddleware, type RequestLogVars } from '../../../shared/api/request-log.ts';
import type { ApiKeyRecord } from '../store/types.ts';

/** The region's request logger: JSON lines with an ISO time and the level as a word. */
export function createRequestLogger(level: string, destination?: DestinationStream): Logger {
  const opts = { level, base: { tier: 'regional' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } };
  return destination ? pino(opts, destination) : pino(opts);
}

export type LogVars = RequestLogVars & { Variables: { apiKey: ApiKeyRecord } };

export function requestLog(logger: () => Logger, opts: { logMessages: () => boolean }): MiddlewareHandler<LogVars> {
  return requestLogMiddleware<LogVars>({
    write: (line) => logger()[levelFor(line.status)](line, 'request'),
    logMessages: () => opts.logMessages(),
    extra: (c) => ({ keyId: c.get('apiKey')?.id }),
  });
}
