/**
 * The regional service's HTTP API (Hono on Node): embeddings (OpenAI shape), rerank (Cohere
 * shape), generate (RAG + LLM as server-sent events), knowledge-base ingestion, partner keys,
 * usage, Prometheus metrics, health and readiness.
 */
import type { ServerResponse } from 'node:http';
import { Hono } from 'hono';
import { z } from 'zod';
import { GenerateRequest, MAX_BODY_BYTES } from '../../shared/api/chat.ts';
import { ApiError, readJsonBody, validate } from '../../shared/api/errors.ts';
import { collectEvents, sseStream, wantsJson } from '../../shared/api/event-response.ts';
import { traceFrom } from '../../shared/api/trace.ts';
import { hashApiKey, issueApiKey } from './store/api-keys.ts';
import { readSessionTurns, recordExchange } from './conversation/session-turns.ts';
import { generatePipeline, type PipelineResult } from './generate/pipeline.ts';
import { redactPii } from '../../shared/privacy/pii.ts';
import { requireKey, today, type AuthVars } from './http/auth.ts';
import { hybridSearch } from './retrieval/hybrid.ts';
import { ingestDocument } from './retrieval/ingest.ts';
import { RetrievalError } from './retrieval/errors.ts';
import { observePrediction } from './ops/drift-monitor.ts';
import { liveRollouts } from './ops/live-rollouts.ts';
import { opsRoutes } from './ops/routes.ts';
import { dashboardRoutes } from './ops/dashboard-routes.ts';
import { modelFilesRoutes } from './ops/model-files-routes.ts';
import type { Services } from './services.ts';

const EmbeddingsRequest = z.object({
  input: z.union([z.string().min(1).max(32_000), z.array(z.string().max(32_000)).min(1).max(2048)]),
  model: z.string().optional(),
  encoding_format: z.enum(['float', 'base64']).default('float'),
  user: z.string().optional(),
});

const RerankRequest = z.object({
  query: z.string().min(1).max(4000),
  documents: z.array(z.union([z.string().max(32_000), z.object({ text: z.string().max(32_000) })])).min(1).max(1000),
  topN: z.number().int().min(1).optional(),
  top_n: z.number().int().min(1).optional(),
  model: z.string().optional(),
  return_documents: z.boolean().default(false),
});

const DocumentRequest = z.object({
  id: z.string().min(1).max(200).regex(/^[\w.#:\/-]+$/, 'id may use letters, digits and _ . # : / -'),
  title: z.string().min(1).max(500),
  text: z.string().min(1).max(2_000_000),
  source: z.string().max(100).optional(),
  url: z.string().url().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  chunkSize: z.number().int().min(16).max(2000).optional(),
  chunkOverlap: z.number().int().min(0).max(1000).optional(),
});

const KeyRequest = z.object({
  name: z.string().min(1).max(200),
  role: z.enum(['partner', 'edge']).default('partner'),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).default(120),
  dailyTokenQuota: z.number().int().min(1).nullable().default(1_000_000),
});

/** Rough token count for usage (4 characters ≈ 1 token) when a generator reports none. */
const approxTokens = (s: string) => Math.ceil(s.length / 4);

export function createApp(s: Services, state: { ready: boolean }) {
  const app = new Hono<AuthVars>();
  const limiter = s.rateLimiter;
  const anyKey = requireKey(s.store, limiter, ['partner', 'edge']);
  const admin = requireKey(s.store, limiter, ['admin']);

  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const route = c.req.routePath ?? 'unknown';
    s.metrics.httpRequests.inc({ route, status: String(c.res.status) });
    s.metrics.httpDuration.observe({ route }, (performance.now() - t0) / 1000);
  });
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.toBody(), err.status as 400);
    console.error('unhandled error:', redactPii(String((err as Error)?.stack ?? err)));
    return c.json(new ApiError('INTERNAL', 'internal error').toBody(), 500);
  });
  app.notFound((c) => c.json(new ApiError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => (state.ready ? c.json({ status: 'ready', models: s.models }) : c.json({ status: 'starting' }, 503)));
  app.get('/metrics', async (c) => c.body(await s.metrics.registry.metrics(), 200, { 'content-type': s.metrics.registry.contentType }));

  app.post('/v1/embeddings', anyKey, async (c) => {
    const body = validate(EmbeddingsRequest, await readJsonBody(c.req.raw, 8 * 1024 * 1024));
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const vectors = await s.embedder.embed(inputs);
    const tokens = inputs.reduce((n, t) => n + approxTokens(t), 0);
    await s.store.incrementUsage(c.get('apiKey').id, today(), { requests: 1, tokensIn: tokens });
    return c.json({
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
      })),
      model: s.embedder.name,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });

  app.post('/v1/rerank', anyKey, async (c) => {
    const body = validate(RerankRequest, await readJsonBody(c.req.raw, 8 * 1024 * 1024));
    if (!s.rerank) throw new ApiError('MODEL_UNAVAILABLE', 'no reranker is loaded');
    const docs = body.documents.map((d) => (typeof d === 'string' ? d : d.text));
    const scores = await s.rerank(body.query, docs);
    const topN = Math.min(body.topN ?? body.top_n ?? docs.length, docs.length);
    const results = [...scores]
      .map((score, index) => ({ index, relevance_score: score }))
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, topN)
      .map((r) => (body.return_documents ? { ...r, document: { text: docs[r.index] } } : r));
    const tokens = approxTokens(body.query) * docs.length + docs.reduce((n, d) => n + approxTokens(d), 0);
    await s.store.incrementUsage(c.get('apiKey').id, today(), { requests: 1, tokensIn: tokens });
    return c.json({ id: crypto.randomUUID(), results, meta: { model: s.models.find((m) => m.role === 'reranker')?.info.name, billed_units: { search_units: 1 } } });
  });

  app.post('/v1/generate', anyKey, async (c) => {
    const body = validate(GenerateRequest, await readJsonBody(c.req.raw, MAX_BODY_BYTES));
    const key = c.get('apiKey');
    const traceId = traceFrom(c.req.header('traceparent')).traceId;
    let result: PipelineResult | undefined;
    // Rollout rules pick the classifier, reranker and LLM configuration variants (sticky per user, else session).
    const live = liveRollouts(s).begin(body);
    const events = generatePipeline(
      body,
      {
        // Served classifications feed the drift monitor (batch jobs do not).
        classify: live.classify && (async (text) => {
          const p = await live.classify!(text);
          observePrediction(p.intent, p.confidence);
          return p;
        }),
        classifierVersion: live.classifierVersion,
        llmSettings: live.llmSettings,
        retrieve: async (q, k) => {
          const r = await hybridSearch(s.store, s.embedder, q, { k, embedTimeoutMs: s.config.EMBED_TIMEOUT_MS });
          return { hits: r.hits, fallbacks: r.fallbacks };
        },
        rerank: live.rerank,
        rerankerVersion: live.rerankerVersion,
        llm: s.llm,
        titles: s.titles,
        fallbackAnswers: s.fallbackAnswers,
        timeouts: {
          classifyMs: s.config.CLASSIFY_TIMEOUT_MS,
          retrieveMs: s.config.RETRIEVE_TIMEOUT_MS,
          rerankMs: s.config.RERANK_TIMEOUT_MS,
          llmFirstTokenMs: s.config.LLM_FIRST_TOKEN_TIMEOUT_MS,
          llmTotalMs: s.config.LLM_TOTAL_TIMEOUT_MS,
          historyMs: s.config.HISTORY_TIMEOUT_MS,
        },
        history: (sessionId) => readSessionTurns(s.store, sessionId, { idleMs: s.config.SESSION_IDLE_MS }),
        historyTokenBudget: s.config.HISTORY_TOKEN_BUDGET,
        guardrailMode: s.config.GUARDRAILS,
        onStage: (stage, ms) => s.metrics.stageDuration.observe({ stage }, ms / 1000),
        onFallback: (kind) => s.metrics.fallback(kind),
      },
      { traceId, signal: c.req.raw.signal, result: (r) => (result = r) },
    );
    const finish = async () => {
      if (!result) return;
      const r = result;
      const usage = r.done.usage;
      const tokensIn = usage?.inputTokens || approxTokens(body.message);
      const tokensOut = usage?.outputTokens || approxTokens(r.text);
      s.metrics.turn({ sessionId: body.sessionId, path: r.route.path, generator: r.route.generator ?? 'none', tokensIn, tokensOut, costUsd: usage?.costUsd ?? 0 });
      live.record(r);
      await persistTurn(s, body, r, traceId, tokensIn, tokensOut, live.llmConfigVersion);
      await s.store.incrementUsage(key.id, today(), { requests: 1, tokensIn, tokensOut, costUsd: usage?.costUsd ?? 0 });
    };
    // Shadow runs start once the response has been handed back (without a Node response: once it was produced).
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const shadows = () => result && live.shadow(result);
    outgoing?.once('close', shadows);
    if (wantsJson(c.req.header('accept'))) {
      const { errors, ...collected } = await collectEvents(events);
      await finish();
      if (!outgoing) setImmediate(shadows);
      return c.json({ ...collected, ...(errors.length ? { errors } : {}) });
    }
    const stream = sseStream(events, {
      // Persist before the stream ends: a client that saw the end may rely on the turn being stored.
      onEnd: () =>
        finish()
          .catch((e) => console.error('could not record the turn:', redactPii((e as Error).message)))
          .then(() => {
            if (!outgoing) setImmediate(shadows);
          }),
      onError: (e) => console.error('generate stream failed:', redactPii((e as Error).message)),
    });
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-trace-id': traceId },
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

  app.post('/v1/admin/keys', admin, async (c) => {
    const body = validate(KeyRequest, await readJsonBody(c.req.raw, 16 * 1024));
    const { key, record } = await issueApiKey(s.store, body);
    return c.json({ key, id: record.id, prefix: record.prefix, role: record.role, rateLimitPerMinute: record.rateLimitPerMinute, dailyTokenQuota: record.dailyTokenQuota }, 201);
  });

  app.delete('/v1/admin/keys/:id', admin, async (c) => {
    if (!(await s.store.revokeApiKey(c.req.param('id')))) throw new ApiError('NOT_FOUND', `no active key ${c.req.param('id')}`);
    return c.json({ id: c.req.param('id'), revoked: true });
  });

  app.get('/v1/usage', anyKey, async (c) => {
    const key = c.get('apiKey');
    const u = await s.store.getUsage(key.id, c.req.query('day') ?? today());
    return c.json({ ...u, dailyTokenQuota: key.dailyTokenQuota, rateLimitPerMinute: key.rateLimitPerMinute });
  });

  app.route('/', dashboardRoutes(s));
  app.route('/', modelFilesRoutes(s));
  app.route('/', opsRoutes(s, { batchDir: s.config.BATCH_DIR, inputRoots: s.config.BATCH_INPUT_ROOTS.split(',').map((x) => x.trim()).filter(Boolean) }));
  return app;
}

async function persistTurn(s: Services, body: z.infer<typeof GenerateRequest>, r: PipelineResult, traceId: string, tokensIn: number, tokensOut: number, llmConfig: string) {
  const modelVersions = { classifier: r.route.modelVersion, generator: r.route.generator ?? 'none', embedder: s.embedder.name, llmConfig, ...(r.route.rerankerVersion ? { reranker: r.route.rerankerVersion } : {}) };
  try {
    await recordExchange(s.store, body, r, { traceId, tokensIn, tokensOut, modelVersions });
  } catch (e) {
    // The answer is out; the next turn on this session will just see less history.
    s.metrics.fallback('session_unavailable');
    console.error('could not store the turn:', redactPii((e as Error).message));
  }
  try {
    await s.store.appendPredictionLog({
      modelName: 'intent-classifier',
      modelVersion: r.route.modelVersion,
      inputHash: hashApiKey(body.message),
      output: { intent: r.route.intent, confidence: r.route.confidence },
      latencyMs: r.done.latencyMs.classify ?? 0,
    });
  } catch (e) {
    console.error('could not log the prediction:', redactPii((e as Error).message));
  }
}
