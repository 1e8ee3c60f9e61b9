/**
 * The evaluation gate (`npm run -s gate -- --candidate <dir | name@version> [--baseline <dir | name@version>]`):
 * for a sentence-embedder candidate, semantic-cache hit precision and recall on MRPC test at the
 * configured hit threshold, STS-B test Spearman and p99 latency against the baseline embedder
 * (--margin-cache-precision 0.02 --margin-cache-recall 0.05 --margin-sts 0.01); for a cross-encoder,
 * nDCG@10 and recall@5 of the store knowledge base's questions (--margin-ranking 0.02) and p99
 * latency of a 30-passage rerank; for an LLM configuration (kind llm-config), the golden answer set
 * (scripts/eval/answers.ts, run twice in its own process: the baseline configuration — default the
 * built-in one — and the candidate, with --generator extractive|bedrock|openai, default the
 * region's LLM_BACKEND) on fact recall, correct declines and grounding (--margin-answers 0.02) and
 * the wrong-fact rate (--margin-wrong-facts 0.005); for a routing config (kind routing-config), the
 * domain's classifier deciding with its per-intent thresholds against the baseline config's on the
 * golden sets (routing precision and coverage); otherwise
 * compares a candidate intent classifier with the baseline on the golden sets (the store's whole
 * test split, 577 messages of which the first 275 are its v1, plus any `--data <dir>` whose labels
 * the models know, e.g. a public set it was trained for) on accuracy, routing precision and
 * coverage, and p99 latency, and refuses (exit 1) when the candidate regresses beyond the
 * margins. Writes reports/gate-<candidate>.html and .json.
 *
 * Latency: both models are timed one single query at a time, alternating query by query, in
 * --latency-rounds rounds (the order flips every round); each query's latency is the fastest of
 * --latency-repeats timings (see latencies()); each round gives each model a p99 over its
 * queries, the gated figure is the median of a model's per-round p99s, and the candidate's may
 * be at most (1 + --margin-latency) × the baseline's (+ 0.05 ms). The spread of the per-round
 * ratios is reported beside it.
 *
 *   --baseline        default: the registry's production version of the candidate's name when
 *                     DATABASE_URL is set and has one, else the domain's classifier (models/default/store-intent)
 *   --domain <dir>    the domain pack whose test split is the golden set, whose cache threshold the
 *                     embedder gate uses and whose classifier is the default baseline (default:
 *                     SWITCHYARD_DOMAIN, else domains/kitsune-books)
 *   --data <dir>      more golden sets (repeatable); --no-store to leave out the domain's set
 *   --margin-accuracy 0.01  --margin-route-precision 0.01  --margin-route-coverage 0.05
 *   --margin-latency 0.3 (relative p99)  --latency-runs 6000 (per model, all rounds)
 *   --latency-rounds 12  --latency-repeats 3 (timings per query and model; the fastest counts)
 *   --out <dir>  --json
 *
 * name@version resolves through the domain's registry (DATABASE_URL; models are keyed by the
 * --domain pack's name, so another domain's versions are not found). Exit: 0 passed, 1 refused (a
 * regression, or an artifact that fails its sha256 check), 2 usage.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { intentMetrics, percentile, type Prediction } from '../../../../shared/eval/metrics.ts';
import type { Dataset } from '../../../../shared/domain/labelled-examples.ts';
import { loadCrossEncoder, loadIntentClassifier, loadSentenceEmbedder } from '../../inference/load-node.ts';
import { loadAnyDataset, loadMrpc, loadStsb, REPO_ROOT, storeRetrievalListsWith } from './eval-data.ts';
import { evaluateRerank } from '../../../../shared/eval/rerank-eval.ts';
import { hitsAt, scorePairs } from '../../../../shared/eval/paraphrase-eval.ts';
import { stsSpearman } from '../../../../shared/eval/sts-eval.ts';
import { DEFAULT_DOMAIN_DIR, domainModelDir, domainPack } from '../../domain/pack-files.ts';
import { DEFAULT_MARGINS, answerChecks, embedderChecks, rerankerChecks, latencyCheck, latencySpread, mcnemar, qualityChecks, type AnswerGateResult, type EmbedderGateResult, type GateLatency, type GateMargins, type GateModelResult, type RerankerGateResult } from './rules.ts';
import { writeGateReport, type GateDatasetResult, type GateReport } from './report.ts';
import { inspectModelFolder, verifyRegisteredArtifact } from '../register-folder.ts';
import { parseRoutingConfig } from '../../../../shared/routing/routing-config-schema.ts';
import { applyRoutingConfig, ROUTING_CONFIG_FILE, type VersionedRoutingConfig } from '../../../../shared/routing/routing-config.ts';
import type { IntentClassifier } from '../../../../shared/models/intent-classifier.ts';
import type { ModelManifest } from '../../../../shared/models/manifest.ts';
import type { ModelRegistryStore } from '../../store/types.ts';

const USAGE =
  'usage: npm run -s gate -- --candidate <dir | name@version> [--baseline <dir | name@version>] [--domain <dir>] [--data <dir>]... [--no-store] ' +
  '[--margin-accuracy x] [--margin-answers x] [--margin-wrong-facts x] [--generator g] [--margin-route-precision x] [--margin-route-coverage x] [--margin-cache-precision x] [--margin-cache-recall x] [--margin-sts x] [--margin-ranking x] [--margin-latency x] [--latency-runs N] [--latency-rounds N] [--latency-repeats N] [--out dir] [--json]';

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function args() {
  try {
    return parseArgs({ args: process.argv.slice(2), allowPositionals: true, strict: true, options: {
      candidate: { type: 'string' },
      baseline: { type: 'string' },
      domain: { type: 'string' },
      data: { type: 'string', multiple: true },
      'no-store': { type: 'boolean' },
      'margin-accuracy': { type: 'string' },
      'margin-route-precision': { type: 'string' },
      'margin-route-coverage': { type: 'string' },
      'margin-latency': { type: 'string' },
      'margin-cache-precision': { type: 'string' },
      'margin-cache-recall': { type: 'string' },
      'margin-sts': { type: 'string' },
      'margin-ranking': { type: 'string' },
      'margin-answers': { type: 'string' },
      'margin-wrong-facts': { type: 'string' },
      generator: { type: 'string' },
      'latency-runs': { type: 'string' },
      'latency-rounds': { type: 'string' },
      'latency-repeats': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    } });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const { values, positionals } = args();
if (!values.candidate || positionals.some((p) => p !== 'gate')) {
  console.error(USAGE);
  process.exit(2);
}

function num(flag: string, fallback: number): number {
  const v = values[flag as keyof typeof values];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${flag} must be a non-negative number\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const margins: GateMargins = {
  accuracy: num('margin-accuracy', DEFAULT_MARGINS.accuracy),
  routePrecision: num('margin-route-precision', DEFAULT_MARGINS.routePrecision),
  routeCoverage: num('margin-route-coverage', DEFAULT_MARGINS.routeCoverage),
  latencyRatio: num('margin-latency', DEFAULT_MARGINS.latencyRatio),
  latencySlackMs: DEFAULT_MARGINS.latencySlackMs,
  cachePrecision: num('margin-cache-precision', DEFAULT_MARGINS.cachePrecision),
  cacheRecall: num('margin-cache-recall', DEFAULT_MARGINS.cacheRecall),
  stsSpearman: num('margin-sts', DEFAULT_MARGINS.stsSpearman),
  ranking: num('margin-ranking', DEFAULT_MARGINS.ranking),
  answers: num('margin-answers', DEFAULT_MARGINS.answers),
  wrongFacts: num('margin-wrong-facts', DEFAULT_MARGINS.wrongFacts),
};
const latencyRounds = Math.max(3, Math.round(num('latency-rounds', 12)));
// At least 100 queries per model per round, so that a round's p99 is not just its maximum.
const latencyRuns = Math.max(100 * latencyRounds, Math.round(num('latency-runs', 6000)));
const latencyRepeats = Math.max(1, Math.round(num('latency-repeats', 3)));
const DOMAIN_DIR = resolve((values.domain as string | undefined) ?? process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR);
const STORE_DIR = join(DOMAIN_DIR, 'intents');
const cacheConfig = domainPack(DOMAIN_DIR).cache;
const DEFAULT_BASELINE = domainModelDir(DOMAIN_DIR, 'classifier');
/** The pack's embedder (domain.json models.embedder): the baseline of an embedder candidate and the reranker gate's first stage. */
const DEFAULT_EMBEDDER = domainModelDir(DOMAIN_DIR, 'embedder');
const DEFAULT_RERANKER = join(REPO_ROOT, 'models', 'default', 'reranker');

/** The domain whose models the gate reads from the registry (domain.json `name`): another domain's versions are never candidates or baselines. */
const DOMAIN_NAME = domainPack(DOMAIN_DIR).domain.name;

/** `fn` on the domain's registry (DATABASE_URL), the store closed after. */
async function withRegistry<T>(fn: (reg: ModelRegistryStore) => Promise<T>): Promise<T> {
  const { openStore } = await import('../../store/open.ts');
  const { PG_EMBEDDING_DIMENSIONS } = await import('../../store/schema.pg.ts');
  const store = await openStore(process.env.DATABASE_URL, { dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'gate-cli', domain: DOMAIN_NAME });
  try {
    return await fn(store.registry);
  } finally {
    await store.close();
  }
}

/** A folder path, or name@version from the domain's registry (its artifact re-verified against the registry's hashes). */
async function resolveModel(ref: string): Promise<string> {
  const m = /^([^@/\\]+)@([^@/\\]+)$/.exec(ref);
  if (!m) return resolve(ref);
  return withRegistry(async (reg) => {
    const v = await reg.getModelVersion(m[1], m[2]);
    if (!v) throw new Refusal('NOT_FOUND', `no registered model version ${ref} in domain ${DOMAIN_NAME}`);
    await verifyRegisteredArtifact(v);
    return v.artifactUri.replace(/^file:\/\//, '');
  });
}

/** The domain's production version of `name`, when DATABASE_URL points at a registry that has one. */
async function productionOf(name: string): Promise<string | null> {
  if (!process.env.DATABASE_URL) return null;
  return withRegistry(async (reg) => {
    const v = await reg.getProductionVersion(name);
    if (!v) return null;
    await verifyRegisteredArtifact(v);
    return v.artifactUri.replace(/^file:\/\//, '');
  });
}

type Loaded = IntentClassifier & { manifest: ModelManifest };

/** Loads a model (which verifies every file's sha256); a failed check is the gate's refusal. */
async function verified<T>(role: string, loader: () => Promise<T>): Promise<T> {
  try {
    return await loader();
  } catch (e) {
    if ((e as { code?: string }).code === 'MODEL_INTEGRITY') throw new Refusal('MODEL_INTEGRITY', `${role}: ${(e as Error).message}`);
    throw e;
  }
}

async function load(dir: string, role: string): Promise<Loaded> {
  const clf = await verified(role, () => loadIntentClassifier(dir));
  if (clf.manifest.kind !== 'intent-classifier') throw new Refusal('WRONG_KIND', `${role} ${dir} is a ${clf.manifest.kind}, not an intent classifier`);
  return clf;
}

const id = (c: { manifest: ModelManifest }) => `${c.manifest.name}@${c.manifest.version}`;

async function predict(clf: Loaded, texts: string[]) {
  const out = [];
  for (let i = 0; i < texts.length; i += 64) out.push(...(await clf.classify(texts.slice(i, i + 64))));
  return out;
}

/** Routing is every confident prediction: in-scope intents over the routing threshold and trusted out-of-scope declines. */
function result(clf: Loaded, dataset: string, preds: Prediction[], confident: boolean[]): GateModelResult {
  const m = intentMetrics(preds);
  const routed = preds.filter((_, i) => confident[i]);
  const right = routed.filter((p) => p.label === p.gold).length;
  return {
    model: id(clf),
    dataset,
    n: m.n,
    accuracy: m.accuracy,
    inScopeAccuracy: m.inScopeAccuracy,
    oosRecall: m.oosRecall,
    macroF1: m.macroF1,
    ece: m.ece,
    routeThreshold: clf.calibration.routeThreshold,
    routePrecision: routed.length ? right / routed.length : 1,
    routeCoverage: preds.length ? routed.length / preds.length : 0,
  };
}

async function evaluate(base: Loaded, cand: Loaded, ds: Dataset): Promise<GateDatasetResult> {
  const labels = [...new Set(ds.test.map((e) => e.label))];
  const unknown = labels.filter((l) => !base.labels.includes(l) || !cand.labels.includes(l));
  if (unknown.length) return { dataset: ds.name, applicable: false, reason: `labels unknown to the models: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}` };
  const texts = ds.test.map((e) => e.text);
  const [bp, cp] = [await predict(base, texts), await predict(cand, texts)];
  const toPreds = (ps: typeof bp) => ps.map((p, i) => ({ gold: ds.test[i].label, label: p.intent, confidence: p.confidence }));
  const bPreds = toPreds(bp);
  const cPreds = toPreds(cp);
  let agree = 0;
  let onlyBase = 0;
  let onlyCand = 0;
  const dis = new Map<string, { count: number; baselineRight: number; candidateRight: number }>();
  for (let i = 0; i < texts.length; i++) {
    const gold = ds.test[i].label;
    const br = bPreds[i].label === gold;
    const cr = cPreds[i].label === gold;
    if (br && !cr) onlyBase++;
    if (cr && !br) onlyCand++;
    if (bPreds[i].label === cPreds[i].label) agree++;
    else {
      const d = dis.get(gold) ?? { count: 0, baselineRight: 0, candidateRight: 0 };
      d.count++;
      d.baselineRight += br ? 1 : 0;
      d.candidateRight += cr ? 1 : 0;
      dis.set(gold, d);
    }
  }
  return {
    dataset: ds.name,
    applicable: true,
    baseline: result(base, ds.name, bPreds, bp.map((p) => p.confident)),
    candidate: result(cand, ds.name, cPreds, cp.map((p) => p.confident)),
    agreement: agree / texts.length,
    mcnemar: mcnemar(onlyBase, onlyCand),
    disagreements: [...dis].map(([intent, d]) => ({ intent, ...d })).sort((a, b) => b.count - a.count || a.intent.localeCompare(b.intent)),
  };
}

/**
 * Single-query latency of both models in rounds: within a round the two alternate query by query
 * (who goes first flips every round), so both see the same machine. Each query is timed
 * `latencyRepeats` times per model, back to back, and the fastest counts: a query's own cost
 * (its length, the model's size) stays, a scheduler or GC pause that happened to land on one
 * timing goes. Without it, on a shared machine ~1% or more of sub-millisecond queries take a
 * multi-millisecond pause whatever the model, and p99 measures the machine, not the model.
 */
type Run = (text: string) => Promise<unknown>;

async function latencies(base: Run, cand: Run, texts: string[], runs: number) {
  for (let i = 0; i < 500; i++) {
    await base(texts[i % texts.length]);
    await cand(texts[i % texts.length]);
  }
  const perRound = Math.ceil(runs / latencyRounds);
  const b: number[][] = [];
  const c: number[][] = [];
  let q = 0;
  for (let r = 0; r < latencyRounds; r++) {
    const br: number[] = [];
    const cr: number[] = [];
    for (let i = 0; i < perRound; i++, q++) {
      const t = texts[q % texts.length];
      let bMin = Infinity;
      let cMin = Infinity;
      for (let k = 0; k < latencyRepeats; k++) {
        const candFirst = (i + r + k) % 2 === 1;
        for (const model of candFirst ? [cand, base] : [base, cand]) {
          const t0 = performance.now();
          await model(t);
          const ms = performance.now() - t0;
          if (model === base) bMin = Math.min(bMin, ms);
          else cMin = Math.min(cMin, ms);
        }
      }
      br.push(bMin);
      cr.push(cMin);
    }
    b.push(br);
    c.push(cr);
  }
  return { b, c };
}

function latencyOf(rounds: number[][]): GateLatency {
  const all = rounds.flat();
  const roundP99Ms = rounds.map((r) => percentile(r, 99));
  return { p50Ms: percentile(all, 50), p95Ms: percentile(all, 95), p99Ms: percentile(all, 99), roundP99Ms, p99MedianMs: percentile(roundP99Ms, 50) };
}

const stemOf = (m: ModelManifest) => `gate-${m.name}-${m.version}`.replace(/[^\w.@-]+/g, '_');

/** The manifest's kind, read before loading (which verifies every file). */
function manifestKind(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { kind?: string }).kind;
  } catch {
    return undefined;
  }
}

/** Writes the HTML and JSON reports, prints the summary; the exit code. */
function finish(report: GateReport, stem: string, lat: { b: number[][]; c: number[][] }): number {
  const outDir = resolve((values.out as string | undefined) ?? join(REPO_ROOT, 'reports'));
  const html = join(outDir, `${stem}.html`);
  const json = join(outDir, `${stem}.json`);
  writeGateReport(html, json, report, { baseline: lat.b.flat(), candidate: lat.c.flat() });
  const checks = report.checks;
  const failed = checks.filter((c) => !c.passed);
  const summary = { passed: report.passed, domain: report.domain, candidate: report.candidate.model, baseline: report.baseline.model, failed: failed.map((c) => ({ dataset: c.dataset, metric: c.metric, message: c.message })), report: html, json };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(`${report.passed ? 'PASSED' : 'REFUSED'}: ${summary.candidate} vs ${summary.baseline}`);
    for (const c of checks) console.log(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.dataset} ${c.message}`);
    console.log(`report: ${html}`);
  }
  return report.passed ? 0 : 1;
}

const loadEmbedder = (dir: string, role: string) => verified(role, () => loadSentenceEmbedder(dir));

/**
 * A sentence-embedder candidate: both embedders on MRPC test at the semantic cache's configured hit
 * threshold (precision and recall of the hits the cache would serve with this embedder swapped
 * in) and on STS-B test, plus the same interleaved p99 latency as for classifiers.
 */
async function gateEmbedder(candDir: string): Promise<number> {
  const cand = await loadEmbedder(candDir, 'candidate');
  const baseDir = values.baseline ? await resolveModel(values.baseline as string) : ((await productionOf(cand.manifest.name)) ?? DEFAULT_EMBEDDER);
  if (manifestKind(baseDir) !== 'sentence-embedder') throw new Refusal('WRONG_KIND', `baseline ${baseDir} is not a sentence embedder`);
  const base = await loadEmbedder(baseDir, 'baseline');
  const hitThreshold = cacheConfig.thresholds.hit;
  const mrpc = loadMrpc('test');
  const result = async (emb: typeof base): Promise<EmbedderGateResult> => {
    const hits = hitsAt(await scorePairs(emb, mrpc), hitThreshold);
    return { model: id(emb), dataset: 'mrpc-test', hitThreshold, pairs: mrpc.length, cachePrecision: hits.precision, cacheRecall: hits.recall, stsSpearman: await stsSpearman(emb, loadStsb('test')) };
  };
  const embedder = { baseline: await result(base), candidate: await result(cand) };
  const t = await timeBoth((q) => base.embed([q]), (q) => cand.embed([q]), loadAnyDataset(STORE_DIR).test.map((e) => e.text));
  const checks = [...embedderChecks(embedder.baseline, embedder.candidate, margins), t.check];
  const report: GateReport = {
    ...reportHead(cand, candDir, base, baseDir, checks),
    datasets: [],
    embedder,
    latency: t.latency,
    notes: [
      `Cache precision and recall at the configured hit threshold (${hitThreshold}, ${relative(REPO_ROOT, join(DOMAIN_DIR, 'cache.json'))}): what the cache serves if this embedder replaces the baseline without recalibration. Intent routing belongs to the classifier's gate.`,
    ],
  };
  return finish(report, stemOf(cand.manifest), t.samples);
}

/**
 * A cross-encoder candidate: both rerankers reorder the hybrid top 30 (BM25 + the default
 * embedder, fused) of the store knowledge base's held-out questions; nDCG@10 and recall@5 are
 * gated, and p99 latency of one 30-passage rerank, timed as for the other kinds (a tenth of
 * --latency-runs, at least 100 a round: each call is ~30 pairs).
 */
async function gateReranker(candDir: string): Promise<number> {
  const load = (dir: string, role: string) => verified(role, () => loadCrossEncoder(dir));
  const cand = await load(candDir, 'candidate');
  const baseDir = values.baseline ? await resolveModel(values.baseline as string) : ((await productionOf(cand.manifest.name)) ?? DEFAULT_RERANKER);
  if (manifestKind(baseDir) !== 'cross-encoder') throw new Refusal('WRONG_KIND', `baseline ${baseDir} is not a cross-encoder`);
  const base = await load(baseDir, 'baseline');
  const k = 30;
  const { rerankQuestions } = await storeRetrievalListsWith(DEFAULT_EMBEDDER, k, DOMAIN_DIR);
  const result = async (ce: typeof base): Promise<RerankerGateResult> => {
    const m = (await evaluateRerank(rerankQuestions, (q, texts) => ce.score(q, texts))).reranked;
    return { model: id(ce), dataset: 'store-kb-questions', questions: m.questions, candidates: k, ndcg10: m.ndcg10, recall5: m.recall5, mrr: m.mrr };
  };
  const reranker = { baseline: await result(base), candidate: await result(cand) };
  const byQuestion = new Map(rerankQuestions.map((q) => [q.question, q.candidates.map((c) => c.text)]));
  const t = await timeBoth(
    (q) => base.score(q, byQuestion.get(q)!),
    (q) => cand.score(q, byQuestion.get(q)!),
    rerankQuestions.map((q) => q.question),
    Math.max(100 * latencyRounds, Math.round(latencyRuns / 10)),
  );
  const checks = [...rerankerChecks(reranker.baseline, reranker.candidate, margins), t.check];
  const report: GateReport = {
    ...reportHead(cand, candDir, base, baseDir, checks),
    datasets: [],
    reranker,
    latency: t.latency,
    notes: ['First stage: BM25 and the committed default embedder, fused (RRF k = 60), the same candidates for both rerankers.'],
  };
  return finish(report, stemOf(cand.manifest), t.samples);
}

/** The golden answer set's summary for one LLM configuration (none: the built-in one), from its own process. */
function answerRun(dir: string | null): AnswerGateResult {
  const generator = (values.generator as string | undefined) ?? process.env.LLM_BACKEND ?? 'extractive';
  const out = mkdtempSync(join(tmpdir(), 'sy-gate-answers-'));
  try {
    const args = ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'eval', 'answers.ts'), '--json', '--generator', generator === 'auto' ? 'extractive' : generator, '--out', out, '--domain', DOMAIN_DIR, ...(dir ? ['--llm-config', dir] : [])];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    if (run.status !== 0 || !line.startsWith('{')) throw new Refusal('EVAL_FAILED', `the golden answer set did not run for ${dir ?? 'the built-in configuration'}: ${run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`}`);
    const s = JSON.parse(line) as Omit<AnswerGateResult, 'model'>;
    return { model: dir ?? 'builtin', questions: s.questions, factRecall: s.factRecall, wrongFactRate: s.wrongFactRate, declineRate: s.declineRate, grounding: s.grounding, generatorP99Ms: s.generatorP99Ms };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * An LLM configuration candidate: the golden answer set with the baseline configuration and with
 * the candidate, through the region's own generation (the configured generator); see answerChecks.
 * No latency check: the generator's latency is the backend's, not the configuration's.
 */
async function gateLlmConfig(candDir: string): Promise<number> {
  const baseDir = values.baseline ? await resolveModel(values.baseline as string) : null;
  if (baseDir && manifestKind(baseDir) !== 'llm-config') throw new Refusal('WRONG_KIND', `baseline ${baseDir} is not an llm-config`);
  const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  const cand = { manifest: manifest(candDir) };
  const base = { manifest: baseDir ? manifest(baseDir) : ({ ...cand.manifest, version: 'builtin' } as ModelManifest) };
  const baseline = answerRun(baseDir);
  const candidate = answerRun(candDir);
  const checks = answerChecks(baseline, candidate, margins);
  const flat = (p: number | null): GateLatency => ({ p50Ms: p ?? 0, p95Ms: p ?? 0, p99Ms: p ?? 0, roundP99Ms: [p ?? 0], p99MedianMs: p ?? 0 });
  const report: GateReport = {
    ...reportHead(cand, candDir, base, baseDir ?? 'builtin', checks),
    datasets: [],
    answers: { baseline, candidate },
    latency: { baseline: flat(baseline.generatorP99Ms), candidate: flat(candidate.generatorP99Ms), runs: baseline.questions, rounds: 1, repeats: 1, ratioSpread: { rounds: 0, min: 1, q1: 1, median: 1, q3: 1, max: 1 } },
    notes: [`Scored on ${relative(REPO_ROOT, join(DOMAIN_DIR, 'eval', 'golden-answers.jsonl'))} (npm run -s eval -- answers --domain); latency shown is the generator p99, not gated.`],
  };
  return finish(report, stemOf(cand.manifest), { b: [], c: [] });
}

/**
 * A routing config candidate (kind routing-config): the domain's classifier deciding with the
 * candidate's per-intent thresholds against the baseline's (default: the registry's production
 * config, else the pack's routing/, else the classifier's own thresholds) on the golden sets:
 * routing precision and coverage (accuracy cannot change: the same model). A config tuned for
 * another classifier version is refused (WRONG_CLASSIFIER). No latency check: the same model runs.
 */
async function gateRoutingConfig(candDir: string): Promise<number> {
  const read = async (dir: string) => {
    try {
      await inspectModelFolder(dir);
    } catch (e) {
      throw new Refusal((e as { code?: string }).code ?? 'MODEL_INTEGRITY', (e as Error).message);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
    return { manifest, rc: { id: id({ manifest }), config: parseRoutingConfig(JSON.parse(readFileSync(join(dir, ROUTING_CONFIG_FILE), 'utf8')), dir) } };
  };
  const cand = await read(candDir);
  const clf = await load(DEFAULT_BASELINE, 'classifier');
  const clfId = id(clf);
  if (cand.rc.config.classifier !== clfId) throw new Refusal('WRONG_CLASSIFIER', `${cand.rc.id} was tuned for ${cand.rc.config.classifier}; the domain's classifier is ${clfId}`);
  const baseDir = values.baseline ? await resolveModel(values.baseline as string) : await productionOf(cand.manifest.name);
  if (baseDir && manifestKind(baseDir) !== 'routing-config') throw new Refusal('WRONG_KIND', `baseline ${baseDir} is not a routing-config`);
  const packRc = domainPack(DOMAIN_DIR).routingConfig;
  const base = baseDir
    ? await read(baseDir)
    : { manifest: { ...cand.manifest, version: packRc ? packRc.id.split('@')[1] : 'none' } as ModelManifest, rc: packRc ?? null };
  const deciding = (x: { manifest: ModelManifest; rc: VersionedRoutingConfig | null }): Loaded => Object.assign(clf.withCalibration(applyRoutingConfig(clf.calibration, x.rc, clfId).calibration), { manifest: x.manifest });
  const sets: Dataset[] = [loadAnyDataset(STORE_DIR), ...((values.data as string[] | undefined) ?? []).map(loadAnyDataset)];
  const datasets: GateDatasetResult[] = [];
  for (const ds of sets) datasets.push(await evaluate(deciding(base), deciding(cand), ds));
  const applicable = datasets.filter((d) => d.applicable);
  const checks = applicable.flatMap((d) => qualityChecks(d.baseline!, d.candidate!, margins));
  const flat: GateLatency = { p50Ms: 0, p95Ms: 0, p99Ms: 0, roundP99Ms: [0], p99MedianMs: 0 };
  const report: GateReport = {
    ...reportHead(cand, candDir, base, baseDir ?? (packRc ? 'the pack\'s routing/' : 'the classifier\'s own thresholds'), checks),
    datasets,
    latency: { baseline: flat, candidate: flat, runs: 0, rounds: 0, repeats: 0, ratioSpread: { rounds: 0, min: 1, q1: 1, median: 1, q3: 1, max: 1 } },
    notes: [`Both sides are ${clfId} deciding with each config's thresholds; latency is the classifier's and is not gated here.`],
  };
  return finish(report, stemOf(cand.manifest), { b: [], c: [] });
}

/** Both models' single-query latency (interleaved rounds), its figures and the gate's check. */
async function timeBoth(base: Run, cand: Run, texts: string[], runs = latencyRuns) {
  const samples = await latencies(base, cand, texts, runs);
  const baseline = latencyOf(samples.b);
  const candidate = latencyOf(samples.c);
  const latency = { baseline, candidate, runs: samples.b.flat().length, rounds: latencyRounds, repeats: latencyRepeats, ratioSpread: latencySpread(baseline, candidate) };
  return { samples, latency, check: latencyCheck(baseline, candidate, margins) };
}

function reportHead(cand: { manifest: ModelManifest }, candDir: string, base: { manifest: ModelManifest }, baseDir: string, checks: GateReport['checks']) {
  return {
    passed: checks.every((c) => c.passed),
    generatedAt: new Date().toISOString(),
    domain: DOMAIN_NAME,
    candidate: { model: id(cand), dir: candDir },
    baseline: { model: id(base), dir: baseDir },
    margins: { ...margins },
    checks,
  };
}

async function main(): Promise<number> {
  const candDir = await resolveModel(values.candidate as string);
  const kind = manifestKind(candDir);
  if (kind === 'sentence-embedder') return gateEmbedder(candDir);
  if (kind === 'cross-encoder') return gateReranker(candDir);
  if (kind === 'llm-config') return gateLlmConfig(candDir);
  if (kind === 'routing-config') return gateRoutingConfig(candDir);
  const cand = await load(candDir, 'candidate');
  const baseDir = values.baseline ? await resolveModel(values.baseline as string) : ((await productionOf(cand.manifest.name)) ?? DEFAULT_BASELINE);
  const base = await load(baseDir, 'baseline');

  const sets: Dataset[] = [];
  if (!values['no-store']) sets.push(loadAnyDataset(STORE_DIR));
  for (const d of (values.data as string[] | undefined) ?? []) sets.push(loadAnyDataset(d));
  if (!sets.length) throw new Refusal('NO_DATA', 'no golden set: drop --no-store or give --data');

  const datasets: GateDatasetResult[] = [];
  for (const ds of sets) datasets.push(await evaluate(base, cand, ds));
  const applicable = datasets.filter((d) => d.applicable);
  if (!applicable.length) throw new Refusal('NO_DATA', `no golden set has labels both models know (${datasets.map((d) => `${d.dataset}: ${d.reason}`).join('; ')})`);

  const t = await timeBoth((q) => base.classify([q]), (q) => cand.classify([q]), sets[0].test.map((e) => e.text));
  const checks = [...applicable.flatMap((d) => qualityChecks(d.baseline!, d.candidate!, margins)), t.check];
  const report: GateReport = {
    ...reportHead(cand, candDir, base, baseDir, checks),
    datasets,
    latency: t.latency,
    notes: ['Cache precision is not gated here: it belongs to the embedder and the cache thresholds (npm run calibrate:cache), not to a classifier candidate.'],
  };
  return finish(report, stemOf(cand.manifest), t.samples);
}

let exitCode: number;
try {
  exitCode = await main();
} catch (e) {
  if (e instanceof Refusal) {
    if (values.json) console.log(JSON.stringify({ passed: false, error: { code: e.code, message: e.message } }));
    console.error(`refused (${e.code}): ${e.message}`);
    exitCode = 1;
  } else {
    console.error(`error: ${(e as Error).stack ?? e}`);
    exitCode = 1;
  }
}
process.exit(exitCode);
