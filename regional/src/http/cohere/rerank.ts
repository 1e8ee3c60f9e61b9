/**
 * Cohere-compatible reranking for any key: `POST /v1/rerank` (v1: string or `{text}` documents,
 * `top_n`/`topN`, `return_documents`) and `POST /v2/rerank` (v2: string documents, `model`,
 * `top_n`, `max_tokens_per_doc`, `return_documents` accepted as v1's). Both order by the reranker's
 * logit, best first, and return `relevance_score` calibrated to [0, 1] (rerank-scores.ts).
 * `max_tokens_per_doc` (both versions, default 4096) cuts each document at that many tokens,
 * counted as usage counts them (4 characters ≈ 1 token), at a word boundary. Billing as Cohere's:
 * one search unit per 100 documents. Errors keep Switchyard's shape `{error: {code, message}}`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ApiError, readJsonBody, validate } from '../../../../shared/api/errors.ts';
import type { Services } from '../../services.ts';
import type { ApiKeyRecord } from '../../store/types.ts';
import { checkQuota, today, type AuthVars } from '../auth.ts';
import { approxTokens } from '../generate-turn.ts';
import { calibrationFileOf, relevanceScores } from './rerank-scores.ts';

const Doc = z.string().max(32_000);
const Common = {
  query: z.string().min(1).max(4000),
  top_n: z.number().int().min(1).optional(),
  return_documents: z.boolean().default(false),
  max_tokens_per_doc: z.number().int().min(1).max(4096).default(4096),
};
const RerankV1 = z.object({ ...Common, documents: z.array(z.union([Doc, z.object({ text: Doc })])).min(1).max(1000), topN: z.number().int().min(1).optional(), model: z.string().optional() });
const RerankV2 = z.object({ ...Common, documents: z.array(Doc).min(1).max(1000), model: z.string().min(1), priority: z.number().int().min(0).optional() });

/** The text up to `maxTokens` tokens (4 characters each), cut after the last whole word. */
function cutToTokens(text: string, maxTokens: number): string {
  const max = maxTokens * 4;
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.search(/\s\S*$/);
  return space > max / 2 ? cut.slice(0, space) : cut;
}

export function cohereRerankRoutes(s: Services, anyKey: MiddlewareHandler<AuthVars>) {
  const app = new Hono<AuthVars>();
  const rerank = async (c: { get(k: 'apiKey'): ApiKeyRecord }, query: string, docs: string[], topN: number | undefined, returnDocs: boolean, maxTokens: number) => {
    if (!s.rerank) throw new ApiError('MODEL_UNAVAILABLE', 'no reranker is loaded');
    await checkQuota(s.store, c.get('apiKey'), approxTokens(query) * docs.length + docs.reduce((n, d) => n + Math.min(approxTokens(d), maxTokens), 0));
    const logits = await s.rerank(query, docs.map((d) => cutToTokens(d, maxTokens)));
    const info = s.models.find((m) => m.role === 'reranker')?.info;
    const { scores, by } = relevanceScores(logits, info, calibrationFileOf(s.config.SWITCHYARD_DOMAIN));
    const results = Array.from(logits, (logit, index) => ({ index, logit }))
      .sort((a, b) => b.logit - a.logit || a.index - b.index)
      .slice(0, Math.min(topN ?? docs.length, docs.length))
      .map((r) => ({ index: r.index, relevance_score: scores[r.index], ...(returnDocs ? { document: { text: docs[r.index] } } : {}) }));
    const tokens = approxTokens(query) * docs.length + docs.reduce((n, d) => n + Math.min(approxTokens(d), maxTokens), 0);
    await s.store.incrementUsage(c.get('apiKey').id, today(), { requests: 1, tokensIn: tokens });
    return { results, searchUnits: Math.ceil(docs.length / 100), model: info?.name, by };
  };

  app.post('/v1/rerank', anyKey, async (c) => {
    const body = validate(RerankV1, await readJsonBody(c.req.raw, 8 * 1024 * 1024));
    const docs = body.documents.map((d) => (typeof d === 'string' ? d : d.text));
    const r = await rerank(c, body.query, docs, body.topN ?? body.top_n, body.return_documents, body.max_tokens_per_doc);
    return c.json({ id: crypto.randomUUID(), results: r.results, meta: { api_version: { version: '1' }, model: r.model, billed_units: { search_units: r.searchUnits }, scores: r.by } });
  });

  app.post('/v2/rerank', anyKey, async (c) => {
    const body = validate(RerankV2, await readJsonBody(c.req.raw, 8 * 1024 * 1024));
    const r = await rerank(c, body.query, body.documents, body.top_n, body.return_documents, body.max_tokens_per_doc);
    return c.json({ id: crypto.randomUUID(), results: r.results, meta: { api_version: { version: '2' }, model: r.model, billed_units: { search_units: r.searchUnits }, scores: r.by } });
  });
  return app;
}
