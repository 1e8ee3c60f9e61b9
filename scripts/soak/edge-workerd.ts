/**
 * `npx tsx scripts/soak/edge-workerd.ts <port> [<regional url>]`:
 * the edge Worker in a plain `workerd serve` (bench only: the soak's `--edge-runner workerd`), as a
 * deployed Worker runs: no wrangler dev, no dev proxy, no Miniflare (its entry, loopback and
 * outbound workers), no inspector. Same script as `wrangler deploy` ships (its `--dry-run`
 * bundle), same vars as wrangler.toml. The bindings, in workerd's own terms:
 * - ASSETS: a disk service over the edge assets folder (the model files);
 * - SESSIONS: the Durable Object namespace, SQLite-backed (`enableSql`), stored on a local disk folder;
 * - CACHE_DB: workerd has no D1 of its own (Miniflare brings one): a small D1 surface
 *   (prepare/bind/all/raw/first/run/batch/exec) in a wrapped binding over a SQLite Durable Object
 *   (D1_SHIM below), the way Miniflare backs D1 with a Durable Object too;
 * - CLIENT_LIMITER, SESSION_LIMITER: left out (workerd has no local rate limiter); the Worker's
 *   in-isolate fallback counts instead, as under `--edge-runner miniflare --edge-without`.
 * The Worker's fetches go straight out (a network service that allows the loopback region).
 * `storage: 'own-process'` (BENCH_EDGE_STORAGE, `--edge-storage`): the session objects and the D1
 * stand-in's object run in a second `workerd serve`, the storage host (STORAGE_HOST), as deployed they
 * run on hosts of their own, not on the Worker's thread; the Worker's SESSIONS and CACHE_DB keep their
 * interface, as wrapped bindings (REMOTE_NAMESPACE) whose stubs forward every call by workerd's own
 * JS RPC over a Cap'n Proto connection on the loopback (an `external` service with
 * `capnpConnectHost`). workerd cannot send a Durable Object stub across processes, so the storage
 * host's entry names the object and calls it. `same` (the default): all in the Worker's process.
 * Prints "ready on <url>" once /healthz has its models settled.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { repoRoot } from '../../models/pipeline/datasets.ts';
import { edgeDomainTsconfig } from '../domain-bundle.ts';
import { buildEdgeAssets } from '../edge-assets.ts';

/** D1's statement surface the Worker (drizzle's D1 driver, migrate.ts) calls, over a SQLite Durable Object's `sql.exec`. */
const D1_SHIM = `
class Statement {
  constructor(db, sql, params = []) { this.db = db; this.sql = sql; this.params = params; }
  bind(...params) { return new Statement(this.db, this.sql, params); }
  async all() { const r = await this.db.query([{ sql: this.sql, params: this.params }], 'objects'); return r[0]; }
  async raw(o) { const r = await this.db.query([{ sql: this.sql, params: this.params }], 'arrays'); return o?.columnNames ? [r[0].columns, ...r[0].results] : r[0].results; }
  async first(col) { const row = (await this.all()).results[0] ?? null; return col === undefined || row === null ? row : row[col]; }
  async run() { return this.all(); }
}
export default function (env) {
  const stub = () => env.store.get(env.store.idFromName('d1'));
  const db = { query: (statements, shape) => stub().query(statements, shape) };
  return {
    prepare: (sql) => new Statement(db, sql),
    batch: (statements) => db.query(statements.map((s) => ({ sql: s.sql, params: s.params })), 'objects'),
    exec: async (sql) => { await db.query([{ sql, params: [] }], 'objects'); return { count: 1, duration: 0 }; },
  };
}`;
/**
 * A Durable Object namespace in the storage host, as the Worker's code sees one (`idFromName`, `get`,
 * then any method on the stub): each call goes to the host's entry (STORAGE_HOST) by JS RPC.
 * `then` is left undefined so a stub is never taken for a promise.
 */
const REMOTE_NAMESPACE = `
export default function (env) {
  const stub = (name) => new Proxy({}, { get: (_, method) => (method === 'then' ? undefined : (...args) => env.host.call(env.namespace, name, method, args)) });
  return { idFromName: (name) => ({ name, toString: () => name }), get: (id) => stub(id.name) };
}`;
/** The storage host's entry: a call from the Worker's REMOTE_NAMESPACE, made on the named object of its own namespace. */
const STORAGE_HOST = `
import { WorkerEntrypoint } from 'cloudflare:workers';
export { SessionStore } from './index.js';
export { D1Object } from './d1-object.js';
const NAMESPACES = ['SESSIONS', 'D1'];
export default class StorageHost extends WorkerEntrypoint {
  call(namespace, name, method, args) {
    if (!NAMESPACES.includes(namespace)) throw new Error('no namespace ' + namespace);
    const ns = this.env[namespace];
    return ns.get(ns.idFromName(name))[method](...args);
  }
}`;
const D1_OBJECT = `
import { DurableObject } from 'cloudflare:workers';
export class D1Object extends DurableObject {
  query(statements, shape) {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => statements.map((s) => {
      const cursor = sql.exec(s.sql, ...s.params);
      const results = shape === 'arrays' ? [...cursor.raw()] : cursor.toArray();
      return { success: true, results, columns: cursor.columnNames, meta: { changes: cursor.rowsWritten, rows_read: cursor.rowsRead, rows_written: cursor.rowsWritten, duration: 0 } };
    }));
  }
}
export default { fetch: () => new Response('d1 object', { status: 404 }) };`;

/**
 * The soak's test leak (`--edge-leak-kb`; bench only): the main module in front of the bundle's
 * entry, keeping KB of JavaScript objects (an array of doubles, on V8's heap) for every request.
 */
const leakEntry = (kb: number) => `
import worker from './index.js';
export * from './index.js';
const kept = [];
export default {
  fetch(request, env, ctx) {
    kept.push(new Array(${Math.round(kb * 128)}).fill(0.5));
    return worker.fetch(request, env, ctx);
  },
};`;

/** wrangler.toml's [vars] (flat string values only). */
function tomlVars(text: string) {
  const section = /^\[vars\]\s*$([\s\S]*?)(?=^\[)/m.exec(text)?.[1] ?? '';
  return Object.fromEntries([...section.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
}
const str = (s: string) => JSON.stringify(s);

/** A reference Worker in place of the edge (reference-worker.ts): `pipe` or `sse-reader`. */
export type ReferenceWorker = 'pipe' | 'sse-reader';

/** A workerd config for reference-worker.ts, bundled by esbuild into `dir`: the one Worker, its vars, plain outbound networking. */
function referenceConfig(o: { dir: string; port: number; vars: Record<string, string>; mode: ReferenceWorker; v8Flags: string[] }) {
  const toml = readFileSync(join(repoRoot(), 'wrangler.toml'), 'utf8');
  buildSync({ entryPoints: [fileURLToPath(new URL('reference-worker.ts', import.meta.url))], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: join(o.dir, 'reference.js') });
  const vars = { REGIONAL_URL: o.vars.REGIONAL_URL, REGION_API_KEY: tomlVars(toml).REGION_API_KEY ?? 'dev-edge-key', REFERENCE_MODE: o.mode };
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .reference), (name = "net", network = (allow = ["public", "private", "local"]))],
  sockets = [(name = "http", address = ${str(`127.0.0.1:${o.port}`)}, http = (), service = "main")],
  v8Flags = [${o.v8Flags.map(str).join(', ')}],
);
const reference :Workerd.Worker = (
  modules = [(name = "reference.js", esModule = embed "reference.js")],
  compatibilityDate = ${str(/^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)![1])},
  bindings = [${Object.entries(vars).map(([k, v]) => `(name = ${str(k)}, text = ${str(v)})`).join(', ')}],
  globalOutbound = "net",
);
`;
  const path = join(o.dir, 'reference.capnp');
  writeFileSync(path, config);
  return path;
}

/** Where the session objects and the D1 stand-in's object run: in the Worker's process, or in a storage host of their own. */
export const EDGE_STORAGES = ['same', 'own-process'] as const;
export type EdgeStorage = (typeof EDGE_STORAGES)[number];
/** `--edge-storage` / BENCH_EDGE_STORAGE → a topology, or a clear error. */
export function edgeStorageOf(value: string): EdgeStorage {
  if (!(EDGE_STORAGES as readonly string[]).includes(value)) throw new Error(`the edge storage must be one of ${EDGE_STORAGES.join(', ')}, not ${JSON.stringify(value)}`);
  return value as EdgeStorage;
}

/**
 * Writes the bundle and a workerd config into `dir`; returns the config's path. With `storagePort`,
 * also `storage.capnp` beside it: the storage host, serving JS RPC on that port, which the Worker's
 * SESSIONS and CACHE_DB reach.
 */
export function workerdConfig(o: { dir: string; port: number; vars: Record<string, string>; persistTo: string; v8Flags?: string[]; leakKbPerRequest?: number; storagePort?: number }) {
  const root = repoRoot();
  const domain = process.env.SWITCHYARD_DOMAIN;
  const assets = buildEdgeAssets(domain).dir;
  const tsconfig = edgeDomainTsconfig(domain);
  const out = join(o.dir, 'bundle');
  const built = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out, '--assets', assets, ...(tsconfig ? ['--tsconfig', tsconfig] : [])], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (built.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${(built.stdout + built.stderr).slice(-3000)}`);
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)![1];
  const kind = (f: string) => (f.endsWith('.sql') ? 'text' : f.endsWith('.wasm') ? 'wasm' : f.endsWith('.bin') ? 'data' : 'esModule');
  const bundleModules = readdirSync(out)
    .filter((f) => !f.endsWith('.map') && f !== 'README.md')
    .sort((a, b) => Number(b === 'index.js') - Number(a === 'index.js'))
    .map((f) => `(name = ${str(f)}, ${kind(f)} = embed ${str(join('bundle', f))})`);
  const modules = [...bundleModules];
  if (o.leakKbPerRequest) {
    writeFileSync(join(o.dir, 'soak-leak.js'), leakEntry(o.leakKbPerRequest));
    modules.unshift(`(name = "soak-leak.js", esModule = embed "soak-leak.js")`);
  }
  writeFileSync(join(o.dir, 'd1-shim.js'), D1_SHIM);
  writeFileSync(join(o.dir, 'd1-object.js'), D1_OBJECT);
  const doDisk = join(o.persistTo, 'do');
  mkdirSync(doDisk, { recursive: true });
  const vars = { ...tomlVars(toml), ...o.vars };
  const varBindings = Object.entries(vars).map(([k, v]) => `(name = ${str(k)}, text = ${str(v)})`);
  const remote = o.storagePort !== undefined;
  const remoteNamespace = (ns: string) => `wrapped = (moduleName = "switchyard:remote-namespace", innerBindings = [(name = "host", service = "storage"), (name = "namespace", text = ${str(ns)})])`;
  const storageBindings = remote
    ? [`(name = "SESSIONS", ${remoteNamespace('SESSIONS')})`, `(name = "CACHE_DB", wrapped = (moduleName = "switchyard:d1-shim", innerBindings = [(name = "store", ${remoteNamespace('D1')})]))`]
    : [`(name = "SESSIONS", durableObjectNamespace = "SessionStore")`, `(name = "CACHE_DB", wrapped = (moduleName = "switchyard:d1-shim", innerBindings = [(name = "store", durableObjectNamespace = (className = "D1Object", serviceName = "d1"))]))`];
  const sessionsNamespace = `(className = "SessionStore", uniqueKey = "switchyard-edge-SessionStore", enableSql = true)`;
  const d1Namespace = `(className = "D1Object", uniqueKey = "switchyard-edge-d1", enableSql = true)`;
  const extensions = [`(name = "switchyard:d1-shim", esModule = embed "d1-shim.js", internal = true)`];
  if (remote) {
    writeFileSync(join(o.dir, 'remote-namespace.js'), REMOTE_NAMESPACE);
    extensions.push(`(name = "switchyard:remote-namespace", esModule = embed "remote-namespace.js", internal = true)`);
  }
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .edge),
    ${remote ? `(name = "storage", external = (address = ${str(`127.0.0.1:${o.storagePort}`)}, http = (capnpConnectHost = "capnp"))),` : '(name = "d1", worker = .d1),'}
    (name = "assets", disk = (path = ${str(assets)}, writable = false)),
    (name = "do-disk", disk = (path = ${str(doDisk)}, writable = true)),
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = ${str(`127.0.0.1:${o.port}`)}, http = (), service = "main")],
  extensions = [(modules = [${extensions.join(', ')}])],
  v8Flags = [${(o.v8Flags ?? []).map(str).join(', ')}],
);
const edge :Workerd.Worker = (
  modules = [${modules.join(', ')}],
  compatibilityDate = ${str(compatibilityDate)},
  bindings = [
    ${varBindings.join(',\n    ')},
    (name = "ASSETS", service = "assets"),
    ${storageBindings.join(',\n    ')},
  ],
  ${remote ? '' : `durableObjectNamespaces = [${sessionsNamespace}],\n  durableObjectStorage = (localDisk = "do-disk"),`}
  globalOutbound = "net",
);
const d1 :Workerd.Worker = (
  modules = [(name = "d1-object.js", esModule = embed "d1-object.js")],
  compatibilityDate = ${str(compatibilityDate)},
  durableObjectNamespaces = [${d1Namespace}],
  durableObjectStorage = (localDisk = "do-disk"),
);
`;
  const path = join(o.dir, 'edge.capnp');
  writeFileSync(path, config);
  if (remote) {
    writeFileSync(join(o.dir, 'storage-host.js'), STORAGE_HOST);
    // The same bundle (its SessionStore class) and vars as the Worker; the storage host serves JS RPC only.
    writeFileSync(
      join(o.dir, 'storage.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .storage), (name = "do-disk", disk = (path = ${str(doDisk)}, writable = true))],
  sockets = [(name = "rpc", address = ${str(`127.0.0.1:${o.storagePort}`)}, http = (capnpConnectHost = "capnp"), service = "main")],
);
const storage :Workerd.Worker = (
  modules = [(name = "storage-host.js", esModule = embed "storage-host.js"), ${bundleModules.join(', ')}, (name = "d1-object.js", esModule = embed "d1-object.js")],
  compatibilityDate = ${str(compatibilityDate)},
  bindings = [
    ${varBindings.join(',\n    ')},
    (name = "SESSIONS", durableObjectNamespace = "SessionStore"),
    (name = "D1", durableObjectNamespace = "D1Object"),
  ],
  durableObjectNamespaces = [${sessionsNamespace}, ${d1Namespace}],
  durableObjectStorage = (localDisk = "do-disk"),
);
`,
    );
  }
  return path;
}

/**
 * EDGE_V8_FLAGS (opt-in, profiling only; unset in every measured run): more V8 flags for the edge's
 * workerd, space-separated, e.g. `--perf-basic-prof --interpreted-frames-native-stack` so that
 * `perf` names JavaScript frames (scripts/edge-cpu/profile.ts). Only `--` flags are taken.
 */
export function profilingV8Flags(value: string | undefined): string[] {
  const flags = (value ?? '').split(/\s+/).filter(Boolean);
  const bad = flags.find((f) => !f.startsWith('--'));
  if (bad) throw new Error(`EDGE_V8_FLAGS: ${bad} is not a V8 flag (--name)`);
  return flags;
}

/** The workerd binary wrangler runs. */
const workerdBin = () => join(repoRoot(), 'node_modules', 'workerd', 'bin', 'workerd');

/** `workerd serve <config>` in `dir`, its output kept (its last 20 KB, and all of it in `logTo`). */
function serveWorkerd(config: string, dir: string, extraArgs: string[], logTo?: string) {
  const child = spawn(workerdBin(), ['serve', config, '--experimental', ...extraArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const logFile = logTo ? createWriteStream(logTo) : undefined;
  const keep = (d: Buffer) => {
    logFile?.write(d);
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`workerd exited (${code}):\n${log.slice(-3000)}`))));
  exited.catch(() => {});
  const stop = () =>
    new Promise<void>((resolve) => {
      // The log is whole once stop() resolves (the bench reads it then).
      const done = () => (logFile ? logFile.end(() => resolve()) : resolve());
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('close', done);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  return { child, exited, stop, log: () => log };
}

/** Resolves once something accepts connections on `port` (the storage host's socket), or rejects after `ms`. */
async function listening(port: number, ms: number) {
  for (const end = Date.now() + ms; ; ) {
    const up = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
    if (up) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts `workerd serve` on a config for the Worker's bundle (a child of this process, so the bench
 * reads its RSS) and resolves once /healthz has its models settled.
 * `leakKbPerRequest`: the soak's test leak (leakEntry). `v8Flags`: V8 flags in the config (e.g. `--trace-gc`, whose lines give each collection's heap
 * committed); `logTo`: a file that gets all of workerd's output (otherwise only its last 20 KB is
 * kept, for errors); `inspectorPort`: an inspector there (the soak's allocation profile only: a deployed
 * Worker has none). `storage: 'own-process'`: the session objects and the D1 stand-in in a storage host
 * of their own (a second workerd, started first, on `storagePort`, default EDGE_STORAGE_PORT or the
 * edge's port + 50; `storage` in the result has its pid); with `startStorageHost: false` the Worker
 * joins a storage host already on `storagePort` (another edge's: a second isolate on the same objects).
 */
export async function startEdgeUnderWorkerd(o: { port: number; regionalUrl: string; persistTo?: string; vars?: Record<string, string>; reference?: ReferenceWorker; v8Flags?: string[]; logTo?: string; inspectorPort?: number; leakKbPerRequest?: number; storage?: EdgeStorage; storagePort?: number; startStorageHost?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'sy-edge-workerd-'));
  const vars = { REGIONAL_URL: o.regionalUrl, ...o.vars };
  const v8Flags = [...(o.v8Flags ?? []), ...profilingV8Flags(process.env.EDGE_V8_FLAGS)];
  const storagePort = o.storage === 'own-process' && !o.reference ? (o.storagePort ?? (Number(process.env.EDGE_STORAGE_PORT) || o.port + 50)) : undefined;
  const config = o.reference ? referenceConfig({ dir, port: o.port, vars, mode: o.reference, v8Flags }) : workerdConfig({ dir, port: o.port, vars, persistTo: o.persistTo ?? join(dir, 'persist'), v8Flags, leakKbPerRequest: o.leakKbPerRequest, storagePort });
  const storage = storagePort !== undefined && o.startStorageHost !== false ? serveWorkerd(join(dir, 'storage.capnp'), dir, []) : undefined;
  // The storage host listens before the Worker starts: the Worker's first requests (the cache's migration) reach it.
  if (storage) {
    await Promise.race([listening(storagePort!, 30_000), storage.exited]).catch(async (e) => {
      await storage.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    });
  }
  // performance.now() at the start: V8's --trace-gc lines count ms from their isolate's start, just after.
  const startedAt = performance.now();
  const inspector = o.inspectorPort ? [`--inspector-addr=127.0.0.1:${o.inspectorPort}`] : [];
  const edge = serveWorkerd(config, dir, inspector, o.logTo);
  const url = `http://127.0.0.1:${o.port}`;
  const exited = Promise.race([edge.exited, ...(storage ? [storage.exited] : [])]);
  exited.catch(() => {});
  const settled = (async () => {
    for (const end = Date.now() + (Number(process.env.EDGE_START_TIMEOUT_MS) || 120_000); ; ) {
      const health = await fetch(`${url}/healthz`).then((r) => r.json() as Promise<{ models?: string }>, () => null);
      if (health && health.models !== 'loading') return;
      if (Date.now() > end) throw new Error(`the edge did not settle its models in time:\n${edge.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  const stop = async () => {
    await edge.stop();
    await storage?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  await Promise.race([settled, exited]).catch(async (e) => {
    await stop();
    throw e;
  });
  return {
    url,
    child: edge.child,
    stop,
    startedAt,
    /** The storage host (`storage: 'own-process'`): its process, and its port. */
    storage: storage ? { child: storage.child, port: storagePort! } : undefined,
    // `sourceMap`: the bundle's, to read an allocation profile's places in the sources (the product's Worker only).
    sourceMap: o.reference ? undefined : join(dir, 'bundle', 'index.js.map'),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2]);
  const e = await startEdgeUnderWorkerd({ port, regionalUrl: process.argv[3] ?? 'http://127.0.0.1:9', storage: edgeStorageOf(process.env.BENCH_EDGE_STORAGE ?? 'same') });
  console.log(`ready on ${e.url} (pid ${e.child.pid}${e.storage ? `; storage host pid ${e.storage.child.pid} on ${e.storage.port}` : ''})`);
  process.once('SIGINT', () => void e.stop().then(() => process.exit(0)));
}
