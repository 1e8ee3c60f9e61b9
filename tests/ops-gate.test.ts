/**
 * The evaluation gate CLI on real classifiers: the committed model against itself passes; a
 * model trained on a sliver of the data is refused with the failing checks named; a model with a
 * 16,384-unit hidden layer (a float Gemm of 132 × 16,384 per query, many times the committed
 * linear model's work) is refused on p99 latency; a tampered candidate is refused before any
 * evaluation; the baseline comes from the registry when asked.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJsonlDataset } from '../models/pipeline/datasets.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';
import { loadBaseVectors, trainIntentModel, writeIntentFolder } from '../models/pipeline/intent-model.ts';
import { latencyCheck, latencySpread, mcnemar, qualityChecks, type GateLatency, type GateModelResult } from '../regional/src/ops/gate/rules.ts';
import { registerModelFolder } from '../regional/src/ops/register-folder.ts';
import { openStore } from '../regional/src/store/open.ts';
import cacheConfig from '../domains/kitsune-books/cache.json' with { type: 'json' };
import { copyWithScrambledWords } from './helpers/model-copies.ts';
import embedderManifest from '../models/default/embedder/manifest.json' with { type: 'json' };
import { domainPack } from '../regional/src/domain/pack-files.ts';

/** The domain the region (and the CLIs) serve by default: the registry rows they see are its. */
const SERVED_DOMAIN = domainPack().domain.name;

const ROOT = resolve(import.meta.dirname, '..');
const DEFAULT_CLASSIFIER = join(ROOT, 'models/default/store-intent');
const DEFAULT_EMBEDDER = join(ROOT, 'models/default/embedder');
const DEFAULT_RERANKER = join(ROOT, 'models/default/reranker');
const run = promisify(execFile);

describe('gate rules', () => {
  const base: GateModelResult = { model: 'a@1', dataset: 'd', n: 100, accuracy: 0.9, inScopeAccuracy: 0.92, oosRecall: 0.7, macroF1: 0.88, ece: 0.03, routeThreshold: 0.9, routePrecision: 0.99, routeCoverage: 0.5 };
  it('passes within the margins and fails beyond them', () => {
    expect(qualityChecks(base, { ...base, accuracy: 0.895 }).every((c) => c.passed)).toBe(true);
    const bad = qualityChecks(base, { ...base, accuracy: 0.85, routePrecision: 0.97, routeCoverage: 0.49 });
    expect(bad.filter((c) => !c.passed).map((c) => c.metric)).toEqual(['accuracy', 'routePrecision']);
  });
  it('gates the median of per-round p99s as a ratio, so one paused round does not decide', () => {
    const lat = (rounds: number[]): GateLatency => ({ p50Ms: 0.05, p95Ms: 0.1, p99Ms: Math.max(...rounds), roundP99Ms: rounds, p99MedianMs: [...rounds].sort((a, b) => a - b)[(rounds.length - 1) / 2] });
    const base = lat([0.2, 0.2, 0.21, 5.0, 0.2]);
    // a pause in a different round of each model: the medians are 0.2 and 0.22
    const ok = latencyCheck(base, lat([0.22, 4.0, 0.23, 0.21, 0.22]));
    expect(ok).toMatchObject({ metric: 'p99Ms', passed: true, baseline: 0.2, candidate: 0.22 });
    expect(ok.limit).toBeCloseTo(0.2 * 1.3 + 0.05, 10);
    expect(ok.message).toMatch(/median of 5 rounds.*range 0\.04–20\.00/);
    const slow = latencyCheck(base, lat([0.5, 0.52, 0.49, 0.55, 0.51]));
    expect(slow.passed).toBe(false);
    const spread = latencySpread(base, lat([0.4, 0.4, 0.42, 0.4, 0.4]));
    expect(spread.rounds).toBe(5);
    for (const [k, v] of Object.entries({ min: 0.08, q1: 2, median: 2, q3: 2, max: 2 })) expect(spread[k as keyof typeof spread]).toBeCloseTo(v, 10);
  });
  it('McNemar on known numbers', () => {
    // b = 10, c = 25: chi2 = (15 − 1)² / 35 = 5.6, p ≈ 0.01797
    const r = mcnemar(10, 25);
    expect(r.chi2).toBeCloseTo(5.6, 10);
    expect(r.pValue).toBeCloseTo(0.017961, 4);
    expect(mcnemar(0, 0).pValue).toBe(1);
  });
});

describe('gate CLI', () => {
  let dir: string;
  let weak: string;
  let slow: string;

  const gate = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ['--import', 'tsx', 'regional/src/ops/gate/cli.ts', ...args, '--json', '--latency-runs', '1200', '--latency-rounds', '6', '--out', join(dir, 'reports')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '', ...env },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-gate-'));
    // A weak candidate: the same recipe trained on three examples per intent.
    const ds = loadJsonlDataset(join(ROOT, 'domains/kitsune-books/intents'));
    const seen = new Map<string, number>();
    const train = ds.train.filter((e) => {
      const n = seen.get(e.label) ?? 0;
      seen.set(e.label, n + 1);
      return n < 3;
    });
    const base = await loadBaseVectors(join(ROOT, 'models/default/embedder'));
    const model = await trainIntentModel({ ...ds, name: 'sliver', train }, base, { epochs: 5 });
    weak = join(dir, 'weak');
    const manifest = JSON.parse(readFileSync(join(DEFAULT_CLASSIFIER, 'manifest.json'), 'utf8'));
    await writeIntentFolder(weak, model, base, { name: manifest.name, version: '1.1.0-weak', metrics: {} });
    // A slow candidate: the same sliver behind a 16,384-unit hidden layer (one epoch is enough).
    const big = await trainIntentModel({ ...ds, name: 'sliver', train }, base, { epochs: 1, hidden: 16_384 });
    slow = join(dir, 'slow');
    await writeIntentFolder(slow, big, base, { name: manifest.name, version: '1.1.0-slow', metrics: {} });
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gates a domain pack on its own test split, its classifier the default baseline (--domain)', async () => {
    const r = await gate(['gate', '--candidate', 'domains/bank-support/models/intent', '--domain', 'domains/bank-support']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ passed: true, candidate: 'bank-support-intent@1.0.0', baseline: 'bank-support-intent@1.0.0' });
    const report = JSON.parse(readFileSync(s.json, 'utf8'));
    const own = readFileSync('domains/bank-support/intents/test.jsonl', 'utf8').trim().split('\n').length;
    expect(report.datasets[0]).toMatchObject({ applicable: true, agreement: 1 });
    expect(report.datasets[0].baseline.n).toBe(own);
  });

  it('passes the committed model against itself and writes HTML and JSON reports', async () => {
    const r = await gate(['gate', '--candidate', DEFAULT_CLASSIFIER]);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ passed: true, candidate: 'switchyard-store-intent@1.1.0', baseline: 'switchyard-store-intent@1.1.0', failed: [] });
    const report = JSON.parse(readFileSync(s.json, 'utf8'));
    expect(report.checks.map((c: { metric: string }) => c.metric)).toEqual(['accuracy', 'inScopeAccuracy', 'routePrecision', 'routeCoverage', 'p99Ms']);
    expect(report.datasets[0]).toMatchObject({ dataset: 'intents', applicable: true, agreement: 1, mcnemar: { b: 0, c: 0 } });
    // the golden set is the whole store test split: its 275 v1 messages and the v2 additions
    expect(report.datasets[0].baseline.n).toBe(storeIntents().test.length);
    expect(report.datasets[0].baseline.n).toBeGreaterThan(550);
    expect(report.latency).toMatchObject({ rounds: 6, runs: 1200 });
    expect(report.latency.baseline.roundP99Ms).toHaveLength(6);
    expect(report.latency.ratioSpread.rounds).toBe(6);
    const html = readFileSync(s.report, 'utf8');
    expect(html).toMatch(/PASSED/);
    expect(html).toMatch(/<svg[^>]+aria-label="metrics"/);
    expect(html).toMatch(/<svg[^>]+aria-label="latency"/);
  });

  it('refuses a regressed candidate (exit 1) and names the failing checks', async () => {
    const r = await gate(['gate', '--candidate', weak, '--baseline', DEFAULT_CLASSIFIER]);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s.passed).toBe(false);
    expect(s.failed.map((f: { metric: string }) => f.metric)).toContain('accuracy');
    const report = JSON.parse(readFileSync(s.json, 'utf8'));
    const d = report.datasets[0];
    expect(d.candidate.accuracy).toBeLessThan(d.baseline.accuracy - 0.01);
    expect(d.mcnemar.b).toBeGreaterThan(d.mcnemar.c);
    expect(d.disagreements.length).toBeGreaterThan(0);
    expect(readFileSync(s.report, 'utf8')).toMatch(/REFUSED/);
    // a dataset whose labels the models do not know is reported, not evaluated
    const other = join(dir, 'other');
    cpSync(join(ROOT, 'domains/kitsune-books/intents'), other, { recursive: true });
    writeFileSync(join(other, 'test.jsonl'), '{"text":"what is the weather","label":"weather"}\n');
    const r2 = await gate(['gate', '--candidate', DEFAULT_CLASSIFIER, '--data', other]);
    expect(r2.code).toBe(0);
    const rep2 = JSON.parse(readFileSync(JSON.parse(r2.out).json, 'utf8'));
    expect(rep2.datasets[1]).toMatchObject({ dataset: 'other', applicable: false, reason: expect.stringMatching(/weather/) });
  });

  it('refuses a candidate that is many times slower on p99 latency', async () => {
    const r = await gate(['gate', '--candidate', slow, '--baseline', DEFAULT_CLASSIFIER]);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s.failed.map((f: { metric: string }) => f.metric)).toContain('p99Ms');
    const report = JSON.parse(readFileSync(s.json, 'utf8'));
    const { baseline, candidate, ratioSpread } = report.latency;
    expect(candidate.p99MedianMs).toBeGreaterThan(2 * baseline.p99MedianMs);
    expect(ratioSpread.median).toBeGreaterThan(2);
    expect(readFileSync(s.report, 'utf8')).toMatch(/per-round p99s/);
  });

  it('gates an embedder on cache precision and recall at the configured hit threshold, STS-B and latency', async () => {
    const same = await gate(['gate', '--candidate', DEFAULT_EMBEDDER]);
    expect(same.code, same.err).toBe(0);
    const s = JSON.parse(same.out);
    const committed = `${embedderManifest.name}@${embedderManifest.version}`;
    expect(s).toMatchObject({ passed: true, candidate: committed, baseline: committed });
    const report = JSON.parse(readFileSync(s.json, 'utf8'));
    expect(report.checks.map((c: { metric: string }) => c.metric)).toEqual(['cachePrecision', 'cacheRecall', 'stsSpearman', 'p99Ms']);
    expect(report.embedder.baseline).toMatchObject({ dataset: 'mrpc-test', pairs: 1725, hitThreshold: cacheConfig.thresholds.hit });
    expect(report.embedder.baseline.cachePrecision).toBeCloseTo(cacheConfig.mrpcTest.hit.precision, 6);
    expect(readFileSync(s.report, 'utf8')).toMatch(/cache hit precision/);
    // A copy that reads 8,000 common words as their neighbours in the vocabulary: same shapes, worse vectors.
    const scrambled = copyWithScrambledWords(DEFAULT_EMBEDDER, dir, '1.1.0-scrambled');
    const r = await gate(['gate', '--candidate', scrambled, '--baseline', DEFAULT_EMBEDDER]);
    expect(r.code, r.err).toBe(1);
    const failed = JSON.parse(r.out).failed.map((f: { metric: string }) => f.metric);
    expect(failed).toContain('stsSpearman');
    expect(failed).not.toContain('p99Ms');
  });

  it('gates a reranker on nDCG@10 and recall@5 of the store questions and on latency', async () => {
    // The latency check is computed here but judged loosely (×11): one timing per query, on a shared
    // machine, must not decide a quality test; latency refusals are tested with a many-times-slower copy.
    const loose = ['--latency-repeats', '1', '--margin-latency', '10'];
    const same = await gate(['gate', '--candidate', DEFAULT_RERANKER, ...loose]);
    expect(same.code, same.err).toBe(0);
    const report = JSON.parse(readFileSync(JSON.parse(same.out).json, 'utf8'));
    expect(report.checks.map((c: { metric: string }) => c.metric)).toEqual(['ndcg10', 'recall5', 'p99Ms']);
    expect(report.reranker.baseline).toMatchObject({ dataset: 'store-kb-questions', questions: 65, candidates: 30 });
    expect(report.reranker.baseline.ndcg10).toBeGreaterThan(0.85);
    // A copy that reads 8,000 common words as one word: lexical matches among them mean nothing.
    const merged = copyWithScrambledWords(DEFAULT_RERANKER, dir, '1.1.0-merged', 1000, 9000, true);
    const r = await gate(['gate', '--candidate', merged, '--baseline', DEFAULT_RERANKER, ...loose]);
    expect(r.code, r.err).toBe(1);
    const failed = JSON.parse(r.out).failed.map((f: { metric: string }) => f.metric);
    expect(failed).toContain('ndcg10');
    expect(failed).not.toContain('p99Ms');
  }, 120_000);

  it('refuses a tampered candidate before evaluating it', async () => {
    const bad = join(dir, 'tampered');
    cpSync(DEFAULT_CLASSIFIER, bad, { recursive: true });
    const onnx = join(bad, 'onnx/model_quantized.onnx');
    const bytes = readFileSync(onnx);
    bytes[100] ^= 1;
    writeFileSync(onnx, bytes);
    const r = await gate(['gate', '--candidate', bad]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('MODEL_INTEGRITY');
    expect((await gate(['gate'])).code).toBe(2);
  });

  it('takes the baseline from the registry: name@version, or the production version by default', async () => {
    const db = join(dir, 'registry.db');
    const store = await openStore(db, { dimensions: 100, embeddingVersion: 't', domain: SERVED_DOMAIN });
    try {
      await registerModelFolder(store.registry, DEFAULT_CLASSIFIER, { registeredBy: 'test', baselineData: null, gitCommit: null });
      await store.registry.setStage('switchyard-store-intent', '1.1.0', 'staging', { actor: 'test' });
      await store.registry.setStage('switchyard-store-intent', '1.1.0', 'production', { actor: 'test' });
    } finally {
      await store.close();
    }
    const r = await gate(['gate', '--candidate', weak], { DATABASE_URL: db });
    expect(r.code).toBe(1);
    const rep = JSON.parse(readFileSync(JSON.parse(r.out).json, 'utf8'));
    expect(rep.baseline).toMatchObject({ model: 'switchyard-store-intent@1.1.0', dir: DEFAULT_CLASSIFIER });
    const byName = await gate(['gate', '--candidate', 'switchyard-store-intent@1.1.0', '--baseline', DEFAULT_CLASSIFIER], { DATABASE_URL: db });
    expect(byName.code, byName.err).toBe(0);
    expect(existsSync(join(dir, 'reports', 'gate-switchyard-store-intent-1.1.0.html'))).toBe(true);
  });
});
