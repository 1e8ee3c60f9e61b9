/**
 * `npx tsx scripts/bench-span-gc.ts [--path fresh|history|openai] [--n 300] [--gap 15] [--port 9xxx] [--peer <checkout>]`:
 * what lands inside the edge's slow template answers, garbage collection included. The edge runs
 * as deployed (plain `workerd serve`, scripts/soak/edge-workerd.ts) with V8's `--trace-gc`; with
 * `--peer` a second checkout's edge beside it, the answers alternated between the two from their
 * start. Each answer is one template question (`fresh`: /v1/chat with a new session each;
 * `history`: /v1/chat with a one-turn history, no session; `openai`: /v1/chat/completions), sent
 * one at a time `--gap` ms apart. Each collection's line is timed as workerd writes it, which puts
 * it on the bench's clock (V8 times it from its isolate's start); a collection is counted against
 * an answer when it overlaps the answer's round trip. Prints JSON per edge: the answers'
 * server-side p50/p99 (`done.latencyMs.total`), the slow ones (≥ 5 ms) with their parts and the
 * collection they overlap, every collection (kind, ms after ready, pause), and the isolate's
 * allocation per answer (young-generation growth between scavenges over the answers between them).
 * Bench only: nothing here runs in the product.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { percentiles } from '../shared/eval/metrics.ts';
import { startEdgeUnderWorkerd } from './soak/edge-workerd.ts';

const { values } = parseArgs({ options: { path: { type: 'string', default: 'fresh' }, n: { type: 'string', default: '300' }, gap: { type: 'string', default: '15' }, port: { type: 'string', default: '9290' }, peer: { type: 'string' } } });
const path = values.path as 'fresh' | 'history' | 'openai';
const N = Number(values.n);
const TEXTS = ['hello!', 'what are your support hours?', 'what is your return policy?', 'can I talk to a human?', 'thanks, bye'];
const VARS = { CLIENT_RATE_LIMIT_PER_MINUTE: 'off', SESSION_RATE_LIMIT_PER_MINUTE: 'off', MODEL_REFRESH_INTERVAL_MS: '0' };
const SLOW_MS = 5;
/** p50 / p99 as bench:services reports them (shared/eval/metrics.ts). */
const pct = (xs: number[]) => {
  const p = percentiles(xs);
  return { p50: +p.p50.toFixed(3), p99: +p.p99.toFixed(3), n: p.n };
};

interface Gc { isolate: string; at: number; ms: number; kind: string; beforeMb: number; afterMb: number; pauseMs: number }
interface Answer { i: number; text: string; t0: number; t1: number; total: number; parts: Record<string, number> }

/** One collection per `--trace-gc` line: `[pid:isolate]  1234 ms: Scavenge 14.8 (19.4) -> 12.7 (20.7) MB, pooled: 0.0 MB, 25.08 / 0.00 ms …`. */
const GC_LINE = /\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: ([A-Za-z-]+(?: \([^)]*\))?) ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms/;

async function startEdge(root: string, port: number) {
  const mod = root === process.cwd() ? { startEdgeUnderWorkerd } : ((await import(pathToFileURL(join(root, 'scripts/soak/edge-workerd.ts')).href)) as { startEdgeUnderWorkerd: typeof startEdgeUnderWorkerd });
  const edge = await mod.startEdgeUnderWorkerd({ port, regionalUrl: 'http://127.0.0.1:9', vars: VARS, v8Flags: ['--trace-gc'] });
  const readyAt = performance.now();
  const gcs: Gc[] = [];
  let rest = '';
  // V8 prints its --trace-gc lines on workerd's stdout.
  edge.child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const m = GC_LINE.exec(line);
      if (m) gcs.push({ isolate: m[1], at: performance.now() - readyAt, ms: Number(m[2]), kind: m[3], beforeMb: Number(m[4]), afterMb: Number(m[5]), pauseMs: Number(m[6]) });
    }
  });
  return { edge, readyAt, gcs, answers: [] as Answer[] };
}

async function ask(url: string, text: string, i: number, run: number): Promise<{ total: number; parts: Record<string, number> }> {
  if (path === 'openai') {
    const j = await (await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'switchyard', messages: [{ role: 'user', content: text }] }) })).json();
    if (j.switchyard?.path !== 'template') throw new Error(`expected a template answer: ${JSON.stringify(j).slice(0, 200)}`);
    return { total: j.switchyard.latency_ms.total, parts: j.switchyard.latency_ms };
  }
  const body = { message: text, sessionId: `span-${i}-${run}`, ...(path === 'history' ? { history: [{ role: 'user', content: 'hi' }] } : {}) };
  const j = await (await fetch(`${url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) })).json();
  if (j.route?.path !== 'template') throw new Error(`expected a template answer: ${JSON.stringify(j).slice(0, 200)}`);
  return { total: j.done.latencyMs.total, parts: j.done.latencyMs };
}

const port = Number(values.port);
const roots = { this: process.cwd(), ...(values.peer ? { peer: resolve(values.peer) } : {}) };
const edges = Object.fromEntries(await Promise.all(Object.entries(roots).map(async ([name, root], k) => [name, await startEdge(root, port + k)] as const)));
const load = [loadavg()[0]];
const run = Date.now();
for (let i = 0; i < N; i++) {
  for (const e of Object.values(edges)) {
    const text = TEXTS[i % TEXTS.length];
    const t0 = performance.now() - e.readyAt;
    const { total, parts } = await ask(e.edge.url, text, i, run);
    e.answers.push({ i, text, t0, t1: performance.now() - e.readyAt, total, parts });
    await new Promise((r) => setTimeout(r, Number(values.gap)));
  }
}
await new Promise((r) => setTimeout(r, 500));
load.push(loadavg()[0]);
await Promise.all(Object.values(edges).map((e) => e.edge.stop()));

function report(e: (typeof edges)[string]) {
  // On the answers' clock: a line is written as its collection ends, so the earliest (arrival − V8's time − pause) is the isolate's start.
  // The Worker's isolate is the one that collects most (D1's stand-in object has an isolate of its own).
  const counts = new Map<string, number>();
  for (const g of e.gcs) counts.set(g.isolate, (counts.get(g.isolate) ?? 0) + 1);
  const worker = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const own = e.gcs.filter((g) => g.isolate === worker);
  const offset = Math.min(...own.map((g) => g.at - g.ms - g.pauseMs));
  const gcs = own.map((g) => ({ ...g, start: g.ms + offset }));
  const overlapping = (a: Answer) => gcs.filter((g) => a.t1 >= g.start && a.t0 <= g.start + g.pauseMs);
  const slow = e.answers.filter((a) => a.total >= SLOW_MS);
  const scavenges = gcs.filter((g) => g.kind === 'Scavenge');
  let allocMb = 0;
  for (let k = 1; k < gcs.length; k++) allocMb += gcs[k].beforeMb - gcs[k - 1].afterMb;
  const between = gcs.length > 1 ? e.answers.filter((a) => a.t0 >= gcs[0].start && a.t1 <= gcs.at(-1)!.start).length : 0;
  return {
    answers: e.answers.length,
    serverSide: pct(e.answers.map((a) => a.total)),
    slow: slow.length,
    slowWithCollection: slow.filter((a) => overlapping(a).length).length,
    slowAnswers: slow.map((a) => ({ i: a.i, text: a.text, parts: a.parts, collections: overlapping(a).map((g) => `${g.kind} ${g.pauseMs} ms`) })),
    collections: gcs.map((g) => ({ kind: g.kind, msAfterReady: Math.round(g.start), pauseMs: g.pauseMs, mb: `${g.beforeMb} -> ${g.afterMb}`, duringAnswer: e.answers.filter((a) => a.t1 >= g.start && a.t0 <= g.start + g.pauseMs).map((a) => ({ i: a.i, total: a.total })) })),
    scavengePauseMs: pct(scavenges.map((g) => g.pauseMs)),
    allocationKbPerAnswer: between ? Math.round((allocMb * 1024) / between) : null,
  };
}
console.log(JSON.stringify({ path, n: N, gapMs: Number(values.gap), loadAverage1m: load.map((l) => +l.toFixed(2)), ...Object.fromEntries(Object.entries(edges).map(([name, e]) => [name, report(e)])) }, null, 2));
