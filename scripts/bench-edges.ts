/**
 * The edges a bench measures side by side (scripts/bench-services.ts, parts `edge` and `openai`):
 * this checkout's, and with `BENCH_PEER=<another checkout>` (e.g. main's: `git archive main | tar -x
 * -C <dir>` with node_modules linked) that checkout's edge too, started by its own
 * scripts/edge-process.ts on the same region. The bench alternates each measurement request by
 * request between them in a shuffled order, so both see the same moments of a shared, noisy
 * machine: only such a same-run pair says what a change did.
 *
 * Each edge also reports the URL of its Worker behind wrangler dev's local proxy (`workerUrl`):
 * wrangler dev puts a proxy (its own workerd process) in front of the workerd that runs the
 * Worker, a hop a deployed Worker does not have. Measuring both separates that hop from what the
 * Worker does. The URL is read from wrangler's debug log (WRANGLER_LOG=debug while it starts).
 * `BENCH_EDGE_PORT`: the first port the edges take (each takes one more, and one for wrangler's
 * inspector when under wrangler dev), else a random one.
 *
 * Each edge's local state (wrangler dev's persist dir, plain workerd's localDisk) goes where
 * BENCH_EDGE_STATE says (scripts/edge-state-dir.ts): on a tmpfs (the default), on disk (as before), or
 * `both`: every checkout's edge twice, the second named `<name>_<kind>` (e.g. `this_disk`), all
 * alternated like the peer.
 *
 * Every Worker these start (the edges, under wrangler dev or plain workerd, and the pass-through
 * reference Workers alike, so the edge's share against the reference stays fair) gets the CPU
 * priority BENCH_EDGE_PRIORITY says (scripts/edge-priority.ts: `group`, `nice` or `off`) once it
 * is ready; `edgePriorities` says what each got, and its threads' count at the time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import { startEdgeProcess, type EdgeProcess } from './edge-process.ts';
import { edgeStateDir, edgeStateKinds, fsTypeOf, type EdgeStateKind } from './edge-state-dir.ts';
import { DEFAULT_EDGE_PRIORITY, edgePriorityOf, prioritizeEdge, type EdgePriority, type EdgePriorityHandle } from './edge-priority.ts';
import { startRegionProcess, type RegionProcess } from './region-process.ts';
import { descendantsNamed } from './traffic/cpu-wait.ts';
import { EDGE_STORAGES, edgeStorageOf, type EdgeStorage } from './soak/edge-workerd.ts';

type StartOptions = Parameters<typeof startEdgeProcess>[0];

/** A checkout's edge: `this` or `peer`, with `_<kind>` when BENCH_EDGE_STATE=both starts its second. */
export type EdgeName = string;
/** Which checkout an edge runs (its region, with `regionalUrlOf`). */
export const checkoutOf = (name: EdgeName): 'this' | 'peer' => (name.startsWith('peer') ? 'peer' : 'this');
/** Where each edge kept its state: the kind, and the file system its dir was on. */
export const edgeStates: Record<EdgeName, { kind: EdgeStateKind; fsType: string | undefined }> = {};

/** The checkouts' edges × BENCH_EDGE_STATE's kinds, each with its name and a new state dir. */
function edgePlan<T>(checkouts: ['this' | 'peer', T][], prefix: string) {
  const kinds = edgeStateKinds();
  return checkouts.flatMap(([checkout, start]) =>
    kinds.map((kind, k) => {
      const name = k === 0 ? checkout : `${checkout}_${kind}`;
      const stateDir = edgeStateDir(kind, `${prefix}-${name}-`);
      edgeStates[name] = { kind, fsType: fsTypeOf(stateDir) };
      return { name, checkout, start, stateDir };
    }),
  );
}

export interface BenchEdge {
  name: EdgeName;
  edge: EdgeProcess;
  url: string;
  /** The Worker's own workerd, without wrangler dev's proxy in front; undefined if the log did not say. */
  workerUrl: string | undefined;
}

const PEER = process.env.BENCH_PEER;
/** BENCH_EDGE_PRIORITY (default DEFAULT_EDGE_PRIORITY), read at load so a bad value stops the bench before any tier starts. */
export const EDGE_PRIORITY: EdgePriority = edgePriorityOf(process.env.BENCH_EDGE_PRIORITY ?? DEFAULT_EDGE_PRIORITY);
/** What each Worker's workerd got (by its name: `this`, `peer`, `passThrough`, `plain_this`…). */
export const edgePriorities: Record<string, EdgePriorityHandle> = {};
/** The workerd processes under `pid` (wrangler dev: its proxy's and the Worker's; plain workerd: itself) at BENCH_EDGE_PRIORITY. */
function prioritize(name: string, pid: number | undefined) {
  const h = prioritizeEdge(pid ? descendantsNamed(pid, 'workerd') : [], EDGE_PRIORITY, name.replace(/[^\w-]/g, '_'));
  edgePriorities[name] = h;
  return h;
}
/** `stop`, then the Worker's priority group removed. */
const releasing = (h: EdgePriorityHandle, stop: () => Promise<void>) => () => stop().then(() => h.release());
let nextPort = Number(process.env.BENCH_EDGE_PORT) || 0;

/**
 * Starts this checkout's region as a process of its own, and the peer's too when BENCH_PEER is set
 * (its own scripts/region-process.ts, so its own regional code): for what must be timed as a client
 * in another process sees it. `env`: the region's configuration (a DATABASE_URL per name is made
 * from `dataDir`).
 */
export async function startBenchRegions(env: Record<string, string>, dataDir: string): Promise<{ name: 'this' | 'peer'; region: RegionProcess }[]> {
  const starters: ['this' | 'peer', typeof startRegionProcess][] = [['this', startRegionProcess]];
  if (PEER) starters.push(['peer', (await import(join(resolve(PEER), 'scripts', 'region-process.ts'))).startRegionProcess]);
  return Promise.all(starters.map(async ([name, start]) => ({ name, region: await start({ ...env, DATABASE_URL: join(dataDir, `region-${name}.db`) }) })));
}

/**
 * Starts this checkout's edge, and the peer's when BENCH_PEER is set (`opts.port`: the default first
 * port; `regionalUrlOf`: a region of its own per checkout, else `opts.regionalUrl` for all), each
 * persisting to a new state dir of BENCH_EDGE_STATE's kind (`opts.persistTo` is not used: the kind decides).
 */
export async function startBenchEdges(opts: StartOptions & { regionalUrlOf?: Partial<Record<'this' | 'peer', string>> }): Promise<BenchEdge[]> {
  const starters: ['this' | 'peer', typeof startEdgeProcess][] = [['this', startEdgeProcess]];
  if (PEER) starters.push(['peer', (await import(join(resolve(PEER), 'scripts', 'edge-process.ts'))).startEdgeProcess]);
  const plan = edgePlan(starters, 'wrangler');
  const debug = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = 'debug';
  try {
    return await Promise.all(
      plan.map(async ({ name, checkout, start, stateDir }, k) => {
        const port = nextPort ? nextPort++ : opts.port + k;
        // With BENCH_EDGE_PORT, wrangler's inspector takes the next port too (else a random one, edge-process.ts).
        const inspectorPort = nextPort ? nextPort++ : undefined;
        const { regionalUrlOf, ...o } = opts;
        const edge = await start({ ...o, regionalUrl: regionalUrlOf?.[checkout] ?? o.regionalUrl, port, ...(inspectorPort ? { inspectorPort } : {}), persistTo: stateDir });
        edge.stop = releasing(prioritize(name, edge.child.pid), edge.stop);
        return { name, edge, url: edge.url, workerUrl: workerUrlOf(edge.output()) };
      }),
    );
  } finally {
    if (debug === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = debug;
  }
}

/**
 * The reference Worker (scripts/pass-through-worker.ts) in front of `regionalUrl`, through wrangler
 * dev like the edges, with its own workerd's URL: what a Worker that does nothing adds to the region.
 */
export async function startPassThroughWorker(opts: { port: number; regionalUrl: string; persistTo?: string }): Promise<Omit<BenchEdge, 'name'>> {
  const debug = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = 'debug';
  try {
    const port = nextPort ? nextPort++ : opts.port;
    const inspectorPort = nextPort ? nextPort++ : undefined;
    const edge = await startEdgeProcess({ ...opts, port, ...(inspectorPort ? { inspectorPort } : {}), config: fileURLToPath(new URL('pass-through-worker.toml', import.meta.url)), readyPath: '/healthz', quiet: true });
    edge.stop = releasing(prioritize('passThrough', edge.child.pid), edge.stop);
    return { edge, url: edge.url, workerUrl: workerUrlOf(edge.output()) };
  } finally {
    if (debug === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = debug;
  }
}

/**
 * BENCH_EDGE_STORAGE=same|own-process|both, read at load (a bad value stops the bench before any tier
 * starts): where a plain-workerd edge's session objects and D1 stand-in run (scripts/soak/edge-workerd.ts):
 * in the Worker's workerd, in a storage host of its own, or both ways (every edge twice, the second
 * named `<name>_own`, alternated like the peer). Unset: `same`, and bench:services' edge part runs under
 * wrangler dev as before.
 */
export const EDGE_STORAGE_SETTING = process.env.BENCH_EDGE_STORAGE;
export const EDGE_STORAGE_LIST: EdgeStorage[] = EDGE_STORAGE_SETTING === 'both' ? [...EDGE_STORAGES] : [edgeStorageOf(EDGE_STORAGE_SETTING ?? 'same')];
/** Where each edge's objects ran (`same`, `own-process`), by the edge's name. */
export const edgeStorages: Record<EdgeName, EdgeStorage> = {};

/**
 * The edges (this checkout's, and the peer's with BENCH_PEER) each in a plain `workerd serve`
 * (scripts/soak/edge-workerd.ts: the bundle `wrangler deploy` ships, no wrangler dev, no Miniflare
 * entry, asset-router or outbound workers, no inspector): how the Worker runs deployed, locally.
 * `storages` (default BENCH_EDGE_STORAGE's): each edge once per topology. A storage host gets the
 * same priority as its edge in a group of its own (`<label><name>_storage`): deployed it is other
 * machines, waiting neither for the bench's load nor for the Worker's thread. `label`: the prefix of
 * the priority names (`plain_` by default).
 */
export async function startBenchEdgesUnderWorkerd(opts: { port: number; regionalUrlOf: Partial<Record<'this' | 'peer', string>>; vars?: Record<string, string>; storages?: EdgeStorage[]; label?: string }): Promise<{ name: EdgeName; url: string; stop(): Promise<void> }[]> {
  const roots: ['this' | 'peer', string][] = [['this', fileURLToPath(new URL('..', import.meta.url))]];
  if (PEER) roots.push(['peer', resolve(PEER)]);
  const storages = opts.storages ?? EDGE_STORAGE_LIST;
  const label = opts.label ?? 'plain_';
  const plan = edgePlan(roots, 'workerd').flatMap((p) => storages.map((storage, k) => ({ ...p, name: k === 0 ? p.name : `${p.name}_own`, storage })));
  return Promise.all(
    plan.map(async ({ name, checkout, start: root, stateDir, storage }, k) => {
      const { startEdgeUnderWorkerd } = await import(join(root, 'scripts', 'soak', 'edge-workerd.ts'));
      const port = nextPort ? nextPort++ : opts.port + k;
      // localDisk (the objects' and the D1 shim's SQLite files) under the state dir, a folder per topology; a storage host at the edge's port + 50.
      const e = await startEdgeUnderWorkerd({ port, regionalUrl: opts.regionalUrlOf[checkout]!, vars: opts.vars, persistTo: join(stateDir, storage), storage });
      if (storage === 'own-process' && !e.storage) throw new Error(`${root} cannot run the edge's storage in a process of its own`);
      edgeStorages[name] = storage;
      edgeStates[name] ??= edgeStates[name.replace(/_own$/, '')];
      const stopEdge = releasing(prioritize(`${label}${name}`, e.child.pid as number), e.stop as () => Promise<void>);
      const host = e.storage?.child.pid as number | undefined;
      const stop = host ? releasing(prioritize(`${label}${name}_storage`, host), stopEdge) : stopEdge;
      return { name, url: e.url as string, stop };
    }),
  );
}

/**
 * The reference Worker (scripts/pass-through-worker.ts) in a plain `workerd serve`, as the edges
 * above: its bundle from `wrangler deploy --dry-run`, its fetches straight to the network.
 */
export async function startPassThroughUnderWorkerd(opts: { port: number; regionalUrl: string }): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-pass-through-'));
  const here = fileURLToPath(new URL('.', import.meta.url));
  const built = spawnSync(join(here, '..', 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--config', join(here, 'pass-through-worker.toml'), '--outdir', join(dir, 'bundle')], { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  if (built.status !== 0) throw new Error(`wrangler deploy --dry-run (pass-through) failed:\n${(built.stdout + built.stderr).slice(-2000)}`);
  const port = nextPort ? nextPort++ : opts.port;
  writeFileSync(
    join(dir, 'pass-through.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .w), (name = "net", network = (allow = ["public", "private", "local"]))],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const w :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed "bundle/pass-through-worker.js")],
  compatibilityDate = "2025-11-01",
  bindings = [(name = "REGIONAL_URL", text = ${JSON.stringify(opts.regionalUrl)})],
  globalOutbound = "net",
);
`,
  );
  const child = spawn(join(here, '..', 'node_modules', 'workerd', 'bin', 'workerd'), ['serve', join(dir, 'pass-through.capnp'), '--experimental'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => void (log = (log + d.toString()).slice(-5000)));
  const url = `http://127.0.0.1:${port}`;
  for (const end = Date.now() + 30_000; ; ) {
    if ((await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) break;
    if (child.exitCode !== null || Date.now() > end) throw new Error(`the pass-through Worker did not start under workerd:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = () =>
    new Promise<void>((done) => {
      const gone = () => (rmSync(dir, { recursive: true, force: true }), done());
      if (child.exitCode !== null || child.signalCode !== null) return gone();
      child.once('exit', gone);
      child.kill('SIGTERM');
    });
  return { url, stop: releasing(prioritize('plain_passThrough', child.pid), stop) };
}

/** wrangler's debug line `"userWorkerUrl":{"protocol":"http:","hostname":"127.0.0.1","port":"41611"}`. */
export function workerUrlOf(log: string): string | undefined {
  const m = [...log.matchAll(/"userWorkerUrl":\{"protocol":"(https?:)","hostname":"([^"]+)","port":"(\d+)"/g)].at(-1);
  return m ? `${m[1]}//${m[2]}:${m[3]}` : undefined;
}

/**
 * Calls `each(i)` for i < n, and within each i every one of `callers` in a shuffled order
 * (seeded): so a burst of other jobs' load does not always land on the same caller.
 */
export async function alternate<K extends string>(n: number, callers: K[], each: (caller: K, i: number) => Promise<void>, seed = 17): Promise<void> {
  const shuffle = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    for (const k of [...callers].sort(() => shuffle() - 0.5)) await each(k, i);
  }
}
