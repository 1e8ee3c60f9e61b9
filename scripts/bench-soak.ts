/**
 * `npm run -s bench:soak -- [--minutes 10] [--warmup M] [--load open|closed] [--rate 200] [--concurrency 8] [--sample-s 5] [--seed 1] [--port P]
 *   [--edge-runner wrangler|miniflare|workerd] [--edge-inspector on|off] [--edge-without BINDING]… [--heap-snapshots DIR]
 *   [--session-pool N] [--edge-var NAME=VALUE]… [--region-env NAME=VALUE]… [--series]
 *   [--edge-worker edge|pipe|sse-reader] [--edge-v8-flag=--trace-gc] [--edge-log FILE] [--edge-malloc-stats] [--edge-alloc-profile FILE [--edge-alloc-survivors]] [--edge-leak-kb N]`:
 * a bounded soak (at most 10 minutes) of the real tiers: the edge Worker in workerd (as deployed; or under wrangler dev), the
 * region in its own Node process (SQLite), Bedrock replaced at the HTTP boundary by the traffic
 * replay's ConverseStream stand-in. Drives a steady mix (scripts/soak/mix.ts: chat sessions,
 * classify, embeddings, rerank), samples the resident memory of each tier's process tree, and
 * prints one JSON: requests, errors, RSS per tier and its slope in MB/min after the warm-up
 * (target: under 1 MB/min). Also the isolate's V8 heap in use and the entry counts of its bounded
 * stores (scripts/soak/isolate.ts), so a leak in the product's code can be told from allocator growth.
 *
 * The verdict is the floor slope: the lowest sample of each minute after the warm-up, and the
 * Theil–Sen slope (median of pairwise slopes) through those floors. A garbage collector's
 * sawtooth moves the samples above the floor (workerd swung 290–506 MB at load 25); a leak
 * raises the floor itself. Where a process's heaps are read (the edge isolate's --trace-gc lines,
 * on by default under plain workerd; the region's heap after a forced collection), the floors are
 * of RSS net of the heaps' slack (committed less live at the last full collection, rss.ts
 * `netOfGcSlack`): a collection cycle as long as the window, or a heap sized up to a higher rate,
 * no longer reads as growth, while a leak of objects (live rises) or of native memory (RSS outside
 * the heap rises) still does. The RSS floors' slope stays beside it (`targetMetByRssFloors`), and
 * so does the plain least-squares slope over every sample. `--edge-leak-kb N` is a test leak.
 * The warm-up (default: half the run) is the time the edge isolate's V8 heap takes to grow its
 * committed pages to their working size at a steady load (two to five minutes). The verdict (`judged`,
 * `targetMet`) is on the product's processes: the region and the workerd that runs the Worker.
 * Under `--edge-runner workerd` the Worker's process is also split by what holds its memory: V8's
 * heap cage apart from tcmalloc's heap (address stretches), each isolate's heap after every
 * collection (`--edge-v8-flag=--trace-gc --edge-log FILE`), tcmalloc's bytes in use apart from its
 * free pages (`--edge-malloc-stats`, through gdb), and a reference Worker that only passes chats on
 * can stand in for the edge (`--edge-worker pipe|sse-reader`, scripts/soak/reference-worker.ts).
 * The load (`--load`): `open` (default) starts `--rate` arrivals a minute from the mix at even
 * intervals, whatever the answers' speed (each arrival a chat session of its turns, or one classify,
 * embeddings or rerank call), so every run serves the same requests at the same rate and slopes
 * compare; `closed` keeps `--concurrency` arrivals going back to back, as fast as the machine
 * answers (the rate then varies with the machine's load: 455–985 requests a minute in
 * BENCHMARKS.md "Soak: plateau or growth"). With `--edge-v8-flag=--trace-gc` the edge isolate's
 * allocation (MB a minute, KB a request) is read from the collections; `--edge-alloc-profile FILE`
 * (workerd runner) writes V8's sampling heap profile of the edge isolate over the fitted window
 * (read it by source file and function with scripts/soak/alloc-sites.ts; with `--edge-alloc-survivors`,
 * only what survived young collections: what fills the old space). With
 * `--edge-v8-flag=--trace-gc-verbose` the isolate's committed heap is split by space
 * (`edge-v8-old-space-committed`, `edge-v8-new-space-committed`, …) and its external memory read.
 * Measures; never asserts.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DOMAIN_DIR } from '../regional/src/domain/pack-files.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startEdgeProcess } from './edge-process.ts';
import { startEdgeUnderMiniflare } from './soak/edge-miniflare.ts';
import { startEdgeUnderWorkerd } from './soak/edge-workerd.ts';
import { startRegionProcess } from './region-process.ts';
import { closedLoad, latency, mixDriver, openLoad, type Kind } from './soak/mix.ts';
import { everyIsolateHeap, heapSnapshot, isolateEntries, isolateHeap, sampleAllocations, topAllocators } from './soak/isolate.ts';
import { allocatedMb, anonByStretch, commandLine, floors, heapReadings, isFullCollection, medianSlope, netOfGcSlack, samplesAfter, slope, tcmallocStats, traceGc, traceGcSpaces, treeProcesses, treeRss, type HeapReading } from './soak/rss.ts';
import { startBedrockStub } from './traffic/bedrock-stub.ts';
import { rng } from './traffic/random.ts';
import { buildSessions, TrafficMix, type Dialogue, type Labelled, type Session } from './traffic/sessions.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    warmup: { type: 'string' },
    /** `open`: `--rate` arrivals a minute at even intervals; `closed`: `--concurrency` arrivals back to back. */
    load: { type: 'string', default: 'open' },
    /** Open load: arrivals a minute (about 2.3 requests each: BENCHMARKS.md "Soak, fifth look"). */
    rate: { type: 'string', default: '200' },
    /** Open load: arrivals in flight at most; one due past that is counted as dropped, not sent. */
    'max-in-flight': { type: 'string', default: '64' },
    concurrency: { type: 'string', default: '8' },
    'sample-s': { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    /** The edge's port (default: a random one); its inspector listens on the next. */
    port: { type: 'string' },
    /** Reuse this many session ids instead of a new one per visitor (each id is a Durable Object). */
    'session-pool': { type: 'string' },
    /** NAME=VALUE: a var for the edge Worker (repeatable), e.g. EDGE_MODELS=off to soak it without its models. */
    'edge-var': { type: 'string', multiple: true },
    /** Also print every RSS sample ([minute, MB] per tier). */
    series: { type: 'boolean', default: false },
    /**
     * `workerd` (default): the bundle `wrangler deploy` ships, in a plain `workerd serve` config, as a
     * deployed Worker runs: no Miniflare workers, no inspector, no rate-limit bindings
     * (scripts/soak/edge-workerd.ts). `wrangler`: the edge as `npm start` runs it, wrangler dev (its
     * Node process, its dev proxy's workerd and the Worker's workerd, with Miniflare's own workers
     * beside the Worker): local dev tooling's verdict, the default until BENCHMARKS.md "Soak, fifth
     * look". `miniflare`: the same bundle and bindings in one workerd under Miniflare, without the dev
     * proxy (scripts/soak/edge-miniflare.ts).
     */
    'edge-runner': { type: 'string', default: 'workerd' },
    /** off: no inspector on the edge's isolate and no heap reads through it (miniflare only; wrangler dev always has one). */
    'edge-inspector': { type: 'string', default: 'on' },
    /** A binding of the Worker left out (miniflare only; repeatable): SESSIONS, CLIENT_LIMITER, SESSION_LIMITER. */
    'edge-without': { type: 'string', multiple: true },
    /** miniflare only: `direct` sends the Worker's fetches straight out, not through Miniflare's strip-cf-connecting-ip worker. */
    'edge-outbound': { type: 'string', default: 'miniflare' },
    /**
     * `edge` (default): the product's Worker. `pipe` or `sse-reader` (workerd runner only): a reference
     * Worker in its place that sends every chat straight to the region (scripts/soak/reference-worker.ts),
     * to tell workerd's own cost per upstream chat from the edge Worker's.
     */
    'edge-worker': { type: 'string', default: 'edge' },
    /** A V8 flag for the edge's workerd (repeatable; workerd runner only), e.g. --trace-gc. */
    'edge-v8-flag': { type: 'string', multiple: true },
    /** A file for all of the edge workerd's output (workerd runner only; --trace-gc is on there by default). */
    'edge-log': { type: 'string' },
    /**
     * A test leak (workerd runner, the product's Worker only; bench only, never in the product): the
     * bundle's entry is wrapped so that every request keeps this many KB of JavaScript objects for
     * good. What the estimators must flag (BENCHMARKS.md "Soak, sixth look").
     */
    'edge-leak-kb': { type: 'string' },
    /**
     * Every minute, tcmalloc's own account of the edge workerd's native heap (workerd runner, with
     * --edge-log; needs gdb): `malloc_stats()` called in the process writes it to workerd's stderr.
     * RSS cannot tell memory in use from free pages tcmalloc keeps; this can. Each call stops the
     * process for a second or two.
     */
    'edge-malloc-stats': { type: 'boolean', default: false },
    /**
     * A file for V8's sampling heap profile of the edge isolate from the warm-up to the end (workerd
     * runner: it then runs with an inspector, which a deployed Worker has not; for finding what
     * allocates, not for the slope), with its top allocation sites in the JSON.
     */
    'edge-alloc-profile': { type: 'string' },
    /**
     * With --edge-alloc-profile: sample only what survives young collections (promoted to the old
     * generation, then kept or collected by a full collection): what fills the old space and sets
     * its committed size (BENCHMARKS.md "Soak: what fills the edge's old space").
     */
    'edge-alloc-survivors': { type: 'boolean', default: false },
    /** NAME=VALUE in the region's environment only (repeatable), e.g. MALLOC_ARENA_MAX=2. */
    'region-env': { type: 'string', multiple: true },
    /** A folder: a heap snapshot of the region at the warm-up and at the end (needs --port), for scripts/soak/heap-diff.ts. */
    'heap-snapshots': { type: 'string' },
  },
});
const minutes = Number(values.minutes);
// The default warm-up is half the run: at the soak's load the edge isolate's live heap reaches its
// working size in about two minutes and its committed pages in two to five at a steady load (longer
// when the rate rises: BENCHMARKS.md "Soak: plateau or growth"); a slope fitted before that measures
// the heap's growth to size, not a leak.
const warmup = Number(values.warmup ?? minutes / 2);
const concurrency = Number(values.concurrency);
const sampleMs = Number(values['sample-s']) * 1000;
if (!(minutes > 0 && minutes <= 10)) throw new Error(`--minutes must be in (0, 10], got ${values.minutes}`);
if (!(warmup >= 0 && warmup < minutes)) throw new Error(`--warmup must be in [0, --minutes), got ${warmup}`);
if (!(Number.isInteger(concurrency) && concurrency >= 1 && sampleMs >= 500)) throw new Error('--concurrency must be a positive integer and --sample-s at least 0.5');
const load = values.load;
const rate = Number(values.rate);
const maxInFlight = Number(values['max-in-flight']);
if (load !== 'open' && load !== 'closed') throw new Error(`--load must be open or closed, got ${load}`);
if (!(rate > 0 && Number.isInteger(maxInFlight) && maxInFlight >= 1)) throw new Error('--rate must be positive and --max-in-flight a positive integer');
const allocProfile = values['edge-alloc-profile'] && resolve(values['edge-alloc-profile']);
if (allocProfile && values['edge-runner'] !== 'workerd') throw new Error('--edge-alloc-profile is for --edge-runner workerd');
const reference = values['edge-worker'] === 'edge' ? undefined : values['edge-worker'];
if (reference !== undefined && (values['edge-runner'] !== 'workerd' || (reference !== 'pipe' && reference !== 'sse-reader'))) throw new Error(`--edge-worker must be edge, or pipe or sse-reader with --edge-runner workerd, got ${reference}`);
const say = (m: string) => process.stderr.write(`[bench:soak] ${m}\n`);
const leakKb = values['edge-leak-kb'] === undefined ? undefined : Number(values['edge-leak-kb']);
if (leakKb !== undefined && !(leakKb > 0 && values['edge-runner'] === 'workerd' && reference === undefined)) throw new Error('--edge-leak-kb must be positive, with --edge-runner workerd and the product Worker');
// Under plain workerd the isolate's collections are always traced: the verdict reads the heap's slack from them.
const edgeV8Flags = values['edge-runner'] === 'workerd' && !values['edge-v8-flag']?.includes('--trace-gc') ? [...(values['edge-v8-flag'] ?? []), '--trace-gc'] : values['edge-v8-flag'];
const logDir = values['edge-runner'] === 'workerd' && !values['edge-log'] ? mkdtempSync(join(tmpdir(), 'sy-soak-log-')) : undefined;
const edgeLogFile = values['edge-log'] ? resolve(values['edge-log']) : logDir && join(logDir, 'edge.log');

const domainDir = resolve(process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR);
const jsonl = <T>(file: string): T[] => readFileSync(join(domainDir, file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
const data = { test: jsonl<Labelled>('intents/test.jsonl'), dialogues: jsonl<Dialogue>('eval/dialogues.jsonl') };
const mix = TrafficMix.parse(JSON.parse(readFileSync(join(domainDir, 'eval/traffic-mix.json'), 'utf8')));
let batch: Session[] = [];
let round = 0;
const nextSession = () => (batch.length ? batch : (batch = buildSessions(data, mix, 500, Number(values.seed) + round++))).pop()!;

const dir = mkdtempSync(join(tmpdir(), 'sy-soak-'));
const regionEnv = {
  DATABASE_URL: join(dir, 'regional.db'),
  LLM_BACKEND: 'bedrock',
  BEDROCK_REGIONS: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench-soak',
  AWS_SECRET_ACCESS_KEY: 'bench-soak',
  LOG_LEVEL: 'warn',
  DEFAULT_RATE_LIMIT_PER_MINUTE: '1000000',
};
const base = loadConfig(regionEnv);
const stub = await startBedrockStub({ seed: Number(values.seed), tierOf: (id) => (id === base.BEDROCK_MODEL_LARGE ? 'large' : 'small') });
// The region's inspector (its heap after a full collection, each sample): the edge's port + 2, or any free port.
const regionInspector = values.port ? Number(values.port) + 2 : 0;
const pairs = (list: string[] | undefined) => Object.fromEntries((list ?? []).map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
const region = await startRegionProcess({ ...regionEnv, ...pairs(values['region-env']), BEDROCK_ENDPOINT: stub.url, ...(regionInspector ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:${regionInspector}`.trim() } : {}) });
// Whatever happens from here on, the children go with this process.
let stopEdge = async () => {};
const stopAll = async () => {
  await stopEdge();
  await region.stop();
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
const edgePort = Number(values.port ?? 27000 + Math.floor(Math.random() * 2000));
const edgeVars = { MODEL_REFRESH_INTERVAL_MS: '0', ...pairs(values['edge-var']) };
const runner = values['edge-runner'];
if (runner !== 'wrangler' && runner !== 'miniflare' && runner !== 'workerd') throw new Error(`--edge-runner must be wrangler, miniflare or workerd, got ${runner}`);
const miniflare = runner === 'miniflare';
if (runner === 'workerd' && values['edge-without']?.length) throw new Error('--edge-without is for --edge-runner miniflare (plain workerd has no rate-limit bindings to leave out)');
const edgeInspector = runner === 'wrangler' || (miniflare && values['edge-inspector'] !== 'off');
const edgeOpts = { port: edgePort, regionalUrl: region.url, persistTo: join(dir, 'wrangler'), vars: edgeVars };
const startEdge = () => {
  if (miniflare) return startEdgeUnderMiniflare({ ...edgeOpts, inspectorPort: edgeInspector ? edgePort + 1 : undefined, without: values['edge-without'], directOutbound: values['edge-outbound'] === 'direct' });
  if (runner === 'workerd') return startEdgeUnderWorkerd({ ...edgeOpts, reference, v8Flags: edgeV8Flags, logTo: edgeLogFile, inspectorPort: allocProfile ? edgePort + 1 : undefined, leakKbPerRequest: leakKb });
  return startEdgeProcess({ ...edgeOpts, inspectorPort: edgePort + 1, quiet: true });
};
const edge = await startEdge().catch(async (e) => {
  await stopAll();
  throw e;
});
stopEdge = () => edge.stop();
say(`region ${region.url} (pid ${region.child.pid}), edge ${edge.url} (${values['edge-runner']} pid ${edge.child.pid}); ${minutes} min, warm-up ${warmup} min, ${load === 'open' ? `${rate} arrivals a minute` : `${concurrency} at once`}`);

const driver = mixDriver({ edgeUrl: edge.url, regionUrl: region.url, regionKey: base.EDGE_API_KEY, sessions: nextSession, sessionPool: values['session-pool'] ? Number(values['session-pool']) : undefined, texts: data.test.map((t) => t.text), random: rng(Number(values.seed)) });
type Series = { x: number; y: number }[];
const tiers = { region: [] as Series, 'edge-workerd': [] as Series, 'edge-wrangler': [] as Series, 'edge-isolate-heap': [] as Series, 'edge-isolate-buffers': [] as Series, 'region-heap-after-gc': [] as Series, 'region-heap-committed': [] as Series };
const entries: { x: number; stores: Record<string, number> }[] = [];
// wrangler dev may run more than one workerd (the Worker's, and its dev proxy's): each is followed on its own too.
const workerds = new Map<number, { command: string; series: Series; anon: Series; file: Series; stretches: Map<string, Series> }>();
const t0 = performance.now();
const sample = () => {
  const x = (performance.now() - t0) / 60_000;
  const r = treeRss(region.child.pid!);
  const e = treeRss(edge.child.pid!);
  for (const p of treeProcesses(edge.child.pid!).filter((q) => q.name === 'workerd')) {
    if (!workerds.has(p.pid)) workerds.set(p.pid, { command: commandLine(p.pid), series: [], anon: [], file: [], stretches: new Map() });
    const w = workerds.get(p.pid)!;
    w.series.push({ x, y: p.rssMb });
    // Anonymous memory (the allocator's) apart from file-backed pages (SQLite's mapped databases, the binary).
    w.anon.push({ x, y: p.anonMb });
    w.file.push({ x, y: p.fileMb });
    // Its anonymous memory by stretch of address space: V8's heap cage apart from tcmalloc's heap (rss.ts).
    for (const [at, mb] of Object.entries(anonByStretch(p.pid))) {
      if (!w.stretches.has(at)) w.stretches.set(at, []);
      w.stretches.get(at)!.push({ x, y: mb });
    }
  }
  const workerd = e.workerd ?? 0;
  tiers.region.push({ x, y: Object.values(r).reduce((a, b) => a + b, 0) });
  tiers['edge-workerd'].push({ x, y: workerd });
  tiers['edge-wrangler'].push({ x, y: Object.values(e).reduce((a, b) => a + b, 0) - workerd });
  if (edgeInspector && runner === 'wrangler') void isolateHeap(edgePort + 1).then((h) => {
    if (!h) return;
    tiers['edge-isolate-heap'].push({ x, y: h.usedMb });
    if (Number.isFinite(h.backingMb)) tiers['edge-isolate-buffers'].push({ x, y: h.backingMb });
  });
  // Under Miniflare workerd's own inspector lists every isolate: the Worker's and Miniflare's own workers.
  if (edgeInspector && miniflare) void everyIsolateHeap(edgePort + 1).then((heaps) => {
    for (const [id, h] of Object.entries(heaps)) {
      const name = id === 'core:user:switchyard-edge' ? 'edge-isolate-heap' : `edge-isolate-heap:${id}`;
      ((tiers as Record<string, Series>)[name] ??= []).push({ x, y: h.usedMb });
    }
    // What V8 holds for all of them (its committed pages): the part of workerd's RSS that is V8 heap.
    const all = Object.values(heaps);
    if (all.length) ((tiers as Record<string, Series>)['edge-isolates-heap-committed'] ??= []).push({ x, y: all.reduce((a, h) => a + h.totalMb, 0) });
  });
  // Used after a full collection (what the region's objects need) and committed (what its heap holds of the RSS).
  if (regionInspector) void isolateHeap(regionInspector, { collect: true }).then((h) => h && (tiers['region-heap-after-gc'].push({ x, y: h.usedMb }), tiers['region-heap-committed'].push({ x, y: h.totalMb })));
  void isolateEntries(edge.url).then((stores) => stores && entries.push({ x, stores }));
};
sample();
const sampler = setInterval(sample, sampleMs);
// tcmalloc's stats of the edge's workerd, once a minute (the times, in order, of the blocks it writes to the log).
const mallocAt: number[] = [];
const mallocStats = values['edge-malloc-stats'] && runner === 'workerd' && edgeLogFile ? setInterval(() => {
  const at = (performance.now() - t0) / 60_000;
  // A call that fails (no gdb, say) writes no block and counts no time: the blocks pair with the times in order.
  spawn('gdb', ['-p', String(edge.child.pid), '-batch', '-nx', '-ex', 'call (void)malloc_stats()'], { stdio: 'ignore' })
    .on('error', () => {})
    .on('exit', (code) => code === 0 && mallocAt.push(at));
}, 60_000) : undefined;
const load0 = loadavg();
const end = t0 + minutes * 60_000;
const snapshots = values['heap-snapshots'] && regionInspector ? resolve(values['heap-snapshots']) : undefined;
const snapshotAt = (name: string) => (snapshots ? heapSnapshot(regionInspector, join(snapshots, `region-${name}.heapsnapshot`)).then((ok) => say(`region heap snapshot at ${name}: ${ok ? 'written' : 'failed'}`)) : Promise.resolve());
const atWarmup = new Promise<void>((r) => setTimeout(() => void snapshotAt('warmup').then(() => r()), Math.max(0, t0 + warmup * 60_000 - performance.now())));
const profiling = allocProfile ? new Promise<Awaited<ReturnType<typeof sampleAllocations>>>((r) => setTimeout(() => void sampleAllocations(edgePort + 1, { survivorsOnly: values['edge-alloc-survivors'] }).then(r), Math.max(0, t0 + warmup * 60_000 - performance.now()))) : undefined;
const open = load === 'open' ? await openLoad(driver.next, { rate, maxInFlight, until: end }) : (await closedLoad(driver.next, { concurrency, until: end }), undefined);
const profile = await (await profiling)?.stop();
if (allocProfile && profile) writeFileSync(allocProfile, JSON.stringify(profile));
// The bundle's source map beside it (the bundle goes with the edge): scripts/soak/alloc-sites.ts reads both.
const sourceMap = (edge as { sourceMap?: string }).sourceMap;
if (allocProfile && profile && sourceMap) copyFileSync(sourceMap, `${allocProfile}.map`);
clearInterval(sampler);
clearInterval(mallocStats);
sample();
const load1 = loadavg();
await atWarmup;
await snapshotAt('end');
await new Promise((r) => setTimeout(r, 5000)); // the last heap and entry reads

await stopAll();

// With --edge-v8-flag=--trace-gc and --edge-log: each isolate's heap after every collection, used and committed.
const round2 = (v: number) => Math.round(v * 100) / 100;
const edgeLog = edgeLogFile && runner === 'workerd' ? readFileSync(edgeLogFile, 'utf8') : '';
if (logDir) rmSync(logDir, { recursive: true, force: true });
const gcs = [...traceGc(edgeLog)].sort((a, b) => b[1].length - a[1].length);
const at = (ms: number) => ((edge as { startedAt?: number }).startedAt! + ms - t0) / 60_000;
gcs.forEach(([isolate, list], i) => {
  const name = i === 0 ? 'edge-v8' : `edge-v8-${isolate}`;
  Object.assign(tiers, { [`${name}-used-after-gc`]: list.map((g) => ({ x: at(g.ms), y: g.usedMb })), [`${name}-committed-after-gc`]: list.map((g) => ({ x: at(g.ms), y: g.committedMb })) });
});
// With --edge-v8-flag=--trace-gc-verbose: the edge isolate's committed heap by space after every
// collection (young generation apart from old space, code, large objects) and its external memory.
const spaces = gcs.length ? traceGcSpaces(edgeLog).get(gcs[0][0]) ?? [] : [];
for (const name of ['new', 'old', 'code', 'large object']) if (spaces.some((g) => name in g.committedMb)) Object.assign(tiers, { [`edge-v8-${name.replace(' ', '-')}-space-committed`]: spaces.filter((g) => name in g.committedMb).map((g) => ({ x: at(g.ms), y: g.committedMb[name] })) });
if (spaces.some((g) => Number.isFinite(g.externalMb))) Object.assign(tiers, { 'edge-v8-external': spaces.filter((g) => Number.isFinite(g.externalMb)).map((g) => ({ x: at(g.ms), y: g.externalMb })) });
// What the edge isolate allocated: over the whole run and after the warm-up, a minute and a request.
const t = driver.tally;
const requestsBetween = (from: number, to: number) => t.perMinute.requests.slice(Math.ceil(from), Math.ceil(to)).reduce((a, b) => a + b, 0);
const edgeV8Allocation = gcs.length
  ? Object.fromEntries(
      ([['wholeRun', 1], ['afterWarmup', Math.ceil(warmup)]] as const).map(([name, from]) => {
        const startedAt = (edge as { startedAt?: number }).startedAt!;
        const mb = allocatedMb(gcs[0][1], t0 - startedAt + from * 60_000, t0 - startedAt + Math.floor(minutes) * 60_000);
        const requests = requestsBetween(from, Math.floor(minutes));
        const span = Math.floor(minutes) - from;
        return [name, { fromMinute: from, mb: round2(mb), mbPerMin: round2(mb / span), requests, kbPerRequest: round2((mb * 1024) / requests) }];
      }),
    )
  : undefined;
const malloc = tcmallocStats(edgeLog);
if (malloc.length) Object.assign(tiers, Object.fromEntries((['inUse', 'pageHeapFree', 'caches'] as const).map((k) => [`edge-tcmalloc-${k}`, malloc.slice(0, mallocAt.length).map((m, i) => ({ x: mallocAt[i], y: m[k] }))])));
for (const [pid, w] of workerds) {
  Object.assign(tiers, { ...(workerds.size > 1 ? { [`edge-workerd-pid${pid}`]: w.series } : {}), [`edge-workerd-pid${pid}-anon`]: w.anon, [`edge-workerd-pid${pid}-file`]: w.file });
  // The stretches that hold 4 MB or more at some point (smaller ones are stacks and bookkeeping).
  for (const [at, pts] of w.stretches) if (Math.max(...pts.map((p) => p.y)) >= 4) Object.assign(tiers, { [`edge-workerd-pid${pid}-anon@${at}`]: pts });
}
// The heaps whose slack (committed less live) each judged process's RSS is read net of: the edge
// workerd's isolates (their --trace-gc lines) and the region's Node heap (read after a forced full
// collection at every sample).
const regionLive = new Map(tiers['region-heap-after-gc'].map((p) => [p.x, p.y]));
const heapsOf: Record<string, HeapReading[][]> = {
  ...(gcs.length ? { 'edge-workerd': gcs.map(([, list]) => heapReadings(list, at)) } : {}),
  ...(regionLive.size ? { region: [tiers['region-heap-committed'].filter((p) => regionLive.has(p.x)).map((p) => ({ x: p.x, committedMb: p.y, liveMb: regionLive.get(p.x)! }))] } : {}),
};
// The edge isolate's full collections after the warm-up: when, how far apart, and RSS and the heap just after each.
const fullGcs = gcs.length ? gcs[0][1].filter((g) => isFullCollection(g.kind)).map((g) => ({ x: at(g.ms), usedMb: g.usedMb, committedMb: g.committedMb })).filter((g) => g.x >= warmup && g.x < minutes) : [];
const workerdCommands = Object.fromEntries([...workerds].map(([pid, w]) => [pid, w.command]));
const perTier = Object.fromEntries(
  Object.entries(tiers).map(([name, pts]) => {
    pts.sort((a, b) => a.x - b.x);
    const after = pts.filter((p) => p.x >= warmup);
    if (!after.length) return [name, { samplesFitted: 0 }];
    const s = slope(after);
    // The last sample comes just after the run's end; alone in its minute it would count as a floor.
    const lows = floors(after.filter((p) => p.x < minutes), 1);
    const floor = medianSlope(lows);
    // The verdict where the process's heaps are read: the same floors, of RSS net of the heaps' slack.
    const net = heapsOf[name] && floors(netOfGcSlack(after.filter((p) => p.x < minutes), heapsOf[name]), 1);
    const netFloor = net && medianSlope(net);
    const afterFull = name === 'edge-workerd' && fullGcs.length ? samplesAfter(after, fullGcs.map((g) => g.x), sampleMs / 60_000) : undefined;
    return [
      name,
      {
        rssStartMb: round2(pts[0].y),
        rssAtWarmupMb: round2(after[0]?.y ?? NaN),
        rssEndMb: round2(pts.at(-1)!.y),
        rssMaxMb: round2(Math.max(...pts.map((p) => p.y))),
        slopeMbPerMin: round2(s),
        // Theil–Sen through each minute's lowest sample: robust to the garbage collector's sawtooth (the verdict).
        floorSlopeMbPerMin: round2(floor),
        floorLeastSquaresMbPerMin: round2(slope(lows)),
        floorsMb: lows.map((p) => round2(p.y)),
        // Every minute's floor from the start, the warm-up included: the curve the warm-up cuts.
        floorsFromStartMb: floors(pts.filter((p) => p.x < minutes), 1).map((p) => round2(p.y)),
        samplesFitted: after.length,
        under1MbPerMin: floor < 1,
        ...(net
          ? {
              netOfGcSlack: {
                floorSlopeMbPerMin: round2(netFloor!),
                floorsMb: net.map((p) => round2(p.y)),
                under1MbPerMin: netFloor! < 1,
              },
            }
          : {}),
        ...(afterFull
          ? {
              afterFullCollections: {
                count: fullGcs.length,
                intervalsMin: fullGcs.slice(1).map((g, i) => round2(g.x - fullGcs[i].x)),
                rssMb: afterFull.map((p) => round2(p.y)),
                rssSlopeMbPerMin: round2(medianSlope(afterFull)),
                v8UsedMb: fullGcs.map((g) => g.usedMb),
                v8UsedSlopeMbPerMin: round2(medianSlope(fullGcs.map((g) => ({ x: g.x, y: g.usedMb })))),
                v8CommittedMb: fullGcs.map((g) => g.committedMb),
                v8CommittedSlopeMbPerMin: round2(medianSlope(fullGcs.map((g) => ({ x: g.x, y: g.committedMb })))),
              },
            }
          : {}),
        ...(values.series ? { series: pts.map((p) => [round2(p.x), round2(p.y)]) } : {}),
      },
    ];
  }),
);
const workerOf = [...workerds].filter(([, w]) => !w.command.includes(`entry=127.0.0.1:${edgePort} `));
const judged = ['region', workerds.size > 1 && workerOf.length === 1 ? `edge-workerd-pid${workerOf[0][0]}` : 'edge-workerd'];
const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify(
    {
      minutes,
      warmupMinutes: warmup,
      edgeRunner: values['edge-runner'],
      edgeInspector,
      edgeWithout: values['edge-without'] ?? [],
      edgeOutbound: values['edge-outbound'],
      edgeWorker: values['edge-worker'],
      edgeV8Flags: edgeV8Flags ?? [],
      ...(leakKb ? { edgeTestLeakKbPerRequest: leakKb } : {}),
      regionEnv: pairs(values['region-env']),
      load: open ? { model: 'open', arrivalsPerMinute: rate, maxInFlight, ...open } : { model: 'closed', concurrency },
      loadavg: { start: load0.map(round2), end: load1.map(round2) },
      requests: { total: total(t.requests), ...t.requests },
      errors: { total: total(t.errors), ...t.errors, samples: t.samples },
      chatFallbacks: t.fallbacks,
      perMinute: t.perMinute,
      roundTripMs: Object.fromEntries((Object.keys(t.ms) as Kind[]).map((k) => [k, latency(t.ms[k])])),
      llmCalls: stub.calls.length,
      edgeV8Allocation,
      ...(profile ? { edgeAllocationSites: topAllocators(profile) } : {}),
      tiers: perTier,
      workerdCommands,
      // Entries of the edge isolate's bounded stores: at the warm-up, at the end, and the most seen.
      isolateEntries: Object.fromEntries(
        [...new Set(entries.flatMap((e) => Object.keys(e.stores)))].map((k) => [
          k,
          { atWarmup: entries.find((e) => e.x >= warmup)?.stores[k] ?? null, end: entries.at(-1)?.stores[k] ?? null, max: Math.max(...entries.map((e) => e.stores[k] ?? 0)) },
        ]),
      ),
      // The target is judged on the product's processes: the region, and the workerd that runs the
      // Worker (under wrangler dev, not its dev proxy, the workerd on the edge's own port). The rest
      // (dev tools, stretches, heaps) explain; they are not the verdict.
      judged,
      // The verdict is for the runner that ran; the other one's is a run of its own.
      otherRunner: runner === 'wrangler' ? 'as deployed: --edge-runner workerd (the default)' : 'local dev tooling (npm start): --edge-runner wrangler',
      // Judged on RSS net of the heaps' slack where the heaps are read (BENCHMARKS.md "Soak, sixth
      // look"), else on the RSS floors; the RSS floors' verdict stays beside it.
      verdict: judged.every((name) => heapsOf[name]) ? 'rss net of gc slack, 1-minute floors' : 'rss, 1-minute floors',
      targetMet: judged.every((name) => {
        const tier = perTier[name] as { under1MbPerMin?: boolean; netOfGcSlack?: { under1MbPerMin: boolean } } | undefined;
        return (tier?.netOfGcSlack?.under1MbPerMin ?? tier?.under1MbPerMin) === true;
      }),
      targetMetByRssFloors: judged.every((name) => (perTier[name] as { under1MbPerMin?: boolean } | undefined)?.under1MbPerMin === true),
    },
    null,
    2,
  ),
);
