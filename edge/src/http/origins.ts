/**
 * Which web origins may call the browser-facing routes (CORS), from ALLOWED_ORIGINS: a
 * comma-separated list of origins (`https://shop.example,https://www.shop.example`), or `*`.
 * `*` is honoured only while the Worker itself is served from localhost (local dev): deployed,
 * `*` allows no other origin, so a forgotten dev setting cannot let any website spend the LLM
 * budget. The Worker's own origin (its chat page) is always allowed. A cross-origin POST from an
 * origin not on the list is refused with 403 ORIGIN_NOT_ALLOWED before any work is done; requests
 * without an Origin (servers, curl) are not browser requests and pass.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { ApiError } from '../../../shared/api/errors.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Request headers a browser may send cross-origin: the widget's, and every header the OpenAI SDK
 * (openai 6, `dangerouslyAllowBrowser`) sets on its calls, so its preflight passes. The SDK adds the
 * `x-stainless-*` ones on every call (helper, poll and timeout ones on some); CORS has no wildcard
 * for a prefix, so each is listed.
 */
export const ALLOWED_REQUEST_HEADERS = [
  'content-type',
  'accept',
  'traceparent',
  'tracestate',
  'authorization',
  'openai-organization',
  'openai-project',
  'openai-beta',
  'idempotency-key',
  ...['lang', 'package-version', 'os', 'arch', 'runtime', 'runtime-version', 'retry-count', 'timeout', 'helper-method', 'poll-helper', 'custom-poll-interval'].map((h) => `x-stainless-${h}`),
];

export function originAllowed(origin: string, allowed: string | undefined, selfUrl: string): boolean {
  const self = new URL(selfUrl);
  if (origin === self.origin) return true;
  const list = (allowed ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
  if (list.includes('*')) return LOCAL_HOSTS.has(self.hostname);
  return list.includes(origin);
}

/** CORS for the browser-facing routes, with the allow-list above (the admin DELETE is never allowed cross-origin). */
export function browserOrigins(): MiddlewareHandler<{ Bindings: { ALLOWED_ORIGINS?: string } }> {
  const corsHeaders = cors({
    origin: (o, c) => (originAllowed(o, (c.env as { ALLOWED_ORIGINS?: string }).ALLOWED_ORIGINS, c.req.url) ? o : null),
    allowMethods: ['GET', 'POST'],
    allowHeaders: ALLOWED_REQUEST_HEADERS,
    exposeHeaders: ['x-trace-id', 'traceparent', 'tracestate', 'x-switchyard-route'],
    maxAge: 600,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin && c.req.method === 'POST' && !originAllowed(origin, c.env.ALLOWED_ORIGINS, c.req.url)) {
      throw new ApiError('ORIGIN_NOT_ALLOWED', `origin ${origin} may not call this API (ALLOWED_ORIGINS)`);
    }
    return corsHeaders(c, next);
  };
}
