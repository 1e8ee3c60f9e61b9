/**
 * Rollouts in live traffic on the regional service (in process, real models, SQLite and
 * PostgreSQL): rules through the admin API and the CLI with clear refusals; sticky canary
 * assignment through /v1/generate, the serving version in the route event, the turn and the
 * prediction log; A/B counts and their test; shadow runs that never change the served answer and
 * start only after it was handed back; a corrupt candidate refused while the control serves; and
 * canary auto-rollback on real regressions (a candidate that fails on a word, one trained on
 * shuffled labels), recorded in the registry with machine-readable reasons.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { loadIntentClassifier } from '../regional/src/inference/load-node.ts';
import { loadConfig } from '../regional/src/config.ts';
import { routingRule, type RolloutSpec } from '../regional/src/ops/rollout-rules.ts';
import { assign, requiredSampleSize, twoProportionTest } from '../regional/src/ops/rollout.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { brokenCandidate, CLASSIFIER_NAME, copiedCandidate, DEFAULT_CLASSIFIER, registerAt, ROOT, tamper, trainedCandidate } from './helpers/candidates.ts';
import { EDGE, inParallel, rolloutClient, until } from './helpers/live-rollout-client.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const M = CLASSIFIER_NAME;
/** The serving classifier's version: the committed default's. */
const CONTROL: string = JSON.parse(readFileSync(join(DEFAULT_CLASSIFIER, 'manifest.json'), 'utf8')).version;
const run = promisify(execFile);
const testTexts = readFileSync(join(ROOT, 'domains/kitsune-books/intents/test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);

let folders: { retrained: string; shuffled: string; broken: string; dir: string };

beforeAll(async () => {
  const db = await tempDatabase('sqlite', 'sy-live-rollout-models-');
  const dir = db.dir;
  const retrained = await trainedCandidate(join(dir, 'retrained'), '1.7.0', { seed: 7 });
  folders = {
    dir,
    retrained,
    shuffled: await trainedCandidate(join(dir, 'shuffled'), '1.2.0-shuffled', { seed: 11, shuffleLabels: true }),
    // Fails on every message with "alaska" (a word none of the warm-up texts has).
    broken: await brokenCandidate(retrained, join(dir, 'broken'), '1.3.0-broken', 'alaska'),
  };
}, 120_000);

describe.each(['sqlite', 'postgres'] as const)('live rollouts on %s', (dialect) => {
  let db: TempDatabase;
  let r: RunningRegional;
  let work: string;

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-live-rollout-', 'r.db');
    work = join(db.dir, 'models');
    mkdirSync(work);
    r = await startRegional(
      loadConfig({
        PORT: '0',
        DATABASE_URL: db.url,
        SEED_STORE_KB: 'false',
        ROLLOUT_REFRESH_MS: '200',
        ROLLOUT_EVAL_INTERVAL_MS: '60000',
        ROLLOUT_EVAL_EVERY: '10',
        CLASSIFY_TIMEOUT_MS: '5000',
      }),
      () => {},
    );
    const reg = r.services.store.registry;
    await registerAt(reg, folders.retrained);
    await registerAt(reg, folders.shuffled);
    await registerAt(reg, folders.broken);
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  const { api, put, status, generate, servedVersion, driveUntilRolledBack, ...client } = rolloutClient(() => r, M, testTexts, (j) => j.route.modelVersion);
  const expectRolledBack = (version: string, code: string, prefix: string) => client.expectRolledBack(version, code, prefix, CONTROL);

  it('refuses bad rules with clear codes, and only admins may set them', async () => {
    const cases: [unknown, number, string][] = [
      [{ canary: { version: '9.9.9', percent: 10 } }, 404, 'VERSION_NOT_FOUND'],
      [{ canary: { version: '1.7.0', percent: 150 } }, 400, 'INVALID_REQUEST'],
      [{ canary: { version: '1.7.0', percent: 10 }, ab: { variants: [{ version: CONTROL, weight: 1 }, { version: '1.7.0', weight: 1 }] } }, 400, 'INVALID_REQUEST'],
      [{ salt: 'x' }, 400, 'INVALID_REQUEST'],
      [{ canary: { version: CONTROL, percent: 10 } }, 400, 'INVALID_REQUEST'],
      [{ shadow: { version: '1.7.0', percent: 10 }, guardrails: { maxP99: 3 } }, 400, 'INVALID_REQUEST'],
    ];
    for (const [rule, code, name] of cases) {
      const res = await put(rule);
      expect(res.status, JSON.stringify(rule)).toBe(code);
      expect((await res.json()).error.code).toBe(name);
    }
    // A version that never passed the gate (still in dev) is not routable.
    await registerAt(r.services.store.registry, copiedCandidate(join(work, 'dev-only'), '1.0.9-dev'), 'dev');
    const dev = await put({ canary: { version: '1.0.9-dev', percent: 10 } });
    expect(dev.status).toBe(409);
    expect((await dev.json()).error.code).toBe('VERSION_NOT_VERIFIED');
    expect((await put({ canary: { version: '1.7.0', percent: 10 } }, 'no-such-model')).status).toBe(404);
    expect((await api('PUT', `/v1/ops/rollouts/${M}`, { canary: { version: '1.7.0', percent: 10 } }, EDGE)).status).toBe(403);
    expect((await api('GET', `/v1/ops/rollouts/${M}`)).status).toBe(404);
    expect(await status()).toMatchObject({ model: M, revision: 0, rule: null, control: CONTROL });
  });

  it('assigns users stickily through the live API and serves the canary to its share', async () => {
    const res = await put({ canary: { version: '1.7.0', percent: 30 }, autoRollback: false, reason: 'canary 1.7.0' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ model: M, revision: 1, rule: { control: CONTROL, canary: { version: '1.7.0', percent: 30 } }, updatedBy: expect.stringMatching(/admin key/) });
    expect(body.status.candidates).toEqual([expect.objectContaining({ version: '1.7.0', state: 'ready' })]);
    const rule = routingRule(M, body.rule as RolloutSpec);

    // The same user gets the same version on every request and every session; anonymous traffic per session.
    for (let u = 0; u < 30; u++) {
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) seen.add(await servedVersion(`sticky-${u}`, u + i));
      expect(seen.size, `user sticky-${u}`).toBe(1);
      expect([...seen][0]).toBe(`${M}@${assign(rule, { userId: `sticky-${u}` }).variant}`);
    }
    for (let s = 0; s < 5; s++) {
      const versions = new Set<string>();
      for (let i = 0; i < 3; i++) versions.add((await generate(testTexts[i], { sessionId: `anon-${s}` })).route.modelVersion);
      expect(versions).toEqual(new Set([`${M}@${assign(rule, { sessionId: `anon-${s}` }).variant}`]));
    }

    // Over many users the split is close to the percentage (4 standard deviations at n = 400).
    const n = 400;
    const versions = await inParallel(4, [...Array(n).keys()], (u) => servedVersion(`split-${u}`, u));
    const canary = versions.filter((v) => v === `${M}@1.7.0`).length;
    expect(Math.abs(canary / n - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / n));

    // The turn and the prediction log say which version served.
    const canaryUser = [...Array(200).keys()].map((u) => `who-${u}`).find((u) => assign(rule, { userId: u }).variant === '1.7.0')!;
    const j = await generate('has my order been packed yet', { userId: canaryUser, sessionId: `${canaryUser}-turns` });
    expect(j.route.modelVersion).toBe(`${M}@1.7.0`);
    const conv = await r.services.store.getConversationBySession(`${canaryUser}-turns`);
    expect(conv!.turns.at(-1)!.modelVersions).toMatchObject({ classifier: `${M}@1.7.0`, llmConfig: 'switchyard-llm-config@builtin' });
    const [log] = await r.services.store.listPredictionLogs({ modelName: 'intent-classifier', limit: 1 });
    expect(log.modelVersion).toBe(`${M}@1.7.0`);

    // Per-variant window stats add up to what was served.
    const st = await status();
    const inCanary = (unit: { userId?: string; sessionId?: string }) => assign(rule, unit).variant === '1.7.0';
    const stickyCanary = [...Array(30).keys()].filter((u) => inCanary({ userId: `sticky-${u}` })).length;
    const anonCanary = [...Array(5).keys()].filter((s) => inCanary({ sessionId: `anon-${s}` })).length;
    expect(st.stats['1.7.0'].requests).toBe(stickyCanary * 3 + anonCanary * 3 + canary + 1);
    expect(st.stats[CONTROL].requests + st.stats['1.7.0'].requests).toBe(30 * 3 + 5 * 3 + n + 1);
    expect(st.stats['1.7.0']).toMatchObject({ errors: 0, p99Ms: expect.any(Number), confidenceHistogram: expect.any(Array) });
    expect(st.stats['1.7.0'].confidenceHistogram.reduce((a: number, b: number) => a + b, 0)).toBe(st.stats['1.7.0'].requests);
    // Evaluated on the way (every 10 canary observations): too few canary requests to judge yet.
    expect(st.canary.decision).toMatchObject({ action: 'wait', reasons: [] });
    expect(st.ab.comparisons[0]).toMatchObject({ control: CONTROL, variant: '1.7.0' });

    // Prometheus: per model and version, no user ids.
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`switchyard_rollout_requests_total\\{model="${M}",version="1.7.0",outcome="ok"\\} \\d+`));
    expect(metrics).toMatch(new RegExp(`switchyard_rollout_canary_percent\\{model="${M}"\\} 30`));
    expect(metrics).toMatch(new RegExp(`switchyard_rollout_candidate_ready\\{model="${M}",version="1.7.0"\\} 1`));
    expect(metrics).not.toMatch(/sticky-|split-|anon-/);
  });

  it('counts an A/B split per variant and tests the difference with the sample size it needs', async () => {
    const res = await put({ ab: { variants: [{ version: CONTROL, weight: 50 }, { version: '1.7.0', weight: 50 }] }, metric: 'confident', minDetectableEffect: 0.1, salt: 'ab-1' });
    expect(res.status).toBe(200);
    const served: Record<string, number> = {};
    for (const v of await inParallel(4, [...Array(160).keys()], (u) => servedVersion(`ab-${u}`, u))) {
      const version = v.split('@')[1];
      served[version] = (served[version] ?? 0) + 1;
    }
    const { ab } = await status();
    expect(ab.metric).toBe('confident');
    const counts = Object.fromEntries(ab.variants.map((v: { version: string; trials: number; successes: number }) => [v.version, v]));
    expect(counts[CONTROL].trials).toBe(served[CONTROL]);
    expect(counts['1.7.0'].trials).toBe(served['1.7.0']);
    const cmp = ab.comparisons[0];
    const expected = twoProportionTest(counts[CONTROL], counts['1.7.0']);
    expect(cmp.test.pValue).toBeCloseTo(expected.pValue, 10);
    expect(cmp.requiredPerVariant).toBe(requiredSampleSize(expected.pA, expected.pA + 0.1));
    expect(cmp.enoughData).toBe(served[CONTROL] >= cmp.requiredPerVariant && served['1.7.0'] >= cmp.requiredPerVariant);
  });

  it('shadow never changes the served answer and starts only after the answer was handed back', async () => {
    expect((await api('DELETE', `/v1/ops/rollouts/${M}`)).status).toBe(200);
    const texts = testTexts.slice(20, 40);
    const session = (i: number) => `shadow-${dialect}-${i}`;
    const off: Awaited<ReturnType<typeof generate>>[] = [];
    for (const [i, t] of texts.entries()) off.push(await generate(t, { sessionId: `${session(i)}-off` }));

    // The candidate, once armed, blocks on a gate the test opens only after it has every response.
    let open!: () => void;
    const gate = new Promise<void>((res) => (open = res));
    let armed = false;
    const starts: { text: string; answerStored: boolean }[] = [];
    const real = r.services.loadClassifier;
    r.services.loadClassifier = async (dir, name) => {
      const c = await real(dir, name);
      return {
        ...c,
        classify: async (text) => {
          if (armed) {
            const i = texts.indexOf(text);
            const turns = (await r.services.store.getConversationBySession(`${session(i)}-on`))?.turns ?? [];
            starts.push({ text, answerStored: turns.some((t) => t.role === 'assistant') });
            await gate;
          }
          return c.classify(text);
        },
      };
    };
    try {
      expect((await put({ shadow: { version: '1.7.0', percent: 100 }, salt: 'shadow-1' })).status).toBe(200);
      armed = true;
      const on: Awaited<ReturnType<typeof generate>>[] = [];
      for (const [i, t] of texts.entries()) on.push(await generate(t, { sessionId: `${session(i)}-on` }));
      // Every answer came back while every shadow run was still blocked.
      expect((await api('GET', `/v1/ops/shadow/${M}`).then((x) => x.json())).compared).toBe(0);
      const strip = (x: (typeof on)[number]) => ({ intent: x.route.intent, confidence: x.route.confidence, modelVersion: x.route.modelVersion, path: x.route.path, fallbacks: x.route.fallbacks, text: x.text });
      expect(on.map(strip)).toEqual(off.map(strip));
      expect(on.every((x) => x.route.modelVersion === `${M}@${CONTROL}`)).toBe(true);
      open();
      const report = await until(async () => {
        const rep = await (await api('GET', `/v1/ops/shadow/${M}`)).json();
        return rep.compared === texts.length && rep;
      });
      expect(starts).toHaveLength(texts.length);
      expect(starts.every((s) => s.answerStored)).toBe(true);

      // The report agrees with the two real models run side by side.
      const [ctl, cand] = await Promise.all([loadIntentClassifier(DEFAULT_CLASSIFIER), loadIntentClassifier(folders.retrained)]);
      const [a, b] = await Promise.all([ctl.classify(texts), cand.classify(texts)]);
      const agreed = a.filter((p, i) => p.intent === b[i].intent).length;
      expect(report).toMatchObject({ candidateVersion: '1.7.0', controlVersion: CONTROL, percent: 100, candidateErrors: 0 });
      expect(report.agreement).toBeCloseTo(agreed / texts.length, 10);
      expect(report.disagreements.reduce((s: number, d: { count: number }) => s + d.count, 0)).toBe(texts.length - agreed);
      expect(report.latencyMs).toMatchObject({ deltaP50: expect.any(Number), deltaP99: expect.any(Number) });
    } finally {
      open();
      r.services.loadClassifier = real;
      await api('DELETE', `/v1/ops/rollouts/${M}`);
    }
  });

  it('refuses a corrupt candidate, and the control keeps serving', async () => {
    const reg = r.services.store.registry;
    // Through the API: the files changed after registration, so the rule is refused and not stored.
    const changed = copiedCandidate(join(work, 'changed'), '1.4.0');
    await registerAt(reg, changed);
    tamper(changed);
    const res = await put({ canary: { version: '1.4.0', percent: 50 } });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('MODEL_INTEGRITY');
    expect((await api('GET', `/v1/ops/rollouts/${M}`)).status).toBe(404);

    // A rule stored elsewhere (the CLI, another instance) before its candidate was corrupted.
    const later = copiedCandidate(join(work, 'later'), '1.5.0');
    await registerAt(reg, later);
    tamper(later, 'config.json');
    const current = await reg.getRollout(M);
    await reg.putRollout(M, { kind: 'intent-classifier', control: CONTROL, canary: { version: '1.5.0', percent: 100 } }, { actor: 'elsewhere', expectedRevision: current!.revision });
    const st = await until(async () => {
      const s = await status();
      return s.candidates.find((c: { version: string; state: string }) => c.version === '1.5.0' && c.state === 'refused') && s;
    });
    expect(st.candidates[0].error.code).toBe('MODEL_INTEGRITY');
    for (let u = 0; u < 20; u++) {
      const j = await generate(testTexts[u], { userId: `corrupt-${u}`, sessionId: `corrupt-${u}` });
      expect(j.route.modelVersion).toBe(`${M}@${CONTROL}`);
      expect(j.route.fallbacks).not.toContain('classifier_error');
    }
    expect(await (await fetch(`${r.url}/metrics`)).text()).toMatch(new RegExp(`switchyard_rollout_candidate_ready\\{model="${M}",version="1.5.0"\\} -1`));
    await api('DELETE', `/v1/ops/rollouts/${M}`);
  });

  it('rolls back a canary that fails (error rate above 2x the control) and records why', async () => {
    const res = await put({ canary: { version: '1.3.0-broken', percent: 50 }, guardrails: { minRequests: 30, minCompared: 100_000 }, salt: 'err-1' });
    expect(res.status).toBe(200);
    const st = await driveUntilRolledBack('err', (u) => (u % 2 ? 'do you ship to alaska' : testTexts[u % testTexts.length]));
    expect(st.canary).toMatchObject({ percent: 0, rolledBack: { version: '1.3.0-broken', fromPercent: 50, reasons: expect.arrayContaining(['ERROR_RATE']) } });
    expect(st.canary.decision).toMatchObject({ action: 'rollback', reasons: expect.arrayContaining([expect.objectContaining({ code: 'ERROR_RATE' })]) });
    expect(st.stats['1.3.0-broken'].errors).toBeGreaterThanOrEqual(5);
    await expectRolledBack('1.3.0-broken', 'ERROR_RATE', 'err');
  });

  it('rolls back a canary that disagrees with the control (checked in shadow on canary traffic)', async () => {
    const res = await put({ canary: { version: '1.2.0-shuffled', percent: 50 }, agreementSample: 100, guardrails: { minRequests: 100_000, minCompared: 30 }, salt: 'agree-1' });
    expect(res.status).toBe(200);
    const st = await driveUntilRolledBack('agree', (u) => testTexts[u % testTexts.length]);
    expect(st.canary.rolledBack.reasons).toEqual(['AGREEMENT']);
    expect(st.stats['1.2.0-shuffled'].agreement.compared).toBeGreaterThanOrEqual(30);
    expect(st.stats['1.2.0-shuffled'].agreement.rate).toBeLessThan(0.9);
    expect(st.shadow).toBeNull();
    await expectRolledBack('1.2.0-shuffled', 'AGREEMENT', 'agree');
    // The candidate went back to dev, so the same canary is refused until it passes the gate again.
    expect((await put({ canary: { version: '1.2.0-shuffled', percent: 10 } })).status).toBe(409);
  });

  it('takes rules from the CLI (the region picks them up) with the same checks', async () => {
    const cli = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'regional/src/ops/cli/registry.ts', ...args, '--json', '--by', 'cli-test'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url }, timeout: 60_000 }).then(
        (x) => ({ code: 0, out: x.stdout, err: x.stderr }),
        (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
      );
    const ok = await cli(['canary', M, '1.7.0', '--percent', '20', '--guardrail', 'minRequests=500', '--reason', 'from the cli']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ model: M, rule: { control: CONTROL, canary: { version: '1.7.0', percent: 20 }, guardrails: { minRequests: 500 } }, updatedBy: 'cli-test' });
    const st = await until(async () => {
      const s = await status();
      return s.canary?.percent === 20 && s.candidates.some((c: { state: string }) => c.state === 'ready') && s;
    });
    expect(st).toMatchObject({ updatedBy: 'cli-test', reason: 'from the cli' });
    const bad = await cli(['canary', M, '1.7.0', '--percent', '120']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/INVALID_REQUEST.*0-100/);
    const unknown = await cli(['shadow', M, '7.7.7', '--percent', '10']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/VERSION_NOT_FOUND/);
  }, 120_000);
});
