/**
 * `npx tsx scripts/bench-edge-cold-start.ts [runs] [--pack <dir>] [--peer <checkout>] [--port <n>] [--question <text>]`:
 * the edge Worker's cold start in workerd (wrangler dev, offline, no region). Each run starts a
 * fresh wrangler dev (so a fresh isolate) and waits until it serves a static asset, which does not
 * start the Worker's isolate. Then, from the moment the isolate's first request is sent:
 *
 *   first answer   wall time until the answer to a template question (POST /v1/chat, JSON) is
 *                  back: models read, verified, the classifier's session created and warmed. Its
 *                  path must be `template` (the run fails otherwise); its fallbacks are printed
 *                  (`embedder_loading`: answered while the embedder still loaded).
 *   fully loaded   wall time until /healthz (polled) no longer says the models are "loading":
 *                  both models loaded and warmed, FAQ vectors made, the cache serving.
 *
 * Beside them CPU time until the first answer (less sensitive to the machine's load than wall
 * time; /proc, schedstat): of wrangler's whole process tree (its node proxy and a second workerd
 * included, which spend ~10% of a core each even when idle), of the workerd that runs the Worker
 * (its V8 background compiler threads included), and of that process's busiest thread (the
 * isolate's own); and the Worker's own figures from /healthz: `readyMs` (until the classifier served),
 * `loadMs` (both models) and its phases (performance.now(), real time under wrangler dev). The
 * question defaults to the shortest training example of the pack's template intents.
 *
 * `--peer /work/main` alternates each run with the same procedure on another checkout's Worker
 * (the default pack, its built assets), so both are measured under the same machine load; a Worker
 * that does not load in stages answers its first request only once fully loaded. The load average
 * is printed beside each run. Ports: `--port` (default 9200) and the next few.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PACK } from './domain-bundle.ts';
import { startEdgeProcess } from './edge-process.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { pack: { type: 'string' }, peer: { type: 'string' }, port: { type: 'string', default: '9200' }, question: { type: 'string' } },
});
const runs = Number(positionals[0] ?? 5);
const pack = values.pack ? resolve(values.pack) : undefined;
if (values.peer && pack && pack !== DEFAULT_PACK) throw new Error('--peer measures the default pack only');
const port = Number(values.port);
const question = values.question ?? templateQuestion(pack ?? DEFAULT_PACK);

/** The shortest training example of a template intent (one the classifier is surest of, usually a greeting). */
function templateQuestion(dir: string): string {
  const domain = JSON.parse(readFileSync(join(dir, 'domain.json'), 'utf8')) as { intents: Record<string, { route: string }> };
  const template = new Set(Object.entries(domain.intents).filter(([name, i]) => i.route === 'template' && name !== 'oos').map(([name]) => name));
  const examples = readFileSync(join(dir, 'intents', 'train.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { text: string; label: string });
  const pick = examples.filter((e) => template.has(e.label) && /\p{L}{2}/u.test(e.text)).sort((a, b) => a.text.length - b.text.length)[0];
  if (!pick) throw new Error(`${dir}: no training example of a template intent; pass --question`);
  return pick.text;
}

interface Run {
  firstAnswerMs: number;
  fullyLoadedMs: number;
  /** CPU time workerd spent (all its threads, 10 ms ticks): less sensitive to the machine's load than wall time. */
  firstAnswerCpuMs: number;
  fullyLoadedCpuMs: number;
  /** CPU time of the busiest thread until the first answer: the isolate's own (no background compile, GC helpers, proxy). */
  firstAnswerThreadCpuMs: number;
  /** CPU time of that thread's process (the workerd running the Worker, its V8 background compiler threads too). */
  firstAnswerIsolateProcessCpuMs: number;
  readyMs?: number;
  loadMs?: number;
  fallbacks: string[];
  /** The answer's own time in the Worker's pipeline (done.latencyMs.total). */
  pipelineMs?: number;
  phases?: Record<string, { at: number; ms: number }>;
  /** ms from sending the first request until the isolate had evaluated the Worker's modules, and until its model load began. */
  startupMs?: number;
  loadStartMs?: number;
  /** ms from sending the first request until the Worker had made its response (the rest is wrangler dev's local proxy on the way back). */
  workerAnswerMs?: number;
  load: string;
}

/** CPU ms (user + system) of `pid` and its descendants, from /proc. */
function cpuMs(pid: number): number {
  const stat = (p: number) => readFileSync(`/proc/${p}/stat`, 'utf8').slice(readFileSync(`/proc/${p}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = Number(stat(Number(d))[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  let ticks = 0;
  const walk = (p: number) => {
    try {
      const f = stat(p);
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return ticks * 10;
}

/** CPU ms of every thread of `pid` and its descendants, by "pid/tid name". */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (p: number) => {
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        // schedstat: ns on a CPU (finer than stat's 10 ms ticks).
        const onCpuNs = Number(readFileSync(`/proc/${p}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
        out.set(`${p}/${t} ${readFileSync(`/proc/${p}/task/${t}/comm`, 'utf8').trim()}`, onCpuNs / 1e6);
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean)) walk(Number(c));
      }
    } catch {
      // gone
    }
  };
  walk(pid);
  return out;
}

/**
 * Between two threadCpuMs readings: the largest CPU ms one thread spent (the isolate's thread) and
 * the CPU ms of that thread's whole process (workerd running the Worker: its V8 compiler threads too).
 */
function busiest(before: Map<string, number>, after: Map<string, number>): { thread: number; process: number } {
  const d = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
  if (!d.length) return { thread: NaN, process: NaN };
  const pid = d[0][0].split('/')[0];
  return { thread: d[0][1], process: d.filter(([k]) => k.split('/')[0] === pid).reduce((a, [, v]) => a + v, 0) };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function coldStart(name: string, root: string | undefined, assetsDir: string | undefined, i: number, dir: string): Promise<Run> {
  const edge = await startEdgeProcess({
    port: port + 2 * i,
    inspectorPort: port + 2 * i + 1,
    regionalUrl: 'http://127.0.0.1:9',
    persistTo: join(dir, `${name}-${i}`),
    vars: { MODEL_REFRESH_INTERVAL_MS: '0' },
    quiet: true,
    domain: pack,
    readyPath: '/models/classifier.json',
    ...(root ? { root, assetsDir } : {}),
  });
  try {
    const load = loadavg();
    const cpu0 = cpuMs(edge.child.pid!);
    const threads0 = threadCpuMs(edge.child.pid!);
    const t0 = performance.now();
    const sentAt = Date.now();
    const res = await fetch(`${edge.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: question, sessionId: `cold-start-${i}` }),
    });
    const reply = (await res.json()) as { route?: { path: string }; done?: { fallbacks?: string[]; latencyMs?: Record<string, number> } };
    const firstAnswerMs = performance.now() - t0;
    const firstAnswerCpuMs = cpuMs(edge.child.pid!) - cpu0;
    const { thread: firstAnswerThreadCpuMs, process: firstAnswerIsolateProcessCpuMs } = busiest(threads0, threadCpuMs(edge.child.pid!));
    if (reply.route?.path !== 'template') throw new Error(`${name}: "${question}" was not answered from a template: ${JSON.stringify(reply).slice(0, 500)}`);
    for (;;) {
      const h = (await (await fetch(`${edge.url}/healthz`)).json()) as { status: string; models: string; readyMs?: number; loadMs?: number; phases?: Run['phases']; isolate?: { startedAt: number; loadStartedAt: number; firstResponseAt?: number } };
      if (h.models !== 'loading') {
        if (h.status !== 'ok') throw new Error(`${name}: the edge came up without its models: ${JSON.stringify(h)}`);
        return { firstAnswerMs, fullyLoadedMs: performance.now() - t0, firstAnswerCpuMs, firstAnswerThreadCpuMs, firstAnswerIsolateProcessCpuMs, fullyLoadedCpuMs: cpuMs(edge.child.pid!) - cpu0, readyMs: h.readyMs, loadMs: h.loadMs, fallbacks: reply.done?.fallbacks ?? [], pipelineMs: reply.done?.latencyMs?.total, phases: h.phases, load, ...(h.isolate ? { startupMs: h.isolate.startedAt - sentAt, loadStartMs: h.isolate.loadStartedAt - sentAt, workerAnswerMs: (h.isolate.firstResponseAt ?? NaN) - sentAt } : {}) };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await edge.stop();
  }
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(0));

const peerAssets = values.peer ? join(resolve(values.peer), '.switchyard', 'edge-assets', 'kitsune-books') : undefined;
if (values.peer) {
  const built = spawnSync(join(values.peer, 'node_modules', '.bin', 'tsx'), ['scripts/edge-assets.ts'], { cwd: values.peer, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`the peer's assets: ${built.stderr}`);
}
const builds = [{ name: 'this', root: undefined as string | undefined }, ...(values.peer ? [{ name: 'peer', root: resolve(values.peer) }] : [])];
const dir = mkdtempSync(join(tmpdir(), 'switchyard-cold-'));
const results: Record<string, Run[]> = Object.fromEntries(builds.map((b) => [b.name, []]));
console.log(`template question: "${question}"; ${runs} fresh isolates per build${values.peer ? `, alternating with ${values.peer}` : ''}`);
try {
  for (let i = 0; i < runs; i++) {
    for (const b of i % 2 ? [...builds].reverse() : builds) {
      const r = await coldStart(b.name, b.root, peerAssets, i, dir);
      results[b.name].push(r);
      console.log(`${b.name} run ${i + 1}: first answer ${ms(r.firstAnswerMs)} ms (cpu ${r.firstAnswerCpuMs}, its workerd ${ms(r.firstAnswerIsolateProcessCpuMs)}, busiest thread ${ms(r.firstAnswerThreadCpuMs)}) [pipeline ${ms(r.pipelineMs)} ms; ${r.fallbacks.join(',') || 'no fallbacks'}], fully loaded ${ms(r.fullyLoadedMs)} ms (cpu ${r.fullyLoadedCpuMs}); Worker readyMs ${ms(r.readyMs)}, loadMs ${ms(r.loadMs)}  (loadavg ${r.load})`);
      if (r.phases) console.log(`  isolate modules evaluated at ${ms(r.startupMs)} ms, load began at ${ms(r.loadStartMs)} ms, response made at ${ms(r.workerAnswerMs)} ms; phases (start+ms): ${Object.entries(r.phases).map(([k, p]) => `${k} ${p.at}+${p.ms}`).join(', ')}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const b of builds) {
  const rs = results[b.name];
  const phaseNames = [...new Set(rs.flatMap((r) => Object.keys(r.phases ?? {})))];
  console.log(`\n${b.name}${b.root ? ` (${b.root})` : ''}: median of ${rs.length} fresh isolates: first template answer ${ms(median(rs.map((r) => r.firstAnswerMs)))} ms (cpu: wrangler's tree ${ms(median(rs.map((r) => r.firstAnswerCpuMs)))}, the Worker's workerd ${ms(median(rs.map((r) => r.firstAnswerIsolateProcessCpuMs)))}, its busiest thread ${ms(median(rs.map((r) => r.firstAnswerThreadCpuMs)))}), fully loaded ${ms(median(rs.map((r) => r.fullyLoadedMs)))} ms (cpu ${ms(median(rs.map((r) => r.fullyLoadedCpuMs)))}); Worker readyMs ${ms(median(rs.map((r) => r.readyMs ?? NaN)))}, loadMs ${ms(median(rs.map((r) => r.loadMs ?? NaN)))}`);
  if (phaseNames.length) console.log(`  median: modules evaluated at ${ms(median(rs.map((r) => r.startupMs ?? NaN)))} ms, load began at ${ms(median(rs.map((r) => r.loadStartMs ?? NaN)))} ms, first response made (in the Worker) at ${ms(median(rs.map((r) => r.workerAnswerMs ?? NaN)))} ms; phase ms: ${phaseNames.map((p) => `${p} ${ms(median(rs.map((r) => r.phases?.[p]?.ms ?? NaN)))}`).join(', ')}`);
}
