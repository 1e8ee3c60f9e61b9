/**
 * Several region instances behave as one (issue 22 item 2): two real region processes on one
 * PostgreSQL database and one Redis, behind a round-robin proxy, with Bedrock a local
 * ConverseStream stand-in at the HTTP boundary. A key's rate limit and daily quota are the
 * fleet's, not each process's; a session started on one instance continues on the other (its
 * earlier turns reach the model); a canary that breaks is judged on the fleet's merged windows and
 * the rollback one instance records is obeyed by both; a promoted classifier is hot-reloaded by
 * both; the dashboard's fleet view lists both instances with totals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startBedrockStub, type BedrockStub } from '../scripts/traffic/bedrock-stub.ts';
import { openStore } from '../regional/src/store/open.ts';
import { PG_EMBEDDING_DIMENSIONS } from '../regional/src/store/schema.pg.ts';
import type { Store } from '../regional/src/store/types.ts';
import { assign } from '../regional/src/ops/rollout.ts';
import { routingRule, type RolloutSpec } from '../regional/src/ops/rollout-rules.ts';
import { brokenCandidate, CLASSIFIER_NAME, copiedCandidate, DEFAULT_CLASSIFIER, registerAt } from './helpers/candidates.ts';
import { ADMIN, EDGE, inParallel, until } from './helpers/live-rollout-client.ts';
import { startRegionFleet, type RegionFleet } from './helpers/region-fleet.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';
import { domainPack } from '../regional/src/domain/pack-files.ts';

/** The serving classifier's version: the committed default's. */
const CONTROL: string = JSON.parse(readFileSync(join(DEFAULT_CLASSIFIER, 'manifest.json'), 'utf8')).version;

/** The domain the region (and the CLIs) serve by default: the registry rows they see are its. */
const SERVED_DOMAIN = domainPack().domain.name;

const REDIS = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sy-test-fleet-${process.pid}-${Date.now().toString(36)}`;
const M = CLASSIFIER_NAME;
// A fast stand-in: these tests are about the fleet, not the model's latency.
const FAST = { outputTokens: { median: 24, sigma: 0.2 }, firstTokenMs: { median: 5, sigma: 0.1 }, tokensPerSecond: 20_000, minCacheTokens: { small: 2048, large: 1024 }, cacheTtlMs: 60_000 };

let db: TempDatabase;
let store: Store;
let stub: BedrockStub;
let fleet: RegionFleet;

setupOrFail(async () => {
  db = await tempDatabase('postgres', 'sy-fleet-');
  store = await openStore(db.url, { dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'fleet-test', domain: SERVED_DOMAIN });
  await registerAt(store.registry, await brokenCandidate(DEFAULT_CLASSIFIER, join(db.dir, 'broken'), '1.3.0-broken', 'alaska'));
  stub = await startBedrockStub({ seed: 3, tierOf: (id) => (id.includes('sonnet') ? 'large' : 'small'), dist: FAST, keepRequests: true });
  fleet = await startRegionFleet(
    {
      DATABASE_URL: db.url,
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: PREFIX,
      LLM_BACKEND: 'bedrock',
      BEDROCK_REGIONS: 'us-east-1',
      BEDROCK_ENDPOINT: stub.url,
      AWS_ACCESS_KEY_ID: 'fleet-test',
      AWS_SECRET_ACCESS_KEY: 'fleet-test',
      REEMBED_STALE_CHUNKS: 'false',
      HOT_RELOAD_INTERVAL_MS: '500',
      ROLLOUT_REFRESH_MS: '200',
      ROLLOUT_EVAL_INTERVAL_MS: '60000',
      ROLLOUT_EVAL_EVERY: '5',
      ROLLOUT_SHARE_MS: '200',
      DASHBOARD_SAMPLE_MS: '300',
      // A loaded 2-core machine runs two region processes here: generous stage budgets keep answers un-degraded.
      CLASSIFY_TIMEOUT_MS: '5000',
      RERANK_TIMEOUT_MS: '5000',
      EMBED_TIMEOUT_MS: '5000',
    },
    // The first seeds the knowledge base; the second reads it from the shared database.
    [{ INSTANCE_ID: 'region-a', SEED_STORE_KB: 'true' }, { INSTANCE_ID: 'region-b', SEED_STORE_KB: 'false' }],
  );
}, 300_000);

afterAll(async () => {
  await fleet?.close();
  await stub?.close();
  await store?.close();
  await db?.cleanup();
  const r = new Redis(REDIS);
  const keys = await r.keys(`${PREFIX}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
}, 60_000);

const call = (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = ADMIN) =>
  fetch(base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const generate = async (base: string, body: Record<string, unknown>, headers: Record<string, string> = EDGE) => {
  const res = await call(base, 'POST', '/v1/generate', body, { ...headers, accept: 'application/json' });
  return { status: res.status, instance: res.headers.get('x-fleet-instance'), json: await res.json() };
};
const [A, B] = [() => fleet.instances[0].url, () => fleet.instances[1].url];

describe('two region instances behind one proxy', () => {
  it('counts a key’s rate limit across the fleet, not per process', async () => {
    const res = await call(fleet.url, 'POST', '/v1/admin/keys', { name: 'fleet-partner', rateLimitPerMinute: 4 });
    expect(res.status).toBe(201);
    const { key } = await res.json();
    const partner = { authorization: `Bearer ${key}` };
    const statuses: { status: number; instance: string | null }[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call(fleet.url, 'GET', '/v1/models', undefined, partner);
      statuses.push({ status: r.status, instance: r.headers.get('x-fleet-instance') });
    }
    // Four pass, spread over both instances (two each): per process neither would have limited the fifth and sixth.
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(new Set(statuses.slice(0, 4).map((s) => s.instance))).toEqual(new Set(['region-a', 'region-b']));
    // Straight to either instance: limited too.
    for (const base of [A(), B()]) expect((await call(base, 'GET', '/v1/models', undefined, partner)).status).toBe(429);
  });

  it('spends a key’s daily token quota on one instance and refuses it on the other', async () => {
    const res = await call(A(), 'POST', '/v1/admin/keys', { name: 'fleet-quota', rateLimitPerMinute: 1000, dailyTokenQuota: 40 });
    const { key } = await res.json();
    const partner = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const first = await generate(A(), { message: 'what payment methods do you accept for orders', sessionId: 'quota-1' }, partner);
    expect(first.status).toBe(200);
    // The usage A recorded is in the shared database: B refuses the key (usage is written just after the answer).
    const refused = await until(async () => {
      const r = await generate(B(), { message: 'and which cards', sessionId: 'quota-1' }, partner);
      return r.status === 429 && r.json;
    }, 15_000);
    expect(refused.error.code).toBe('QUOTA_EXCEEDED');
    expect((await (await call(B(), 'GET', '/v1/usage', undefined, partner)).json()).tokensIn).toBeGreaterThan(40);
  });

  it('continues a session on the other instance: the turns written on A reach the model from B', async () => {
    const sessionId = `fleet-session-${Date.now()}`;
    const first = await generate(A(), { message: 'do you have any horror manga in stock', sessionId });
    expect(first.status).toBe(200);
    expect(first.json.route.path).toBe('llm');
    const second = await generate(B(), { message: 'which of those is the cheapest', sessionId });
    expect(second.status).toBe(200);
    const sent = stub.requests.find((r) => r.messages.at(-1)!.text.includes('which of those is the cheapest'));
    expect(sent, 'the second turn reached the model').toBeDefined();
    const earlier = sent!.messages.slice(0, -1);
    expect(earlier.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(earlier[0].text).toContain('do you have any horror manga in stock');
    expect(earlier[1].text).toBe(first.json.text);
    const conv = await store.getConversationBySession(sessionId);
    expect(conv!.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('judges a canary on the fleet’s windows and both instances obey the rollback one of them records', async () => {
    const rule = { canary: { version: '1.3.0-broken', percent: 50 }, guardrails: { minRequests: 30, minCompared: 100_000 }, salt: 'fleet-1' };
    const put = await call(fleet.url, 'PUT', `/v1/ops/rollouts/${M}`, rule);
    expect(put.status).toBe(200);
    const status = async (base: string) => (await call(base, 'GET', `/v1/ops/rollouts/${M}/status`)).json();
    // Both instances took the rule from the registry and loaded the candidate.
    for (const base of [A(), B()]) await until(async () => (await status(base)).candidates.some((c: { version: string; state: string }) => c.version === '1.3.0-broken' && c.state === 'ready'), 60_000);

    const routing = routingRule(M, rule as RolloutSpec);
    let decided: { base: string; st: Record<string, any> } | null = null;
    for (let round = 0; round < 30 && !decided; round++) {
      await inParallel(4, [...Array(8).keys()].map((i) => round * 8 + i), async (u) => {
        const r = await generate(fleet.url, { message: u % 2 ? 'do you ship to alaska' : 'what payment methods do you accept', userId: `fleet-canary-${u}`, sessionId: `fleet-canary-${u}` });
        expect(r.status).toBe(200);
      });
      for (const base of [A(), B()]) {
        const st = await status(base);
        if (st.canary.decision?.action === 'rollback') decided = { base, st };
      }
    }
    expect(decided, 'the canary was rolled back').not.toBeNull();
    const { base, st } = decided!;
    expect(st.window.fleet).toBe(true);
    // The decision counted the fleet's canary requests: more than this instance served itself.
    const judged = st.canary.decision.observation.canary.requests;
    expect(judged).toBeGreaterThanOrEqual(30);
    expect(judged).toBeGreaterThan(st.stats['1.3.0-broken'].requests);
    expect(st.canary.decision.reasons.map((r: { code: string }) => r.code)).toContain('ERROR_RATE');

    // The other instance obeys the rollback from the registry.
    const other = base === A() ? B() : A();
    const follows = await until(async () => {
      const s = await status(other);
      return s.canary?.percent === 0 && s.canary.rolledBack?.version === '1.3.0-broken' && s;
    }, 15_000);
    expect(follows.rule.canary.percent).toBe(0);
    const canaryUsers = [...Array(400).keys()].map((u) => `fleet-after-${u}`).filter((u) => assign(routing, { userId: u }).variant === '1.3.0-broken').slice(0, 12);
    for (const userId of canaryUsers) {
      const r = await generate(fleet.url, { message: 'what payment methods do you accept', userId, sessionId: userId });
      expect(r.json.route.modelVersion).toBe(`${M}@${CONTROL}`);
    }
    expect((await store.registry.getRollout(M))!.rule).toMatchObject({ canary: { percent: 0 }, rolledBack: { version: '1.3.0-broken' } });
  });

  it('hot-reloads a promoted classifier on every instance', async () => {
    await call(fleet.url, 'DELETE', `/v1/ops/rollouts/${M}`);
    await registerAt(store.registry, copiedCandidate(join(db.dir, 'promoted'), '1.0.1-fleet'));
    await store.registry.setStage(M, '1.0.1-fleet', 'production', { actor: 'test', reason: 'fleet promotion' });
    const serving = async (base: string) => {
      const r = await (await fetch(`${base}/readyz`)).json();
      return r.models.find((m: { role: string }) => m.role === 'classifier')?.info.version;
    };
    // HOT_RELOAD_INTERVAL_MS is 500: each instance polls the registry and swaps within a few intervals.
    for (const base of [A(), B()]) await until(async () => (await serving(base)) === '1.0.1-fleet', 30_000);
    const r = await generate(fleet.url, { message: 'what payment methods do you accept', sessionId: 'after-promotion-1' });
    const s = await generate(fleet.url, { message: 'what payment methods do you accept', sessionId: 'after-promotion-2' });
    expect(new Set([r.instance, s.instance])).toEqual(new Set(['region-a', 'region-b']));
    for (const x of [r, s]) expect(x.json.route.modelVersion).toBe(`${M}@1.0.1-fleet`);
  });

  it('shows the fleet on the dashboard: one row per instance and the totals', async () => {
    const view = await until(async () => {
      const v = await (await call(A(), 'GET', '/v1/ops/fleet')).json();
      return v.instances?.length === 2 && v.instances.every((r: { turns: number }) => r.turns > 0) && v;
    }, 15_000);
    expect(view.self).toBe('region-a');
    expect(view.instances.map((r: { instance: string }) => r.instance)).toEqual(['region-a', 'region-b']);
    const sum = (k: 'turns' | 'sessions' | 'costUsd' | 'tokensIn') => view.instances.reduce((n: number, r: Record<string, number>) => n + r[k], 0);
    expect(view.totals.instances).toBe(2);
    for (const k of ['turns', 'sessions', 'tokensIn'] as const) expect(view.totals[k]).toBe(sum(k));
    expect(view.totals.costUsd).toBeCloseTo(sum('costUsd'), 10);
    expect(view.totals.rps).toBeCloseTo(view.instances[0].rps + view.instances[1].rps, 6);
    // The same view from the other instance, and bad input refused.
    expect((await (await call(B(), 'GET', '/v1/ops/fleet')).json()).instances.map((r: { instance: string }) => r.instance)).toEqual(['region-a', 'region-b']);
    const bad = await call(A(), 'GET', '/v1/ops/fleet?since=yesterday');
    expect(bad.status).toBe(400);
    expect((await call(A(), 'GET', '/v1/ops/fleet', undefined, EDGE)).status).toBe(403);
    // The page draws the table.
    expect(await (await fetch(`${A()}/dashboard`)).text()).toContain('id="fleet"');
  });
});
