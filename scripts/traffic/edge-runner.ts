/**
 * The edge bench:traffic replays through (`--edge-runner`), run one of two ways:
 * - `wrangler`: `wrangler dev` (scripts/edge-process.ts), as `npm start` and the tests run it: three
 *   processes (wrangler's Node, its proxy workerd, the Worker's workerd), Miniflare's D1 and local
 *   Durable Objects, the local rate-limiting bindings;
 * - `workerd`: the bundle `wrangler deploy` ships, in a plain `workerd serve`
 *   (scripts/soak/edge-workerd.ts), one process, as the soak and bench:services' plain edges run it:
 *   no dev proxy, no Miniflare, no inspector (unless `inspectorPort`); the limiters count in the
 *   isolate at the same limits (wrangler.toml's vars).
 * Either way the Worker's sessions (Durable Objects) and cache (D1) keep their local state in a
 * fresh folder made under `stateDir`, removed at stop: by default on a tmpfs (stateDirOf, the same
 * helper bench:services uses), where a SQLite commit's fsync, on the Worker's own thread here, does
 * not wait on a disk (deployed, those commits happen on the object's host and D1's primary, not on
 * the Worker's thread). `storage` (`--edge-storage`, `workerd` only): `same` keeps the session
 * objects and the D1 stand-in's object in the Worker's workerd, on its one thread; `own-process` puts
 * them in a second workerd, the storage host, reached over the loopback (scripts/soak/edge-workerd.ts),
 * as deployed they run on hosts of their own. `root`: another checkout (BENCH_PEER), whose own starter
 * runs its own Worker. Bench only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEdgeProcess } from '../edge-process.ts';
import { edgeStateDir, fsTypeOf } from '../edge-state-dir.ts';
import type { EdgeStorage, startEdgeUnderWorkerd } from '../soak/edge-workerd.ts';
import { descendantsNamed } from './cpu-wait.ts';

export const EDGE_RUNNERS = ['wrangler', 'workerd'] as const;
export type EdgeRunner = (typeof EDGE_RUNNERS)[number];

export interface TrafficEdge {
  runner: EdgeRunner;
  url: string;
  /** The process that runs the Worker's code (under wrangler, the root of its tree). */
  pid: number | undefined;
  /** The edge's workerd processes (under wrangler: its proxy's and the Worker's), for their CPU wait. */
  workerdPids(): number[];
  /** Where the session objects and the D1 stand-in ran, and the storage host's workerd when in a process of its own. */
  storage: EdgeStorage;
  storagePid: number | undefined;
  /** Where the Worker's local state is, and its filesystem (`tmpfs` or `disk`). */
  state: { dir: string; fs: 'tmpfs' | 'disk' };
  stop(): Promise<void>;
}

const fsOf = (dir: string): 'tmpfs' | 'disk' => (fsTypeOf(dir) === 'tmpfs' ? 'tmpfs' : 'disk');

/** `--edge-state`: `tmpfs` (default) or `disk`, a fresh dir of that kind (scripts/edge-state-dir.ts), else a folder to make it in. */
export const stateDirOf = (value: string): string => (value === 'tmpfs' || value === 'disk' ? edgeStateDir(value, 'sy-traffic-') : value);

export async function startTrafficEdge(o: { runner: EdgeRunner; root?: string; port: number; regionalUrl: string; stateDir: string; vars: Record<string, string>; inspectorPort?: number; storage?: EdgeStorage }): Promise<TrafficEdge> {
  const storage = o.storage ?? 'same';
  if (storage !== 'same' && o.runner !== 'workerd') throw new Error('--edge-storage own-process needs --edge-runner workerd (wrangler dev keeps its objects in its own Miniflare)');
  const dir = mkdtempSync(join(resolve(o.stateDir), 'sy-traffic-edge-'));
  const state = { dir, fs: fsOf(dir) };
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  if (o.runner === 'wrangler') {
    const start: typeof startEdgeProcess = o.root ? (await import(join(o.root, 'scripts', 'edge-process.ts'))).startEdgeProcess : startEdgeProcess;
    const edge = await start({ port: o.port, regionalUrl: o.regionalUrl, persistTo: dir, vars: o.vars, quiet: true, ...(o.inspectorPort ? { inspectorPort: o.inspectorPort } : {}) });
    const pid = edge.child.pid;
    return { runner: o.runner, url: edge.url, pid, workerdPids: () => (pid ? descendantsNamed(pid, 'workerd') : []), storage, storagePid: undefined, state, stop: () => edge.stop().then(cleanUp) };
  }
  const start: typeof startEdgeUnderWorkerd = (await import(join(o.root ?? join(import.meta.dirname, '..', '..'), 'scripts', 'soak', 'edge-workerd.ts'))).startEdgeUnderWorkerd;
  // EDGE_LOG_TO (opt-in, profiling): all of the Worker's workerd output to that file, e.g. V8's GC trace with EDGE_V8_FLAGS=--trace-gc-nvp (scripts/traffic/gc-pauses.ts reads it).
  const logTo = process.env.EDGE_LOG_TO;
  const edge = await start({ port: o.port, regionalUrl: o.regionalUrl, persistTo: dir, vars: o.vars, storage, ...(o.inspectorPort ? { inspectorPort: o.inspectorPort } : {}), ...(logTo ? { logTo } : {}) });
  // A checkout whose starter has no storage host (BENCH_PEER before it) would run its objects in the Worker's process unsaid.
  if (storage === 'own-process' && !edge.storage) {
    await edge.stop().then(cleanUp);
    throw new Error(`${o.root ?? 'this checkout'} cannot run the edge's storage in a process of its own`);
  }
  const pid = edge.child.pid;
  return { runner: o.runner, url: edge.url, pid, workerdPids: () => (pid ? [pid] : []), storage, storagePid: edge.storage?.child.pid, state, stop: () => edge.stop().then(cleanUp) };
}
