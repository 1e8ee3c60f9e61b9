/**
 * Property-based bodies (fast-check) for every POST route of the region, over HTTP with the admin
 * key (the deepest path): no response is a 5xx, no body leaks a stack or a path, every error has a
 * code of shared/api/errors.ts, and every answer comes back in bounded time. A POST route added
 * without a body model here fails the first test, so no route escapes the fuzzing.
 * `npm run bench:fuzz` (FUZZ_PER_TIER=2000) runs the bench-sized count (BENCHMARKS.md).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../regional/src/app.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { bodyLike, checkAnswer, FUZZ_PER_TIER, FuzzTally, hostileString, rawBody, runsPerRoute } from './helpers/hostile-bodies.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

const MAX_MS = 15_000;
const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
const text = (max = 200) => fc.string({ minLength: 1, maxLength: max });

/** A body model per POST route, by its pattern: the route's own field names with plausible values. */
const SHAPES: Record<string, fc.Arbitrary<unknown>> = {
  '/v1/embeddings': bodyLike({ input: fc.oneof(text(), fc.array(text(), { maxLength: 8 })), model: text(20), encoding_format: fc.constantFrom('float', 'base64') }),
  '/v1/rerank': bodyLike({ query: text(), documents: fc.array(fc.oneof(text(), fc.record({ text: text() })), { maxLength: 8 }), topN: fc.integer({ min: -2, max: 20 }), return_documents: fc.boolean() }),
  '/v2/rerank': bodyLike({ model: text(20), query: text(), documents: fc.array(text(), { maxLength: 8 }), top_n: fc.integer({ min: -2, max: 20 }), max_tokens_per_doc: fc.integer({ min: -1, max: 5000 }) }),
  '/v1/chat/completions': bodyLike({
    model: text(20),
    messages: fc.array(fc.record({ role: fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'), content: fc.oneof(text(), fc.array(fc.record({ type: fc.constantFrom('text', 'image_url'), text: text() }), { maxLength: 2 })) }), { maxLength: 5 }),
    stream: fc.boolean(),
    max_tokens: fc.integer({ min: -1, max: 100_000 }),
    temperature: fc.double(),
    user: text(40),
  }),
  '/v1/generate': bodyLike({
    message: text(),
    sessionId: text(40),
    userId: text(40),
    locale: fc.constantFrom('en', 'ja-JP', 'x'),
    history: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'system'), content: text() }), { maxLength: 4 }),
    resolved: fc.record({ text: text(), carried: fc.array(text(20), { maxLength: 3 }) }),
    intent: text(30),
    confidence: fc.double(),
    priority: fc.constantFrom('high', 'normal', 'low', 'urgent'),
    cacheable: fc.boolean(),
  }),
  '/v1/kb/documents': bodyLike({
    id: fc.stringMatching(/^[\w.#:/-]{1,30}$/),
    title: text(40),
    text: text(2000),
    source: text(20),
    url: fc.oneof(fc.webUrl(), hostileString),
    metadata: fc.dictionary(text(10), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
    chunkSize: fc.integer({ min: 0, max: 3000 }),
    chunkOverlap: fc.integer({ min: -1, max: 2000 }),
  }),
  '/v1/admin/keys': bodyLike({ name: text(40), role: fc.constantFrom('partner', 'edge', 'admin'), rateLimitPerMinute: fc.integer({ min: -1, max: 2_000_000 }), dailyTokenQuota: fc.oneof(fc.constant(null), fc.integer()) }),
  '/v1/batch': bodyLike({ task: fc.constantFrom('classify', 'embed', 'rerank', 'other'), input: text(300), inputPath: fc.oneof(hostileString, fc.constantFrom('/etc/passwd', '../../x.jsonl')) }),
  '/v1/ops/rollouts/:model/evaluate': bodyLike({}),
};

const encodable = (s: string) => {
  try {
    return encodeURIComponent(s).length > 0;
  } catch {
    return false; // a lone surrogate: no URL can carry it
  }
};

const RUNS = runsPerRoute(Object.keys(SHAPES).length);

/** Fills a pattern's parameters (`:model`) with a known name or hostile text. */
const PARAMS = fc.oneof(fc.constantFrom('intent-classifier', 'reranker', 'llm', 'nope'), hostileString.filter((s) => s.length > 0 && s.length < 200 && encodable(s)));

let dir: string;
let r: RunningRegional;
const seen = new FuzzTally();

setupOrFail(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-fuzz-'));
  r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), DEFAULT_RATE_LIMIT_PER_MINUTE: '1000000', CLASSIFY_TIMEOUT_MS: '5000' }), () => {});
}, 120_000);
afterAll(async () => {
  if (FUZZ_PER_TIER) console.log(seen.summary('regional'));
  await r?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(pattern: string, param: string, raw: string): Promise<void> {
  const path = pattern.replace(/:[a-z]+/g, encodeURIComponent(param));
  const t0 = performance.now();
  const res = await fetch(r.url + path, { method: 'POST', headers: { ...ADMIN, accept: 'application/json' }, body: raw, signal: AbortSignal.timeout(MAX_MS + 5000) });
  const body = await res.text();
  const ms = performance.now() - t0;
  checkAnswer(seen, res.status, body, ms, MAX_MS, `POST ${path} with ${raw.slice(0, 300)}`);
}

describe('fuzzed POST bodies at the region', () => {
  it('has a body model for every POST route of the router', () => {
    const posts = [...new Set(createApp(r.services, { ready: true }).routes.filter((x) => x.method === 'POST').map((x) => x.path))];
    expect(posts.sort()).toEqual(Object.keys(SHAPES).sort());
  });

  for (const [pattern, shape] of Object.entries(SHAPES)) {
    it(`POST ${pattern}: never a 5xx, a leak or a hang`, async () => {
      await fc.assert(
        fc.asyncProperty(PARAMS, rawBody(shape), (param, raw) => send(pattern, param, raw)),
        { numRuns: RUNS, endOnFailure: true },
      );
    }, 60_000 + RUNS * 2_000);
  }
});
