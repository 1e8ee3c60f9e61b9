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
 * Prints "ready on <url>" once /healthz has its models settled.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Writes the bundle and a workerd config into `dir`; returns the config's path. */
export function workerdConfig(o: { dir: string; port: number; vars: Record<string, string>; persistTo: string; v8Flags?: string[]; leakKbPerRequest?: number }) {
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
  const modules = readdirSync(out)
    .filter((f) => !f.endsWith('.map') && f !== 'README.md')
    .sort((a, b) => Number(b === 'index.js') - Number(a === 'index.js'))
    .map((f) => `(name = ${str(f)}, ${kind(f)} = embed ${str(join('bundle', f))})`);
  if (o.leakKbPerRequest) {
    writeFileSync(join(o.dir, 'soak-leak.js'), leakEntry(o.leakKbPerRequest));
    modules.unshift(`(name = "soak-leak.js", esModule = embed "soak-leak.js")`);
  }
  writeFileSync(join(o.dir, 'd1-shim.js'), D1_SHIM);
  writeFileSync(join(o.dir, 'd1-object.js'), D1_OBJECT);
  const doDisk = join(o.persistTo, 'do');
  mkdirSync(doDisk, { recursive: true });
  const vars = { ...tomlVars(toml), ...o.vars };
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .edge),
    (name = "d1", worker = .d1),
    (name = "assets", disk = (path = ${str(assets)}, writable = false)),
    (name = "do-disk", disk = (path = ${str(doDisk)}, writable = true)),
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = ${str(`127.0.0.1:${o.port}`)}, http = (), service = "main")],
  extensions = [(modules = [(name = "switchyard:d1-shim", esModule = embed "d1-shim.js", internal = true)])],
  v8Flags = [${(o.v8Flags ?? []).map(str).join(', ')}],
);
const edge :Workerd.Worker = (
  modules = [${modules.join(', ')}],
  compatibilityDate = ${str(compatibilityDate)},
  bindings = [
    ${Object.entries(vars).map(([k, v]) => `(name = ${str(k)}, text = ${str(v)})`).join(',\n    ')},
    (name = "ASSETS", service = "assets"),
    (name = "SESSIONS", durableObjectNamespace = "SessionStore"),
    (name = "CACHE_DB", wrapped = (moduleName = "switchyard:d1-shim", innerBindings = [(name = "store", durableObjectNamespace = (className = "D1Object", serviceName = "d1"))])),
  ],
  durableObjectNamespaces = [(className = "SessionStore", uniqueKey = "switchyard-edge-SessionStore", enableSql = true)],
  durableObjectStorage = (localDisk = "do-disk"),
  globalOutbound = "net",
);
const d1 :Workerd.Worker = (
  modules = [(name = "d1-object.js", esModule = embed "d1-object.js")],
  compatibilityDate = ${str(compatibilityDate)},
  durableObjectNamespaces = [(className = "D1Object", uniqueKey = "switchyard-edge-d1", enableSql = true)],
  durableObjectStorage = (localDisk = "do-disk"),
);
`;
  const path = join(o.dir, 'edge.capnp');
  writeFileSync(path, config);
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

/**
 * Starts `workerd serve` on a config for the Worker's bundle (a child of this process, so the bench
 * reads its RSS) and resolves once /healthz has its models settled.
 */
/**
 * `leakKbPerRequest`: the soak's test leak (leakEntry). `v8Flags`: V8 flags in the config (e.g. `--trace-gc`, whose lines give each collection's heap
 * committed); `logTo`: a file that gets all of workerd's output (otherwise only its last 20 KB is
 * kept, for errors); `inspectorPort`: an inspector there (the soak's allocation profile only: a deployed
 * Worker has none).
 */
export async function startEdgeUnderWorkerd(o: { port: number; regionalUrl: string; persistTo?: string; vars?: Record<string, string>; reference?: ReferenceWorker; v8Flags?: string[]; logTo?: string; inspectorPort?: number; leakKbPerRequest?: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'sy-edge-workerd-'));
  const vars = { REGIONAL_URL: o.regionalUrl, ...o.vars };
  const v8Flags = [...(o.v8Flags ?? []), ...profilingV8Flags(process.env.EDGE_V8_FLAGS)];
  const config = o.reference ? referenceConfig({ dir, port: o.port, vars, mode: o.reference, v8Flags }) : workerdConfig({ dir, port: o.port, vars, persistTo: o.persistTo ?? join(dir, 'persist'), v8Flags, leakKbPerRequest: o.leakKbPerRequest });
  // performance.now() at the start: V8's --trace-gc lines count ms from their isolate's start, just after.
  const startedAt = performance.now();
  const inspector = o.inspectorPort ? [`--inspector-addr=127.0.0.1:${o.inspectorPort}`] : [];
  const child = spawn(workerdBin(), ['serve', config, '--experimental', ...inspector], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const logFile = o.logTo ? createWriteStream(o.logTo) : undefined;
  const keep = (d: Buffer) => {
    logFile?.write(d);
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${o.port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`workerd exited (${code}):\n${log.slice(-3000)}`))));
  exited.catch(() => {});
  const settled = (async () => {
    for (const end = Date.now() + (Number(process.env.EDGE_START_TIMEOUT_MS) || 120_000); ; ) {
      const health = await fetch(`${url}/healthz`).then((r) => r.json() as Promise<{ models?: string }>, () => null);
      if (health && health.models !== 'loading') return;
      if (Date.now() > end) throw new Error(`the edge did not settle its models in time:\n${log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        // The log is whole once stop() resolves (the bench reads it then).
        if (logFile) logFile.end(() => resolve());
        else resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('close', done);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  await Promise.race([settled, exited]).catch(async (e) => {
    await stop();
    throw e;
  });
  // `sourceMap`: the bundle's, to read an allocation profile's places in the sources (the product's Worker only).
  return { url, child, stop, startedAt, sourceMap: o.reference ? undefined : join(dir, 'bundle', 'index.js.map') };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2]);
  const e = await startEdgeUnderWorkerd({ port, regionalUrl: process.argv[3] ?? 'http://127.0.0.1:9' });
  console.log(`ready on ${e.url} (pid ${e.child.pid})`);
  process.once('SIGINT', () => void e.stop().then(() => process.exit(0)));
}
