/**
 * Runs the edge chat pipeline for one request of any of the edge's chat routes (`/v1/chat`,
 * `/v1/chat/completions`): builds its deps from the Worker's env (region, timeouts, trace, the
 * session, waitUntil) and counts each answer in the metrics as it completes. Refuses nothing itself.
 */
import type { Context } from 'hono';
import type { ChatEvent, ChatRequest, DoneEvent, RouteEvent } from '../../../shared/api/chat.ts';
import { traceFrom, type Trace } from '../../../shared/api/trace.ts';
import { edgeDeps, type EdgeDeps } from '../edge-deps.ts';
import type { EdgeEnv } from '../env.ts';
import { edgeMetrics } from '../http/metrics.ts';
import { afterResponse } from '../http/request-log.ts';
import { sessionTimeoutMs } from '../http/session-routes.ts';
import { durableSession } from '../session/session-client.ts';
import { chatPipeline } from './pipeline.ts';
import { regionUrls } from './region-failover.ts';

export interface RunningChat {
  events: AsyncGenerator<ChatEvent>;
  trace: Trace;
  deps: EdgeDeps;
}

/**
 * `stateless`: the request holds the whole conversation (OpenAI's `messages`), so the session store
 * is neither read nor written. Otherwise a client's `history` replaces the session store for this
 * request, and without one the session (a Durable Object) is the conversation.
 */
export async function runChat(c: Context<{ Bindings: EdgeEnv }>, body: ChatRequest, opts: { stateless?: boolean } = {}): Promise<RunningChat> {
  const d = await edgeDeps(c.env);
  const trace = traceFrom(c.req.header('traceparent'), c.req.header('tracestate'));
  const ctx = executionCtx(c);
  const background = (p: Promise<unknown>) => ctx.waitUntil(p.catch(() => {}));
  const session =
    opts.stateless || body.history?.length
      ? null
      : durableSession(c.env.SESSIONS, body.sessionId, { timeoutMs: sessionTimeoutMs(c.env), background, onError: (op) => edgeMetrics.sessionError(op) });
  const later = (fn: () => void) => afterResponse(c, fn);
  const events = observed(c.env, body.sessionId, d.models.ok ? d.models.models.embedderVersion : undefined, later, chatPipeline(body, {
    ...d,
    upstream: {
      baseUrl: c.env.REGIONAL_URL,
      baseUrls: regionUrls(c.env),
      apiKey: c.env.REGION_API_KEY,
      traceparent: trace.upstream,
      ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
      firstEventMs: Number(c.env.UPSTREAM_TIMEOUT_MS ?? 2500),
      idleMs: Number(c.env.UPSTREAM_IDLE_TIMEOUT_MS ?? 10000),
      stallMs: Number(c.env.UPSTREAM_STALL_TIMEOUT_MS ?? 4000),
    },
    traceId: trace.traceId,
    session,
    background,
    onCacheLookup: (r) => edgeMetrics.cacheLookup(r),
    onResolution: (kind, confident) => edgeMetrics.resolution(kind, confident),
    signal: c.req.raw.signal,
  }));
  return { events, trace, deps: d };
}

/** Counts each answer in the isolate's metrics (and Analytics Engine when bound) once it is out (`later`). */
async function* observed(env: EdgeEnv, sessionId: string, embedderVersion: string | undefined, later: (fn: () => void) => void, events: AsyncGenerator<ChatEvent>): AsyncGenerator<ChatEvent> {
  let route: RouteEvent | undefined;
  for await (const e of events) {
    if (e.event === 'route') route = e.data;
    if (e.event === 'done' && route) {
      const done = e.data as DoneEvent;
      const r = route;
      later(() => edgeMetrics.observe(
        {
          path: r.path,
          fallbacks: done.fallbacks ?? r.fallbacks,
          totalMs: done.latencyMs.total,
          modelVersion: r.modelVersion,
          embedderVersion,
          cacheHit: r.path === 'cache' && !r.cache?.stale,
          usage: done.usage,
          session: shortHash(sessionId),
        },
        env.METRICS,
      ));
    }
    yield e;
  }
}

export function executionCtx(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): { waitUntil(p: Promise<unknown>): void } {
  try {
    return c.executionCtx;
  } catch {
    return { waitUntil: () => {} };
  }
}

/** FNV-1a of the session id, hex: groups a session's answers in Analytics Engine without storing the id. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
