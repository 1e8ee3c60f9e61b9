/**
 * Rollouts of the reranker in live traffic (in process, real models, SQLite, the store knowledge
 * base seeded so every message is reranked): rules through the same admin API and CLI as the
 * classifier's; sticky assignment through /v1/generate with the serving reranker named in the
 * route event and the turn; shadow runs on the same retrieved passages that never change the
 * served answer, start only after it was handed back and fill a report (top-5 overlap, top-1,
 * per-intent disagreements, latency) that matches the two real models run side by side; and
 * canary auto-rollback on real regressions (a candidate that fails on a word, one slowed down,
 * one whose top 5 drifts from the control's), recorded in the registry with machine-readable
 * reasons.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { topIndices } from '../regional/src/generate/pipeline.ts';
import { loadHfCrossEncoder } from '../regional/src/inference/hf-models.ts';
import { hybridSearch } from '../regional/src/retrieval/hybrid.ts';
import { routingRule, type RolloutSpec } from '../regional/src/ops/rollout-rules.ts';
import { assign } from '../regional/src/ops/rollout.ts';
import { rankingAgreement } from '../regional/src/ops/shadow.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import type { LoadedReranker } from '../regional/src/services.ts';
import { brokenCandidate, CLASSIFIER_NAME, registerAt, ROOT } from './helpers/candidates.ts';
import { rolloutClient, until, type GenerateReply } from './helpers/live-rollout-client.ts';
import { copyModelAs, copyWithSwappedWords } from './helpers/model-copies.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const RERANKER = join(ROOT, 'models/default/reranker');
const R: string = JSON.parse(readFileSync(join(RERANKER, 'manifest.json'), 'utf8')).name;
const CONTROL: string = JSON.parse(readFileSync(join(RERANKER, 'manifest.json'), 'utf8')).version;
const run = promisify(execFile);
// Messages that always reach retrieval and the reranker: not the intents a record can answer
// (domain.json route classes `catalog`, no retrieval when one title is named, and `order`, none
// when an order id is named).
const recordRoutes = new Set(['catalog', 'order']);
const recordIntents = new Set(Object.entries(JSON.parse(readFileSync(join(ROOT, 'domains/kitsune-books/domain.json'), 'utf8')).intents as Record<string, { route: string }>).filter(([, r]) => recordRoutes.has(r.route)).map(([i]) => i));
const testTexts = readFileSync(join(ROOT, 'domains/kitsune-books/intents/test.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { text: string; label: string })
  .filter((r) => !recordIntents.has(r.label))
  .map((r) => r.text);

describe('live rollouts of the reranker', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  let work: string;
  let swapped: string;
  /** Added to every call of a candidate whose batcher name is in here (an injected slowdown). */
  const delays = new Map<string, number>();

  beforeAll(async () => {
    db = await tempDatabase('sqlite', 'sy-live-rollout-rr-', 'r.db');
    work = join(db.dir, 'models');
    mkdirSync(work);
    // Reads "order" as "refund" and back: other files, and other rankings on messages with either word.
    swapped = copyWithSwappedWords(RERANKER, work, '1.1.0', 'order', 'refund');
    // Fails on every message with "alaska" (a word none of the warm-up texts has).
    const broken = await brokenCandidate(RERANKER, join(work, 'broken'), '1.3.0-broken', 'alaska');
    const slow = copyModelAs(RERANKER, work, '1.4.0-slow');
    const reordering = copyWithSwappedWords(RERANKER, work, '1.2.0', 'order', 'refund');
    r = await startRegional(
      loadConfig({
        PORT: '0',
        DATABASE_URL: db.url,
        ROLLOUT_REFRESH_MS: '200',
        ROLLOUT_EVAL_INTERVAL_MS: '60000',
        ROLLOUT_EVAL_EVERY: '10',
        CLASSIFY_TIMEOUT_MS: '5000',
        RERANK_TIMEOUT_MS: '5000',
        EMBED_TIMEOUT_MS: '5000',
        RETRIEVE_TIMEOUT_MS: '5000',
      }),
      () => {},
    );
    const real = r.services.loadReranker;
    r.services.loadReranker = async (dir, name): Promise<LoadedReranker> => {
      const c = await real(dir, name);
      return {
        ...c,
        rerank: async (q, p, lane) => {
          const ms = delays.get(name);
          if (ms) await new Promise((res) => setTimeout(res, ms));
          return c.rerank(q, p, lane);
        },
      };
    };
    const reg = r.services.store.registry;
    for (const f of [swapped, broken, slow, reordering]) await registerAt(reg, f);
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  const { api, put, status, generate, servedVersion, driveUntilRolledBack, expectRolledBack } = rolloutClient(() => r, R, testTexts, (j) => j.route.rerankerVersion ?? 'none');

  it('takes rules for the reranker through the same API, with the same checks', async () => {
    const list = await (await api('GET', '/v1/ops/rollouts')).json();
    expect(list.routed).toContainEqual({ model: R, kind: 'cross-encoder', control: CONTROL });
    const cases: [unknown, number, string][] = [
      [{ canary: { version: '9.9.9', percent: 10 } }, 404, 'VERSION_NOT_FOUND'],
      [{ canary: { version: '1.1.0', percent: 150 } }, 400, 'INVALID_REQUEST'],
      [{ canary: { version: '1.1.0', percent: 10 }, metric: 'confident' }, 400, 'INVALID_REQUEST'],
      [{ canary: { version: CONTROL, percent: 10 } }, 400, 'INVALID_REQUEST'],
    ];
    for (const [rule, code, name] of cases) {
      const res = await put(rule);
      expect(res.status, JSON.stringify(rule)).toBe(code);
      expect((await res.json()).error.code).toBe(name);
    }
    await registerAt(r.services.store.registry, copyModelAs(RERANKER, work, '1.0.9-dev'), 'dev');
    const dev = await put({ shadow: { version: '1.0.9-dev', percent: 10 } });
    expect(dev.status).toBe(409);
    expect((await dev.json()).error.code).toBe('VERSION_NOT_VERIFIED');
    expect(await status()).toMatchObject({ model: R, kind: 'cross-encoder', revision: 0, rule: null, control: CONTROL });
    // Without a rule the served reranker is named in the route event.
    expect(await servedVersion('no-rule')).toBe(`${R}@${CONTROL}`);
  });

  it('assigns users stickily and names the reranker that served in the route event and the turn', async () => {
    const res = await put({ canary: { version: '1.1.0', percent: 40 }, autoRollback: false, reason: 'reranker canary' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ model: R, rule: { kind: 'cross-encoder', control: CONTROL, canary: { version: '1.1.0', percent: 40 } } });
    expect(body.status.candidates).toEqual([expect.objectContaining({ version: '1.1.0', state: 'ready' })]);
    const rule = routingRule(R, body.rule as RolloutSpec);

    let requests = 0;
    let canaryRequests = 0;
    for (let u = 0; u < 24; u++) {
      const expected = assign(rule, { userId: `sticky-${u}` }).variant;
      for (let i = 0; i < 3; i++) {
        const j = await generate(testTexts[(u * 3 + i) % testTexts.length], { userId: `sticky-${u}`, sessionId: `sticky-${u}-s${i}` });
        expect(j.route.rerankerVersion, `user sticky-${u}`).toBe(`${R}@${expected}`);
        // The classifier splits on its own rule (none here): its control serves everyone.
        expect(j.route.modelVersion).toBe(`${CLASSIFIER_NAME}@1.1.0`);
        requests++;
        if (expected === '1.1.0') canaryRequests++;
      }
    }
    for (let s = 0; s < 5; s++) {
      const expected = assign(rule, { sessionId: `anon-${s}` }).variant;
      for (let i = 0; i < 2; i++) {
        expect((await generate(testTexts[i + s], { sessionId: `anon-${s}` })).route.rerankerVersion).toBe(`${R}@${expected}`);
        requests++;
        if (expected === '1.1.0') canaryRequests++;
      }
    }
    expect(canaryRequests).toBeGreaterThan(0);
    expect(canaryRequests).toBeLessThan(requests);

    const canaryUser = [...Array(200).keys()].map((u) => `who-${u}`).find((u) => assign(rule, { userId: u }).variant === '1.1.0')!;
    expect((await generate('has my order been packed yet', { userId: canaryUser, sessionId: `${canaryUser}-turns` })).route.rerankerVersion).toBe(`${R}@1.1.0`);
    const conv = await r.services.store.getConversationBySession(`${canaryUser}-turns`);
    expect(conv!.turns.at(-1)!.modelVersions).toMatchObject({ reranker: `${R}@1.1.0`, classifier: `${CLASSIFIER_NAME}@1.1.0` });

    const st = await status();
    expect(st.stats['1.1.0'].requests).toBe(canaryRequests + 1);
    expect(st.stats[CONTROL].requests).toBe(requests - canaryRequests);
    expect(st.stats['1.1.0']).toMatchObject({ errors: 0, p99Ms: expect.any(Number) });
    expect(await (await fetch(`${r.url}/metrics`)).text()).toMatch(new RegExp(`switchyard_rollout_requests_total\\{model="${R}",version="1.1.0",outcome="ok"\\} ${canaryRequests + 1}`));
  });

  it('shadow reranks the same passages after the answer was handed back, never changes it, and reports agreement', async () => {
    expect((await api('DELETE', `/v1/ops/rollouts/${R}`)).status).toBe(200);
    // Messages with "order" or "refund" (the candidate reads them swapped) and some without.
    const texts = [...testTexts.filter((t) => /\b(order|refund)\b/i.test(t)).slice(0, 12), ...testTexts.slice(30, 38)];
    const session = (i: number) => `shadow-${i}`;
    const off: GenerateReply[] = [];
    for (const [i, t] of texts.entries()) off.push(await generate(t, { sessionId: `${session(i)}-off` }));

    // The candidate, once armed, blocks on a gate the test opens only after it has every response.
    let open!: () => void;
    const gate = new Promise<void>((res) => (open = res));
    const starts: { lane?: string; answerStored: boolean }[] = [];
    const real = r.services.loadReranker;
    r.services.loadReranker = async (dir, name) => {
      const c = await real(dir, name);
      let armed = false;
      setImmediate(() => (armed = true)); // after its warm-up
      return {
        ...c,
        rerank: async (q, p, lane) => {
          if (armed) {
            const i = texts.indexOf(q);
            const turns = (await r.services.store.getConversationBySession(`${session(i)}-on`))?.turns ?? [];
            starts.push({ lane, answerStored: turns.some((t) => t.role === 'assistant') });
            await gate;
          }
          return c.rerank(q, p, lane);
        },
      };
    };
    try {
      expect((await put({ shadow: { version: '1.1.0', percent: 100 }, salt: 'shadow-1' })).status).toBe(200);
      const on: GenerateReply[] = [];
      for (const [i, t] of texts.entries()) on.push(await generate(t, { sessionId: `${session(i)}-on` }));
      expect((await (await api('GET', `/v1/ops/shadow/${R}`)).json()).compared).toBe(0);
      const strip = (x: (typeof on)[number]) => ({ route: { ...x.route, traceId: undefined }, text: x.text, sources: x.done.sources });
      expect(on.map(strip)).toEqual(off.map(strip));
      expect(on.every((x) => x.route.rerankerVersion === `${R}@${CONTROL}`)).toBe(true);
      open();
      const report = await until(async () => {
        const rep = await (await api('GET', `/v1/ops/shadow/${R}`)).json();
        return rep.compared === texts.length && rep;
      });
      expect(starts).toHaveLength(texts.length);
      expect(starts.every((s) => s.answerStored && s.lane === 'batch')).toBe(true);

      // The report agrees with the two real rerankers run side by side on the passages retrieved for each message.
      const [ctl, cand] = await Promise.all([loadHfCrossEncoder(RERANKER), loadHfCrossEncoder(swapped)]);
      const pairs = [];
      for (const t of texts) {
        const { hits } = await hybridSearch(r.services.store, r.services.embedder, t, { k: 30, embedTimeoutMs: 5000 });
        const passages = hits.map((h) => ({ query: t, passage: `${h.title}\n${h.text}` }));
        pairs.push(rankingAgreement(topIndices(await ctl.score(passages), 5), topIndices(await cand.score(passages), 5)));
      }
      await Promise.all([ctl.dispose(), cand.dispose()]);
      const overlap = pairs.reduce((s, p) => s + p.overlap, 0) / pairs.length;
      const top1 = pairs.filter((p) => p.top1).length / pairs.length;
      expect(overlap).toBeLessThan(1); // the swapped words do change some rankings
      expect(report).toMatchObject({ model: R, kind: 'cross-encoder', candidateVersion: '1.1.0', controlVersion: CONTROL, percent: 100, candidateErrors: 0 });
      expect(report.agreement).toBeCloseTo(overlap, 10);
      expect(report.top1Agreement).toBeCloseTo(top1, 10);
      const disagreed = report.disagreements as { intent: string; count: number; top1Changed: number }[];
      expect(disagreed.reduce((s, d) => s + d.count, 0)).toBe(pairs.filter((p) => p.overlap < 1).length);
      expect(disagreed.reduce((s, d) => s + d.top1Changed, 0)).toBe(pairs.filter((p) => !p.top1).length);
      const intents = new Set(on.map((x) => x.route.intent));
      expect(disagreed.every((d) => intents.has(d.intent))).toBe(true);
      expect(report.latencyMs).toMatchObject({ deltaP50: expect.any(Number), deltaP99: expect.any(Number) });
    } finally {
      open();
      r.services.loadReranker = real;
      await api('DELETE', `/v1/ops/rollouts/${R}`);
    }
  });

  it('shadow reranks with the query the served reranker was given: a follow-up\'s resolution, not its words', async () => {
    const asked: { q: string; version: string }[] = [];
    const real = r.services.loadReranker;
    r.services.loadReranker = async (dir, name) => {
      const c = await real(dir, name);
      return { ...c, rerank: async (q, p, lane) => (asked.push({ q, version: c.info.version }), c.rerank(q, p, lane)) };
    };
    try {
      expect((await put({ shadow: { version: '1.1.0', percent: 100 }, salt: 'shadow-query' })).status).toBe(200);
      const resolved = { text: 'how long does a refund take after you receive my return?', carried: ['frame'], confidence: 0.95 };
      await until(async () => {
        asked.length = 0;
        const res = await fetch(`${r.url}/v1/generate`, {
          method: 'POST',
          headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ message: 'and how long for that?', sessionId: 'shadow-query', resolved }),
        });
        expect(res.status).toBe(200);
        await res.json();
        return until(async () => asked.some((a) => a.version === '1.1.0'), 5000).catch(() => false);
      });
      const shadowQueries = asked.filter((a) => a.version === '1.1.0').map((a) => a.q);
      expect(shadowQueries.length).toBeGreaterThan(0);
      expect(shadowQueries.every((q) => q === resolved.text)).toBe(true);
    } finally {
      r.services.loadReranker = real;
      await api('DELETE', `/v1/ops/rollouts/${R}`);
    }
  });

  it('rolls back a reranker canary that fails (error rate above 2x the control) and records why', async () => {
    // Judged on errors alone (a p99 breach from a noisy machine would add a reason the next test counts).
    const res = await put({ canary: { version: '1.3.0-broken', percent: 50 }, guardrails: { minRequests: 30, minCompared: 100_000, p99SlackMs: 60_000 }, salt: 'err-1' });
    expect(res.status).toBe(200);
    const st = await driveUntilRolledBack('err', (u) => (u % 2 ? 'do you ship to alaska' : testTexts[u % testTexts.length]));
    expect(st.canary).toMatchObject({ percent: 0, rolledBack: { version: '1.3.0-broken', fromPercent: 50, reasons: ['ERROR_RATE'] } });
    expect(st.stats['1.3.0-broken'].errors).toBeGreaterThanOrEqual(5);
    await expectRolledBack('1.3.0-broken', 'ERROR_RATE', 'err', CONTROL);
  });

  it('rolls back a slowed reranker canary on p99 latency, with the control compared on canary traffic', async () => {
    delays.set('reranker@1.4.0-slow', 60);
    const res = await put({ canary: { version: '1.4.0-slow', percent: 50 }, agreementSample: 100, guardrails: { minRequests: 30, minCompared: 10 }, salt: 'slow-1' });
    expect(res.status).toBe(200);
    const st = await driveUntilRolledBack('slow', (u) => testTexts[u % testTexts.length]);
    expect(st.canary.rolledBack.reasons).toEqual(['P99_LATENCY']);
    expect(st.stats['1.4.0-slow'].p99Ms).toBeGreaterThan(st.stats[CONTROL].p99Ms + 5);
    // The same model underneath: on the canary requests the control reranked in shadow, the top 5 agreed.
    expect(st.stats['1.4.0-slow'].agreement.compared).toBeGreaterThan(0);
    expect(st.stats['1.4.0-slow'].agreement.rate).toBe(1);
    await expectRolledBack('1.4.0-slow', 'P99_LATENCY', 'slow', CONTROL);
  });

  it('rolls back a reranker canary whose top 5 drifts from the control (compared in shadow on canary traffic)', async () => {
    const orderTexts = testTexts.filter((t) => /\b(order|refund)\b/i.test(t));
    const res = await put({ canary: { version: '1.2.0', percent: 50 }, agreementSample: 100, guardrails: { minRequests: 100_000, minCompared: 20 }, salt: 'agree-1' });
    expect(res.status).toBe(200);
    const st = await driveUntilRolledBack('agree', (u) => orderTexts[u % orderTexts.length]);
    expect(st.canary.rolledBack.reasons).toEqual(['AGREEMENT']);
    const { agreement } = st.stats['1.2.0'];
    expect(agreement.compared).toBeGreaterThanOrEqual(20);
    // Below the default guardrail (0.9 of the top 5 in common).
    expect(agreement.rate).toBeLessThan(0.9);
    expect(st.canary.decision.reasons[0]).toMatchObject({ code: 'AGREEMENT', canary: agreement.rate, limit: 0.9 });
    await expectRolledBack('1.2.0', 'AGREEMENT', 'agree', CONTROL);
  });

  it('takes reranker rules from the CLI (the region picks them up)', async () => {
    const cli = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'regional/src/ops/cli/registry.ts', ...args, '--json', '--by', 'cli-test'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url }, timeout: 60_000 }).then(
        (x) => ({ code: 0, out: x.stdout, err: x.stderr }),
        (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
      );
    const ok = await cli(['shadow', R, '1.1.0', '--percent', '25', '--reason', 'from the cli']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ model: R, rule: { kind: 'cross-encoder', control: CONTROL, shadow: { version: '1.1.0', percent: 25 } }, updatedBy: 'cli-test' });
    const st = await until(async () => {
      const s = await status();
      return s.shadow?.percent === 25 && s.candidates.some((c: { version: string; state: string }) => c.version === '1.1.0' && c.state === 'ready') && s;
    });
    expect(st).toMatchObject({ updatedBy: 'cli-test', reason: 'from the cli' });
    // Rolled back to dev above: no longer routable.
    const refused = await cli(['canary', R, '1.3.0-broken', '--percent', '10']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/VERSION_NOT_VERIFIED/);
  }, 120_000);
});
