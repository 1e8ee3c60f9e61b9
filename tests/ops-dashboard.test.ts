/**
 * The region's ops dashboard data on SQLite and PostgreSQL: after real traffic (real models, an
 * OpenAI-compatible LLM mocked at its HTTP boundary with fixed token usage and a configured
 * price), GET /v1/ops/timeseries carries the golden signals, path mix, tokens, cost and drift;
 * it needs an admin key; the samples survive a restart and old ones are pruned. Also the new
 * Prometheus series (per-model latency and errors, answers by path, cost per session) and the
 * pure parts (quantiles from buckets, merging samples, the edge's metrics text).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { loadConfig } from '../regional/src/config.ts';
import { dashboardSampler } from '../regional/src/ops/dashboard-routes.ts';
import { observePrediction, driftMonitor } from '../regional/src/ops/drift-monitor.ts';
import { SessionTally } from '../regional/src/ops/session-tally.ts';
import { histogramQuantile, mergeSamples, RingBuffer, toPoints, type OpsPoint, type OpsSample } from '../regional/src/ops/timeseries.ts';
import { edgeAnswersByPath, LATENCY_BOUNDS_MS } from '../regional/src/ops/timeseries-sampler.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { LLM_URL, LLM_USAGE, openAiLlm } from './helpers/openai-llm.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';
import classifierManifest from '../models/default/store-intent/manifest.json' with { type: 'json' };
import embedderManifest from '../models/default/embedder/manifest.json' with { type: 'json' };
import rerankerManifest from '../models/default/reranker/manifest.json' with { type: 'json' };

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
const ADMIN = { authorization: 'Bearer dev-admin-key' };
const PRICING = { small: { in: 0.001, out: 0.002 }, large: { in: 0.003, out: 0.015 } };

const llm = openAiLlm();
beforeAll(() => llm.server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => llm.server.close());

/** The models the region serves by default, by metric role. */
const COMMITTED = { classifier: classifierManifest, embedder: embedderManifest, reranker: rerankerManifest };
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sum = (points: OpsPoint[], f: (p: OpsPoint) => number) => points.reduce((n, p) => n + f(p), 0);

describe.each(['sqlite', 'postgres'] as const)('ops dashboard data on %s', (dialect) => {
  let db: TempDatabase;
  let r: RunningRegional;
  const t0 = Date.now();
  const config = () =>
    loadConfig({
      PORT: '0',
      DATABASE_URL: db.url,
      INSTANCE_ID: `dash-test-${dialect}`,
      DASHBOARD_SAMPLE_MS: '250',
      LLM_BACKEND: 'openai',
      OPENAI_BASE_URL: LLM_URL,
      LLM_PRICE_SMALL: `${PRICING.small.in},${PRICING.small.out}`,
      LLM_PRICE_LARGE: `${PRICING.large.in},${PRICING.large.out}`,
      GUARDRAILS: 'off',
      CLASSIFY_TIMEOUT_MS: '5000',
      EMBED_TIMEOUT_MS: '5000',
      RETRIEVE_TIMEOUT_MS: '8000',
      RERANK_TIMEOUT_MS: '5000',
      LLM_FIRST_TOKEN_TIMEOUT_MS: '8000',
    });

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-dash-', 'r.db');
    r = await startRegional(config(), () => {});
  }, 180_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  const series = async (since = t0) => {
    const res = await fetch(`${r.url}/v1/ops/timeseries?since=${since}`, { headers: ADMIN });
    expect(res.status).toBe(200);
    return res.json();
  };
  /** Takes a sample now, so that everything sent so far is in the series. */
  const flush = async () => {
    const { sampler, started } = dashboardSampler(r.services);
    await started;
    await sampler.sample();
  };

  const TURNS = 6;
  const SESSIONS = 3;

  it('needs an admin key for the data, and serves the page and uPlot publicly', async () => {
    expect((await fetch(`${r.url}/v1/ops/timeseries`)).status).toBe(401);
    const edge = await fetch(`${r.url}/v1/ops/timeseries`, { headers: EDGE });
    expect(edge.status).toBe(403);
    expect((await edge.json()).error.code).toBe('FORBIDDEN');
    const bad = await fetch(`${r.url}/v1/ops/timeseries?since=yesterday`, { headers: ADMIN });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('INVALID_REQUEST');
    expect((await fetch(`${r.url}/v1/ops/timeseries?maxPoints=1`, { headers: ADMIN })).status).toBe(400);

    const page = await fetch(`${r.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toMatch(/<script src="\/dashboard\/uplot\.js"/);
    const uplot = await fetch(`${r.url}/dashboard/uplot.js`);
    expect(uplot.headers.get('content-type')).toMatch(/javascript/);
    expect(await uplot.text()).toMatch(/uPlot/);
    expect((await fetch(`${r.url}/dashboard/package.json`)).status).toBe(404);
  });

  it('samples the golden signals, path mix, tokens, cost and drift of real traffic', async () => {
    await flush();
    const before = await series();
    const baseRequests = sum(before.points, (p) => p.rps * p.intervalS);
    for (let i = 0; i < TURNS; i++) {
      const res = await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ message: 'How much is standard shipping to Alaska?', sessionId: `${dialect}-s${i % SESSIONS}` }) });
      const j = await res.json();
      expect(j.route.path).toBe('llm');
      expect(j.done.usage).toMatchObject({ inputTokens: LLM_USAGE.prompt_tokens, outputTokens: LLM_USAGE.completion_tokens });
    }
    for (let i = 0; i < 2; i++) expect((await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: '{"message": ' })).status).toBe(400);
    await flush();

    const ts = await series();
    expect(ts).toMatchObject({ instance: `dash-test-${dialect}`, sampleMs: 250, edge: { configured: false }, latencyBoundsMs: LATENCY_BOUNDS_MS });
    const points: OpsPoint[] = ts.points;
    expect(points.length).toBeGreaterThan(1);
    expect(points.map((p) => p.t)).toEqual([...points.map((p) => p.t)].sort((a, b) => a - b));
    const fresh = points.filter((p) => p.t > before.points.at(-1).t);
    // Traffic and errors: 6 answers and 2 bad requests (a 400 is a client error, not a 5xx).
    expect(Math.round(sum(points, (p) => p.rps * p.intervalS) - baseRequests)).toBe(TURNS + 2);
    expect(Math.round(sum(fresh, (p) => p.clientErrorRps * p.intervalS))).toBe(2);
    expect(sum(fresh, (p) => p.errorRps)).toBe(0);
    // Latency quantiles come from the request histogram; p99 ≥ p50 > 0.
    const busy = fresh.find((p) => p.generateP50Ms !== null)!;
    expect(busy.generateP50Ms).toBeGreaterThan(0);
    expect(busy.generateP99Ms!).toBeGreaterThanOrEqual(busy.generateP50Ms!);
    // Saturation: every batcher and LLM class has a queue depth; the LLM's slot limit is the configured one.
    expect(Object.keys(busy.queues).sort()).toEqual(['classifier', 'embedder', 'llm_high', 'llm_low', 'llm_normal', 'reranker']);
    expect(busy.llmConcurrency).toBe(16);
    expect(Math.max(...fresh.map((p) => p.eventLoopMaxMs))).toBeGreaterThan(0);
    // Path mix: all six went to the LLM.
    expect(Math.round(sum(fresh, (p) => (p.paths.llm ?? 0) * p.intervalS))).toBe(TURNS);
    expect(sum(fresh, (p) => (p.paths.cache ?? 0) + (p.paths.fallback ?? 0))).toBe(0);
    expect(busy.bypassRatio).toBe(0);
    // Tokens and cost: the LLM's usage, priced per 1k tokens (the tier depends on the intent).
    expect(sum(fresh, (p) => p.tokensIn)).toBe(TURNS * LLM_USAGE.prompt_tokens);
    expect(sum(fresh, (p) => p.tokensOut)).toBe(TURNS * LLM_USAGE.completion_tokens);
    const perTurn = [PRICING.small, PRICING.large].map((t) => (LLM_USAGE.prompt_tokens * t.in + LLM_USAGE.completion_tokens * t.out) / 1000);
    const cost = sum(fresh, (p) => p.costUsd);
    expect(perTurn.some((c) => Math.abs(cost - TURNS * c) < 1e-9)).toBe(true);
    expect(sum(fresh, (p) => p.sessions)).toBe(SESSIONS);
    expect(sum(fresh, (p) => p.turns)).toBe(TURNS);
    // Drift: the served predictions are in the window.
    expect(points.at(-1)!.drift.window).toBe('15m');
    expect(points.at(-1)!.drift.n).toBeGreaterThanOrEqual(TURNS);
  });

  it('exports per-model latency and errors, answers by path and cost per session to Prometheus', async () => {
    const text = await (await fetch(`${r.url}/metrics`)).text();
    /** The value of the first sample line (not HELP) the pattern matches. */
    const value = (re: RegExp) => Number(text.match(new RegExp(`^${re.source}`, 'm'))?.[1] ?? NaN);
    for (const [role, m] of Object.entries(COMMITTED)) {
      expect(value(new RegExp(`switchyard_model_latency_seconds_count\\{role="${role}",model="${m.name}",version="${escape(m.version)}"\\} (\\d+)`))).toBeGreaterThan(0);
    }
    expect(value(/switchyard_model_latency_seconds_count\{role="generator",model="openai",version="qwen2\.5:3b"\} (\d+)/)).toBe(TURNS);
    expect(value(/switchyard_answers_total\{path="llm"\} (\d+)/)).toBe(TURNS);
    expect(value(/switchyard_llm_bypass_ratio (\S+)/)).toBe(0);
    expect(value(/switchyard_sessions_started_total (\d+)/)).toBe(SESSIONS);
    expect(value(/switchyard_sessions_active (\d+)/)).toBe(SESSIONS);
    expect(value(/switchyard_turn_cost_usd_count (\d+)/)).toBe(TURNS);
    expect(value(/switchyard_llm_cost_usd_total\{generator="openai:qwen2\.5:3b"\} (\S+)/)).toBeGreaterThan(0);
    expect(value(/switchyard_llm_concurrency (\d+)/)).toBe(16);
    expect(text).not.toMatch(/session_id|sessionId/);

    // A model that throws is counted as an error of its version; a stage timeout too.
    const saved = r.services.rerank;
    r.services.rerank = r.services.metrics.meter('reranker', { name: COMMITTED.reranker.name, version: COMMITTED.reranker.version }, async () => {
      throw new Error('injected');
    });
    try {
      const j = await (await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ message: 'recommend a dark fantasy manga', sessionId: 'err' }) })).json();
      expect(j.route.fallbacks).toContain('reranker_error');
    } finally {
      r.services.rerank = saved;
    }
    r.services.metrics.fallback('reranker_timeout');
    const after = await (await fetch(`${r.url}/metrics`)).text();
    for (const kind of ['error', 'timeout']) {
      expect(after).toMatch(new RegExp(`switchyard_model_errors_total\\{role="reranker",model="${COMMITTED.reranker.name}",version="${escape(COMMITTED.reranker.version)}",kind="${kind}"\\} 1`));
    }
    await flush();
    const ts = await series();
    expect(sum(ts.points, (p: OpsPoint) => p.modelErrors.reranker ?? 0)).toBe(2);
  });

  it('keeps the series across a restart, from the store', async () => {
    for (let i = 0; i < 250; i++) observePrediction('order_status', 0.42);
    await flush();
    const before: OpsPoint[] = (await series()).points;
    expect(before.at(-1)!.drift).toMatchObject({ status: 'alert' });
    expect(before.at(-1)!.drift.intent!).toBeGreaterThan(0.2);
    driftMonitor.setBaseline(null);
    await r.close();
    r = await startRegional(config(), () => {});
    const after: OpsPoint[] = (await series()).points;
    const kept = after.filter((p) => p.t <= before.at(-1)!.t);
    expect(kept.map((p) => p.t)).toEqual(before.map((p) => p.t));
    expect(sum(kept, (p) => p.tokensIn)).toBe(sum(before, (p) => p.tokensIn));
    // A range older than the in-memory ring is read from the store.
    const { sampler } = dashboardSampler(r.services);
    expect(sampler.ring.size).toBeGreaterThanOrEqual(kept.length);
  });

  it('deletes samples past the retention and pages through the store', async () => {
    const store = r.services.store.opsSamples;
    const instance = `dash-test-${dialect}`;
    const old = new Date(Date.now() - 30 * 24 * 3_600_000);
    const sample = { ...(await dashboardSampler(r.services).sampler.sample())!, t: old.getTime() };
    await store.appendOpsSample({ instance, at: old, data: sample as unknown as Record<string, unknown> });
    // Replaced, not duplicated, on the same instance and time.
    await store.appendOpsSample({ instance, at: old, data: { ...sample, requests: 7 } as unknown as Record<string, unknown> });
    const oldest = await store.listOpsSamples(instance, { since: new Date(0), limit: 2, take: 'oldest' });
    expect(oldest.map((s) => [s.at.getTime(), (s.data as unknown as OpsSample).requests])).toEqual([
      [old.getTime(), 7],
      [expect.any(Number), expect.any(Number)],
    ]);
    expect((await store.listOpsSamples(instance, { limit: 1 }))[0].at.getTime()).toBeGreaterThan(old.getTime());
    expect(await store.listOpsSamples('another-instance')).toEqual([]);
    await expect(store.listOpsSamples('', {})).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await store.pruneOpsSamples(new Date(Date.now() - 7 * 24 * 3_600_000))).toBe(1);
    expect((await store.listOpsSamples(instance, { since: new Date(0), limit: 1, take: 'oldest' }))[0].at.getTime()).toBeGreaterThan(old.getTime());
  });
});

describe('dashboard series, pure parts', () => {
  const bounds = [1, 2, 5, 10];
  it('computes quantiles from cumulative buckets as Prometheus does', () => {
    expect(histogramQuantile(0.5, bounds, [0, 0, 0, 0, 0])).toBeNull();
    // 10 observations: 4 ≤ 1 ms, 6 in (1, 2] ms → the median lies 1/6 into the second bucket.
    expect(histogramQuantile(0.5, bounds, [4, 10, 10, 10, 10])).toBeCloseTo(1 + 1 / 6, 9);
    expect(histogramQuantile(0.99, bounds, [0, 0, 0, 1, 2])).toBe(10);
    expect(histogramQuantile(0.25, bounds, [4, 4, 4, 4, 4])).toBeCloseTo(0.25, 9);
  });

  it('merges consecutive samples without losing counts', () => {
    const s = (t: number, requests: number, latency: number[], queued: number): OpsSample => ({
      t,
      intervalMs: 1000,
      requests,
      errors: 0,
      clientErrors: 1,
      latency,
      generateLatency: latency,
      modelErrors: { classifier: 1 },
      queues: { embedder: queued },
      eventLoop: { p99: queued, max: queued },
      llm: { active: 1, concurrency: 4 },
      paths: { llm: requests, cache: 1 },
      edgePaths: null,
      tokensIn: 10,
      tokensOut: 5,
      costUsd: 0.5,
      sessions: 1,
      turns: requests + 1,
      drift: { window: '15m', n: t, intent: t / 1000, confidence: null, status: 'ok' },
    });
    const samples = [s(1000, 4, [4, 4, 4, 4, 4], 2), s(2000, 6, [0, 6, 6, 6, 6], 7), s(3000, 2, [2, 2, 2, 2, 2], 1)];
    const m = mergeSamples(samples.slice(0, 2));
    expect(m).toMatchObject({ t: 2000, intervalMs: 2000, requests: 10, clientErrors: 2, latency: [4, 10, 10, 10, 10], queues: { embedder: 7 }, paths: { llm: 10, cache: 2 }, modelErrors: { classifier: 2 }, costUsd: 1, drift: { n: 2000 } });
    const points = toPoints(samples, bounds, 2);
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({ rps: 5, clientErrorRps: 1, queued: 7, costPerSessionUsd: 0.5 });
    expect(points[0].p50Ms).toBeCloseTo(1 + 1 / 6, 9);
    expect(points[0].bypassRatio).toBeCloseTo(2 / 12, 9);
    expect(toPoints(samples, bounds, 10)).toHaveLength(3);
  });

  it('keeps the newest samples in a bounded ring', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect([ring.size, ring.dropped, ring.first()]).toEqual([3, 2, 3]);
  });

  it("reads the edge's answers by path from its Prometheus text", () => {
    const text = '# HELP x\nswitchyard_edge_answers_total{path="template"} 12\nswitchyard_edge_answers_total{path="cache"} 3\nswitchyard_edge_fallbacks_total{kind="x"} 1\n';
    expect(edgeAnswersByPath(text)).toEqual({ template: 12, cache: 3 });
  });

  it('closes sessions when they go idle and observes their totals', () => {
    const closed: unknown[] = [];
    const tally = new SessionTally({ idleMs: 1000, maxSessions: 2, onClose: (t) => closed.push(t) });
    expect(tally.add('a', 10, 0.1, 0)).toBe(true);
    expect(tally.add('a', 5, 0.2, 500)).toBe(false);
    expect(tally.add('b', 1, 0, 600)).toBe(true);
    expect(tally.active(1400)).toBe(2);
    expect(tally.active(1500)).toBe(1);
    expect(closed).toEqual([{ turns: 2, tokens: 15, costUsd: 0.30000000000000004 }]);
    tally.add('c', 1, 0, 1550);
    tally.add('d', 1, 0, 1560); // over maxSessions: the least recently active (b) closes
    expect(closed).toHaveLength(2);
    expect(tally.add('b', 1, 0, 1570)).toBe(true);
  });
});
