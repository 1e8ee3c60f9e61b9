/**
 * The one JSON log line each tier writes per request: when, how bad (by status), which trace,
 * route and key id (never the key), what became of it (answer path and intent for chat), how long
 * it took in seconds. A chat message's text is added only when the operator turns it on
 * (LOG_MESSAGES=true), and then with PII redacted. The Node region writes it through pino, the
 * edge as one console.log of JSON.
 */
import { redactPii } from '../privacy/pii.ts';

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
