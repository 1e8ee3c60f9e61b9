/**
 * `npm run bench:services`: the edge in workerd (wrangler dev) in front of the regional service,
 * and the regional service alone. Prints JSON; BENCHMARKS.md records the figures with this command.
 *   edge: server-side latency (done.latencyMs.total, measured inside workerd) and client round
 *         trip for the template and cache-hit paths; classifier time inside workerd; semantic-cache
 *         lookup at 10k / 100k entries (the same index code, in Node's V8); share of the store test
 *         set answered without the region.
 *   regional: embeddings/s at concurrency 1/8/32 with batching on and off; rerank of 30 p50/p99;
 *         pipeline overhead of /v1/generate (everything but the LLM: the extractive generator
 *         answers in ~1 ms).
 *   reload: (not in the default set) the edge following classifier promotions in the region's
 *         registry: promotion → serving time, the edge's download / session+warm-up / swap
 *         times, and template answers' round trip during reloads beside the same with none.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import catalog from '../models/data/store/kb/catalog.json' with { type: 'json' };
import routesJson from '../models/data/store/routes.json' with { type: 'json' };
import { loadIntentClassifier } from '../models/runtime/load-node.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';
import { percentiles } from '../models/eval/metrics.ts';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import { loadConfig } from '../regional/src/config.ts';
import { registerModelFolder } from '../regional/src/ops/register-folder.ts';
import { startRegional } from '../regional/src/server.ts';
import { MemoryCacheStorage } from '../shared/cache/memory-storage.ts';
import { SemanticCache } from '../shared/cache/semantic-cache.ts';
import { parseIntentRoutes, routeFor } from '../shared/routing/intent-routes.ts';
import { startEdgeProcess } from './edge-process.ts';

const N = Number(process.env.BENCH_N ?? 2000);
/** The first 275 messages of the store test split are its v1 (models/data/store/README.md). */
const STORE_TEST_V1 = 275;
/** BENCH_PARTS=regional,edge,cache,routing (default all). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'regional,edge,cache,routing').split(','));
const pct = (xs: number[]) => {
  const p = percentiles(xs);
  return { p50: +p.p50.toFixed(3), p99: +p.p99.toFixed(3), n: p.n };
};
const out: Record<string, unknown> = { command: 'npm run bench:services', n: N, date: new Date().toISOString() };
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-'));

// ---- regional ----
const regional = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db') }), () => {});
const H = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
// The workload: the store's test messages (577 real-looking user messages), cycled.
const storeMessages = storeIntents().test.map((e) => e.text);
async function embedRate(concurrency: number, seconds = 3) {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() < end) {
        await regional.services.embedder.embed([storeMessages[(w * 37 + done) % storeMessages.length]]);
        done++;
      }
    }),
  );
  return Math.round(done / seconds);
}
if (PARTS.has('regional')) {
const emb: Record<string, number> = {};
for (const b of regional.services.batchers) if (b.opts.name === 'embedder') (b.opts as { maxSize: number }).maxSize = 32;
for (const c of [1, 8, 32]) emb[`batched_c${c}`] = await embedRate(c);
for (const b of regional.services.batchers) if (b.opts.name === 'embedder') (b.opts as { maxSize: number }).maxSize = 1;
for (const c of [1, 8, 32]) emb[`unbatched_c${c}`] = await embedRate(c);
for (const b of regional.services.batchers) if (b.opts.name === 'embedder') (b.opts as { maxSize: number }).maxSize = 32;
out.regional_embeddings_per_s = { ...emb, speedup_c32: +(emb.batched_c32 / emb.unbatched_c32).toFixed(2) };

const passages = catalog.slice(0, 30).map((t) => `${t.title}\n${t.description}`);
const rr: number[] = [];
for (let i = 0; i < 300; i++) {
  const t0 = performance.now();
  await regional.services.rerank!('dark fantasy manga for adults', passages);
  rr.push(performance.now() - t0);
}
out.regional_rerank_30 = pct(rr);

const questions = storeIntents().test.filter((e) => ['recommendation', 'price_availability', 'order_status', 'product_question'].includes(e.label)).map((e) => e.text);
const overhead: number[] = [];
const wall: number[] = [];
for (let i = 0; i < Math.min(N, 1000); i++) {
  const t0 = performance.now();
  const res = await fetch(regional.url + '/v1/generate', { method: 'POST', headers: { ...H, accept: 'application/json' }, body: JSON.stringify({ message: questions[i % questions.length], sessionId: `b${i}` }) });
  const j = await res.json();
  wall.push(performance.now() - t0);
  overhead.push(j.done.latencyMs.total - j.done.latencyMs.llm);
}
out.regional_generate_overhead_ms = { serverSideExcludingLlm: pct(overhead), clientRoundTrip: pct(wall) };
}

// ---- edge ----
if (PARTS.has('edge')) {
const edge = await startEdgeProcess({ port: 18700 + Math.floor(Math.random() * 200), regionalUrl: regional.url, persistTo: join(dir, 'wrangler'), quiet: true });
async function edgePath(messages: string[], expectPath: string) {
  const server: number[] = [];
  const client: number[] = [];
  const classify: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const res = await fetch(edge.url + '/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message: messages[i % messages.length], sessionId: `e${i}` }) });
    const j = await res.json();
    client.push(performance.now() - t0);
    if (j.route.path !== expectPath) throw new Error(`expected ${expectPath}, got ${j.route.path} for ${messages[i % messages.length]}`);
    server.push(j.done.latencyMs.total);
    classify.push(j.done.latencyMs.classify);
  }
  return { serverSide: pct(server), clientRoundTrip: pct(client), classify: pct(classify) };
}
const templates = ['hello!', 'what are your support hours?', 'what is your return policy?', 'can I talk to a human?', 'thanks, bye'];
out.edge_template = await edgePath(templates, 'template');
const cacheQs = ['how much does shipping to alaska cost?', 'can I pay with paypal?', 'do you ship to canada?'];
for (const q of cacheQs) {
  for (let i = 0; i < 40; i++) {
    const r = await (await fetch(edge.url + '/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message: q, sessionId: 'warm' }) })).json();
    if (r.route.path === 'cache') break;
    await new Promise((res) => setTimeout(res, 100));
  }
}
out.edge_cache_hit = await edgePath(cacheQs, 'cache');
// Classifier time inside workerd at sub-millisecond resolution: 64 texts per call, timed in the Worker.
const texts = storeIntents().test.slice(0, 64).map((e) => e.text);
const perText: number[] = [];
for (let i = 0; i < 100; i++) {
  const j = await (await fetch(edge.url + '/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts }) })).json();
  perText.push(j.latencyMs / texts.length);
}
out.edge_classifier_per_text_in_batches_of_64 = pct(perText);
await edge.stop();
}

// ---- edge following promotions (BENCH_PARTS=reload) ----
if (PARTS.has('reload')) {
const edge = await startEdgeProcess({ port: 18900 + Math.floor(Math.random() * 100), regionalUrl: regional.url, persistTo: join(dir, 'wrangler-reload'), vars: { MODEL_REFRESH_INTERVAL_MS: '200' }, quiet: true });
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
for (const size of PARTS.has('cache') ? [10_000, 100_000] : []) {
  // Entries are written to storage first, then an isolate loads them all (the lazy load).
  const storage = new MemoryCacheStorage();
  const vecs: Float32Array[] = [];
  for (let i = 0; i < size; i++) {
    const v = unit();
    if (i < 1000) vecs.push(v);
    await storage.put({ id: `e${i}`, modelVersion: 'v', intent: intents[i % 3], entitySig: i % 5 === 0 ? `place:p${i % 50}` : '', vector: v, question: `q${i}`, answer: `a${i}`, sources: [], createdAt: 1, expiresAt: 1e15 });
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
    const h = await cache.lookup(q, intents[j % 3], j % 5 === 0 ? `place:p${j % 50}` : '', { now: 2 });
    t.push(performance.now() - t0);
    if (h?.id === `e${j}`) hits++;
  }
  out[`cache_lookup_${size}`] = { ...pct(t), recallOfNearDuplicates: hits / 2000, indexLoadMs: Math.round(loadMs) };
}

// ---- share of the store test set answered without the region ----
// template = a confident template intent; cacheable = a confident cacheable intent (an upper
// bound of cache answers: a cache hit also needs an earlier similar question). Precision: the
// share of those bypassing messages whose predicted intent is the labelled one. Reported for the
// v1 test split (the first 275 messages, comparable with older figures) and the full split.
if (PARTS.has('routing')) {
const clf = await loadIntentClassifier('models/default/store-intent');
const routes = parseIntentRoutes(routesJson);
const test = storeIntents().test;
const preds = await clf.classify(test.map((e) => e.text));
const paths = preds.map((p) => routeFor(routes, p.intent, p.confident));
const mix = (from: number, to: number) => {
  const n = to - from;
  const share = (path: string) => paths.slice(from, to).filter((p) => p === path).length / n;
  const bypassing = paths.map((p, i) => ({ p, i })).slice(from, to).filter((x) => x.p !== 'llm');
  const right = bypassing.filter((x) => preds[x.i].intent === test[x.i].label).length;
  return { messages: n, template: share('template'), cacheable: share('cache'), llm: share('llm'), bypass: bypassing.length / n, bypassPrecision: bypassing.length ? right / bypassing.length : 1 };
};
out.store_test_routing = { routeThreshold: clf.calibration.routeThreshold, v1: mix(0, Math.min(STORE_TEST_V1, test.length)), full: mix(0, test.length) };
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 2));
process.exit(0);
