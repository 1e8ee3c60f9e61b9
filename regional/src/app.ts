/**
 * The regional service's HTTP API (Hono on Node): generate (RAG + LLM as server-sent events),
 * knowledge-base ingestion, partner keys, usage, Prometheus metrics, health and readiness; the
 * OpenAI-compatible routes (chat completions, models, embeddings: http/openai/) and the
 * Cohere-compatible rerank (http/cohere/) are registered from their own files.
 */
import type { ServerResponse } from 'node:http';
import { Hono } from 'hono';
import { z } from 'zod';
import { GenerateRequest, MAX_BODY_BYTES } from '../../shared/api/chat.ts';
import { ApiError, readJsonBody, validate } from '../../shared/api/errors.ts';
import { collectEvents, sseStream, wantsJson } from '../../shared/api/event-response.ts';
import { HEARTBEAT_HEADER } from '../../shared/api/sse.ts';
import { issueApiKey } from './store/api-keys.ts';
import { logFinishError, requestTokens, sentAsMade, startTurn } from './http/generate-turn.ts';
import { redactPii } from '../../shared/privacy/pii.ts';
import { checkQuota, requireKey, today, type AuthVars } from './http/auth.ts';
import { DocumentRequest } from './http/document-request.ts';
import { fromEdgeOnly } from './http/edge-hints.ts';
import { publicModelInfo, withoutPaths } from './http/public-paths.ts';
import { requestLog, type LogVars } from './http/request-log.ts';
import { StoreError } from './store/types.ts';
import { storeUnavailableOr } from './store/unreachable.ts';
import { ingestDocument } from './retrieval/ingest.ts';
import { RetrievalError } from './retrieval/errors.ts';
import { opsRoutes } from './ops/routes.ts';
import { dashboardRoutes } from './ops/dashboard-routes.ts';
import { modelFilesRoutes } from './ops/model-files-routes.ts';
import { openAiChatRoutes } from './http/openai/chat.ts';
import { openAiModelRoutes } from './http/openai/models.ts';
import { openAiEmbeddingRoutes } from './http/openai/embeddings.ts';
import { cohereRerankRoutes } from './http/cohere/rerank.ts';
import { traceHeaders, traceOf } from './http/trace-headers.ts';
import type { Services } from './services.ts';

const KeyRequest = z.object({
  name: z.string().min(1).max(200),
  role: z.enum(['partner', 'edge']).default('partner'),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).default(120),
  dailyTokenQuota: z.number().int().min(1).nullable().default(1_000_000),
});

export function createApp(s: Services, state: { ready: boolean }) {
  const app = new Hono<AuthVars & LogVars>();
  const limiter = s.rateLimiter;
  const anyKey = requireKey(s.store, limiter, ['partner', 'edge']);
  const admin = requireKey(s.store, limiter, ['admin']);
  // Reading one's own usage is never limited: a key over its limits can still see why.
  const ownState = requireKey(s.store, limiter, ['partner', 'edge'], { limits: false });

  app.use('*', requestLog(() => s.logger, { logMessages: () => s.config.LOG_MESSAGES === 'true' }));
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const route = c.req.routePath ?? 'unknown';
    s.metrics.httpRequests.inc({ route, status: String(c.res.status) });
    s.metrics.httpDuration.observe({ route }, (performance.now() - t0) / 1000);
  });
  app.use('*', traceHeaders);
  app.onError((thrown, c) => {
    let err = storeUnavailableOr(thrown) as Error;
    // Bad input the store or the retrieval layer caught below the route's own checks is still the caller's.
    if ((err instanceof StoreError || err instanceof RetrievalError) && err.code === 'INVALID_INPUT') err = new ApiError('INVALID_REQUEST', err.message);
    if (err instanceof ApiError) {
      const body = err.toBody();
      return c.json({ error: { ...body.error, message: withoutPaths(body.error.message) } }, err.status as 400, err.headers());
    }
    console.error('unhandled error:', redactPii(String((err as Error)?.stack ?? err)));
    return c.json(new ApiError('INTERNAL', 'internal error').toBody(), 500);
  });
  app.notFound((c) => c.json(new ApiError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  // Ready means every configured model serves: a refused or missing one takes the instance out of rotation, with the reason.
  app.get('/readyz', (c) => {
    if (!state.ready) return c.json({ status: 'starting' }, 503);
    const models = s.models.map((m) => ({ role: m.role, info: publicModelInfo(m.info) }));
    if (s.unavailable.length) return c.json({ status: 'degraded', reason: s.unavailable.map((u) => `${u.role}: ${u.reason}`).join('; '), unavailable: s.unavailable, models }, 503);
    return c.json({ status: 'ready', models });
  });
  app.get('/metrics', async (c) => c.body(await s.metrics.registry.metrics(), 200, { 'content-type': s.metrics.registry.contentType }));

  app.route('/', openAiEmbeddingRoutes(s, anyKey));

  app.route('/', cohereRerankRoutes(s, anyKey));

  app.post('/v1/generate', anyKey, async (c) => {
    const key = c.get('apiKey');
    const body = fromEdgeOnly(validate(GenerateRequest, await readJsonBody(c.req.raw, MAX_BODY_BYTES)), key.role);
    await checkQuota(s.store, key, requestTokens(body));
    const traceId = traceOf(c.req.raw).traceId;
    const log = c.get('log');
    log.set({ traceId, messageText: body.message });
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const turn = startTurn(s, body, { key, traceId, signal: c.req.raw.signal, outgoing, log });
    if (wantsJson(c.req.header('accept'))) {
      const { errors, ...collected } = await collectEvents(turn.events);
      await turn.finish();
      turn.afterResponse();
      return c.json({ ...collected, ...(errors.length ? { errors } : {}) });
    }
    const deferred = log.defer();
    // A client that leaves mid-stream still gets its line (written once, whichever comes first).
    const signal = c.req.raw.signal;
    signal.addEventListener('abort', deferred, { once: true });
    // The listener goes when the stream ends. Left on, it would keep every streamed request alive:
    // undici's Request (made from this one when its body is read) keeps this signal until it is
    // collected, and the listener holds the request's context (BENCHMARKS.md "Soak, third look").
    const logged = () => (signal.removeEventListener('abort', deferred), deferred());
    const stream = sseStream(sentAsMade(turn.events), {
      // Persist before the stream ends: a client that saw the end may rely on the turn being stored.
      onEnd: () => turn.finish().catch(logFinishError).then(() => (logged(), turn.afterResponse())),
      onError: (e) => {
        console.error('generate stream failed:', redactPii((e as Error).message));
        log.set({ fallbacks: ['stream_error'] });
        logged();
      },
      // So the edge can tell a frozen region from a slow answer long before its idle deadline.
      heartbeatMs: s.config.SSE_HEARTBEAT_MS,
    });
    const heartbeat: Record<string, string> = s.config.SSE_HEARTBEAT_MS ? { [HEARTBEAT_HEADER]: String(s.config.SSE_HEARTBEAT_MS) } : {};
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-trace-id': traceId, ...heartbeat },
    });
  });

  app.post('/v1/kb/documents', admin, async (c) => {
    const body = validate(DocumentRequest, await readJsonBody(c.req.raw, 4 * 1024 * 1024));
    const { chunkSize, chunkOverlap, ...doc } = body;
    const ingest = () => ingestDocument(s.store, s.embedder, { ...doc, source: doc.source ?? 'api' }, { size: chunkSize, overlap: chunkOverlap });
    // The embedder was hot-reloaded while the chunks were embedded: once more with the new one.
    const r = await ingest().catch((e) => (e instanceof RetrievalError && e.code === 'EMBEDDING_VERSION_MISMATCH' ? ingest() : Promise.reject(e)));
    return c.json(r, r.status === 'ingested' ? 201 : 200);
  });

  app.delete('/v1/kb/documents/:id{.+}', admin, async (c) => {
    const id = c.req.param('id');
    if (!(await s.store.deleteDocument(id))) throw new ApiError('NOT_FOUND', `no document ${id}`);
    return c.json({ id, deleted: true });
  });

  // Remembered answers (served, marked, when every LLM is down): list an intent's, forget one or an intent's.
  const intentParam = (c: { req: { query(k: string): string | undefined } }) => {
    const intent = c.req.query('intent');
    if (!intent || !/^[a-z0-9_-]{1,64}$/i.test(intent)) throw new ApiError('INVALID_REQUEST', 'intent (1-64 letters, digits, "_" or "-") is required');
    return intent;
  };
  app.get('/v1/admin/answers', admin, async (c) => {
    const intent = intentParam(c);
    return c.json({ intent, answers: (await s.store.recentAnswers(intent, 20)).map((a) => ({ id: a.id, question: a.question, text: a.text, sources: a.sources, createdAt: a.createdAt.toISOString() })) });
  });
  app.delete('/v1/admin/answers', admin, async (c) => {
    const intent = intentParam(c);
    return c.json({ intent, deleted: (await s.fallbackAnswers.forget({ intent })).length });
  });
  app.delete('/v1/admin/answers/:id', admin, async (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) throw new ApiError('INVALID_REQUEST', 'an answer id is a positive integer');
    const [removed] = await s.fallbackAnswers.forget({ id });
    if (!removed) throw new ApiError('NOT_FOUND', `no remembered answer ${id}`);
    return c.json({ id, intent: removed.intent, deleted: true });
  });

  app.post('/v1/admin/keys', admin, async (c) => {
    const body = validate(KeyRequest, await readJsonBody(c.req.raw, 16 * 1024));
    const { key, record } = await issueApiKey(s.store, body);
    return c.json({ key, id: record.id, prefix: record.prefix, role: record.role, rateLimitPerMinute: record.rateLimitPerMinute, dailyTokenQuota: record.dailyTokenQuota }, 201);
  });

  app.delete('/v1/admin/keys/:id', admin, async (c) => {
    if (!(await s.store.revokeApiKey(c.req.param('id')))) throw new ApiError('NOT_FOUND', `no active key ${c.req.param('id')}`);
    return c.json({ id: c.req.param('id'), revoked: true });
  });

  app.get('/v1/usage', ownState, async (c) => {
    const key = c.get('apiKey');
    const u = await s.store.getUsage(key.id, c.req.query('day') ?? today());
    return c.json({ ...u, dailyTokenQuota: key.dailyTokenQuota, rateLimitPerMinute: key.rateLimitPerMinute });
  });

  app.route('/', openAiChatRoutes(s, anyKey));
  app.route('/', openAiModelRoutes(s, anyKey));
  app.route('/', dashboardRoutes(s));
  app.route('/', modelFilesRoutes(s));
  app.route('/', opsRoutes(s, { batchDir: s.config.BATCH_DIR, inputRoots: s.config.BATCH_INPUT_ROOTS.split(',').map((x) => x.trim()).filter(Boolean) }));
  return app;
}
