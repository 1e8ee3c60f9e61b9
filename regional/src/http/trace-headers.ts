/**
 * Every regional response carries `traceparent` (the caller's trace, or a new one, with this
 * service's span) and `x-request-id` (the caller's, when it is a sane id of at most 128 characters,
 * else a new UUID). The routes read the same trace with `traceOf`, so what they log and record
 * (conversation turns, route events) names the trace the response does. `tracestate` is kept with it.
 */
import type { MiddlewareHandler } from 'hono';
import { traceFrom, type Trace } from '../../../shared/api/trace.ts';

const traces = new WeakMap<Request, Trace & { requestId: string }>();
const REQUEST_ID = /^[\w.:@-]{1,128}$/;

export function traceOf(req: Request): Trace & { requestId: string } {
  let t = traces.get(req);
  if (!t) {
    const given = req.headers.get('x-request-id') ?? '';
    t = { ...traceFrom(req.headers.get('traceparent'), req.headers.get('tracestate')), requestId: REQUEST_ID.test(given) ? given : crypto.randomUUID() };
    traces.set(req, t);
  }
  return t;
}

export const traceHeaders: MiddlewareHandler = async (c, next) => {
  const t = traceOf(c.req.raw);
  await next();
  c.res.headers.set('traceparent', t.upstream);
  if (t.tracestate) c.res.headers.set('tracestate', t.tracestate);
  c.res.headers.set('x-request-id', t.requestId);
};
