/**
 * `npm run -s bench:traffic -- --json [--sessions N] [--concurrency C] [--seed S] [--think-ms M
 * [--time-compression K]] [--edge-runner wrangler|workerd] [--edge-storage same|own-process] [--edge-state DIR] [--split-cpus] [--edge-priority group|nice|off]`: replays seeded
 * sessions (scripts/traffic/sessions.ts) through the real edge (workerd, under `wrangler dev` or as
 * deployed in a plain `workerd serve`: scripts/traffic/edge-runner.ts; with its session Durable
 * Object and D1 cache) and the real region (startRegional, SQLite), with Bedrock replaced at the
 * HTTP boundary by a ConverseStream stand-in (scripts/traffic/bedrock-stub.ts) reached through
 * BEDROCK_ENDPOINT, and the store's order system by a stand-in (scripts/traffic/order-stub.ts)
 * reached through ORDER_LOOKUP_URL. Prints one JSON (cost per session against the all-LLM baseline, path shares,
 * server-side latency per path, errors, the issue's targets met or not) and writes
 * reports/traffic.html. C sessions are open at once; each shopper waits its think time
 * (scripts/traffic/think.ts; 0 by default: the next message goes the instant the answer lands) before
 * each message, and a new session opens as one ends. Measures; never asserts: targets are reported
 * as met or not.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChatReply } from '../shared/api/chat.ts';
import { BEDROCK_DEFAULT_PRICING, loadConfig } from '../regional/src/config.ts';
import { DEFAULT_DOMAIN_DIR } from '../regional/src/domain/pack-files.ts';
import { startRegional } from '../regional/src/server.ts';
import { startBedrockStub } from './traffic/bedrock-stub.ts';
import { splitCpus } from './traffic/cpu-split.ts';
import { cpuTimes, cpuWaitBetween } from './traffic/cpu-wait.ts';
import { DEFAULT_EDGE_PRIORITY, edgePriorityOf, prioritizeEdge } from './edge-priority.ts';
import { EDGE_RUNNERS, startTrafficEdge, stateDirOf, type EdgeRunner } from './traffic/edge-runner.ts';
import { edgeStorageOf } from './soak/edge-workerd.ts';
import { startOrderStub } from './traffic/order-stub.ts';
import { trafficReportHtml } from './traffic/report-html.ts';
import { describeThink, THINK_SIGMA, thinkTimes } from './traffic/think.ts';
import { buildSessions, TrafficMix, type Dialogue, type Labelled, type Session } from './traffic/sessions.ts';
import { llmReason, PATHS, series, summarize, type MessageRecord, type Path } from './traffic/summary.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    /** 1000: enough answers on the template and the cache path (~560 / ~460) for each p99 to have an upper 95 % bound (≥ 368: docs/traffic.md, "p99 and its sample size"). */
    sessions: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    /** Median ms a shopper waits before each message (reading, typing); 0: back-to-back, a saturation test (docs/traffic.md, "Think time"). */
    'think-ms': { type: 'string', default: '0' },
    /** Every think time divided by this, to fit a realistic model into a shorter run (1: real time). */
    'time-compression': { type: 'string', default: '1' },
    /** Also write every message (text, kind, path, intent, confidence, degradations) as JSON lines. */
    records: { type: 'string' },
    /** Overrides the mix's idReplies.share (0: no id replies, the sessions of a mix without them). */
    'id-reply-share': { type: 'string' },
    /** Overrides the mix's emailReplies.share (0: no email replies). */
    'email-reply-share': { type: 'string' },
    /** How the edge runs: `workerd` (the bundle `wrangler deploy` ships, in a plain workerd serve) or `wrangler` (wrangler dev, the figures before stop 23); scripts/traffic/edge-runner.ts. */
    'edge-runner': { type: 'string', default: 'workerd' },
    /**
     * Where the session Durable Objects and the D1 stand-in's object run (`--edge-runner workerd`): `same` (the Worker's
     * workerd, on its one thread) or `own-process` (a second workerd, the storage host, over the loopback, with a
     * priority group of its own: deployed they run on hosts of their own); BENCH_EDGE_STORAGE sets the default.
     */
    'edge-storage': { type: 'string', default: process.env.BENCH_EDGE_STORAGE ?? 'same' },
    /** Where the edge's local state (sessions' Durable Objects, the cache's D1) goes: `tmpfs` (SWITCHYARD_TMPFS_DIR, default /dev/shm; refused if not a tmpfs), `disk` (the OS temp dir) or a folder to make it in. */
    'edge-state': { type: 'string', default: 'tmpfs' },
    /** The Worker's workerd alone on CPU 0, the rest of the bench on the others (scripts/traffic/cpu-split.ts; `--edge-runner workerd` only). */
    'split-cpus': { type: 'boolean', default: false },
    /** The edge's workerd first on the CPU: `group` (a cpu cgroup of its own, 10 × a session's weight), `nice` (its threads at nice −10) or `off` (scripts/edge-priority.ts). */
    'edge-priority': { type: 'string', default: DEFAULT_EDGE_PRIORITY },
  },
});
const args = { sessions: Number(values.sessions), concurrency: Number(values.concurrency), seed: Number(values.seed) };
for (const [k, v] of Object.entries(args)) if (!Number.isInteger(v) || v < (k === 'seed' ? 0 : 1)) throw new Error(`--${k} must be a positive integer, got ${v}`);
const runner = values['edge-runner'] as EdgeRunner;
if (!EDGE_RUNNERS.includes(runner)) throw new Error(`--edge-runner must be one of ${EDGE_RUNNERS.join(', ')}, got ${runner}`);
if (values['split-cpus'] && runner !== 'workerd') throw new Error('--split-cpus needs --edge-runner workerd (under wrangler dev the edge is three processes: scripts/traffic/cpu-split.ts)');
const edgeStorage = edgeStorageOf(values['edge-storage']!);
if (edgeStorage !== 'same' && runner !== 'workerd') throw new Error('--edge-storage own-process needs --edge-runner workerd');
/** Checked before any tier starts, as the runner and the state dir are. */
const edgePriority = edgePriorityOf(values['edge-priority']!);
/** Where the edge's state is made (checked before any tier starts: a tmpfs that is not one is refused). */
const edgeState = stateDirOf(values['edge-state']!);
const think = { medianMs: Number(values['think-ms']), sigma: THINK_SIGMA, compression: Number(values['time-compression']) };
const say = (m: string) => process.stderr.write(`[bench:traffic] ${m}\n`);

const domainDir = resolve(process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR);
const jsonl = <T>(file: string): T[] => readFileSync(join(domainDir, file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
const mix = TrafficMix.parse(JSON.parse(readFileSync(join(domainDir, 'eval/traffic-mix.json'), 'utf8')));
if (values['id-reply-share'] !== undefined && mix.idReplies) mix.idReplies.share = Number(values['id-reply-share']);
if (values['email-reply-share'] !== undefined && mix.emailReplies) mix.emailReplies.share = Number(values['email-reply-share']);
/** The region's ask for an order's email (orders.json askEmail, any id): a shopper's email reply is sent only after it. */
const askEmail = (() => {
  const file = join(domainDir, 'orders.json');
  const words = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { askEmail?: string }).askEmail : undefined;
  return words ? new RegExp(`^${words.split('{id}').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\S+')}$`) : null;
})();
/** Each intent's route class (domain.json), for why a message went on to the region. */
const routeClassOf = new Map(Object.entries((JSON.parse(readFileSync(join(domainDir, 'domain.json'), 'utf8')) as { intents: Record<string, { route: string }> }).intents).map(([k, v]) => [k, v.route]));
const sessions = buildSessions({ test: jsonl<Labelled>('intents/test.jsonl'), dialogues: jsonl<Dialogue>('eval/dialogues.jsonl') }, mix, args.sessions, args.seed);
const waits = thinkTimes(sessions, think, args.seed);

/** Region stage budgets a loaded machine may need raised, taken from the environment when set. */
const STAGE_BUDGETS = ['CLASSIFY_TIMEOUT_MS', 'EMBED_TIMEOUT_MS', 'RETRIEVE_TIMEOUT_MS', 'RERANK_TIMEOUT_MS', 'LLM_FIRST_TOKEN_TIMEOUT_MS', 'HISTORY_TIMEOUT_MS'];
const dir = mkdtempSync(join(tmpdir(), 'sy-traffic-'));
// The SDK signs with whatever credentials it finds; the stand-in does not check them.
process.env.AWS_ACCESS_KEY_ID ??= 'bench-traffic';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-traffic';
const env = {
  PORT: '0',
  DATABASE_URL: join(dir, 'regional.db'),
  LLM_BACKEND: 'bedrock',
  BEDROCK_REGIONS: 'us-east-1',
  // The region's per-request log lines would mix into the JSON this prints.
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // One API key (the edge's) carries every session: the per-key limit is lifted so it measures the pipeline, not the limiter.
  DEFAULT_RATE_LIMIT_PER_MINUTE: '1000000',
  LLM_CONCURRENCY: String(Math.max(16, args.concurrency)),
  // As a deployment would: a FAQ or policy passage the reranker is sure of is answered with no LLM call (docs/traffic.md).
  DECISIVE_ANSWERS: process.env.DECISIVE_ANSWERS ?? 'true',
  ...(process.env.DECISIVE_MIN_RELEVANCE ? { DECISIVE_MIN_RELEVANCE: process.env.DECISIVE_MIN_RELEVANCE } : {}),
  // On a machine too loaded for the default stage budgets, the same budgets for every run being compared (docs/traffic.md).
  ...Object.fromEntries(STAGE_BUDGETS.filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
};
const base = loadConfig(env);
const stub = await startBedrockStub({ seed: args.seed, tierOf: (id) => (id === base.BEDROCK_MODEL_LARGE ? 'large' : 'small') });
// The store's order system at the HTTP boundary (latency, unknown ids and failures: docs/traffic.md).
const orders = await startOrderStub({ seed: args.seed, port: Number(process.env.ORDER_STUB_PORT) || 0, emailFormat: mix.emailReplies?.emailFormat });
const regional = await startRegional(loadConfig({ ...env, BEDROCK_ENDPOINT: stub.url, ORDER_LOOKUP_URL: `${orders.url}/v1/orders/{id}` }), () => {});
say(`region up at ${regional.url}; starting the edge (workerd)…`);
// BENCH_PEER=<another checkout, e.g. main's>: the sessions go through that checkout's edge (its own
// scripts/edge-process.ts: its Worker code and model assets); the region, the LLM stand-in, the
// sessions and this summary stay this checkout's. Run once with and once without it, back to back,
// for an A/B of the edge under the same replay.
const PEER = process.env.BENCH_PEER;
const edge = await startTrafficEdge({
  runner,
  ...(PEER ? { root: resolve(PEER) } : {}),
  port: Number(process.env.EDGE_PORT) || 24000 + Math.floor(Math.random() * 4000),
  regionalUrl: regional.url,
  stateDir: edgeState,
  storage: edgeStorage,
  // As a deployment would: the pack's FAQ answers seeded into the edge cache at start (docs/traffic.md).
  vars: { MODEL_REFRESH_INTERVAL_MS: '0', CACHE_WARM_FAQ: process.env.CACHE_WARM_FAQ ?? 'true', ...(process.env.UPSTREAM_TIMEOUT_MS ? { UPSTREAM_TIMEOUT_MS: process.env.UPSTREAM_TIMEOUT_MS } : {}) },
  // For a CPU profile of the Worker during the replay (DevTools on wrangler's inspector proxy, or workerd's own inspector).
  ...(process.env.EDGE_INSPECTOR_PORT ? { inspectorPort: Number(process.env.EDGE_INSPECTOR_PORT) } : {}),
});
say(`${PEER ? `the peer's (${PEER}) ` : ''}edge (${runner}, state on ${edge.state.fs}, storage ${edge.storage}${edge.storagePid ? ` pid ${edge.storagePid}` : ''}) up at ${edge.url}; replaying ${sessions.length} sessions, ${args.concurrency} at once, think time ${JSON.stringify(describeThink(think))}`);

const records: MessageRecord[] = [];
const completionOrder: number[] = [];
const emailReplies = { sent: 0, skipped: 0 };
const trace: string[] = [];

async function replay(index: number, s: Session): Promise<void> {
  const sessionId = `${s.id}-${process.pid}`;
  // Each session is its own shopper, so the edge's per-client limits count it on its own (as
  // Cloudflare sets CF-Connecting-IP; documentation addresses, never dialled).
  const clientIp = `${index % 2 ? '198.51.100' : '203.0.113'}.${(index >> 1) % 254 + 1}`;
  let asked = false; // the last answer asked for the order's email
  for (const [k, turn] of s.turns.entries()) {
    // A shopper gives the order's email only when asked for it (ORDER_VERIFY=email, docs/orders.md).
    if (turn.kind === 'email_reply' && !asked) {
      emailReplies.skipped++;
      continue;
    }
    if (turn.kind === 'email_reply') emailReplies.sent++;
    asked = false;
    if (waits[index][k] > 0) await new Promise((r) => setTimeout(r, waits[index][k]));
    const t0 = performance.now();
    const rec: MessageRecord = { session: index, kind: turn.kind, clientMs: 0, fallbacks: [] };
    try {
      const res = await fetch(`${edge.url}/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'cf-connecting-ip': clientIp },
        body: JSON.stringify({ message: turn.message, sessionId }),
        signal: AbortSignal.timeout(30_000),
      });
      const raw = await res.text();
      rec.clientMs = performance.now() - t0;
      let body: ChatReply & { error?: { code?: string } };
      try {
        body = JSON.parse(raw);
      } catch {
        throw new Error(`HTTP ${res.status}, not JSON: ${raw.slice(0, 160)}`);
      }
      if (res.status !== 200) rec.error = `HTTP ${res.status} ${body.error?.code ?? ''}`.trim();
      else if (!(PATHS as readonly string[]).includes(body.route?.path)) rec.error = `no route path`;
      else {
        rec.path = body.route.path as Path;
        rec.serverMs = body.done?.latencyMs?.total;
        rec.serverParts = body.done?.latencyMs;
        rec.generator = body.route.generator;
        asked = body.route.generator === 'order' && !!askEmail?.test(body.text);
        if (body.route.cache?.coalesced) rec.coalesced = true;
        if (body.route.path === 'cache' && body.route.cache?.stale) rec.stale = true;
        rec.regionCostUsd = body.done?.usage?.costUsd;
        rec.intent = body.route.intent;
        rec.reason = llmReason(body.route, routeClassOf.get(body.route.intent), body.done?.fallbacks ?? []);
        trace.push(JSON.stringify({ session: index, message: turn.message, kind: turn.kind, path: body.route.path, ...(rec.coalesced ? { coalesced: true } : {}), ...(rec.stale ? { stale: true } : {}), generator: body.route.generator, reason: rec.reason, intent: body.route.intent, confidence: body.route.confidence, resolved: body.route.resolved?.text, fallbacks: body.done?.fallbacks, latencyMs: body.done?.latencyMs, answer: body.text }));
        rec.fallbacks = [...new Set([...(body.route.fallbacks ?? []), ...(body.done?.fallbacks ?? [])])];
      }
    } catch (e) {
      rec.clientMs = performance.now() - t0;
      rec.error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    records.push(rec);
  }
  completionOrder.push(index);
}

// The machine's load, and how long the edge's workerd threads waited for a CPU while the sessions replayed.
const workerd = edge.workerdPids();
const cpuSplit = values['split-cpus'] && edge.pid ? splitCpus(edge.pid) : null;
if (cpuSplit) say(`the edge's workerd on CPU ${cpuSplit.edge}, the bench's ${cpuSplit.restPids.length} processes on ${cpuSplit.rest}`);
const priority = prioritizeEdge(workerd, edgePriority);
say(`the edge's priority: ${JSON.stringify(priority.describe())}`);
// The storage host, like the edge, first on the CPU against the bench's own load, in a group of its own (not the
// edge's): deployed it is other machines, waiting neither for the region and the shoppers here nor for the Worker's thread.
const storageHost = edge.storagePid ? [edge.storagePid] : [];
const storagePriority = storageHost.length ? prioritizeEdge(storageHost, edgePriority, 'storage') : null;
const storageCpuBefore = cpuTimes(storageHost);
const load = { start: loadavg().map((x) => Number(x.toFixed(2))), end: [] as number[] };
const cpuBefore = cpuTimes(workerd);
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(args.concurrency, sessions.length) }, async () => {
    while (next < sessions.length) {
      const i = next++;
      await replay(i, sessions[i]);
    }
  }),
);
const wallMs = performance.now() - t0;
const edgeCpu = cpuWaitBetween(cpuBefore, cpuTimes(workerd));
const storageHostCpu = storageHost.length ? cpuWaitBetween(storageCpuBefore, cpuTimes(storageHost)) : null;
/** Read at the end: threads the edge made during the replay are counted too. */
const priorityAtEnd = priority.describe();
const storagePriorityAtEnd = storagePriority?.describe() ?? null;
load.end = loadavg().map((x) => Number(x.toFixed(2)));

const summary = {
  ...summarize({ records, sessions: sessions.length, calls: stub.calls, pricing: BEDROCK_DEFAULT_PRICING, completionOrder, args: { ...args, thinkTime: describeThink(think), idReplyShare: mix.idReplies?.share ?? 0, emailReplyShare: mix.emailReplies?.share ?? 0 }, wallMs }),
  orderSystem: { ...orders.counts },
  /** The shoppers' email replies sent (after the region asked for the email) and left out (it did not ask: another answer, or ORDER_VERIFY=none). */
  emailReplies,
  edge: PEER ? resolve(PEER) : 'this checkout',
  /** How the edge ran: wrangler dev or plain workerd, its local state's filesystem, and the CPU split if any. */
  edgeRunner: { runner, storage: edge.storage, stateFs: edge.state.fs, cpuSplit: cpuSplit ? { edge: cpuSplit.edge, rest: cpuSplit.rest } : null, priority: priorityAtEnd, storagePriority: storagePriorityAtEnd },
  loadAverage: load,
  edgeCpu,
  /** The storage host's workerd (`--edge-storage own-process`): its CPU and CPU wait over the replay, apart from the edge's. */
  storageHostCpu,
};
mkdirSync('reports', { recursive: true });
if (values.records) writeFileSync(values.records, trace.join('\n') + '\n');
writeFileSync('reports/traffic.html', trafficReportHtml(summary, series(records, completionOrder)));
await edge.stop();
priority.release();
storagePriority?.release();
await regional.close();
await stub.close();
await orders.close();
rmSync(dir, { recursive: true, force: true });

if (values.json) console.log(JSON.stringify(summary, null, 2));
else {
  const t = summary.targets;
  console.log(`${summary.sessions} sessions, ${summary.messages} messages; shares ${JSON.stringify(summary.share)}`);
  console.log(`cost/session $${summary.costPerSessionUsd} vs baseline $${summary.baselineCostPerSessionUsd} (${t.costAtMost25PctOfBaseline.value}%); errors ${summary.errors}`);
  const p99 = t.templateAndCacheP99AtMost5Ms;
  console.log(`template / cache p99 ${p99.value.template} / ${p99.value.cache} ms${p99.bounded ? '' : ' (too few answers to bound a p99 above: ≥ 368 per path)'}`);
  console.log(`report: reports/traffic.html`);
}
