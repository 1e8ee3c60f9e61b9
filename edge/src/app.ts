/**
 * The edge Worker's HTTP API (Hono): /v1/chat, /v1/classify, /v1/models, /v1/cache, /healthz.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ChatRequest, MAX_BODY_BYTES, MAX_MESSAGE_CHARS, type ChatReply } from '../../shared/api/chat.ts';
import { ApiError, readJsonBody, validate } from '../../shared/api/errors.ts';
import type { EdgeEnv } from './env.ts';
import { classifyResult } from './http/classify-result.ts';
import { edgeDeps, edgeDepsLoaded, edgeDepsSettled } from './edge-deps.ts';
import { executionCtx, runChat } from './chat/run-chat.ts';
import { openAiChatRoutes } from './http/openai-chat.ts';
import { openAiModelRoutes } from './http/openai-models.ts';
import { CHAT_PAGE } from './http/chat-page.ts';
import { errorResponse } from './http/errors.ts';
import { limitByClient, limitBySession } from './http/client-limits.ts';
import { browserOrigins } from './http/origins.ts';
import { edgeRequestLog, loggedEvents, type EdgeLogVars } from './http/request-log.ts';
import { sessionRoutes } from './http/session-routes.ts';
import { edgeMetrics } from './http/metrics.ts';
import { scheduleModelRefresh } from './runtime/model-refresh.ts';
import { embedderMayLoad } from './runtime/edge-models.ts';
import { ISOLATE_STARTED_AT } from './runtime/load-profile.ts';
import { traceHeaders } from '../../shared/api/trace.ts';
import { collectEvents, sseStream, wantsJson } from '../../shared/api/event-response.ts';

type AppEnv = { Bindings: EdgeEnv } & EdgeLogVars;

const ClassifyRequest = z.object({
  texts: z.array(z.string().max(MAX_MESSAGE_CHARS)).min(1, 'texts must not be empty').max(64, 'at most 64 texts per request'),
  /** Adds each result's top contributing words (one extra batched run per text). */
  explain: z.boolean().optional(),
});

export const app = new Hono<AppEnv>();

app.onError(errorResponse);
app.use('*', edgeRequestLog());
app.notFound((c) => c.json(new ApiError('NOT_FOUND', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`).toBody(), 404));

// The isolate's models load on its first request, whatever the route: their files are read from
// the static assets (I/O) in that request's context, so waitUntil keeps the context alive until both
// are loaded (the classifier first, serving alone; the embedder once this response is made); a client that gives
// up or a request that needs no models cancels no read that other requests wait on. Once the load
// has settled, requests skip this.
app.use('*', async (c, next) => {
  if (edgeDepsSettled()) return next();
  executionCtx(c).waitUntil(edgeDepsLoaded(c.env).catch(() => {}));
  await next();
  embedderMayLoad();
});

// The browser widget calls the API from the store's own pages, another origin: only the origins
// in ALLOWED_ORIGINS may (http/origins.ts), and each client only so often (http/client-limits.ts).
app.use('/v1/*', browserOrigins());
app.post('/v1/chat', limitByClient());
app.post('/v1/chat/completions', limitByClient());
app.post('/v1/classify', limitByClient());

// A due look at the region's newly promoted model versions, after the response is made (waitUntil).
app.use('*', async (c, next) => {
  await next();
  scheduleModelRefresh(c.env, (p) => executionCtx(c).waitUntil(p));
});

app.get('/', (c) => c.html(CHAT_PAGE));

// Live but without its models the edge sends every message to the region: "degraded", and with
// ?strict=1 (for a balancer that should take it out of rotation) a 503. Answers once the classifier
// serves; while the embedder still loads (models "loading") or after it failed ("partial") it is
// degraded too: templates answer, the cache does not. `readyMs`: until the classifier served;
// `loadMs`: until both were loaded; `phases`: where the isolate's load spent its time.
app.get('/healthz', async (c) => {
  const d = await edgeDeps(c.env);
  const m = d.models.ok ? d.models.models : null;
  const embedder = m?.embedderState;
  const body = {
    status: embedder?.state === 'ready' ? 'ok' : 'degraded',
    models: !m ? 'unavailable' : embedder?.state === 'ready' ? 'ready' : embedder?.state === 'loading' ? 'loading' : 'partial',
    ...(m ? { readyMs: m.readyMs, ...(m.loadMs !== undefined ? { loadMs: m.loadMs } : {}) } : {}),
    ...(m?.profile ? { isolate: { startedAt: ISOLATE_STARTED_AT, loadStartedAt: m.profile.startedAt, firstResponseAt: m.profile.firstResponseAt }, phases: m.profile.report() } : {}),
    ...(!d.models.ok ? { code: d.models.code, reason: d.models.reason } : embedder?.state === 'failed' ? { code: embedder.code, reason: `the embedder: ${embedder.reason}` } : {}),
  };
  return c.json(body, body.status !== 'ok' && c.req.query('strict') === '1' ? 503 : 200);
});

app.get('/metrics', (c) => c.text(edgeMetrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }));

app.route('/', openAiModelRoutes);

app.post('/v1/classify', async (c) => {
  const body = validate(ClassifyRequest, await readJsonBody(c.req.raw, MAX_BODY_BYTES * 4));
  const d = await edgeDeps(c.env);
  if (!d.models.ok) throw new ApiError('MODEL_UNAVAILABLE', `the classifier is not loaded: ${d.models.reason}`);
  const t0 = performance.now();
  const clf = d.models.models.classifier;
  const preds = await clf.classify(body.texts);
  const results = await Promise.all(preds.map((p, i) => classifyResult(d, body.texts[i], p, body.explain === true)));
  return c.json({
    modelVersion: d.models.models.classifierVersion,
    results,
    latencyMs: performance.now() - t0,
  });
});

/** The admin key check of the cache routes: 401 without a key, 403 with another one. */
function requireAdmin(c: Context<AppEnv>, what: string): void {
  const key = c.env.ADMIN_KEY;
  const auth = c.req.header('authorization') ?? '';
  if (!auth) throw new ApiError('UNAUTHORIZED', 'an admin key is required (Authorization: Bearer <key>)');
  if (!key || !timingSafeEqual(auth.replace(/^Bearer\s+/i, ''), key)) throw new ApiError('FORBIDDEN', `this key may not ${what}`);
}

async function adminCache(c: Context<AppEnv>, what: string) {
  requireAdmin(c, what);
  const d = await edgeDeps(c.env);
  if (!d.cache) throw new ApiError('MODEL_UNAVAILABLE', 'the cache needs the embedder, which is not loaded');
  return d.cache;
}

// DELETE /v1/cache: every entry; ?intent=<intent>: that intent's entries; /v1/cache/entries/<id>: one entry.
app.delete('/v1/cache', async (c) => {
  const intent = c.req.query('intent');
  if (intent !== undefined && !/^[a-z0-9_-]{1,64}$/i.test(intent)) throw new ApiError('INVALID_REQUEST', 'intent must be 1-64 letters, digits, "_" or "-"');
  const cache = await adminCache(c, 'invalidate the cache');
  if (intent !== undefined) return c.json({ intent, deleted: (await cache.remove({ intent })).length });
  return c.json({ deleted: await cache.invalidate() });
});

app.delete('/v1/cache/entries/:id', async (c) => {
  const id = c.req.param('id');
  if (id.length > 128) throw new ApiError('INVALID_REQUEST', 'an entry id is at most 128 characters');
  const cache = await adminCache(c, 'delete cache entries');
  const [deleted] = await cache.remove({ id });
  if (!deleted) throw new ApiError('NOT_FOUND', `no cache entry ${id}`);
  return c.json({ id, deleted: true });
});

app.post('/v1/chat', async (c) => {
  const body = validate(ChatRequest, await readJsonBody(c.req.raw, MAX_BODY_BYTES));
  await limitBySession(c.env, body.sessionId);
  const { events: answer, trace } = await runChat(c as unknown as Context<{ Bindings: EdgeEnv }>, body);
  c.get('log').set({ traceId: trace.traceId, messageText: body.message });
  const events = loggedEvents(c.get('log'), answer);
  const headers = { ...traceHeaders(trace), 'x-trace-id': trace.traceId };
  if (wantsJson(c.req.header('accept'))) {
    const { route, text, done, errors } = await collectEvents(events);
    if (!route || !done) throw new ApiError('INTERNAL', 'the chat pipeline ended without an answer');
    const reply: ChatReply & { error?: unknown } = { route, text, done, ...(errors.length ? { error: errors.at(-1) } : {}) };
    return c.json(reply, 200, headers);
  }
  return new Response(sseStream(events, { onError: (e) => console.error('chat stream failed:', (e as Error).message) }), {
    headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
  });
});

app.route('/', openAiChatRoutes);

sessionRoutes(app as unknown as Hono<{ Bindings: EdgeEnv }>, (c) => {
  const ctx = executionCtx(c as { executionCtx: { waitUntil(p: Promise<unknown>): void } });
  return (p) => ctx.waitUntil(p.catch(() => {}));
});

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
