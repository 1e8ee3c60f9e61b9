/**
 * `npm run bench:services`: the edge in workerd (wrangler dev) in front of the regional service,
 * and the regional service alone. Prints JSON; BENCHMARKS.md records the figures with this command.
 *   edge: server-side latency (done.latencyMs.total, measured inside workerd) and client round
 *         trip for the template and cache-hit paths, in the isolate's steady state: first the young
 *         isolate's row (`edge_template_young_isolate`: the first BENCH_N template answers after
 *         ready, a new session each, as every run measured its first path before), then an
 *         unrecorded warm-up over every measured path (BENCH_WARMUP answers per edge, default 400;
 *         `edge_warm_up` says what it saw), then the recorded rounds (the follow-up cache hit twice:
 *         sent at once after the previous answer, and `_after_think`, BENCH_THINK_MS later, default
 *         300); classifier time inside workerd; semantic-cache
 *         lookup at 10k / 100k entries (the same index code, in Node's V8); share of the store test
 *         set answered without the region.
 *   regional: embeddings/s at concurrency 1/8/32 with batching on and off; rerank of 30 p50/p99;
 *         pipeline overhead of /v1/generate (everything but the LLM: the extractive generator
 *         answers in ~1 ms).
 *   bedrock: the same overhead with LLM_BACKEND=bedrock, ConverseStream answered at once by msw in
 *         Bedrock's event-stream wire format (the real SDK client, signing, parsing, guardrails).
 *   transformer: the same embeddings/s with a MiniLM-L6-shaped BERT stand-in (random weights:
 *         a throughput stand-in, not a quality model; models/pipeline/bert-standin.ts), built
 *         into a temp dir and loaded through the foreign-folder path (transformers.js).
 *   lanes: interactive single-text embedding latency on that stand-in, alone and beside a
 *         running batch job (embed task, 128-row chunks) in the batchers' batch lane, and, for
 *         contrast, beside the same job in the interactive lane (how batch jobs ran before).
 *   openai: /v1/chat/completions through the edge: template and cache answers (server-side inside
 *         workerd and round trip; the isolate's first answer apart, then 20 untimed, then the young
 *         isolate's template row, a warm-up over both paths as above, then the recorded rounds), and the time
 *         to the first content chunk of streamed LLM-path answers through the edge beside the
 *         region's own route called directly (shuffled order per round; paired differences), also
 *         sent to the Worker's own workerd without wrangler dev's local proxy (`withoutDevProxy`,
 *         `devProxyHopP50Ms`: a hop a deployed Worker does not have). The region these answers
 *         come from runs in a process of its own (a client never shares the region's process), and
 *         a reference Worker that only passes requests on (scripts/pass-through-worker.ts) is timed
 *         beside the edge: what any Worker adds here, so the edge's own share is the difference.
 *         Both are timed a third way, in a plain `workerd serve` (`plainWorkerd`: the bundle
 *         `wrangler deploy` ships, without wrangler dev and Miniflare's entry, asset-router and
 *         outbound workers or an inspector), how they run deployed.
 *   BENCH_PEER=<another checkout, e.g. main's>: the edge and openai parts run that checkout's edge
 *         beside this one and alternate every request between the two (scripts/bench-edges.ts).
 *   BENCH_EDGE_STATE=tmpfs|disk|both: where the edges keep their local state (session objects'
 *         SQLite files, the cache's D1): a tmpfs by default (scripts/edge-state-dir.ts says why
 *         that is closer to deployed), disk as every run before, or both (each edge twice, the disk
 *         one reported as `this_disk`, `peer_disk`; `edge_state` says which was where).
 *   BENCH_EDGE_PRIORITY=group|nice|off: the CPU priority of every Worker's workerd the edge and
 *         openai parts start (scripts/edge-priority.ts): `group` (the default: a cpu cgroup of its
 *         own at 10 × a session's weight; deployed, the edge waits for no other program's CPU),
 *         `nice` (its threads at nice −10: ahead of the bench's own processes only), `off` (every
 *         run before stop 24); `edge_priority` and `openai_edge_priority` say what each got.
 *         Server-side rows give `max` and `over5ms` (answers over 5 ms; a p99 ≤ 5 allows 1 %).
 *   BENCH_EDGE_STORAGE=same|own-process|both: the edge part's edges as deployed (plain `workerd
 *         serve`, not wrangler dev), with their session objects and D1 stand-in in the Worker's
 *         workerd (`same`), in a storage host of their own over the loopback (`own-process`), or both
 *         ways alternated (the second as `this_own`); `edge_runner` says which (scripts/bench-edges.ts).
 *         Unset: wrangler dev, as before.
 *   reload: (not in the default set) the edge following classifier promotions in the region's
 *         registry: promotion → serving time, the edge's download / session+warm-up / swap
 *         times, and template answers' round trip during reloads beside the same with none.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import catalog from '../domains/kitsune-books/kb/catalog.json' with { type: 'json' };
import routesJson from '../domains/kitsune-books/routes.json' with { type: 'json' };
import terms from '../domains/kitsune-books/entities.json' with { type: 'json' };
import conversation from '../domains/kitsune-books/conversation.json' with { type: 'json' };
import { entityPatternsOf, gazetteerOf } from '../shared/cache/entities.ts';
import { dialogueEntitiesFor } from '../shared/conversation/conversation-data.ts';
import { resolveFollowUp } from '../shared/conversation/follow-up.ts';
import { intentInContext } from '../shared/conversation/intent-in-context.ts';
import { loadIntentClassifier } from '../regional/src/inference/load-node.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';
import { percentiles } from '../shared/eval/metrics.ts';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import { loadConfig } from '../regional/src/config.ts';
import { registerModelFolder } from '../regional/src/ops/register-folder.ts';
import { startRegional } from '../regional/src/server.ts';
import { buildServices, type Services } from '../regional/src/services.ts';
import { BatchRunner } from '../regional/src/ops/batch-runner.ts';
import { submitBatchJob } from '../regional/src/ops/batch-submit.ts';
import { batchModelsOf } from '../regional/src/ops/routes.ts';
import { MINILM_L6_SHAPE, writeRandomBertFolder } from '../models/pipeline/bert-standin.ts';
import { MemoryCacheStorage } from '../shared/cache/memory-storage.ts';
import { SemanticCache } from '../shared/cache/semantic-cache.ts';
import { frameKey } from '../shared/cache/key-frame.ts';
import { parseIntentRoutes, routeFor } from '../shared/routing/intent-routes.ts';
import { decideWithRouting } from '../shared/routing/routing-config.ts';
import { DEFAULT_DOMAIN_DIR, domainPack } from '../regional/src/domain/pack-files.ts';
import { startEdgeProcess } from './edge-process.ts';
import { edgeStateDir, edgeStateKinds } from './edge-state-dir.ts';
import { alternate, checkoutOf, EDGE_STORAGE_SETTING, edgePriorities, edgeStates, edgeStorages, startBenchEdges, startBenchEdgesUnderWorkerd, startBenchRegions, startPassThroughUnderWorkerd, startPassThroughWorker } from './bench-edges.ts';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { converseStream, streamResponse } from '../tests/helpers/bedrock-wire.ts';

const N = Number(process.env.BENCH_N ?? 2000);
/** The first 275 messages of the store test split are its v1 (domains/kitsune-books/README.md). */
const STORE_TEST_V1 = 275;
/** BENCH_PARTS=regional,bedrock,transformer,lanes,edge,openai,cache,routing (default all); reload on request. */
/** The region's per-request log lines would mix into the JSON this prints: warnings and errors only. */
const QUIET_LOGS = process.env.LOG_LEVEL ?? 'warn';
const PARTS = new Set((process.env.BENCH_PARTS ?? 'regional,bedrock,transformer,lanes,edge,openai,cache,routing').split(','));
const pct = (xs: number[]) => {
  const p = percentiles(xs);
  return { p50: +p.p50.toFixed(3), p99: +p.p99.toFixed(3), n: p.n, max: xs.length ? +Math.max(...xs).toFixed(3) : null };
};
/** A server-side row: its percentiles, and how many answers took over 5 ms (the edge paths' p99 bound allows 1 %). */
const serverPct = (xs: number[]) => ({ ...pct(xs), over5ms: xs.filter((x) => x > 5).length });
const out: Record<string, unknown> = { command: 'npm run bench:services', n: N, date: new Date().toISOString() };
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-'));

// ---- regional ----
const regional = await startRegional(loadConfig({ LOG_LEVEL: QUIET_LOGS, PORT: '0', DATABASE_URL: join(dir, 'r.db') }), () => {});
const H = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
// The workload: the store's test messages (577 real-looking user messages), cycled.
const storeMessages = storeIntents().test.map((e) => e.text);
/**
 * Single-text embed calls from `concurrency` closed-loop callers for `seconds`: embeddings per
 * second of wall time, and per second of this process's CPU time (the model runs on this thread,
 * so on an idle machine the two agree; on the shared machine the CPU figure is the one that
 * compares across runs, since other jobs take wall time but not this process's CPU time).
 */
async function embedRate(s: Services, concurrency: number, seconds = 3) {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() < end) {
        await s.embedder.embed([storeMessages[(w * 37 + done) % storeMessages.length]]);
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { wall: Math.round(done / seconds), cpu: Math.round(done / ((cpu.user + cpu.system) / 1e6)) };
}
/** embeddings/s at concurrency 1/8/32 with the embedder's batcher at max 32 (batched) and max 1 (unbatched). */
async function embeddingThroughput(s: Services, seconds = 3) {
  const setMax = (n: number) => {
    for (const b of s.batchers) if (b.opts.name === 'embedder') (b.opts as { maxSize: number }).maxSize = n;
  };
  const wall: Record<string, number> = {};
  const perCpuSecond: Record<string, number> = {};
  setMax(32);
  await embedRate(s, 32, 1); // warm-up: JIT, and the runtime's buffers for the shapes that come
  for (const [mode, max] of [['batched', 32], ['unbatched', 1]] as const) {
    setMax(max);
    for (const c of [1, 8, 32]) ({ wall: wall[`${mode}_c${c}`], cpu: perCpuSecond[`${mode}_c${c}`] } = await embedRate(s, c, seconds));
  }
  setMax(32);
  return {
    perWallSecond: wall,
    perCpuSecond,
    speedup_c32: { wall: +(wall.batched_c32 / wall.unbatched_c32).toFixed(2), cpu: +(perCpuSecond.batched_c32 / perCpuSecond.unbatched_c32).toFixed(2) },
    loadAverage: +loadavg()[0].toFixed(2),
  };
}
/**
 * Pipeline overhead per `/v1/generate` (JSON replies, 1,000 sequential requests over the store's
 * LLM-path test questions): server-side total minus the LLM stage, and the client round trip.
 */
async function generateOverhead(url: string, check: (j: any) => void = () => {}) {
  const questions = storeIntents().test.filter((e) => ['recommendation', 'price_availability', 'order_status', 'product_question'].includes(e.label)).map((e) => e.text);
  const overhead: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < Math.min(N, 1000); i++) {
    const t0 = performance.now();
    const res = await fetch(url + '/v1/generate', { method: 'POST', headers: { ...H, accept: 'application/json' }, body: JSON.stringify({ message: questions[i % questions.length], sessionId: `b${i}` }) });
    const j = await res.json();
    wall.push(performance.now() - t0);
    check(j);
    overhead.push(j.done.latencyMs.total - j.done.latencyMs.llm);
  }
  return { serverSideExcludingLlm: pct(overhead), clientRoundTrip: pct(wall) };
}
if (PARTS.has('regional')) {
out.regional_embeddings_per_s = await embeddingThroughput(regional.services);

const passages = catalog.slice(0, 30).map((t) => `${t.title}\n${t.description}`);
const rr: number[] = [];
for (let i = 0; i < 300; i++) {
  const t0 = performance.now();
  await regional.services.rerank!('dark fantasy manga for adults', passages);
  rr.push(performance.now() - t0);
}
out.regional_rerank_30 = pct(rr);

out.regional_generate_overhead_ms = await generateOverhead(regional.url);
}

// ---- regional with Bedrock (ConverseStream answered at once by msw, real SDK and wire format) ----
if (PARTS.has('bedrock')) {
  const words = ['Standard ', 'shipping ', 'within ', 'the ', 'US ', 'takes ', '3 to 5 ', 'business ', 'days.'];
  const mock = setupServer(
    http.post('https://:host/model/:modelId/converse-stream', () => streamResponse(converseStream(words, { usage: { inputTokens: 900, outputTokens: words.length, totalTokens: 900 + words.length } }))),
  );
  mock.listen({ onUnhandledRequest: 'bypass' });
  const env = { AWS_ACCESS_KEY_ID: 'AKIDFAKEFORBENCH', AWS_SECRET_ACCESS_KEY: 'fake-secret' };
  Object.assign(process.env, env);
  const bedrock = await startRegional(loadConfig({ LOG_LEVEL: QUIET_LOGS, ...env, PORT: '0', DATABASE_URL: join(dir, 'bedrock.db'), LLM_BACKEND: 'bedrock' }), () => {});
  out.regional_generate_overhead_bedrock_msw_ms = await generateOverhead(bedrock.url, (j) => {
    if (!String(j.route.generator).startsWith('bedrock')) throw new Error(`expected the Bedrock generator, got ${j.route.generator}`);
  });
  await bedrock.close();
  mock.close();
}

/**
 * The warm-up before a part's recorded rounds: `BENCH_WARMUP` answers per edge (default 400),
 * recorded nowhere, cycling over every path measured after it (the next path each answer, the
 * edges alternated in a shuffled order). A deployed isolate serves thousands of answers, so its
 * lifetime p99 is its steady state's; the recorded rounds measure that. By count, not until the
 * classify time settles: the young isolate's costs are tied to answers, not to a threshold the
 * 1 ms clock can read (BENCHMARKS "New-session p99", "Template span tail": V8's optimising compile
 * of onnxruntime's WASM ends 1–2.5 s after ready, the first scavenge lands near answer 17 and the
 * first full collection at answers 84–175 in 8 starts), and a settling rule on a p99 of 1 ms steps
 * would end early or late with the machine's load. 400 is twice the latest of those, on top of the
 * part's young-isolate row. What the warm-up saw is reported (answers ≥ 5 ms server-side per 50,
 * per edge), so a reader sees whether it had settled by its end.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 400);
async function warmUp<S>(edgeNames: string[], paths: Record<string, S>, ask: (edge: string, spec: S, i: number, path: string) => Promise<{ server: number }>) {
  const keys = Object.keys(paths);
  const slowPer50: Record<string, number[]> = Object.fromEntries(edgeNames.map((n) => [n, Array(Math.ceil(WARMUP / 50)).fill(0)]));
  const t0 = performance.now();
  await alternate(WARMUP, edgeNames, async (edge, i) => {
    const path = keys[i % keys.length];
    const { server } = await ask(edge, paths[path], Math.floor(i / keys.length), path);
    if (server >= 5) slowPer50[edge][Math.floor(i / 50)]++;
  }, 23);
  return { answersPerEdge: WARMUP, paths: keys, seconds: +((performance.now() - t0) / 1000).toFixed(1), slowAnswersPer50: slowPer50, loadAverage1m: +loadavg()[0].toFixed(1) };
}

/** The benches time the answer paths from one client: the edge's per-client limits are off for them. */
const NO_CLIENT_LIMITS = { CLIENT_RATE_LIMIT_PER_MINUTE: 'off', SESSION_RATE_LIMIT_PER_MINUTE: 'off' };

// ---- edge ----
if (PARTS.has('edge')) {
// With BENCH_EDGE_STORAGE set, the edges as deployed (plain `workerd serve`), their objects where it says; else wrangler dev.
const edges = EDGE_STORAGE_SETTING
  ? await startBenchEdgesUnderWorkerd({ port: 18700 + Math.floor(Math.random() * 200), regionalUrlOf: { this: regional.url, peer: regional.url }, vars: NO_CLIENT_LIMITS, label: '' })
  : (await startBenchEdges({ port: 18700 + Math.floor(Math.random() * 200), regionalUrl: regional.url, vars: NO_CLIENT_LIMITS, quiet: true })).map((e) => ({ ...e, stop: () => e.edge.stop() }));
const names = edges.map((e) => e.name);
out.edge_state = Object.fromEntries(names.map((n) => [n, edgeStates[n]]));
out.edge_runner = EDGE_STORAGE_SETTING ? { runner: 'workerd', storage: Object.fromEntries(names.map((n) => [n, edgeStorages[n]])) } : { runner: 'wrangler dev' };
const urlOf = Object.fromEntries(edges.map((e) => [e.name, e.url]));
const chatJson = (url: string, message: string, sessionId: string, extra = {}) =>
  fetch(url + '/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message, sessionId, ...extra }) }).then((r) => r.json());
/**
 * This edge's figures, and every other edge's under its name (the peer's, BENCH_PEER, under `peer`;
 * with BENCH_EDGE_STATE=both the second state kind's under `this_disk`, `peer_disk`), measured
 * alternately in the same run.
 */
const withPeer = <T>(by: Record<string, T>) => ({ ...by.this, ...Object.fromEntries(Object.entries(by).filter(([n]) => n !== 'this')) });
/**
 * One measured path: `messages` cycled, each answer expected on `expectPath`. `session`: "fresh" (a
 * new session per message: an empty Durable Object read), "one" (all messages in one session: a
 * full 8-turn read), "history" (a stateless client's one-turn history: no session read at all, the
 * peer the session read is measured against). `before`: a message sent first in each session (a
 * follow-up's context).
 */
interface EdgePathSpec { messages: string[]; expectPath: string; session: 'fresh' | 'one' | 'history'; before?: string; thinkMs?: number }
/** `beforeClient`: the `before` message's own round trip (so a change that moved work out of the follow-up into it shows). */
type EdgeSample = { server: number; client: number; classify: number; sessionRead: number; beforeClient?: number };
const run = `${Date.now()}`;
async function askEdge(name: string, spec: EdgePathSpec, i: number, tag: string): Promise<EdgeSample> {
  const sessionId = spec.session === 'one' ? `one-${tag}-${run}` : `e${i}-${tag}-${run}`;
  let beforeClient: number | undefined;
  if (spec.before) {
    const tb = performance.now();
    await chatJson(urlOf[name], spec.before, sessionId);
    beforeClient = performance.now() - tb;
    if (spec.thinkMs) await new Promise((res) => setTimeout(res, spec.thinkMs));
  }
  const message = spec.messages[i % spec.messages.length];
  const t0 = performance.now();
  const j = await chatJson(urlOf[name], message, sessionId, spec.session === 'history' ? { history: [{ role: 'user', content: 'hi' }] } : {});
  const client = performance.now() - t0;
  if (j.route.path !== spec.expectPath) throw new Error(`expected ${spec.expectPath}, got ${j.route.path} for ${message} (${name})`);
  if (j.route.fallbacks.includes('session_unavailable')) throw new Error('the session store was unavailable');
  return { server: j.done.latencyMs.total, client, classify: j.done.latencyMs.classify, sessionRead: j.done.latencyMs.session, ...(beforeClient !== undefined ? { beforeClient } : {}) };
}
let pathRuns = 0;
/** `N` recorded answers of one path per edge, alternated between the edges. */
async function edgePath(messages: string[], expectPath: string, session: EdgePathSpec['session'] = 'fresh', before?: string, thinkMs?: number) {
  const spec = { messages, expectPath, session, before, thinkMs };
  const s = Object.fromEntries(names.map((n) => [n, [] as EdgeSample[]]));
  const tag = `p${pathRuns++}`;
  await alternate(N, names, async (name, i) => void s[name].push(await askEdge(name, spec, i, tag)));
  const col = (xs: EdgeSample[], k: keyof EdgeSample) => pct(xs.map((x) => x[k] ?? 0));
  const stats = (xs: EdgeSample[]) => ({
    serverSide: serverPct(xs.map((x) => x.server)),
    clientRoundTrip: col(xs, 'client'),
    classify: col(xs, 'classify'),
    sessionRead: col(xs, 'sessionRead'),
    ...(before ? { beforeClientRoundTrip: col(xs, 'beforeClient') } : {}),
  });
  return { ...withPeer(Object.fromEntries(names.map((n) => [n, stats(s[n])]))), loadAverage1m: +loadavg()[0].toFixed(1) };
}
const templates = ['hello!', 'what are your support hours?', 'what is your return policy?', 'can I talk to a human?', 'thanks, bye'];
const cacheQs = ['how much does shipping to alaska cost?', 'can I pay with paypal?', 'do you ship to canada?'];
const specs: Record<string, EdgePathSpec> = {
  template: { messages: templates, expectPath: 'template', session: 'fresh' },
  cacheHit: { messages: cacheQs, expectPath: 'cache', session: 'fresh' },
  templateOneSession: { messages: templates, expectPath: 'template', session: 'one' },
  templateStateless: { messages: templates, expectPath: 'template', session: 'history' },
  followUpCacheHit: { messages: ['how long does it take?'], expectPath: 'cache', session: 'fresh', before: 'do you ship to canada?' },
};
// The young isolate, as every run before measured its first path: the first N template answers
// (a new session per message) after ready. Kept as a row of its own: a deployed isolate pays its
// young age (V8 still optimising onnxruntime's WASM, the first scavenge and first full collection
// after the load) once, among thousands of answers; these are those answers.
out.edge_template_young_isolate = await edgePath(templates, 'template');
for (const url of Object.values(urlOf)) {
  for (const q of cacheQs) {
    for (let i = 0; i < 40; i++) {
      if ((await chatJson(url, q, 'warm')).route.path === 'cache') break;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  for (let i = 0; i < 40; i++) {
    const sid = `warm-follow-${i}`;
    await chatJson(url, 'do you ship to canada?', sid);
    if ((await chatJson(url, 'how long does it take?', sid)).route.path === 'cache') break;
    await new Promise((res) => setTimeout(res, 100));
  }
}
out.edge_warm_up = await warmUp(names, specs, (name, spec, i, path) => askEdge(name, spec, i, `warm-${path}`));
// The steady state, recorded: every path after the young row and the warm-up.
out.edge_template = await edgePath(templates, 'template');
out.edge_cache_hit = await edgePath(cacheQs, 'cache');
// Conversations: the same template answers in one long session (an 8-turn read) and from a
// stateless client (no session read), and a follow-up whose resolved key hits the cache.
out.edge_template_one_session = await edgePath(templates, 'template', 'one');
out.edge_template_stateless = await edgePath(templates, 'template', 'history');
out.edge_followup_cache_hit = await edgePath(['how long does it take?'], 'cache', 'fresh', 'do you ship to canada?');
// The same follow-up sent BENCH_THINK_MS (default 300) after the previous answer landed, not within a
// millisecond of it: an additional row, the one above kept. A person reads the answer and types (the
// traffic model's median wait is 20 s: docs/traffic.md "Think time") and even an app's scripted
// follow-up takes hundreds of ms, so 300 ms is a low bound. Locally the previous turn's write (a new
// session object: its SQLite file's creation and the turn's commit, fsyncs on the Worker's own thread)
// is still running when a follow-up sent at once arrives; deployed that write runs on the object's host.
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 300);
out.edge_followup_cache_hit_after_think = { thinkMs: THINK_MS, ...(await edgePath(['how long does it take?'], 'cache', 'fresh', 'do you ship to canada?', THINK_MS)) };
// The first path once more, last (as before the warm-up existed: its figures then were the young isolate's).
out.edge_template_again_last = await edgePath(templates, 'template');
// Classifier time inside workerd at sub-millisecond resolution: 64 texts per call, timed in the Worker.
const texts = storeIntents().test.slice(0, 64).map((e) => e.text);
const perText: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
await alternate(100, names, async (name) => {
  const j = await (await fetch(urlOf[name] + '/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts }) })).json();
  perText[name].push(j.latencyMs / texts.length);
});
out.edge_classifier_per_text_in_batches_of_64 = withPeer(Object.fromEntries(names.map((n) => [n, pct(perText[n])])));
// What CPU priority each edge had (BENCH_EDGE_PRIORITY), read at the end: threads made during the part counted.
out.edge_priority = Object.fromEntries(Object.entries(edgePriorities).filter(([n]) => names.includes(n.replace(/_storage$/, ''))).map(([n, h]) => [n, h.describe()]));
await Promise.all(edges.map((e) => e.stop()));
}

// ---- OpenAI-compatible chat completions through the edge (BENCH_PARTS=openai) ----
if (PARTS.has('openai')) {
// The region behind the edges runs in a process of its own here (each checkout's own, with
// BENCH_PEER): a client never shares the region's process, and one that does (the region above,
// in this process) sees the region's first text only once the region's event loop is free, and an
// edge's reply only once the region's work after its first text is done. Both are still timed:
// `regionDirect` (its own process) and `regionDirectInBenchProcess` (the one above).
const benchRegions = await startBenchRegions({ LOG_LEVEL: QUIET_LOGS }, dir);
const regionOf = Object.fromEntries(benchRegions.map((r) => [r.name, r.region.url]));
const edges = await startBenchEdges({ port: 19100 + Math.floor(Math.random() * 200), regionalUrl: regionOf.this, regionalUrlOf: regionOf, vars: { ...NO_CLIENT_LIMITS, MODEL_REFRESH_INTERVAL_MS: '0' }, quiet: true });
const names = edges.map((e) => e.name);
out.openai_edge_state = Object.fromEntries(names.map((n) => [n, edgeStates[n]]));
const urlOf = Object.fromEntries(edges.map((e) => [e.name, e.url]));
const withPeer = <T>(by: Record<string, T>) => ({ ...by.this, ...Object.fromEntries(Object.entries(by).filter(([n]) => n !== 'this')) });
const M = Math.min(N, 300);
const completion = (base: string, content: string, stream: boolean, headers: Record<string, string> = {}) =>
  fetch(base + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'switchyard', stream, messages: [{ role: 'user', content }] }) });
/** One template / cache answer, whole: server-side time inside workerd (switchyard.latency_ms.total) and the client round trip. */
async function askCompletion(name: string, content: string, expectPath: string) {
  const t0 = performance.now();
  const j = await (await completion(urlOf[name], content, false)).json();
  const client = performance.now() - t0;
  if (j.switchyard?.path !== expectPath) throw new Error(`expected ${expectPath}, got ${JSON.stringify(j).slice(0, 200)}`);
  if (j.usage.total_tokens !== 0) throw new Error('an edge answer reported LLM tokens');
  return { server: j.switchyard.latency_ms.total as number, client };
}
/** `M` recorded answers per edge, alternated between the edges. */
async function edgeCompletions(messages: string[], expectPath: string) {
  const s = Object.fromEntries(names.map((n) => [n, { server: [] as number[], client: [] as number[] }]));
  await alternate(M, names, async (name, i) => {
    const { server, client } = await askCompletion(name, messages[i % messages.length], expectPath);
    s[name].client.push(client);
    s[name].server.push(server);
  });
  return { ...withPeer(Object.fromEntries(names.map((n) => [n, { serverSide: serverPct(s[n].server), clientRoundTrip: pct(s[n].client) }]))), loadAverage1m: +loadavg()[0].toFixed(1) };
}
// The isolate's very first answer, apart; then, as every run before measured this path first, the
// young isolate's template answers (after 20 untimed ones) as a row of their own.
const first: Record<string, { serverSideMs: number; clientRoundTripMs: number }> = {};
for (const { name, url } of edges) {
  const coldT0 = performance.now();
  const coldJson = await (await completion(url, 'hello!', false)).json();
  first[name] = { serverSideMs: coldJson.switchyard.latency_ms.total, clientRoundTripMs: +(performance.now() - coldT0).toFixed(3) };
}
out.openai_edge_first_answer = withPeer(first);
const templateQs = ['hello!', 'what are your support hours?', 'what is your return policy?', 'thanks, bye'];
for (const url of Object.values(urlOf)) for (let i = 0; i < 20; i++) await (await completion(url, templateQs[i % templateQs.length], false)).json();
out.openai_edge_template_young_isolate = await edgeCompletions(templateQs, 'template');
const cached = ['how much does shipping to alaska cost?', 'can I pay with paypal?'];
for (const url of Object.values(urlOf)) {
  for (const q of cached) {
    for (let i = 0; i < 40; i++) {
      if ((await (await completion(url, q, false)).json()).switchyard.path === 'cache') break;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}
const openAiPaths = { template: { messages: templateQs, expectPath: 'template' }, cacheHit: { messages: cached, expectPath: 'cache' } };
out.openai_edge_warm_up = await warmUp(names, openAiPaths, (name, p, i) => askCompletion(name, p.messages[i % p.messages.length], p.expectPath));
// The steady state, recorded.
out.openai_edge_template = await edgeCompletions(templateQs, 'template');
out.openai_edge_cache_hit = await edgeCompletions(cached, 'cache');
// The template set once more, last (before the warm-up existed, the young row's path measured again).
out.openai_edge_template_again_last = await edgeCompletions(templateQs, 'template');
/** Time until the streamed body first matches `first` (client side); the whole body must match `whole`. */
async function firstMs(url: string, body: unknown, headers: Record<string, string>, first: RegExp, whole: RegExp) {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let at = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    if (!at && first.test(buf)) at = performance.now() - t0;
  }
  if (!at || !whole.test(buf)) throw new Error(`no LLM-path answer from ${url}: ${buf.slice(0, 200)}`);
  // The edge's own work before it called the region: its total less the region leg (edge answers only).
  const lat = [...buf.matchAll(/"latency_?[mM]s":(\{[^}]*\})/g)].at(-1)?.[1];
  const l = lat ? (JSON.parse(lat) as Record<string, number>) : null;
  if (l && l.region_total !== undefined) edgeBeforeUpstream.push(l.total - l.upstream);
  return at;
}
const edgeBeforeUpstream: number[] = [];
/** OpenAI route: the first content chunk of an LLM-path answer. */
const firstContentMs = (base: string, content: string, headers: Record<string, string>) =>
  firstMs(base + '/v1/chat/completions', { model: 'switchyard', stream: true, messages: [{ role: 'user', content }] }, headers, /"delta":\{"content":"[^"]/, /"model":"region\//);
/** Native routes (the edge's /v1/chat, the region's /v1/generate): the first delta event; the hop's own cost, without the OpenAI mapping. */
const firstDeltaMs = (url: string, body: unknown, headers: Record<string, string>) => firstMs(url, body, headers, /event: delta/, /"path":"llm"/);
const llmQs = ['can you recommend a dark fantasy manga like berserk?', 'which isekai light novels do you recommend?', 'what should I read after frieren?', 'any cozy slice of life manga you would suggest?'];
// Callers: each edge's region direct; each edge through wrangler dev (what a client of `wrangler
// dev` sees) and, when its URL is known, at its Worker's own workerd without wrangler dev's proxy.
const callers: Record<string, (q: string, i: number) => Promise<number>> = {
  regionDirectInBenchProcess: (q) => firstContentMs(regional.url, q, { authorization: H.authorization }),
};
// The reference Worker in front of this checkout's region: the floor any Worker pays here.
const passThrough = await startPassThroughWorker({ port: 19400 + Math.floor(Math.random() * 100), regionalUrl: regionOf.this, persistTo: join(dir, 'wrangler-pass-through') });
callers.passThroughWorker = (q) => firstContentMs(passThrough.url, q, {});
if (passThrough.workerUrl) callers.passThroughWorkerWithoutDevProxy = (q) => firstContentMs(passThrough.workerUrl!, q, {});
// The same Workers in a plain `workerd serve` (no wrangler dev, no Miniflare plumbing: as deployed).
const plainEdges = await startBenchEdgesUnderWorkerd({ port: 19500 + Math.floor(Math.random() * 100), regionalUrlOf: regionOf, vars: { ...NO_CLIENT_LIMITS, MODEL_REFRESH_INTERVAL_MS: '0' } });
const plainPassThrough = await startPassThroughUnderWorkerd({ port: 19600 + Math.floor(Math.random() * 100), regionalUrl: regionOf.this });
callers.passThroughWorkerPlainWorkerd = (q) => firstContentMs(plainPassThrough.url, q, {});
for (const { name, url } of plainEdges) callers[`viaEdgePlainWorkerd${name === 'this' ? '' : `_${name}`}`] = (q) => firstContentMs(url, q, {});
for (const { name, url, workerUrl } of edges) {
  const tag = name === 'this' ? '' : `_${name}`;
  callers[`regionDirect${tag}`] = (q) => firstContentMs(regionOf[checkoutOf(name)], q, { authorization: H.authorization });
  callers[`nativeRegionDirect${tag}`] = (q, i) => firstDeltaMs(regionOf[checkoutOf(name)] + '/v1/generate', { message: q, sessionId: `t${i}${tag}` }, { authorization: H.authorization });
  callers[`viaEdge${tag}`] = (q) => firstContentMs(url, q, {});
  callers[`nativeViaEdge${tag}`] = (q, i) => firstDeltaMs(url + '/v1/chat', { message: q, sessionId: `t${i}${tag}` }, {});
  if (workerUrl) callers[`viaEdgeWithoutDevProxy${tag}`] = (q) => firstContentMs(workerUrl, q, {});
}
const ttft: Record<string, number[]> = Object.fromEntries(Object.keys(callers).map((k) => [k, []]));
for (let i = 0; i < 8; i++) for (const call of Object.values(callers)) await call(llmQs[i % llmQs.length], -1 - i); // warm-up, untimed
await alternate(Math.min(M, 150), Object.keys(callers), async (k, i) => void ttft[k].push(await callers[k](llmQs[i % llmQs.length], i)));
/** The median of the per-round differences (edge − direct, same question, same round): steadier than a difference of medians under load. */
const pairedMedian = (a: number[], b: number[]) => +percentiles(a.map((x, i) => x - b[i])).p50.toFixed(3);
// What one bare request costs on each hop here: /healthz round trips to the region, to each edge
// through wrangler dev, and to each edge's own workerd (no dev proxy), in a shuffled order.
const hopUrls: Record<string, string> = { regionInBenchProcess: regional.url };
for (const { name, url, workerUrl } of edges) {
  const tag = name === 'this' ? '' : `_${name}`;
  hopUrls[`region${tag}`] = regionOf[checkoutOf(name)];
  hopUrls[`edge${tag}`] = url;
  if (workerUrl) hopUrls[`edgeWithoutDevProxy${tag}`] = workerUrl;
}
const hop: Record<string, number[]> = Object.fromEntries(Object.keys(hopUrls).map((k) => [k, []]));
await alternate(Math.min(M, 150), Object.keys(hopUrls), async (k) => {
  const t0 = performance.now();
  await (await fetch(hopUrls[k] + '/healthz')).text();
  hop[k].push(performance.now() - t0);
});
const ttftOf = (tag: string) => {
  const [e, d, ne, nd] = [pct(ttft[`viaEdge${tag}`]), pct(ttft[`regionDirect${tag}`]), pct(ttft[`nativeViaEdge${tag}`]), pct(ttft[`nativeRegionDirect${tag}`])];
  const inner = ttft[`viaEdgeWithoutDevProxy${tag}`];
  const plain = ttft[`viaEdgePlainWorkerd${tag}`];
  const devHop = hop[`edgeWithoutDevProxy${tag}`] ? +(pct(hop[`edge${tag}`]).p50 - pct(hop[`edgeWithoutDevProxy${tag}`]).p50).toFixed(3) : undefined;
  return {
    viaEdge: e,
    regionDirect: d,
    /** The headline: what a client of `wrangler dev` sees the edge add (wrangler dev's local proxy included). */
    edgeAddsP50Ms: +(e.p50 - d.p50).toFixed(3),
    edgeAddsPairedMedianMs: pairedMedian(ttft[`viaEdge${tag}`], ttft[`regionDirect${tag}`]),
    native: { viaEdge: ne, regionDirect: nd, edgeAddsP50Ms: +(ne.p50 - nd.p50).toFixed(3), edgeAddsPairedMedianMs: pairedMedian(ttft[`nativeViaEdge${tag}`], ttft[`nativeRegionDirect${tag}`]) },
    // The same answers sent to the Worker's own workerd: what the edge adds without wrangler dev's proxy (absent when deployed).
    ...(inner ? { withoutDevProxy: { viaEdge: pct(inner), edgeAddsP50Ms: +(pct(inner).p50 - d.p50).toFixed(3), edgeAddsPairedMedianMs: pairedMedian(inner, ttft[`regionDirect${tag}`]) } } : {}),
    // The same answers from the Worker in a plain `workerd serve`: no dev tooling at all.
    plainWorkerd: { viaEdge: pct(plain), edgeAddsP50Ms: +(pct(plain).p50 - d.p50).toFixed(3), edgeAddsPairedMedianMs: pairedMedian(plain, ttft[`regionDirect${tag}`]) },
    healthzRoundTrip: Object.fromEntries(Object.entries(hop).filter(([k]) => k.endsWith(tag) && (tag || !k.includes('_'))).map(([k, v]) => [k, pct(v)])),
    /** wrangler dev's proxy hop, measured: /healthz through wrangler dev less /healthz at the Worker's own workerd (p50s). */
    ...(devHop !== undefined ? { devProxyHopP50Ms: devHop } : {}),
  };
};
out.openai_stream_ttft = {
  ...withPeer(Object.fromEntries(names.map((n) => [n, ttftOf(n === 'this' ? '' : `_${n}`)]))),
  /** Inside workerd (1 ms clock): from the request's pipeline start to the region call (classification, routing), both edge routes, all edges. */
  edgeWorkBeforeRegionCallMs: pct(edgeBeforeUpstream),
  /**
   * A Worker that only passes the request to this checkout's region and its answer back
   * (scripts/pass-through-worker.ts), through wrangler dev and at its own workerd: what any Worker
   * adds here. The edge's own share is the edge's figure less this one (same run, same region).
   */
  passThroughWorker: {
    viaDevProxy: pct(ttft.passThroughWorker),
    addsPairedMedianMs: pairedMedian(ttft.passThroughWorker, ttft.regionDirect),
    ...(ttft.passThroughWorkerWithoutDevProxy ? { withoutDevProxy: pct(ttft.passThroughWorkerWithoutDevProxy), withoutDevProxyAddsPairedMedianMs: pairedMedian(ttft.passThroughWorkerWithoutDevProxy, ttft.regionDirect) } : {}),
    edgeOwnSharePairedMedianMs: pairedMedian(ttft.viaEdge, ttft.passThroughWorker),
    ...(ttft.passThroughWorkerWithoutDevProxy && ttft.viaEdgeWithoutDevProxy ? { edgeOwnShareWithoutDevProxyPairedMedianMs: pairedMedian(ttft.viaEdgeWithoutDevProxy, ttft.passThroughWorkerWithoutDevProxy) } : {}),
    plainWorkerd: pct(ttft.passThroughWorkerPlainWorkerd),
    plainWorkerdAddsPairedMedianMs: pairedMedian(ttft.passThroughWorkerPlainWorkerd, ttft.regionDirect),
    edgeOwnSharePlainWorkerdPairedMedianMs: pairedMedian(ttft.viaEdgePlainWorkerd, ttft.passThroughWorkerPlainWorkerd),
  },
  /** The region of the part above, in the bench's own process, direct (what `regionDirect` was before it had a process of its own). */
  regionDirectInBenchProcess: pct(ttft.regionDirectInBenchProcess),
  loadAverage1m: +loadavg()[0].toFixed(1),
};
out.openai_edge_priority = Object.fromEntries(Object.entries(edgePriorities).map(([n, h]) => [n, h.describe()]));
await Promise.all(edges.map((e) => e.edge.stop()));
await passThrough.edge.stop();
await Promise.all([...plainEdges.map((e) => e.stop()), plainPassThrough.stop()]);
await Promise.all(benchRegions.map((r) => r.region.stop()));
}

// ---- edge following promotions (BENCH_PARTS=reload) ----
if (PARTS.has('reload')) {
const edge = await startEdgeProcess({ port: 18900 + Math.floor(Math.random() * 100), regionalUrl: regional.url, persistTo: edgeStateDir(edgeStateKinds()[0], 'wrangler-reload-'), vars: { ...NO_CLIENT_LIMITS, MODEL_REFRESH_INTERVAL_MS: '200' }, quiet: true });
const chatMs = async () => {
  const t0 = performance.now();
  const r = await (await fetch(edge.url + '/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message: 'hello!', sessionId: 'reload' }) })).json();
  if (r.route.path !== 'template') throw new Error(`expected a template answer, got ${r.route.path}`);
  return performance.now() - t0;
};
const steady: number[] = [];
for (let i = 0; i < 300; i++) steady.push(await chatMs());
const during: number[] = [];
const reloads: Record<string, number>[] = [];
const RELOADS = Number(process.env.BENCH_RELOADS ?? 5);
for (let k = 1; k <= RELOADS; k++) {
  const version = `1.0.${k}`;
  const folder = join(dir, `store-intent-${version}`);
  cpSync('models/default/store-intent', folder, { recursive: true });
  const m = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...m, version }));
  const reg = regional.services.store.registry;
  await registerModelFolder(reg, folder, { registeredBy: 'bench', baselineData: null });
  await reg.setStage(m.name, version, 'staging', { actor: 'bench' });
  const t0 = performance.now();
  await reg.setStage(m.name, version, 'production', { actor: 'bench' });
  for (let i = 0; ; i++) {
    during.push(await chatMs());
    if (i % 5) continue;
    const j = await (await fetch(edge.url + '/v1/models')).json();
    if (j.models[0].version === version) {
      reloads.push({ promotionToServingMs: Math.round(performance.now() - t0), ...j.refresh.loaded.classifier, version: undefined, at: undefined });
      break;
    }
  }
}
const col = (k: string) => pct(reloads.map((r) => r[k]));
out.edge_reload = {
  reloads: reloads.length,
  promotionToServingMs: col('promotionToServingMs'),
  downloadMs: col('downloadMs'),
  sessionAndWarmupMs: col('loadMs'),
  swapMs: col('installMs'),
  templateRoundTripSteadyMs: pct(steady),
  templateRoundTripDuringReloadsMs: pct(during),
};
await edge.stop();
}
await regional.close();

// ---- a MiniLM-shaped transformer (throughput stand-in, random weights) ----
if (PARTS.has('transformer') || PARTS.has('lanes')) {
  const folder = join(dir, 'minilm-l6-shaped-random-standin');
  const built = await writeRandomBertFolder(folder, MINILM_L6_SHAPE);
  const s = await buildServices(loadConfig({ DATABASE_URL: join(dir, 't.db'), EMBEDDER_MODEL: folder, SEED_STORE_KB: 'false', REEMBED_STALE_CHUNKS: 'false' }), () => {});
  out.transformer_standin = { shape: MINILM_L6_SHAPE, parameters: built.parameters, onnxBytes: built.onnxBytes, embedder: s.embedder.name, note: 'random weights: throughput stand-in, not a quality model' };
  if (PARTS.has('transformer')) out.transformer_embeddings_per_s = await embeddingThroughput(s, 5);
  if (PARTS.has('lanes')) {
    // Interactive callers: 2 closed loops of single-text embed calls (the size of a typical /v1/embeddings call).
    const interactive = async (seconds: number) => {
      const lat: number[] = [];
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        [0, 1].map(async (w) => {
          for (let i = w; performance.now() < end; i += 2) {
            const t0 = performance.now();
            await s.embedder.embed([storeMessages[(i * 37) % storeMessages.length]]);
            lat.push(performance.now() - t0);
            await new Promise((r) => setTimeout(r, 5)); // think time: the model is not saturated by these alone
          }
        }),
      );
      return pct(lat);
    };
    // A batch job big enough to outlast the measurement.
    const rows = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: i, text: storeMessages[i % storeMessages.length] })).join('\n') + '\n';
    writeFileSync(join(dir, 'job.jsonl'), rows);
    const besideJob = async (lane: 'batch' | 'interactive') => {
      const job = await submitBatchJob(s.store, dir, [], { task: 'embed', inputPath: 'job.jsonl', modelVersion: s.embedder.name });
      // 'interactive': the job's rows queue with everyone else's, first come first served (before the lanes).
      const models = () => (lane === 'batch' ? batchModelsOf(s) : { ...batchModelsOf(s), embed: (t: string[]) => s.embedder.embed(t) });
      const runner = new BatchRunner(s.store, models, { log: () => {} });
      runner.start();
      while (((await s.store.batchJobs.getBatchJob(job.id))?.rowsDone ?? 0) === 0) await new Promise((r) => setTimeout(r, 20));
      const rowsBefore = (await s.store.batchJobs.getBatchJob(job.id))!.rowsDone;
      const t0 = performance.now();
      const latency = await interactive(10);
      const jobRowsPerS = Math.round((((await s.store.batchJobs.getBatchJob(job.id))!.rowsDone - rowsBefore) * 1000) / (performance.now() - t0));
      await runner.stop();
      await s.store.batchJobs.cancelBatchJob(job.id);
      return { interactive: latency, jobRowsPerS };
    };
    out.lanes_interactive_embed_ms = {
      alone: await interactive(10),
      besideBatchJobInBatchLane: await besideJob('batch'),
      besideBatchJobInInteractiveLane: await besideJob('interactive'),
    };
  }
  await s.close();
}

// ---- semantic cache lookup at 10k / 100k entries (index code shared with the Worker) ----
const rand = mulberry32(11);
const dim = 100;
const unit = () => {
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) (v[i] = rand() * 2 - 1), (n += v[i] ** 2);
  return v.map((x) => x / Math.sqrt(n));
};
const intents = ['shipping_info', 'purchase_help', 'product_question'];
// Entries spread over key frames the way store traffic is: a few aspects, some with entities.
// The peer in the same run keys them by the entity signature alone (the key before frames).
const benchFrame = (intent: string, i: number, keyed: 'frame' | 'signature') => ({
  intent,
  aspect: keyed === 'frame' ? ['cost', 'time', 'availability'][Math.floor(i / 3) % 3] : '',
  qualifier: '',
  entities: i % 5 === 0 ? `place:p${i % 50}` : '',
});
const cacheRuns: [number, 'frame' | 'signature'][] = PARTS.has('cache') ? [[10_000, 'frame'], [100_000, 'frame'], [100_000, 'signature']] : [];
for (const [size, keyed] of cacheRuns) {
  // Entries are written to storage first, then an isolate loads them all (the lazy load).
  const storage = new MemoryCacheStorage();
  const vecs: Float32Array[] = [];
  for (let i = 0; i < size; i++) {
    const v = unit();
    if (i < 1000) vecs.push(v);
    await storage.put({ id: `e${i}`, modelVersion: 'v', intent: intents[i % 3], entitySig: frameKey(benchFrame(intents[i % 3], i, keyed)), vector: v, question: `q${i}`, answer: `a${i}`, sources: [], createdAt: 1, expiresAt: 1e15 });
  }
  const cache = new SemanticCache(storage, { modelVersion: 'v', dimensions: dim, thresholds: { hit: 0.91, stale: 0.805 }, refreshMs: 1e12 });
  const tl = performance.now();
  await cache.ready(2);
  const loadMs = performance.now() - tl;
  const t: number[] = [];
  let hits = 0;
  for (let i = 0; i < 2000; i++) {
    const j = i % vecs.length;
    const q = vecs[j].map((x) => x + (rand() - 0.5) * 0.02);
    const t0 = performance.now();
    const h = await cache.lookup(q, benchFrame(intents[j % 3], j, keyed), { now: 2 });
    t.push(performance.now() - t0);
    if (h.hit?.id === `e${j}`) hits++;
  }
  out[`cache_lookup_${size}${keyed === 'frame' ? '' : '_signature_keyed'}`] = { ...pct(t), recallOfNearDuplicates: hits / 2000, indexLoadMs: Math.round(loadMs) };
}

// ---- share of the store test set answered without the region ----
// template = a confident template intent; cacheable = a confident cacheable intent (an upper
// bound of cache answers: a cache hit also needs an earlier similar question). Precision: the
// share of those bypassing messages whose predicted intent is the labelled one. Reported for the
// v1 test split (the first 275 messages, comparable with older figures) and the full split. Each
// message is decided as the edge decides a conversation's first message (intent-in-context.ts:
// a message of thanks or greeting words is the courtesy intent).
if (PARTS.has('routing')) {
const clf = await loadIntentClassifier('models/default/store-intent');
const routes = parseIntentRoutes(routesJson);
const test = storeIntents().test;
const dialogue = dialogueEntitiesFor(gazetteerOf(terms), catalog, conversation, entityPatternsOf(terms.patterns));
const raw = await clf.classify(test.map((e) => e.text));
const inContext = (ps: typeof raw) => ps.map((p, i) =>
  intentInContext(p, { message: test[i].text, resolution: resolveFollowUp(test[i].text, [], dialogue), routes, courtesyIntent: dialogue.courtesyIntent, cueIntent: (t, e) => dialogue.cueIntent(t, e), decisiveIntent: (t, e) => dialogue.decisiveIntent(t, e) }, []),
);
const own = inContext(raw);
// The same predictions decided with the pack's tuned routing config (per-intent thresholds), when it names this classifier.
const packRouting = domainPack(DEFAULT_DOMAIN_DIR).routingConfig;
const clfId = `${clf.manifest.name}@${clf.manifest.version}`;
const mixOf = (preds: typeof own) => {
const paths = preds.map((p) => routeFor(routes, p.intent, p.confident));
return (from: number, to: number) => {
  const n = to - from;
  const share = (path: string) => paths.slice(from, to).filter((p) => p === path).length / n;
  const bypassing = paths.map((p, i) => ({ p, i })).slice(from, to).filter((x) => x.p !== 'llm');
  const right = bypassing.filter((x) => preds[x.i].intent === test[x.i].label).length;
  return { messages: n, template: share('template'), cacheable: share('cache'), llm: share('llm'), bypass: bypassing.length / n, bypassPrecision: bypassing.length ? right / bypassing.length : 1 };
};
};
const mix = mixOf(own);
out.store_test_routing = { routeThreshold: clf.calibration.routeThreshold, v1: mix(0, Math.min(STORE_TEST_V1, test.length)), full: mix(0, test.length) };
if (packRouting) {
  const tuned = mixOf(inContext(raw.map((p) => decideWithRouting(p, clf.calibration, packRouting, clfId))));
  out.store_test_routing_tuned = { routingConfig: packRouting.config.classifier === clfId ? packRouting.id : `none (${packRouting.id} is for ${packRouting.config.classifier})`, v1: tuned(0, Math.min(STORE_TEST_V1, test.length)), full: tuned(0, test.length) };
}
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 2));
process.exit(0);
