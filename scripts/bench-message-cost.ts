/**
 * `npx tsx --expose-gc scripts/bench-message-cost.ts [--reps 21] [--sessions 300] [--seed 1] [--slow 3] [--json FILE]`:
 * the edge pipeline's own CPU per message, stage by stage, with the noise taken out. Every message
 * of the traffic replay (bench:traffic's sessions of that seed), of the dialogue sets
 * (eval/dialogues*.jsonl) and of the intent test split is played through the pieces the edge's
 * chat pipeline (edge/src/chat/pipeline.ts) calls, in its order and with its session's earlier
 * turns as context: leansOnContext → (templateAlone: resolve with no context + classify) →
 * resolveFollowUp → classifyInContext (tokenize, the classifier's run, the in-context decision) →
 * template (FAQ embedding + answer) | cache (key embedding, key frame, lookup). The models are the
 * edge's (models/default, the pre-optimised graph) on onnxruntime-web's WASM, one thread, as in
 * workerd. Each message is played `--reps` times, round-robin over all messages (so a noisy
 * moment lands on many messages once, not on one message every time), and each stage's median
 * is its cost. Prints the stages' spread over messages and the messages whose median total is
 * over `--slow` ms or ≥ 3× the typical one, with what their time is in; with --expose-gc, each
 * message's allocation (heap growth over one play after a full collection); --heap-profile: where
 * the allocation is (V8's sampling heap profiler, per function); --decisions FILE: every message's
 * path, intent and resolution (to check that a change keeps them).
 * Bench only: nothing here runs in the product.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import * as ort from 'onnxruntime-web';
import { IntentClassifier } from '../shared/models/intent-classifier.ts';
import { classifierLabels } from '../shared/models/model-folder.ts';
import type { OrtSession, OrtTensorConstructor } from '../shared/models/onnx-session.ts';
import { SentenceEmbedder } from '../shared/models/sentence-embedder.ts';
import { applyRoutingConfig } from '../shared/routing/routing-config.ts';
import { parseIntentRoutes } from '../shared/routing/intent-routes.ts';
import { looksUpOrders, reusesAnswers } from '../shared/routing/intent-routes.ts';
import { TemplateAnswers, type FaqEntry, type TemplatesFile } from '../shared/answers/template-answers.ts';
import { parseConversationData } from '../shared/conversation/conversation-data.ts';
import { DialogueEntities } from '../shared/conversation/dialogue-entities.ts';
import { leansOnContext, resolveFollowUp, type ContextTurn } from '../shared/conversation/follow-up.ts';
import { classifyInContext, type ContextClassifier } from '../shared/conversation/classify-in-context.ts';
import { asksSomething } from '../shared/conversation/courtesy.ts';
import { resolvedCacheKey } from '../shared/conversation/resolved-cache-key.ts';
import { entityPatternsOf } from '../shared/cache/entities.ts';
import { storeGazetteer } from '../shared/cache/store-gazetteer.ts';
import { SemanticCache, type CacheThresholds } from '../shared/cache/semantic-cache.ts';
import { MemoryCacheStorage } from '../shared/cache/memory-storage.ts';
import { AspectDetector } from '../shared/cache/aspects.ts';
import { parseCacheAspects } from '../shared/cache/aspects-schema.ts';
import { loadModelFolder } from '../models/pipeline/load-node.ts';
import { domain } from '../edge/src/domain/default-domain.ts';
import { buildSessions, TrafficMix, type Dialogue, type Labelled } from './traffic/sessions.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '21' }, sessions: { type: 'string', default: '300' }, seed: { type: 'string', default: '1' }, slow: { type: 'string', default: '3' }, json: { type: 'string' }, edge: { type: 'string' }, decisions: { type: 'string' }, 'heap-profile': { type: 'boolean' } } });
const REPS = Number(values.reps);
const SLOW = Number(values.slow);
const root = join(import.meta.dirname, '..');
const pack = join(root, 'domains', 'kitsune-books');
const jsonl = <T>(f: string): T[] => readFileSync(join(pack, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

// The models as the edge loads them: onnxruntime-web WASM, one thread, the build's optimised graph with the optimisers off.
ort.env.wasm.numThreads = 1;
const Tensor = ort.Tensor as unknown as OrtTensorConstructor;
const session = async (f: { onnx: Uint8Array; preOptimized: boolean }) =>
  (await ort.InferenceSession.create(f.onnx, { graphOptimizationLevel: f.preOptimized ? 'disabled' : 'all', executionProviders: ['wasm'] })) as unknown as OrtSession;
const cf = await loadModelFolder(join(root, 'models', 'default', 'store-intent'));
const { labels, calibration: own } = classifierLabels(cf.config);
const { calibration } = applyRoutingConfig(own, domain.routingConfig as never, `${cf.manifest.name}@${cf.manifest.version}`);
const clf = new IntentClassifier(cf.tokenizer, await session(cf), Tensor, labels, calibration);
const ef = await loadModelFolder(join(root, 'models', 'default', 'embedder'));
const emb = new SentenceEmbedder(ef.tokenizer, await session(ef), Tensor);

const routes = parseIntentRoutes(domain.routes, labels);
const templates = new TemplateAnswers(domain.templates as TemplatesFile, domain.faq as FaqEntry[]);
await templates.prepare((t) => emb.embed(t));
const words = parseConversationData(domain.conversation);
const dialogue = new DialogueEntities(storeGazetteer(domain.gazetteer as never, domain.catalog, words), words, entityPatternsOf(domain.entityPatterns as never));
const cache = new SemanticCache(new MemoryCacheStorage(), {
  modelVersion: 'bench',
  dimensions: (await emb.embed(['probe']))[0].length,
  thresholds: domain.cache.thresholds as CacheThresholds,
  aspects: new AspectDetector(parseCacheAspects(domain.cacheAspects)),
  refreshMs: 1e12,
});

/** Stages, as the pipeline runs them; `tokenize` and `ort` split classify's model call. */
const STAGES = ['leans', 'alone', 'resolve', 'tokenize', 'ort', 'classify', 'embed', 'answer', 'frame', 'lookup', 'total'] as const;
type Stage = (typeof STAGES)[number];

/** The metered classifier of the edge, with its model call split in two (tokenizer, then the session's run). */
let took: Partial<Record<Stage, number>> = {};
const now = () => performance.now();
const add = (s: Stage, ms: number) => (took[s] = (took[s] ?? 0) + ms);
const classifier: ContextClassifier = {
  async classify(texts) {
    const t0 = now();
    clf.tokenizer.encodeBatch(texts);
    const t1 = now();
    const out = await clf.classify(texts); // tokenizes again: its tokenize share is subtracted
    add('tokenize', t1 - t0);
    add('ort', now() - t1 - (t1 - t0));
    return out;
  },
  knowsAWord: (t) => clf.tokenizer.knowsAWord(t),
};

interface Play {
  source: string;
  message: string;
  context: ContextTurn[];
  /** The conversation's earlier messages as sent (the edge's `history`, with --edge). */
  history: string[];
}
interface Outcome {
  path: string;
  intent: string;
  /** The resolved text and its entities ("kind:value|…"), to check that a change keeps every decision. */
  resolved: string;
  next: ContextTurn;
  cacheKey?: { vector: Float32Array; frame: ReturnType<SemanticCache['frame']>; text: string };
}

/** One message through the pipeline's pieces, as edge/src/chat/pipeline.ts's answer() calls them (session assumed). */
async function play(p: Play): Promise<Outcome> {
  took = {};
  const t0 = now();
  let t = now();
  const leans = leansOnContext(p.message, dialogue);
  add('leans', now() - t);
  let alone = null;
  if (leans) {
    t = now();
    const r0 = resolveFollowUp(p.message, [], dialogue);
    const c = await classifyInContext(classifier, p.message, r0, routes, dialogue).catch(() => null);
    const ok = c?.path === 'template' && !looksUpOrders(routes.intents[c.prediction.intent]?.route) && (c.prediction.intent !== dialogue.courtesyIntent || (!asksSomething(p.message) && r0.entities.length === 0));
    alone = ok ? c : null;
    add('alone', now() - t);
  }
  const context = leans && !alone ? p.context : [];
  t = now();
  const resolution = resolveFollowUp(p.message, context, dialogue);
  add('resolve', now() - t);
  t = now();
  const c = alone ?? (await classifyInContext(classifier, p.message, resolution, routes, dialogue));
  add('classify', now() - t);
  const key = resolvedCacheKey(resolution);
  const next = { text: resolution.text, entities: resolution.entities, intent: c.prediction.intent };
  let out: Outcome = { path: c.path, intent: c.prediction.intent, resolved: `${resolution.text} [${resolution.entities.map((e) => `${e.kind}:${e.value}`).join('|')}] ${c.prediction.confidence.toFixed(6)}`, next };
  if (c.path === 'template') {
    let vector: Float32Array | undefined;
    if (templates.matchesFaq(c.prediction.intent)) {
      t = now();
      [vector] = await emb.embed([resolution.text]);
      add('embed', now() - t);
    }
    t = now();
    templates.answer(c.prediction.intent, resolution.text, vector);
    add('answer', now() - t);
  } else if (c.path === 'cache' && key && reusesAnswers(routes.intents[c.prediction.intent]?.route)) {
    t = now();
    const [vector] = await emb.embed([key.text]);
    add('embed', now() - t);
    t = now();
    const frame = cache.frame(key.text, c.prediction.intent, resolution.entities);
    add('frame', now() - t);
    t = now();
    await cache.lookup(vector, frame, { now: 0 });
    add('lookup', now() - t);
    out = { ...out, cacheKey: { vector, frame, text: key.text } };
  }
  add('total', now() - t0);
  return out;
}

// The messages: each session's turns with its earlier turns as context (resolved as the edge resolves them).
const mix = TrafficMix.parse(JSON.parse(readFileSync(join(pack, 'eval', 'traffic-mix.json'), 'utf8')));
const dialogues = [...jsonl<Dialogue>('eval/dialogues.jsonl'), ...jsonl<Dialogue>('eval/dialogues-holdout.jsonl')];
const conversations: { source: string; messages: string[] }[] = [
  ...buildSessions({ test: jsonl<Labelled>('intents/test.jsonl'), dialogues: jsonl<Dialogue>('eval/dialogues.jsonl') }, mix, Number(values.sessions), Number(values.seed)).map((s) => ({ source: 'traffic', messages: s.turns.map((t) => t.message) })),
  ...dialogues.map((d) => ({ source: 'dialogue', messages: d.turns.map((t) => t.message) })),
  ...jsonl<Labelled>('intents/test.jsonl').map((l) => ({ source: 'test', messages: [l.text] })),
];
const plays: Play[] = [];
const seen = new Set<string>();
const outcomes: Outcome[] = [];
/** Every message's decision (path, intent, resolution), in play order: --decisions writes them, to diff two checkouts. */
const decisions: string[] = [];
for (const conv of conversations) {
  const context: ContextTurn[] = [];
  for (const [n, message] of conv.messages.entries()) {
    const p = { source: conv.source, message, context: context.slice(-4), history: conv.messages.slice(Math.max(0, n - 4), n) };
    const o = await play(p);
    context.push(o.next);
    decisions.push(`${conv.source}\t${message}\t${o.path}\t${o.intent}\t${o.resolved}`);
    const id = `${message}\u0000${JSON.stringify(p.context.map((c) => c.text))}`;
    if (seen.has(id) || (o.path !== 'template' && o.path !== 'cache')) continue;
    seen.add(id);
    plays.push(p);
    outcomes.push(o);
    // A cache-path message finds its own answer, as a hit does in the replay.
    if (o.cacheKey) await cache.store({ frame: o.cacheKey.frame, vector: o.cacheKey.vector, question: o.cacheKey.text, answer: 'a stored answer', sources: [], createdAt: 0, expiresAt: 1e15 });
  }
}
if (values.decisions) writeFileSync(values.decisions, decisions.join('\n') + '\n');
console.error(`${plays.length} template/cache-path plays (unique message + context) of ${conversations.reduce((n, c) => n + c.messages.length, 0)} messages; ${REPS} reps each`);

if (values.edge) {
  await onTheEdge(Number(values.edge));
  process.exit(0);
}

// Warm: two rounds unrecorded, then REPS recorded rounds, round-robin; the collections during the recorded rounds are counted.
const samples: Record<Stage, number>[][] = plays.map(() => []);
const collections = { minor: 0, major: 0, pauseMs: 0 };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) collections.minor++;
    else collections.major++;
    collections.pauseMs += e.duration;
  }
});
for (let r = -2; r < REPS; r++) {
  if (r === 0) observer.observe({ entryTypes: ['gc'] });
  for (const [i, p] of plays.entries()) {
    await play(p);
    if (r >= 0) samples[i].push(Object.fromEntries(STAGES.map((s) => [s, took[s] ?? 0])) as Record<Stage, number>);
  }
}
await new Promise((r) => setTimeout(r, 50)); // the observer's entries arrive on a later turn of the event loop
observer.disconnect();
const gcPerThousand = { minor: Math.round((collections.minor / (REPS * plays.length)) * 10000) / 10, major: Math.round((collections.major / (REPS * plays.length)) * 10000) / 10, pauseMsPerThousand: Math.round((collections.pauseMs / (REPS * plays.length)) * 1e4) / 10 };
// Allocation per play: heap growth over one play after a full collection (with --expose-gc).
const gc = (globalThis as { gc?: () => void }).gc;
const alloc: number[] = [];
if (gc) {
  for (const p of plays) {
    gc();
    const before = process.memoryUsage().heapUsed;
    await play(p);
    alloc.push(process.memoryUsage().heapUsed - before);
  }
}

// Where the allocation is (with --heap-profile): V8's sampling heap profiler over REPS rounds, self bytes per play by function.
let heapSites: { site: string; kbPerPlay: number }[] | undefined;
if (values['heap-profile']) {
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  await s.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let r = 0; r < REPS; r++) for (const p of plays) await play(p);
  const { profile } = (await s.post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
  interface HeapNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: HeapNode[] }
  // A builtin's allocation (no url: Array.from, split, Set…) is counted against the script function that called it.
  const bySite = new Map<string, number>();
  const walk = (n: HeapNode, caller: string) => {
    const f = n.callFrame;
    const here = f.url ? `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}` : caller;
    if (n.selfSize) bySite.set(here, (bySite.get(here) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, here);
  };
  walk(profile.head, '(root)');
  const perPlay = (bytes: number) => Math.round(bytes / REPS / plays.length / 102.4) / 10;
  heapSites = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([site, bytes]) => ({ site, kbPerPlay: perPlay(bytes) }));
  heapSites.unshift({ site: 'all', kbPerPlay: perPlay([...bySite.values()].reduce((x, y) => x + y, 0)) });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const rows = plays.map((p, i) => ({
  source: p.source,
  message: p.message,
  context: p.context.length,
  path: outcomes[i].path,
  intent: outcomes[i].intent,
  resolved: outcomes[i].resolved,
  ...Object.fromEntries(STAGES.map((s) => [s, r3(median(samples[i].map((x) => x[s])))])),
  ...(gc ? { allocKb: Math.round(alloc[i] / 102.4) / 10 } : {}),
})) as ({ source: string; message: string; context: number; path: string; intent: string; resolved: string; allocKb?: number } & Record<Stage, number>)[];
const spread = (path: string) => {
  const rs = rows.filter((r) => r.path === path);
  return {
    n: rs.length,
    ...Object.fromEntries(
      [...STAGES, ...(gc ? ['allocKb' as const] : [])].map((s) => {
        const xs = rs.map((r) => r[s] as number);
        return [s, { median: r3(median(xs)), p90: r3(q(xs, 0.9)), p99: r3(q(xs, 0.99)), max: r3(Math.max(...xs)) }];
      }),
    ),
  };
};
const typical = median(rows.map((r) => r.total));
const slow = rows.filter((r) => r.total > SLOW || r.total >= 3 * typical).sort((a, b) => b.total - a.total);
const out = { reps: REPS, plays: rows.length, typicalTotalMs: r3(typical), collectionsPerThousandPlays: gcPerThousand, template: spread('template'), cache: spread('cache'), slow, top: [...rows].sort((a, b) => b.total - a.total).slice(0, 25), ...(heapSites ? { heapSites } : {}) };
if (values.json) writeFileSync(values.json, JSON.stringify({ ...out, rows }, null, 1));
console.log(JSON.stringify(out, null, 1));

/**
 * --edge PORT: the same plays through the edge Worker in plain workerd (as deployed: scripts/soak/edge-workerd.ts),
 * each message as /v1/chat with its earlier messages as `history` (no session, so no session I/O in the span;
 * no region: a cache-path miss ends as a fallback, its `cache` part still the key's embedding and lookup).
 * Prints each message's median server-side parts (done.latencyMs) over REPS round-robin rounds, after two unrecorded.
 */
async function onTheEdge(port: number): Promise<void> {
  const { startEdgeUnderWorkerd } = await import('./soak/edge-workerd.ts');
  const edge = await startEdgeUnderWorkerd({ port, regionalUrl: 'http://127.0.0.1:9', vars: { CLIENT_RATE_LIMIT_PER_MINUTE: 'off', SESSION_RATE_LIMIT_PER_MINUTE: 'off', MODEL_REFRESH_INTERVAL_MS: '0' } });
  const parts = ['resolve', 'classify', 'cache', 'total'] as const;
  const got: Record<(typeof parts)[number], number>[][] = plays.map(() => []);
  try {
    for (let r = -2; r < REPS; r++) {
      for (const [i, p] of plays.entries()) {
        const body = { message: p.message, sessionId: `cost-${r}-${i}`, history: p.history.length ? p.history.map((content) => ({ role: 'user', content })) : [{ role: 'user', content: 'hi' }] };
        const res = await fetch(`${edge.url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
        const j = (await res.json()) as { done?: { latencyMs?: Record<string, number> } };
        const l = j.done?.latencyMs;
        if (!l) throw new Error(`no done event for ${JSON.stringify(p.message)}: HTTP ${res.status} ${JSON.stringify(j).slice(0, 300)}`);
        if (r >= 0) got[i].push(Object.fromEntries(parts.map((k) => [k, k === 'total' ? l.total - (l.upstream ?? 0) : (l[k] ?? 0)])) as Record<(typeof parts)[number], number>);
      }
    }
  } finally {
    await edge.stop();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = plays.map((p, i) => ({ source: p.source, message: p.message, history: p.history.length, path: outcomes[i].path, intent: outcomes[i].intent, ...Object.fromEntries(parts.map((k) => [k, med(got[i].map((g) => g[k]))])) })) as unknown as ({ message: string; path: string } & Record<(typeof parts)[number], number>)[];
  const spreadOf = (path: string) => {
    const rs = rows.filter((r) => r.path === path);
    return { n: rs.length, ...Object.fromEntries(parts.map((k) => { const xs = rs.map((r) => r[k]).sort((a, b) => a - b); return [k, { median: xs[Math.floor(xs.length / 2)], p99: xs[Math.floor(xs.length * 0.99)], max: xs.at(-1) }]; })) };
  };
  const out = { on: 'edge Worker, plain workerd, /v1/chat with history (total: without the failed region call)', reps: REPS, template: spreadOf('template'), cache: spreadOf('cache'), slow: rows.filter((r) => r.total > SLOW).sort((a, b) => b.total - a.total), top: [...rows].sort((a, b) => b.total - a.total).slice(0, 15) };
  if (values.json) writeFileSync(values.json, JSON.stringify({ ...out, rows }, null, 1));
  console.log(JSON.stringify(out, null, 1));
}
